/**
 * The kubelet's view of its node's resources, as pure decisions (`pkg/kubelet/eviction`,
 * `pkg/kubelet/nodestatus/setters.go`; spec §10.4, §10.6): the node conditions it reports for a
 * pressure state (with the 5-minute `evictionPressureTransitionPeriod`), the order in which it
 * evicts pods under memory pressure, who the kernel's OOM killer picks, and the eviction messages.
 */
import type { NodeCondition } from "../api/Objects.js"
import type { Pod } from "../api/Pod.js"
import { podQOSClass } from "../api/QOS.js"
import { quantityOrUndefined } from "../api/Quantity.js"

/** The kubelet's default hard eviction threshold `memory.available<100Mi`. */
export const MemoryEvictionThreshold = "100Mi"
/** `evictionPressureTransitionPeriod`: a pressure condition stays True this long after the pressure ends. */
export const PressureTransitionMillis = 5 * 60_000
/** `evictionMonitoringPeriod`: how often the eviction manager looks. */
export const EvictionMonitoringMillis = 10_000

/** What is wrong with the node's resources (faults set it). */
export interface PressureState {
  /** memory.available under the threshold: the available quantity the kubelet observes */
  readonly memory?: { readonly available: string }
  /** when memory pressure last ended (epoch ms) */
  readonly memoryEndedAt?: number
  /** the node's disk has failed */
  readonly diskFailed: boolean
  /** when the disk failure was last cleared (epoch ms) */
  readonly diskEndedAt?: number
}

export const noPressure: PressureState = { diskFailed: false }

const within = (endedAt: number | undefined, now: number): boolean =>
  endedAt !== undefined && now < endedAt + PressureTransitionMillis

/** Is MemoryPressure True now (under pressure, or within the transition period after it)? */
export const memoryPressureOn = (state: PressureState, now: number): boolean =>
  state.memory !== undefined || within(state.memoryEndedAt, now)

/** Is DiskPressure True now? */
export const diskPressureOn = (state: PressureState, now: number): boolean =>
  state.diskFailed || within(state.diskEndedAt, now)

/** One node condition as the kubelet's setters compute it (times are attached when posting). */
export interface ConditionValue {
  readonly type: string
  readonly status: NodeCondition["status"]
  readonly reason: string
  readonly message: string
}

/** The four conditions the kubelet reports, in its order (MemoryPressure, DiskPressure, PIDPressure, Ready). */
export const kubeletNodeConditions = (state: PressureState, now: number): ReadonlyArray<ConditionValue> => [
  memoryPressureOn(state, now)
    ? {
        type: "MemoryPressure",
        status: "True",
        reason: "KubeletHasInsufficientMemory",
        message: "kubelet has insufficient memory available"
      }
    : {
        type: "MemoryPressure",
        status: "False",
        reason: "KubeletHasSufficientMemory",
        message: "kubelet has sufficient memory available"
      },
  diskPressureOn(state, now)
    ? { type: "DiskPressure", status: "True", reason: "KubeletHasDiskPressure", message: "kubelet has disk pressure" }
    : {
        type: "DiskPressure",
        status: "False",
        reason: "KubeletHasNoDiskPressure",
        message: "kubelet has no disk pressure"
      },
  {
    type: "PIDPressure",
    status: "False",
    reason: "KubeletHasSufficientPID",
    message: "kubelet has sufficient PID available"
  },
  { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }
]

/** The node event the kubelet records when a condition changes (`recordNodeStatusEvent`), if any. */
export const conditionEvent = (type: string, status: NodeCondition["status"]): string | undefined => {
  switch (type) {
    case "MemoryPressure":
      return status === "True" ? "NodeHasInsufficientMemory" : "NodeHasSufficientMemory"
    case "DiskPressure":
      return status === "True" ? "NodeHasDiskPressure" : "NodeHasNoDiskPressure"
    case "PIDPressure":
      return status === "True" ? "NodeHasInsufficientPID" : "NodeHasSufficientPID"
    case "Ready":
      return status === "True" ? "NodeReady" : "NodeNotReady"
    default:
      return undefined
  }
}

/**
 * The conditions to post: each value stamped with `now` as heartbeat, keeping the previous
 * transition time when the status did not change. `changed` ignores the times
 * (`nodeStatusHasChanged`).
 */
export const stampConditions = (
  values: ReadonlyArray<ConditionValue>,
  previous: ReadonlyArray<NodeCondition>,
  time: string
): { readonly conditions: ReadonlyArray<NodeCondition>; readonly changed: boolean } => {
  let changed = previous.length !== values.length
  const conditions = values.map((value) => {
    const old = previous.find((c) => c.type === value.type)
    if (
      old === undefined ||
      old.status !== value.status ||
      old.reason !== value.reason ||
      old.message !== value.message
    )
      changed = true
    return {
      ...value,
      lastHeartbeatTime: time,
      lastTransitionTime:
        old !== undefined && old.status === value.status && old.lastTransitionTime !== undefined
          ? old.lastTransitionTime
          : time
    }
  })
  return { conditions, changed }
}

const memoryRequestBytes = (pod: Pod): number => {
  let total = 0
  for (const c of pod.spec.containers) {
    const q = quantityOrUndefined(c.resources?.requests?.memory ?? 0)
    if (q !== undefined) total += Number(q.nanos / 1_000_000_000n)
  }
  return total
}

/** BestEffort pods use more than they asked for (nothing); the others are assumed within their requests. */
const exceedsRequests = (pod: Pod): number => (podQOSClass(pod.spec) === "BestEffort" ? 0 : 1)

/**
 * `rankMemoryPressure`: pods using more memory than requested first (here: BestEffort), then lower
 * priority, then smaller memory requests (standing in for usage above requests), then by name.
 */
export const rankForMemoryEviction = (pods: ReadonlyArray<Pod>): ReadonlyArray<Pod> =>
  [...pods].sort(
    (a, b) =>
      exceedsRequests(a) - exceedsRequests(b) ||
      (a.spec.priority ?? 0) - (b.spec.priority ?? 0) ||
      memoryRequestBytes(a) - memoryRequestBytes(b) ||
      ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1)
  )

const qosOomOrder = { BestEffort: 0, Burstable: 1, Guaranteed: 2 } as const

/**
 * The kernel OOM killer's victim order (`oom_score_adj`: BestEffort 1000, Burstable by memory
 * request, Guaranteed -997): highest score first, then by name.
 */
export const rankForOomKill = (pods: ReadonlyArray<Pod>): ReadonlyArray<Pod> =>
  [...pods].sort(
    (a, b) =>
      qosOomOrder[podQOSClass(a.spec)] - qosOomOrder[podQOSClass(b.spec)] ||
      memoryRequestBytes(a) - memoryRequestBytes(b) ||
      ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1)
  )

/** `The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. ` */
export const lowResourceMessage = (resource: string, threshold?: string, available?: string): string =>
  `The node was low on resource: ${resource}. ` +
  (threshold !== undefined && available !== undefined
    ? `Threshold quantity: ${threshold}, available: ${available}. `
    : "")

/** `The node had condition: [DiskPressure]. ` (Go's `%v` of a slice). */
export const nodeConditionMessage = (conditions: ReadonlyArray<string>): string =>
  `The node had condition: [${conditions.join(" ")}]. `
