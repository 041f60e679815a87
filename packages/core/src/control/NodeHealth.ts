/**
 * The node lifecycle controller's pure decisions (`pkg/controller/nodelifecycle`, spec §10.2,
 * RTM-9): when a node's heartbeats are overdue, which conditions turn `Unknown`, which taints the
 * controller owns (NoSchedule taints mirroring conditions and `spec.unschedulable`, the not-ready /
 * unreachable NoExecute taints), and what happens to the pods of a node that is not Ready
 * (`MarkPodsNotReady`; in the legacy mode the `NodeLost` status and the final `Failed`).
 */
import type { Node, NodeCondition, Taint } from "../api/Objects.js"
import type { Pod, PodCondition, PodStatus } from "../api/Pod.js"
import { toRfc3339 } from "../domain/Time.js"

/** `node-monitor-grace-period` (v1.32+; 40 s before). */
export const NodeMonitorGracePeriodMillis = 50_000
/** `pod-eviction-timeout` of the legacy (pre-v1.27) eviction path. */
export const PodEvictionTimeoutMillis = 300_000

export const TaintNodeNotReady = "node.kubernetes.io/not-ready"
export const TaintNodeUnreachable = "node.kubernetes.io/unreachable"
export const TaintNodeUnschedulable = "node.kubernetes.io/unschedulable"
export const TaintNodeMemoryPressure = "node.kubernetes.io/memory-pressure"
export const TaintNodeDiskPressure = "node.kubernetes.io/disk-pressure"
export const TaintNodePIDPressure = "node.kubernetes.io/pid-pressure"
export const TaintNodeNetworkUnavailable = "node.kubernetes.io/network-unavailable"
export const TaintNodeOutOfService = "node.kubernetes.io/out-of-service"

/** `nodeConditionToTaintKeyStatusMap`: condition type → status → NoSchedule taint key. */
const conditionTaints: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TaintNodeNotReady, Unknown: TaintNodeUnreachable },
  MemoryPressure: { True: TaintNodeMemoryPressure },
  DiskPressure: { True: TaintNodeDiskPressure },
  NetworkUnavailable: { True: TaintNodeNetworkUnavailable },
  PIDPressure: { True: TaintNodePIDPressure }
}

const conditionTaintKeys: ReadonlySet<string> = new Set(
  Object.values(conditionTaints).flatMap((byStatus) => Object.values(byStatus))
)

/** How the controller evicts pods of unreachable nodes: taints (current) or the pre-v1.27 NodeLost path. */
export type NodeLifecycleMode = "modern" | "legacy"

/** The node's Ready condition, if it has one. */
export const readyCondition = (node: Node): NodeCondition | undefined =>
  node.status?.conditions?.find((c) => c.type === "Ready")

/** The status of the node's Ready condition; `Unknown` when it has none. */
export const readyStatus = (node: Node): NodeCondition["status"] => readyCondition(node)?.status ?? "Unknown"

/** The conditions the controller turns Unknown when the kubelet stops posting (`tryUpdateNodeHealth`). */
const monitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const

/**
 * The conditions of a node whose heartbeats are overdue: each monitored condition becomes
 * `Unknown` / `NodeStatusUnknown` / `Kubelet stopped posting node status.` (its transition time
 * now), or is added as `NodeStatusNeverUpdated` when the kubelet never posted it. Undefined when
 * nothing changes.
 */
export const overdueConditions = (node: Node, now: number): ReadonlyArray<NodeCondition> | undefined => {
  const time = toRfc3339(now)
  const conditions = [...(node.status?.conditions ?? [])]
  let changed = false
  for (const type of monitoredConditions) {
    const index = conditions.findIndex((c) => c.type === type)
    const current = conditions[index]
    if (current === undefined) {
      changed = true
      conditions.push({
        type,
        status: "Unknown",
        reason: "NodeStatusNeverUpdated",
        message: "Kubelet never posted node status.",
        ...(node.metadata.creationTimestamp !== undefined
          ? { lastHeartbeatTime: node.metadata.creationTimestamp }
          : {}),
        lastTransitionTime: time
      })
    } else if (current.status !== "Unknown") {
      changed = true
      conditions[index] = {
        ...current,
        status: "Unknown",
        reason: "NodeStatusUnknown",
        message: "Kubelet stopped posting node status.",
        lastTransitionTime: time
      }
    }
  }
  return changed ? conditions : undefined
}

/** What the node's heartbeats say: the newest of its lease renewal and its Ready condition's heartbeat. */
export interface Heartbeat {
  /** the lease's `spec.renewTime` as written */
  readonly renewTime: string | undefined
  /** the Ready condition's `lastHeartbeatTime` as written */
  readonly readyHeartbeat: string | undefined
}

/** Did the kubelet show a sign of life between two observations (a renewed lease or a new Ready heartbeat)? */
export const heartbeatAdvanced = (before: Heartbeat | undefined, after: Heartbeat): boolean =>
  before === undefined || before.renewTime !== after.renewTime || before.readyHeartbeat !== after.readyHeartbeat

