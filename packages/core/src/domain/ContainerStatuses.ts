/**
 * API container statuses from the runtime snapshot (spec pod-lifecycle §3.1, §3.2, §4.4, §7; K-pods
 * `convertToAPIContainerStatuses`, K-probe `UpdatePodStatus`): init containers in spec order, app containers sorted
 * by name; default waiting reasons; the newest instance is `state`, the one before it `lastState`; a container that
 * will be restarted shows the last start error from the reason cache; `started` / `ready` by the probe rules.
 * Runtime times are epoch ms, written as RFC 3339 (`Time.ts`); a missing start/finish time is Go's zero Unix time.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { type ProbeResults, probeResultOf } from "./Probe.js"
import { shouldContainerBeRestarted } from "./Restart.js"
import { type ContainerInstance, instancesOf, latestInstance, type RuntimeSnapshot } from "./RuntimeSnapshot.js"
import { sameJson, sharedList, sharedWith } from "./SameJson.js"
import { toRfc3339 } from "./Time.js"

/** `ContainerCreating`: default waiting reason of a pod without init containers. */
export const ContainerCreating = "ContainerCreating"
/** `PodInitializing`: default waiting reason of every container of a pod with init containers. */
export const PodInitializing = "PodInitializing"
/** Reason of a container that vanished from the runtime (§3.3). */
export const ContainerStatusUnknown = "ContainerStatusUnknown"

/** The last start error of one container (`kubelet reasonCache` entry): e.g. `CrashLoopBackOff` and its message. */
export interface ReasonCacheEntry {
  readonly reason: string
  readonly message: string
}

/** Last start errors of one pod's containers, by container name (cleared on a successful start). */
export type ReasonCache = ReadonlyMap<string, ReasonCacheEntry>

export const emptyReasonCache: ReasonCache = new Map()

/** Inputs of `buildContainerStatuses`. */
export interface ContainerStatusesInput {
  readonly pod: Pod
  readonly snapshot: RuntimeSnapshot
  /** The previous status (status-manager cache, else `pod.status`). */
  readonly previous?: PodStatus
  readonly reasons: ReasonCache
  readonly probes: ProbeResults
}

const convertInstance = (instance: ContainerInstance, old: ContainerStatus | undefined): ContainerStatus => {
  const base = {
    name: instance.name,
    restartCount: instance.restartCount,
    image: instance.image,
    imageID: instance.imageID,
    containerID: instance.id,
    lastState: {},
    ready: false
  }
  switch (instance.state) {
    case "running":
      return { ...base, state: { running: { startedAt: toRfc3339(instance.startedAt ?? 0) } } }
    case "exited":
      return {
        ...base,
        state: {
          terminated: {
            exitCode: instance.exitCode ?? 0,
            ...(instance.reason ? { reason: instance.reason } : {}),
            ...(instance.message ? { message: instance.message } : {}),
            startedAt: toRfc3339(instance.startedAt ?? 0),
            finishedAt: toRfc3339(instance.finishedAt ?? 0),
            containerID: instance.id
          }
        }
      }
    case "unknown":
      if (old?.state.running !== undefined) {
        return {
          ...base,
          restartCount: old.restartCount + 1,
          state: {
            terminated: {
              exitCode: 137,
              reason: ContainerStatusUnknown,
              message: "The container could not be located when the pod was terminated"
            }
          }
        }
      }
      return { ...base, state: { waiting: {} } }
    case "created":
      return { ...base, state: { waiting: {} } }
  }
}

