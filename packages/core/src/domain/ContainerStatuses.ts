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
import { type ContainerInstance, instancesOf, type RuntimeSnapshot } from "./RuntimeSnapshot.js"
import { canonical, sameJson, sharedList } from "./SameJson.js"
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

/** A container's state, built with one object literal per key order (shared hidden classes, no spare slots). */
const runningState = (startedAt: string): ContainerState => ({ running: { startedAt } })

/** Waiting with a reason (a default reason, or a start error from the reason cache) and its message, if any. */
const waitingState = (reason: string, message: string | undefined): ContainerState =>
  message ? { waiting: { reason, message } } : { waiting: { reason } }

/** The terminated state of an exited instance (containerd's fields; a missing time is the zero Unix time). */
const exitedState = (instance: ContainerInstance): ContainerState => {
  const exitCode = instance.exitCode ?? 0
  const startedAt = toRfc3339(instance.startedAt ?? 0)
  const finishedAt = toRfc3339(instance.finishedAt ?? 0)
  const containerID = instance.id
  const { reason, message } = instance
  if (!reason) {
    return message
      ? { terminated: { exitCode, message, startedAt, finishedAt, containerID } }
      : { terminated: { exitCode, startedAt, finishedAt, containerID } }
  }
  return message
    ? { terminated: { exitCode, reason, message, startedAt, finishedAt, containerID } }
    : { terminated: { exitCode, reason, startedAt, finishedAt, containerID } }
}

const unknownAtTermination: ContainerState = {
  terminated: {
    exitCode: 137,
    reason: ContainerStatusUnknown,
    message: "The container could not be located when the pod was terminated"
  }
}

const unknownAtDeletion: ContainerState = {
  terminated: {
    exitCode: 137,
    reason: ContainerStatusUnknown,
    message: "The container could not be located when the pod was deleted.  The container used to be Running"
  }
}

