/**
 * The probe worker of one (container, probe type) as a pure reducer (spec pod-lifecycle §8.1, §8.3; K-probe
 * `worker.go` `doProbe`) and the effects a published result implies (§8.4; K-kubelet `syncLoopIteration`).
 * The engine ticks the worker every `periodSeconds` (RTM-7): `tick` says whether to run the probe; after running it,
 * `recordOutcome` applies thresholds. Times are epoch ms.
 */
import type { Container, ContainerStatus, Pod, PodPhase, Probe, RestartPolicy } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { EventReason, type KubeletEvent, warningEvent } from "./Events.js"
import { isTerminalPhase } from "./Phase.js"
import { restartPolicyOf } from "./Restart.js"
import { fromRfc3339 } from "./Time.js"

export type ProbeType = "liveness" | "readiness" | "startup"
export type ProbeResult = "Success" | "Failure" | "Unknown"

/** Published results of one container instance (the kubelet's three results managers). */
export interface ContainerProbeResults {
  readonly liveness?: ProbeResult
  readonly readiness?: ProbeResult
  readonly startup?: ProbeResult
}

/** Published results by container instance id (`ContainerInstance.id`, API `containerID`). */
export type ProbeResults = ReadonlyMap<string, ContainerProbeResults>

export const noProbeResults: ProbeResults = new Map()

/** The result a worker publishes when it first sees a container: readiness Failure, liveness Success, startup Unknown. */
export const initialResult: Readonly<Record<ProbeType, ProbeResult>> = {
  liveness: "Success",
  readiness: "Failure",
  startup: "Unknown"
}

/** The probe of `type` on `container`, if defined. */
export const probeOf = (container: Container, type: ProbeType): Probe | undefined =>
  type === "liveness"
    ? container.livenessProbe
    : type === "readiness"
      ? container.readinessProbe
      : container.startupProbe

/** A probe's timing and thresholds with the API defaults (§8.1). */
export interface ProbeSettings {
  readonly initialDelaySeconds: number
  readonly periodSeconds: number
  readonly timeoutSeconds: number
  readonly successThreshold: number
  readonly failureThreshold: number
}

/** `SetDefaults_Probe`: initialDelay 0, period 10, timeout 1, success 1, failure 3. */
export const probeSettings = (probe: Probe): ProbeSettings => ({
  initialDelaySeconds: probe.initialDelaySeconds ?? 0,
  periodSeconds: probe.periodSeconds ?? 10,
  timeoutSeconds: probe.timeoutSeconds ?? 1,
  successThreshold: probe.successThreshold ?? 1,
  failureThreshold: probe.failureThreshold ?? 3
})

/** One worker's memory: the container it follows, whether it is on hold, and the current run of equal results. */
export interface ProbeWorkerState {
  readonly containerID?: string
  readonly onHold: boolean
  readonly lastResult: ProbeResult
  readonly resultRun: number
}

export const initialWorkerState: ProbeWorkerState = { onHold: false, lastResult: "Unknown", resultRun: 0 }

/** What a worker reads on each tick from the kubelet's latest pod status. */
export interface ProbeObservation {
  /** Phase of the kubelet's status; `undefined` when the pod has no status yet. */
  readonly phase?: PodPhase
  readonly deleting: boolean
  readonly restartPolicy: RestartPolicy
  /** The target container's current instance; `undefined` when it has no container id yet. */
  readonly container?: {
    readonly containerID: string
    /** Start time of a running instance; absent when not running. */
    readonly runningSince?: number
    readonly terminated: boolean
    readonly started: boolean
  }
}

/** Builds the observation of `containerName` from `pod` and its (status-manager) status. */
export const observeProbeTarget = (pod: Pod, containerName: string): ProbeObservation => {
  const status = pod.status
  const withId = (s: ContainerStatus | undefined) => (s?.containerID ? s : undefined)
  const cs =
    withId(status?.containerStatuses?.find((s) => s.name === containerName)) ??
    withId(status?.initContainerStatuses?.find((s) => s.name === containerName))
  const runningSince = cs?.state.running ? fromRfc3339(cs.state.running.startedAt) : undefined
  return {
    ...(status?.phase !== undefined ? { phase: status.phase } : {}),
    deleting: pod.metadata.deletionTimestamp !== undefined,
    restartPolicy: restartPolicyOf(pod),
    ...(cs?.containerID
      ? {
          container: {
            containerID: cs.containerID,
            ...(cs.state.running ? { runningSince: runningSince ?? 0 } : {}),
            terminated: cs.state.terminated !== undefined,
            started: cs.started === true
          }
        }
      : {})
  }
}

/** A result to store for a container id (`resultsManager.Set`). */
export interface PublishedResult {
  readonly containerID: string
  readonly result: ProbeResult
}

/** Outcome of a tick: what to do now, and results to set or drop. */
export interface ProbeTick {
  readonly state: ProbeWorkerState
  /** `Stop`: the worker exits; `Wait`: nothing this period; `Probe`: run the probe, then call `recordOutcome`. */
  readonly action: "Stop" | "Wait" | "Probe"
  /** Results to set, in order (the initial result of a new container, a forced one). */
  readonly publish: ReadonlyArray<PublishedResult>
  /** A previous container id whose result must be removed. */
  readonly removed?: string
}