const convert = (
  input: ContainerStatusesInput,
  containers: ReadonlyArray<Container>,
  previous: ReadonlyArray<ContainerStatus>,
  isInit: boolean
): Map<string, ContainerStatus> => {
  const { pod, snapshot } = input
  const hasInitContainers = (pod.spec.initContainers ?? []).length > 0
  const defaultReason = hasInitContainers ? PodInitializing : ContainerCreating
  const oldStatuses = new Map(previous.map((s) => [s.name, s]))
  const statuses = new Map<string, ContainerStatus>()

  for (const container of containers) {
    const old = oldStatuses.get(container.name)
    const fresh: ContainerStatus = {
      name: container.name,
      image: container.image ?? "",
      imageID: "",
      state: { waiting: { reason: defaultReason } },
      lastState: {},
      ready: false,
      restartCount: 0
    }
    statuses.set(
      container.name,
      old === undefined
        ? fresh
        : old.state.terminated !== undefined
          ? old
          : { ...fresh, restartCount: old.restartCount, lastState: old.lastState }
    )
  }

  // A container that was running and vanished from the runtime: show it stopped, not waiting.
  for (const container of containers) {
    if (instancesOf(snapshot, container.name).length > 0) continue
    const old = oldStatuses.get(container.name)
    if (old === undefined || old.state.terminated !== undefined || old.state.running === undefined) continue
    const status = statuses.get(container.name)!
    if (status.state.waiting?.reason !== defaultReason || status.lastState.terminated !== undefined) continue
    statuses.set(container.name, {
      ...status,
      lastState: {
        terminated: {
          exitCode: 137,
          reason: ContainerStatusUnknown,
          message: "The container could not be located when the pod was deleted.  The container used to be Running"
        }
      },
      restartCount: status.restartCount + (pod.metadata.deletionTimestamp === undefined ? 1 : 0)
    })
  }

  // The newest instance is the state, the one before it the last state.
  for (const container of containers) {
    const [newest, previousInstance] = instancesOf(snapshot, container.name)
    if (newest === undefined) continue
    const old = oldStatuses.get(container.name)
    const status = convertInstance(newest, old)
    statuses.set(
      container.name,
      previousInstance === undefined ? status : { ...status, lastState: convertInstance(previousInstance, old).state }
    )
  }

  // Containers to be restarted show the last start error.
  for (const container of containers) {
    if (isInit) {
      const latest = latestInstance(snapshot, container.name)
      if (latest?.state === "exited" && latest.exitCode === 0) continue
    }
    if (!shouldContainerBeRestarted(container, pod, snapshot)) continue
    const reason = input.reasons.get(container.name)
    if (reason === undefined) continue
    const status = statuses.get(container.name)!
    const waiting: ContainerState = {
      waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) }
    }
    statuses.set(container.name, {
      ...status,
      ...(status.state.terminated !== undefined ? { lastState: status.state } : {}),
      state: waiting
    })
  }
  return statuses
}

/**
 * `isContainerStarted`: running, and its startup probe (if any) published Success.
 * `ready`: regular init container ⇒ terminated with exit 0; others ⇒ started, running, and readiness Success (or no
 * readiness probe).
 */
const withProbeState = (status: ContainerStatus, container: Container, isInit: boolean, probes: ProbeResults) => {
  const running = status.state.running !== undefined
  const startup = probeResultOf(probes, status.containerID, "startup")
  const started = running && (startup !== undefined ? startup === "Success" : container.startupProbe === undefined)
  if (isInit && !isSidecar(container)) {
    const ready = status.state.terminated !== undefined && status.state.terminated.exitCode === 0
    return { ...status, started, ready: ready || status.ready }
  }
  if (!started) return { ...status, started }
  const ready =
    running &&
    (probeResultOf(probes, status.containerID, "readiness") === "Success" || container.readinessProbe === undefined)
  return { ...status, started, ready }
}

/** The previous status of the same name when it serialises the same as `status` (shared), else `status`. */
const shareStatus = (
  status: ContainerStatus,
  previous: ReadonlyArray<ContainerStatus> | undefined
): ContainerStatus => {
  if (previous === undefined) return status
  for (const old of previous) {
    if (old.name !== status.name) continue
    if (sameJson(status, old)) return old
    // a status that changed often keeps its state or last state (an exited instance stays the last state)
    const state = sharedWith(status.state, old.state)
    const lastState = sharedWith(status.lastState, old.lastState)
    return state === status.state && lastState === status.lastState ? status : { ...status, state, lastState }
  }
  return status
}

const byName = (a: Container, b: Container): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * The pod's `initContainerStatuses` (spec order) and `containerStatuses` (sorted by name). A status (or list)
 * that serialises as the previous one is the previous object itself.
 */
export const buildContainerStatuses = (
  input: ContainerStatusesInput
): {
  readonly initContainerStatuses: ReadonlyArray<ContainerStatus>
  readonly containerStatuses: ReadonlyArray<ContainerStatus>
} => {
  const initContainers = input.pod.spec.initContainers ?? []
  const previousInit = input.previous?.initContainerStatuses
  const previousApp = input.previous?.containerStatuses
  const init = convert(input, initContainers, previousInit ?? [], true)
  const app = convert(input, input.pod.spec.containers, previousApp ?? [], false)
  const sorted =
    input.pod.spec.containers.length > 1 ? [...input.pod.spec.containers].sort(byName) : input.pod.spec.containers
  return {
    initContainerStatuses: sharedList(
      initContainers.map((c) => shareStatus(withProbeState(init.get(c.name)!, c, true, input.probes), previousInit)),
      previousInit
    ),
    containerStatuses: sharedList(
      sorted.map((c) => shareStatus(withProbeState(app.get(c.name)!, c, false, input.probes), previousApp)),
      previousApp
    )
  }
}