/**
 * The NoSchedule taints the controller wants on the node (`doNoScheduleTaintingPass`): one per
 * condition in a bad state, plus `node.kubernetes.io/unschedulable` for a cordoned node.
 */
export const conditionNoScheduleTaints = (node: Node): ReadonlyArray<string> => {
  const keys: Array<string> = []
  for (const condition of node.status?.conditions ?? []) {
    const key = conditionTaints[condition.type]?.[condition.status]
    if (key !== undefined && !keys.includes(key)) keys.push(key)
  }
  if (node.spec?.unschedulable === true) keys.push(TaintNodeUnschedulable)
  return keys
}

/** The NoExecute taint for a Ready status (`processTaintBaseEviction`), if any. */
export const noExecuteTaintFor = (ready: NodeCondition["status"]): string | undefined =>
  ready === "False" ? TaintNodeNotReady : ready === "Unknown" ? TaintNodeUnreachable : undefined

const isManagedNoSchedule = (t: Taint): boolean =>
  t.effect === "NoSchedule" && (t.key === TaintNodeUnschedulable || conditionTaintKeys.has(t.key))

const isManagedNoExecute = (t: Taint): boolean =>
  t.effect === "NoExecute" && (t.key === TaintNodeNotReady || t.key === TaintNodeUnreachable)

/**
 * The node's taints after the controller's passes (`SwapNodeControllerTaint`): the managed
 * NoSchedule taints become exactly `noSchedule`, the managed NoExecute taint exactly `noExecute`
 * (omitted in legacy mode); added taints get `timeAdded = now` and go last, kept ones are
 * untouched, taints of others stay. Undefined when nothing changes.
 */
export const reconcileTaints = (
  current: ReadonlyArray<Taint>,
  noSchedule: ReadonlyArray<string>,
  noExecute: string | undefined,
  now: number
): ReadonlyArray<Taint> | undefined => {
  const time = toRfc3339(now)
  const kept = current.filter(
    (t) => (!isManagedNoSchedule(t) || noSchedule.includes(t.key)) && (!isManagedNoExecute(t) || t.key === noExecute)
  )
  const added: Array<Taint> = []
  for (const key of noSchedule) {
    if (!kept.some((t) => t.effect === "NoSchedule" && t.key === key)) {
      added.push({ key, effect: "NoSchedule", timeAdded: time })
    }
  }
  if (noExecute !== undefined && !kept.some((t) => t.effect === "NoExecute" && t.key === noExecute)) {
    added.push({ key: noExecute, effect: "NoExecute", timeAdded: time })
  }
  if (added.length === 0 && kept.length === current.length) return undefined
  return [...kept, ...added]
}

/**
 * `MarkPodsNotReady` for one pod: its Ready condition turns False (reason and message kept, the
 * transition time now). Undefined when it has no Ready condition or it is already False.
 */
export const podNotReadyStatus = (pod: Pod, now: number): PodStatus | undefined => {
  const conditions = pod.status?.conditions ?? []
  const ready = conditions.find((c) => c.type === "Ready")
  if (ready === undefined || ready.status === "False") return undefined
  const next: PodCondition = { ...ready, status: "False", lastTransitionTime: toRfc3339(now) }
  return { ...pod.status, conditions: conditions.map((c) => (c === ready ? next : c)) }
}

/** `status.reason` of pods on a lost node (legacy `SetPodTerminationReason`). */
export const NodeLostReason = "NodeLost"

/** `Node <node> which was running pod <pod> is unresponsive`. */
export const nodeLostMessage = (nodeName: string, podName: string): string =>
  `Node ${nodeName} which was running pod ${podName} is unresponsive`

const isTerminal = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed"

/**
 * Legacy mode, node unreachable: the pod's phase shows `Unknown` with reason `NodeLost` (the seed
 * document's "phase Unknown"). Undefined for terminal pods and pods already marked.
 */
export const nodeLostStatus = (pod: Pod, nodeName: string): PodStatus | undefined => {
  if (isTerminal(pod) || (pod.status?.phase === "Unknown" && pod.status.reason === NodeLostReason)) return undefined
  return {
    ...pod.status,
    phase: "Unknown",
    reason: NodeLostReason,
    message: nodeLostMessage(nodeName, pod.metadata.name ?? "")
  }
}

/**
 * Legacy mode, pod eviction timeout passed: the pod becomes `Failed` (reason `NodeLost` kept),
 * before the controller deletes it. Undefined for pods already terminal.
 */
export const nodeLostFailedStatus = (pod: Pod, nodeName: string): PodStatus | undefined => {
  if (isTerminal(pod)) return undefined
  return {
    ...pod.status,
    phase: "Failed",
    reason: NodeLostReason,
    message: nodeLostMessage(nodeName, pod.metadata.name ?? "")
  }
}

/** Is the pod owned by a DaemonSet (the node controller and drain leave those alone)? */
export const isDaemonSetPod = (pod: Pod): boolean =>
  (pod.metadata.ownerReferences ?? []).some((o) => o.controller === true && o.kind === "DaemonSet")
