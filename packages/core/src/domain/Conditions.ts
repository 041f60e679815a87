/**
 * Pod conditions the kubelet writes (spec pod-lifecycle §7, §2.3 step 4; K-gen `generate.go`, K-pods
 * `generateAPIPodStatus`, status manager `updateLastTransitionTime`): PodReadyToStartContainers, Initialized
 * (PodCompleted when Succeeded), Ready (with readiness gates), ContainersReady, PodScheduled=True; non-kubelet
 * conditions preserved. Name lists are Go-formatted (`[a b]`). `now` is epoch ms; `lastTransitionTime` moves only
 * when a condition's status changes.
 */
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { podSandboxChanged, type RuntimeSnapshot } from "./RuntimeSnapshot.js"
import { toRfc3339 } from "./Time.js"

/** Condition reasons of K-gen. */
export const ConditionReason = {
  UnknownContainerStatuses: "UnknownContainerStatuses",
  PodCompleted: "PodCompleted",
  PodFailed: "PodFailed",
  ContainersNotReady: "ContainersNotReady",
  ContainersNotInitialized: "ContainersNotInitialized",
  ReadinessGatesNotReady: "ReadinessGatesNotReady"
} as const

/** Condition types owned by the kubelet (`PodConditionsByKubelet`); others are preserved as written. */
export const kubeletConditionTypes: ReadonlySet<string> = new Set([
  "PodScheduled",
  "Ready",
  "Initialized",
  "ContainersReady",
  "PodReadyToStartContainers",
  "PodResizePending",
  "PodResizeInProgress"
])

/** A condition before times are attached. */
export interface ConditionValue {
  readonly type: string
  readonly status: PodCondition["status"]
  readonly reason?: string
  readonly message?: string
}

/** Go's `%s` of a string slice: `[a b]`. */
export const goStringSlice = (names: ReadonlyArray<string>): string => `[${names.join(" ")}]`

const condition = (type: string, status: PodCondition["status"], reason?: string, message?: string): ConditionValue => {
  if (!reason) return message ? { type, status, message } : { type, status }
  return message ? { type, status, reason, message } : { type, status, reason }
}

const findStatus = (statuses: ReadonlyArray<ContainerStatus>, name: string): ContainerStatus | undefined => {
  for (const s of statuses) if (s.name === name) return s
  return undefined
}

const isAppContainer = (pod: Pod, name: string): boolean => {
  for (const c of pod.spec.containers) if (c.name === name) return true
  return false
}

/** One copy of each message: pods of one template share it (a status is kept for the pod's life). */
const messages = new Map<string, string>()
const shared = (message: string): string => {
  const known = messages.get(message)
  if (known !== undefined) return known
  if (messages.size >= 4096) messages.clear()
  messages.set(message, message)
  return message
}

const unreadyMessage = (unknown: ReadonlyArray<string>, unready: ReadonlyArray<string>, word: string): string =>
  shared(
    [
      ...(unknown.length > 0 ? [`containers with unknown status: ${goStringSlice(unknown)}`] : []),
      ...(unready.length > 0 ? [`containers with ${word} status: ${goStringSlice(unready)}`] : [])
    ].join(", ")
  )

/**
 * `ContainersReady`: every sidecar and app container `ready`; `PodCompleted` / `PodFailed` (False) in terminal
 * phases; else `ContainersNotReady` with the unknown and unready lists.
 */
export const containersReadyCondition = (
  pod: Pod,
  statuses: ReadonlyArray<ContainerStatus>,
  phase: PodPhase
): ConditionValue => {
  const unknown: Array<string> = []
  const unready: Array<string> = []
  for (const c of pod.spec.initContainers ?? []) {
    if (!isSidecar(c)) continue
    const s = findStatus(statuses, c.name)
    if (s === undefined) unknown.push(c.name)
    else if (!s.ready) unready.push(c.name)
  }
  for (const c of pod.spec.containers) {
    const s = findStatus(statuses, c.name)
    if (s === undefined) unknown.push(c.name)
    else if (!s.ready) unready.push(c.name)
  }
  if (phase === "Succeeded" && unknown.length === 0) {
    return condition("ContainersReady", "False", ConditionReason.PodCompleted)
  }
  if (phase === "Failed") return condition("ContainersReady", "False", ConditionReason.PodFailed)
  const message = unreadyMessage(unknown, unready, "unready")
  if (message !== "") return condition("ContainersReady", "False", ConditionReason.ContainersNotReady, message)
  return condition("ContainersReady", "True")
}

