/**
 * Pod phase (spec pod-lifecycle §2.2 `getPhase`, K-pods, default feature gates) and the pure part of the §2.3
 * post-processing in `generateAPIPodStatus`: terminal phases stick, reason/message preserved for an unchanged
 * phase, eviction overrides. Reads API container statuses; no times involved.
 */
import type { ContainerStatus, Pod, PodPhase } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { restartPolicyOf } from "./Restart.js"

/** `kubetypes.IsStaticPod`: the pod came from a file or URL source, not the API server. */
export const isStaticPod = (pod: Pod): boolean => {
  const source = pod.metadata.annotations?.["kubernetes.io/config.source"]
  return source !== undefined && source !== "api"
}

export const isTerminalPhase = (phase: PodPhase | undefined): phase is "Succeeded" | "Failed" =>
  phase === "Succeeded" || phase === "Failed"

/** The status of container `name` in `statuses`, if any. */
const findStatus = (statuses: ReadonlyArray<ContainerStatus>, name: string): ContainerStatus | undefined => {
  for (const s of statuses) if (s.name === name) return s
  return undefined
}

/**
 * §2.2 exactly. `statuses` = container statuses ++ init container statuses; `podIsTerminal`: the kubelet will never
 * run containers again; `podHasInitialized`: `hasAnyActiveRegularContainerStarted`. Never returns `Unknown`.
 */
export const getPhase = (
  pod: Pod,
  statuses: ReadonlyArray<ContainerStatus>,
  podIsTerminal: boolean,
  podHasInitialized: boolean
): PodPhase => {
  const initContainers = pod.spec.initContainers ?? []
  let pendingRestartableInit = 0
  let pendingRegularInit = 0
  let failedInitialization = 0
  for (const c of initContainers) {
    if (isSidecar(c)) continue
    const s = findStatus(statuses, c.name)
    if (s === undefined) pendingRegularInit++
    else if (s.state.running) pendingRegularInit++
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++
    } else if (s.state.waiting) {
      if (s.lastState.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++
      } else pendingRegularInit++
    } else pendingRegularInit++
  }
  let unknown = 0
  let running = 0
  let waiting = 0
  let stopped = 0
  let succeeded = 0
  for (const c of initContainers) {
    if (!isSidecar(c)) continue
    const s = findStatus(statuses, c.name)
    if (s === undefined) unknown++
    else if (s.state.running) {
      if (s.started !== true) pendingRestartableInit++
      running++
    } else if (s.state.terminated) {
      // sidecar terminations are ignored for the phase
    } else if (s.state.waiting) {
      if (!s.lastState.terminated) {
        pendingRestartableInit++
        waiting++
      }
    } else {
      pendingRestartableInit++
      unknown++
    }
  }
  for (const c of pod.spec.containers) {
    const s = findStatus(statuses, c.name)
    if (s === undefined) unknown++
    else if (s.state.running) running++
    else if (s.state.terminated) {
      stopped++
      if (s.state.terminated.exitCode === 0) succeeded++
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++
      else waiting++
    } else unknown++
  }
  const policy = restartPolicyOf(pod)
  if (failedInitialization > 0 && policy === "Never") return "Failed"
  if (pendingRegularInit > 0 || (pendingRestartableInit > 0 && !podHasInitialized)) return "Pending"
  if (waiting > 0) return "Pending"
  if (running > 0 && unknown === 0) return "Running"
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal && !isStaticPod(pod)) return stopped === succeeded ? "Succeeded" : "Failed"
    if (policy === "Always") return "Running"
    if (stopped === succeeded) return "Succeeded"
    if (policy === "Never") return "Failed"
    return "Running"
  }
  return "Pending"
}

/** Phase with its `status.reason` / `status.message`. */
export interface PhaseStatus {
  readonly phase: PodPhase
  readonly reason?: string
  readonly message?: string
}

/** Inputs of the §2.3 merge: the `getPhase` result, the status manager's cached status, the API object's status. */
export interface ReconcilePhaseInput {
  readonly computed: PodPhase
  /** Last status the kubelet generated for this pod (status-manager cache); absent ⇒ the API status is used. */
  readonly cached?: Partial<PhaseStatus> | undefined
  /** `pod.status` as stored in the API. */
  readonly api?: Partial<PhaseStatus> | undefined
  /** A pod sync handler's eviction (active deadline, node-pressure eviction): forces `Failed`. */
  readonly evict?: { readonly reason: string; readonly message: string } | undefined
}

const withText = (phase: PodPhase, reason: string | undefined, message: string | undefined): PhaseStatus => {
  if (!reason) return message ? { phase, message } : { phase }
  return message ? { phase, reason, message } : { phase, reason }
}

/**
 * §2.3 steps 1–3: a non-terminal result never replaces a terminal cached/API phase; an unchanged phase keeps the
 * cached (else API) reason and message; an eviction sets `Failed` with its reason and message; and the API's
 * terminal phase always wins ("pods are not allowed to transition out of terminal phases").
 */
export const reconcilePhase = (input: ReconcilePhaseInput): PhaseStatus => {
  const old = input.cached ?? input.api
  let phase = input.computed
  if (!isTerminalPhase(phase)) {
    if (isTerminalPhase(old?.phase)) phase = old.phase
    else if (isTerminalPhase(input.api?.phase)) phase = input.api.phase
  }
  let result = withText(phase, undefined, undefined)
  if (phase === old?.phase) {
    result = withText(
      phase,
      old.reason || input.api?.reason || undefined,
      old.message || input.api?.message || undefined
    )
  }
  if (input.evict !== undefined) result = withText("Failed", input.evict.reason, input.evict.message)
  if (isTerminalPhase(input.api?.phase) && result.phase !== input.api.phase)
    result = { ...result, phase: input.api.phase }
  return result
}