const noState: ContainerState = {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The state an instance shows (`convertToAPIContainerStatuses`), and its restart count. */
const instanceState = (
  instance: ContainerInstance,
  old: ContainerStatus | undefined
): { readonly state: ContainerState; readonly restartCount: number } => {
  switch (instance.state) {
    case "running":
      return { state: runningState(toRfc3339(instance.startedAt ?? 0)), restartCount: instance.restartCount }
    case "exited":
      return { state: exitedState(instance), restartCount: instance.restartCount }
    case "unknown":
      return old?.state.running !== undefined
        ? { state: unknownAtTermination, restartCount: old.restartCount + 1 }
        : { state: { waiting: {} }, restartCount: instance.restartCount }
    case "created":
      return { state: { waiting: {} }, restartCount: instance.restartCount }
  }
}

/** `state` itself, or `old` when it serialises the same (the previous object is shared). */
const keep = (state: ContainerState, old: ContainerState | undefined): ContainerState =>
  old !== undefined && sameJson(state, old) ? old : state

/**
 * One container's API status (spec §3.1, §3.2, §4.4; K-pods `convertToAPIContainerStatuses`, K-probe
 * `UpdatePodStatus`): the newest instance is the state, the one before it the last state; without an
 * instance the default waiting reason (or the previous status); the last start error for a container
 * that will be restarted; `started` / `ready` by the probe rules. Key orders are the API's: a status
 * from an instance lists name, restartCount, image, imageID, containerID, lastState, ready, state,
 * started; one without, name, image, imageID, state, lastState, ready, restartCount, started. The
 * previous status itself when it serialises the same, else its state and last state where unchanged.
 */
const buildStatus = (
  input: ContainerStatusesInput,
  container: Container,
  previous: ReadonlyArray<ContainerStatus> | undefined,
  isInit: boolean,
  defaultReason: string
): ContainerStatus => {
  const { pod, snapshot } = input
  const name = container.name
  const old = findByName(previous, name)
  const instances = instancesOf(snapshot, name)
  const newest = instances[0]
  const before = instances[1]

  let fromInstance = false
  let reused: ContainerStatus | undefined
  let restartCount = 0
  let image = container.image ?? ""
  let imageID = ""
  let containerID: string | undefined
  let state: ContainerState = noState
  let lastState: ContainerState = noState
  let ready = false
  if (newest !== undefined) {
    fromInstance = true
    const converted = instanceState(newest, old)
    restartCount = converted.restartCount
    image = newest.image
    imageID = newest.imageID
    containerID = newest.id
    state = converted.state
    lastState = before === undefined ? noState : instanceState(before, old).state
  } else if (old !== undefined && old.state.terminated !== undefined) {
    reused = old
  } else {
    state = waitingState(defaultReason, undefined)
    if (old !== undefined) {
      restartCount = old.restartCount
      lastState = old.lastState
      // a container that was running and vanished from the runtime: shown stopped, not waiting
      if (old.state.running !== undefined && lastState.terminated === undefined) {
        lastState = unknownAtDeletion
        restartCount += pod.metadata.deletionTimestamp === undefined ? 1 : 0
      }
    }
  }

  // containers to be restarted show the last start error
  const reason = input.reasons.get(name)
  if (
    reason !== undefined &&
    !(isInit && newest?.state === "exited" && newest.exitCode === 0) &&
    shouldContainerBeRestarted(container, pod, snapshot)
  ) {
    const current = reused ?? { state, lastState }
    if (reused !== undefined) {
      reused = {
        ...reused,
        ...(current.state.terminated !== undefined ? { lastState: current.state } : {}),
        state: waitingState(reason.reason, reason.message)
      }
    } else {
      if (state.terminated !== undefined) lastState = state
      state = waitingState(reason.reason, reason.message)
    }
  }

  // probes: started and ready
  const current = reused ?? { state, ready, containerID }
  const running = current.state.running !== undefined
  const startup = probeResultOf(input.probes, current.containerID, "startup")
  const started = running && (startup !== undefined ? startup === "Success" : container.startupProbe === undefined)
  if (isInit && !isSidecar(container)) {
    const terminated = current.state.terminated
    ready = (terminated !== undefined && terminated.exitCode === 0) || current.ready
  } else if (started) {
    ready =
      probeResultOf(input.probes, current.containerID, "readiness") === "Success" ||
      container.readinessProbe === undefined
  } else {
    ready = current.ready
  }

  if (reused !== undefined) {
    const status: ContainerStatus = { ...reused, started, ready }
    if (old !== undefined && sameJson(status, old)) return old
    const fresh: Mutable<ContainerStatus> = canonical(status)
    if (old === undefined) return fresh
    fresh.state = keep(fresh.state, old.state)
    fresh.lastState = keep(fresh.lastState, old.lastState)
    return fresh
  }
  state = keep(state, old?.state)
  lastState = keep(lastState, old?.lastState)
  const status: ContainerStatus = fromInstance
    ? { name, restartCount, image, imageID, containerID: containerID!, lastState, ready, state, started }
    : { name, image, imageID, state, lastState, ready, restartCount, started }
  return old !== undefined && sameJson(status, old) ? old : status
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

/** The status of container `name` in `statuses`, if any. */
const findByName = (
  statuses: ReadonlyArray<ContainerStatus> | undefined,
  name: string
): ContainerStatus | undefined => {
  if (statuses === undefined) return undefined
  for (const status of statuses) if (status.name === name) return status
  return undefined
}

/**
 * Builds the statuses of `containers` (init or app, in spec order) into `out` (by position), reusing
 * `cache` where every input is the one the cached status was built from (compared in place: a hit
 * allocates nothing).
 */
const buildKind = (
  input: ContainerStatusesInput,
  containers: ReadonlyArray<Container>,
  previous: ReadonlyArray<ContainerStatus> | undefined,
  isInit: boolean,
  cache: Array<BuiltStatus | undefined>,
  offset: number,
  out: Array<ContainerStatus>
): void => {
  const deleting = input.pod.metadata.deletionTimestamp !== undefined
  let missing: Array<Container> | undefined
  for (let k = 0; k < containers.length; k++) {
    const container = containers[k]!
    const instances = instancesOf(input.snapshot, container.name)
    const newest = instances[0]
    const before = instances[1]
    const reason = input.reasons.get(container.name)
    const readsPrevious = newest === undefined || newest.state === "unknown" || before?.state === "unknown"
    const hit = cache[offset + k]
    if (
      hit !== undefined &&
      hit.newest === newest &&
      hit.before === before &&
      hit.deleting === deleting &&
      hit.reason === reason?.reason &&
      hit.message === reason?.message &&
      hit.probe === (newest === undefined ? undefined : input.probes.get(newest.id)) &&
      hit.readsPrevious === readsPrevious &&
      hit.previous === (readsPrevious ? findByName(previous, container.name) : undefined)
    ) {
      out[k] = hit.status
    } else {
      ;(missing ??= []).push(container)
    }
  }
  if (missing === undefined) return
  const defaultReason = (input.pod.spec.initContainers ?? []).length > 0 ? PodInitializing : ContainerCreating
  for (const container of missing) {
    const status = buildStatus(input, container, previous, isInit, defaultReason)
    const k = containers.indexOf(container)
    out[k] = status
    const [newest, before] = instancesOf(input.snapshot, container.name)
    const reason = input.reasons.get(container.name)
    const readsPrevious = newest === undefined || newest.state === "unknown" || before?.state === "unknown"
    cache[offset + k] = {
      newest,
      before,
      deleting,
      reason: reason?.reason,
      message: reason?.message,
      probe: newest === undefined ? undefined : input.probes.get(newest.id),
      readsPrevious,
      previous: readsPrevious ? findByName(previous, container.name) : undefined,
      status
    }
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
  const init: Array<ContainerStatus> = new Array(initContainers.length)
  const app: Array<ContainerStatus> = new Array(pod.spec.containers.length)
  buildKind(input, initContainers, previousInit, true, cache, 0, init)
  buildKind(input, pod.spec.containers, previousApp, false, cache, initContainers.length, app)
  return {
    initContainerStatuses: sharedList(init, previousInit),
    containerStatuses: sharedList(byNameOrder(pod.spec.containers, app), previousApp)
  }
}

/** `statuses` (by spec position) in container-name order (no index kept per pod: it would cost memory per pod). */
const byNameOrder = (
  containers: ReadonlyArray<Container>,
  statuses: Array<ContainerStatus>
): ReadonlyArray<ContainerStatus> => {
  let sorted = true
  for (let i = 1; i < containers.length && sorted; i++) sorted = byName(containers[i - 1]!, containers[i]!) <= 0
  if (sorted) return statuses
  const positions = containers.map((_, i) => i).sort((a, b) => byName(containers[a]!, containers[b]!))
  return positions.map((i) => statuses[i]!)
}