/**
 * `Ready`: ContainersReady's status/reason/message when that is not True; else every readiness gate's condition
 * (looked up in `conditions`) must be True, otherwise `ReadinessGatesNotReady`.
 */
export const podReadyCondition = (
  pod: Pod,
  conditions: ReadonlyArray<{ readonly type: string; readonly status: string }>,
  statuses: ReadonlyArray<ContainerStatus>,
  phase: PodPhase
): ConditionValue => readyCondition(pod, conditions, containersReadyCondition(pod, statuses, phase))

const ready = condition("Ready", "True")

/** `Ready` from the pod's `ContainersReady` condition value. */
const readyCondition = (
  pod: Pod,
  conditions: ReadonlyArray<{ readonly type: string; readonly status: string }>,
  containersReady: ConditionValue
): ConditionValue => {
  if (containersReady.status !== "True") return { ...containersReady, type: "Ready" }
  const gates = pod.spec.readinessGates
  if (gates === undefined || gates.length === 0) return ready
  const messages = gates.flatMap((gate) => {
    const c = conditions.find((x) => x.type === gate.conditionType)
    if (c === undefined)
      return [`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`]
    if (c.status !== "True")
      return [`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`]
    return []
  })
  if (messages.length > 0)
    return condition("Ready", "False", ConditionReason.ReadinessGatesNotReady, messages.join(", "))
  return ready
}

/**
 * `Initialized`: True (`PodCompleted`) when Succeeded; True once any app container ran; else regular init containers
 * must be ready and sidecars started, otherwise `ContainersNotInitialized` with the unknown and incomplete lists.
 */
export const podInitializedCondition = (
  pod: Pod,
  statuses: ReadonlyArray<ContainerStatus>,
  phase: PodPhase
): ConditionValue => {
  const unknown: Array<string> = []
  const incomplete: Array<string> = []
  for (const c of pod.spec.initContainers ?? []) {
    const s = findStatus(statuses, c.name)
    if (s === undefined) unknown.push(c.name)
    else if (isSidecar(c) ? s.started !== true : !s.ready) incomplete.push(c.name)
  }
  if (phase === "Succeeded" && unknown.length === 0) {
    return condition("Initialized", "True", ConditionReason.PodCompleted)
  }
  for (const s of statuses) {
    if ((s.state.running !== undefined || s.state.terminated !== undefined) && isAppContainer(pod, s.name)) {
      return condition("Initialized", "True")
    }
  }
  const message = unreadyMessage(unknown, incomplete, "incomplete")
  if (message !== "") return condition("Initialized", "False", ConditionReason.ContainersNotInitialized, message)
  return condition("Initialized", "True")
}

/** `PodReadyToStartContainers`: True while a ready sandbox exists (no new sandbox needed). */
export const podReadyToStartContainersCondition = (snapshot: RuntimeSnapshot): ConditionValue =>
  condition("PodReadyToStartContainers", podSandboxChanged(snapshot).changed ? "False" : "True")

/** Inputs of `generateConditions`. */
export interface ConditionsInput {
  /** The pod as stored; its `status.conditions` supply non-kubelet conditions (readiness gates, DisruptionTarget). */
  readonly pod: Pod
  /** The previous status (status-manager cache, else `pod.status`): DisruptionTarget and transition times. */
  readonly previous?: PodStatus
  readonly snapshot: RuntimeSnapshot
  readonly initContainerStatuses: ReadonlyArray<ContainerStatus>
  readonly containerStatuses: ReadonlyArray<ContainerStatus>
  readonly phase: PodPhase
  readonly now: number
}

/** The key orders a stamped condition can have (by whether it has a reason and a message). */
const stampedKeys: ReadonlyArray<ReadonlyArray<string>> = [
  ["type", "status", "lastProbeTime", "lastTransitionTime"],
  ["type", "status", "reason", "lastProbeTime", "lastTransitionTime"],
  ["type", "status", "message", "lastProbeTime", "lastTransitionTime"],
  ["type", "status", "reason", "message", "lastProbeTime", "lastTransitionTime"]
]

