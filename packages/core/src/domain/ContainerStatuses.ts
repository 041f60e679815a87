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
import { canonical, sameJson, sharedList, sharedWith } from "./SameJson.js"
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

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * The previous status of the same name when it serialises the same as `status` (shared); else `status`
 * rebuilt (`canonical`), keeping the previous state or last state when unchanged.
 */
const shareStatus = (
  status: ContainerStatus,
  previous: ReadonlyArray<ContainerStatus> | undefined
): ContainerStatus => {
  const old = previous?.find((s) => s.name === status.name)
  if (old !== undefined && sameJson(status, old)) return old
  const fresh: Mutable<ContainerStatus> = canonical(status)
  if (old === undefined) return fresh
  // a status that changed often keeps its state or last state (an exited instance stays the last state)
  fresh.state = sharedWith(fresh.state, old.state)
  fresh.lastState = sharedWith(fresh.lastState, old.lastState)
  return fresh
}

const byName = (a: Container, b: Container): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** One container's status as last built for a pod spec, with every input it was built from. */
interface BuiltStatus {
  readonly newest: ContainerInstance | undefined
  readonly before: ContainerInstance | undefined
  readonly deleting: boolean
  readonly reason: string | undefined
  readonly message: string | undefined
  /** the probe results of the newest instance */
  readonly probe: unknown
  /** whether it read the previous status (no instance, or one in state unknown), and which one */
  readonly readsPrevious: boolean
  readonly previous: ContainerStatus | undefined
  readonly status: ContainerStatus
}

interface ContainerStatuses {
  readonly initContainerStatuses: ReadonlyArray<ContainerStatus>
  readonly containerStatuses: ReadonlyArray<ContainerStatus>
}

/**
 * The last status built for each container of each pod spec (init containers, then app containers, by
 * position): a status generated again (to confirm a write, or after another container changed) reuses the
 * statuses whose inputs did not change.
 */
const built = new WeakMap<Pod["spec"], Array<BuiltStatus | undefined>>()

/** Builds the statuses of `containers` (init or app, in spec order) into `out`, reusing `cache` where it stands. */
const buildKind = (
  input: ContainerStatusesInput,
  containers: ReadonlyArray<Container>,
  previous: ReadonlyArray<ContainerStatus> | undefined,
  isInit: boolean,
  cache: Array<BuiltStatus | undefined>,
  offset: number,
  out: Map<string, ContainerStatus>
): void => {
  const deleting = input.pod.metadata.deletionTimestamp !== undefined
  let missing: Array<Container> | undefined
  const inputs: Array<Omit<BuiltStatus, "status">> = []
  for (let k = 0; k < containers.length; k++) {
    const container = containers[k]!
    const [newest, before] = instancesOf(input.snapshot, container.name)
    const reason = input.reasons.get(container.name)
    const readsPrevious = newest === undefined || newest.state === "unknown" || before?.state === "unknown"
    const key: Omit<BuiltStatus, "status"> = {
      newest,
      before,
      deleting,
      reason: reason?.reason,
      message: reason?.message,
      probe: newest === undefined ? undefined : input.probes.get(newest.id),
      readsPrevious,
      previous: readsPrevious ? previous?.find((s) => s.name === container.name) : undefined
    }
    inputs.push(key)
    const hit = cache[offset + k]
    if (
      hit !== undefined &&
      hit.newest === key.newest &&
      hit.before === key.before &&
      hit.deleting === key.deleting &&
      hit.reason === key.reason &&
      hit.message === key.message &&
      hit.probe === key.probe &&
      hit.readsPrevious === key.readsPrevious &&
      hit.previous === key.previous
    ) {
      out.set(container.name, hit.status)
    } else {
      ;(missing ??= []).push(container)
    }
  }
  if (missing === undefined) return
  const converted = convert(input, missing, previous ?? [], isInit)
  for (const container of missing) {
    const status = shareStatus(
      withProbeState(converted.get(container.name)!, container, isInit, input.probes),
      previous
    )
    out.set(container.name, status)
    const k = containers.indexOf(container)
    cache[offset + k] = { ...inputs[k]!, status }
  }
}

/**
 * The pod's `initContainerStatuses` (spec order) and `containerStatuses` (sorted by name). A status (or list)
 * that serialises as the previous one is the previous object itself; a container whose inputs did not change
 * since its status was last built for this spec gets that status.
 */
export const buildContainerStatuses = (input: ContainerStatusesInput): ContainerStatuses => {
  const { pod } = input
  const initContainers = pod.spec.initContainers ?? []
  const previousInit = input.previous?.initContainerStatuses
  const previousApp = input.previous?.containerStatuses
  let cache = built.get(pod.spec)
  if (cache === undefined) {
    cache = []
    built.set(pod.spec, cache)
  }
  const init = new Map<string, ContainerStatus>()
  const app = new Map<string, ContainerStatus>()
  buildKind(input, initContainers, previousInit, true, cache, 0, init)
  buildKind(input, pod.spec.containers, previousApp, false, cache, initContainers.length, app)
  const sorted = pod.spec.containers.length > 1 ? [...pod.spec.containers].sort(byName) : pod.spec.containers
  return {
    initContainerStatuses: sharedList(
      initContainers.map((c) => init.get(c.name)!),
      previousInit
    ),
    containerStatuses: sharedList(
      sorted.map((c) => app.get(c.name)!),
      previousApp
    )
  }
}
