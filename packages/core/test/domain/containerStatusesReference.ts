// The container-status algorithm as it was before statuses were built per container with object
// literals (one `convert` pass per kind over Maps, spreads, `withProbeState`, `canonical`): the
// reference `ContainerStatusesReference.test.ts` checks the built statuses against, key order included.
import type { Container, ContainerState, ContainerStatus, PodStatus } from "../../src/api/Pod.js"
import { isSidecar } from "../../src/api/Pod.js"
import type { ContainerStatusesInput } from "../../src/domain/ContainerStatuses.js"
import { ContainerCreating, ContainerStatusUnknown, PodInitializing } from "../../src/domain/ContainerStatuses.js"
import { type ProbeResults, probeResultOf } from "../../src/domain/Probe.js"
import { shouldContainerBeRestarted } from "../../src/domain/Restart.js"
import { type ContainerInstance, instancesOf, latestInstance } from "../../src/domain/RuntimeSnapshot.js"
import { canonical, sameJson, sharedWith } from "../../src/domain/SameJson.js"
import { toRfc3339 } from "../../src/domain/Time.js"

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

/** The statuses the previous algorithm builds, without its per-container memo. */
export const referenceContainerStatuses = (
  input: ContainerStatusesInput
): {
  readonly initContainerStatuses: ReadonlyArray<ContainerStatus>
  readonly containerStatuses: ReadonlyArray<ContainerStatus>
} => {
  const { pod } = input
  const previous: PodStatus | undefined = input.previous
  const build = (
    containers: ReadonlyArray<Container>,
    old: ReadonlyArray<ContainerStatus> | undefined,
    isInit: boolean
  ) => {
    const converted = convert(input, containers, old ?? [], isInit)
    return containers.map((c) => shareStatus(withProbeState(converted.get(c.name)!, c, isInit, input.probes), old))
  }
  const init = build(pod.spec.initContainers ?? [], previous?.initContainerStatuses, true)
  const app = build(pod.spec.containers, previous?.containerStatuses, false)
  const byPosition = new Map(pod.spec.containers.map((c, i) => [c.name, app[i]!]))
  return {
    initContainerStatuses: init,
    containerStatuses: [...pod.spec.containers].sort(byName).map((c) => byPosition.get(c.name)!)
  }
}