/** Whether `old` is exactly what stamping `value` would give, key order included (it can be kept as is). */
const isStampOf = (old: PodCondition, value: ConditionValue): boolean => {
  if (
    old.status !== value.status ||
    old.reason !== value.reason ||
    old.message !== value.message ||
    old.lastProbeTime !== null ||
    old.lastTransitionTime === undefined
  ) {
    return false
  }
  const keys = stampedKeys[(value.reason !== undefined ? 1 : 0) + (value.message !== undefined ? 2 : 0)]!
  let i = 0
  for (const key in old) if (keys[i++] !== key) return false
  return i === keys.length
}

/** `value` with `lastProbeTime: null` and its transition time, one object literal per key order. */
const stamped = (value: ConditionValue, lastTransitionTime: string): PodCondition => {
  const { type, status, reason, message } = value
  if (reason === undefined) {
    return message === undefined
      ? { type, status, lastProbeTime: null, lastTransitionTime }
      : { type, status, message, lastProbeTime: null, lastTransitionTime }
  }
  return message === undefined
    ? { type, status, reason, lastProbeTime: null, lastTransitionTime }
    : { type, status, reason, message, lastProbeTime: null, lastTransitionTime }
}

const scheduled = condition("PodScheduled", "True")

/** `value` stamped: the previous condition of its type kept (or its transition time) while its status holds. */
const stamp = (
  value: ConditionValue,
  previousConditions: ReadonlyArray<PodCondition> | undefined,
  now: number
): PodCondition => {
  let old: PodCondition | undefined
  if (previousConditions !== undefined) {
    for (const c of previousConditions) {
      if (c.type === value.type) {
        old = c
        break
      }
    }
  }
  if (old === undefined || old.status !== value.status || old.lastTransitionTime === undefined) {
    return stamped(value, toRfc3339(now))
  }
  return isStampOf(old, value) ? old : stamped(value, old.lastTransitionTime)
}

/**
 * The pod's full condition list, in `generateAPIPodStatus` order: non-kubelet conditions, DisruptionTarget from the
 * previous status, then PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled=True.
 * Kubelet conditions get `lastProbeTime: null` and keep the previous `lastTransitionTime` while their status holds;
 * a previous condition that stamping would give unchanged is returned itself, and so is the previous list when
 * every condition is.
 */
export const generateConditions = (input: ConditionsInput): ReadonlyArray<PodCondition> => {
  const previous = input.previous ?? input.pod.status
  const previousConditions = previous?.conditions
  const apiConditions = input.pod.status?.conditions
  const preserved: Array<PodCondition> = []
  if (apiConditions !== undefined) {
    for (const c of apiConditions) if (!kubeletConditionTypes.has(c.type)) preserved.push(c)
  }
  const disruption = previousConditions?.find((c) => c.type === "DisruptionTarget")
  if (disruption !== undefined) {
    const at = preserved.findIndex((c) => c.type === "DisruptionTarget")
    if (at === -1) preserved.push(disruption)
    else preserved[at] = disruption
  }
  const statuses =
    input.initContainerStatuses.length === 0
      ? input.containerStatuses
      : [...input.initContainerStatuses, ...input.containerStatuses]
  const now = input.now
  const containersReady = containersReadyCondition(input.pod, statuses, input.phase)
  const kubelets = [
    stamp(podReadyToStartContainersCondition(input.snapshot), previousConditions, now),
    stamp(podInitializedCondition(input.pod, statuses, input.phase), previousConditions, now),
    stamp(readyCondition(input.pod, preserved, containersReady), previousConditions, now),
    stamp(containersReady, previousConditions, now),
    stamp(scheduled, previousConditions, now)
  ]
  // a literal or `concat` is allocated at its exact length (a spread into a literal keeps ~17 slots): pods keep it
  const conditions = preserved.length === 0 ? kubelets : preserved.concat(kubelets)
  if (previousConditions === undefined || previousConditions.length !== conditions.length) return conditions
  for (let i = 0; i < conditions.length; i++) if (conditions[i] !== previousConditions[i]) return conditions
  return previousConditions
}