/**
 * One `doProbe` up to running the probe: stop when terminal; adopt a new container id (initial result, hold
 * released); skip while on hold; a non-running container publishes Failure (stop if it terminated under Never);
 * deletion quietly stops liveness/startup with Success; skip during initialDelay; before `started` only startup
 * probes run, after it startup probes stop.
 */
export const tick = (
  type: ProbeType,
  settings: ProbeSettings,
  state: ProbeWorkerState,
  observation: ProbeObservation,
  now: number
): ProbeTick => {
  if (observation.phase === undefined) return { state, action: "Wait", publish: [] }
  if (isTerminalPhase(observation.phase)) return { state, action: "Stop", publish: [] }
  const c = observation.container
  if (c === undefined) return { state, action: "Wait", publish: [] }
  const publish: Array<PublishedResult> = []
  let removed: string | undefined
  let current = state
  if (state.containerID !== c.containerID) {
    removed = state.containerID
    current = { ...state, containerID: c.containerID, onHold: false }
    publish.push({ containerID: c.containerID, result: initialResult[type] })
  }
  const done = (action: ProbeTick["action"]): ProbeTick => ({
    state: current,
    action,
    publish,
    ...(removed !== undefined ? { removed } : {})
  })
  if (current.onHold) return done("Wait")
  if (c.runningSince === undefined) {
    publish.push({ containerID: c.containerID, result: "Failure" })
    return done(c.terminated && observation.restartPolicy === "Never" ? "Stop" : "Wait")
  }
  if (observation.deleting && (type === "liveness" || type === "startup")) {
    publish.push({ containerID: c.containerID, result: "Success" })
    return done("Stop")
  }
  if (Math.trunc((now - c.runningSince) / 1000) < settings.initialDelaySeconds) return done("Wait")
  if (c.started ? type === "startup" : type !== "startup") return done("Wait")
  return done("Probe")
}

/**
 * Applies one probe result: counts the run of equal results; publishes once `failureThreshold` failures or
 * `successThreshold` successes in a row are reached; then a liveness Failure or any startup result puts the worker
 * on hold until a new container id appears (and resets the run).
 */
export const recordOutcome = (
  type: ProbeType,
  settings: ProbeSettings,
  state: ProbeWorkerState,
  result: "Success" | "Failure"
): { readonly state: ProbeWorkerState; readonly publish?: PublishedResult } => {
  const resultRun = state.lastResult === result ? state.resultRun + 1 : 1
  const counted: ProbeWorkerState = { ...state, lastResult: result, resultRun }
  if (
    (result === "Failure" && resultRun < settings.failureThreshold) ||
    (result === "Success" && resultRun < settings.successThreshold)
  ) {
    return { state: counted }
  }
  const publish = { containerID: state.containerID ?? "", result }
  if ((type === "liveness" && result === "Failure") || type === "startup") {
    return { state: { ...counted, onHold: true, resultRun: 0 }, publish }
  }
  return { state: counted, publish }
}

/** `Warning Unhealthy "<Liveness|Readiness|Startup> probe failed: <output>"`, recorded for every failed probe. */
export const unhealthyEvent = (type: ProbeType, output: string): KubeletEvent =>
  warningEvent(EventReason.Unhealthy, `${type[0]!.toUpperCase()}${type.slice(1)} probe failed: ${output}`)

/** What the kubelet does when a worker publishes `result` (§8.4). */
export interface ProbeEffects {
  /** Run a pod sync now (the sync's `computePodActions` performs any kill). */
  readonly sync: boolean
  /** New `ready` of the container (readiness results). */
  readonly ready?: boolean
  /** New `started` of the container (startup results). */
  readonly started?: boolean
  /** The container must be killed (liveness/startup Failure); restarted unless the pod is `Never` (sidecars always). */
  readonly kill?: { readonly restart: boolean }
}

/**
 * §8.4: readiness sets `ready` and syncs; startup sets `started` and syncs; a liveness Failure syncs; liveness or
 * startup Failure means kill (restart by restartPolicy, sidecars always). A liveness Success changes nothing.
 */
export const probeEffects = (type: ProbeType, result: ProbeResult, pod: Pod, container: Container): ProbeEffects => {
  const kill =
    result === "Failure" ? { kill: { restart: isSidecar(container) || restartPolicyOf(pod) !== "Never" } } : {}
  switch (type) {
    case "readiness":
      return { sync: true, ready: result === "Success" }
    case "startup":
      return { sync: true, started: result === "Success", ...kill }
    case "liveness":
      return { sync: result === "Failure", ...kill }
  }
}

/** Looks up a published result of container instance `containerID`. */
export const probeResultOf = (results: ProbeResults, containerID: string | undefined, type: ProbeType) =>
  containerID === undefined ? undefined : results.get(containerID)?.[type]
