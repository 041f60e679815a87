/**
 * The whole API status the kubelet writes after a sync (spec pod-lifecycle §2.2, §2.3, §3, §7; K-pods
 * `generateAPIPodStatus`): container statuses, phase with the terminal-phase rules, conditions, pod IP and start
 * time. Composes `ContainerStatuses`, `Phase` and `Conditions`; pure, `now` in epoch ms.
 */
import type { Pod, PodStatus } from "../api/Pod.js"
import { generateConditions } from "./Conditions.js"
import { buildContainerStatuses, type ReasonCache } from "./ContainerStatuses.js"
import { getPhase, reconcilePhase } from "./Phase.js"
import type { ProbeResults } from "./Probe.js"
import { hasAnyActiveRegularContainerStarted, type RuntimeSnapshot } from "./RuntimeSnapshot.js"
import { toRfc3339 } from "./Time.js"

/** Inputs of `generatePodStatus`. */
export interface PodStatusInput {
  /** The pod as stored (its `status` is the API status). */
  readonly pod: Pod
  readonly snapshot: RuntimeSnapshot
  /** The kubelet's last generated status (status-manager cache); absent ⇒ `pod.status`. */
  readonly previous?: PodStatus
  readonly reasons: ReasonCache
  readonly probes: ProbeResults
  /** The kubelet will never run this pod's containers again (deleted, evicted, finished). */
  readonly podIsTerminal: boolean
  /** Eviction requested by a pod sync handler (active deadline, node pressure). */
  readonly evict?: { readonly reason: string; readonly message: string }
  readonly now: number
}

/**
 * `generateAPIPodStatus`: statuses from the snapshot; `getPhase` then the §2.3 merge; conditions; `podIP(s)` from
 * the ready sandbox (else kept); `startTime` kept or set to now; host fields and `qosClass` carried over.
 */
export const generatePodStatus = (input: PodStatusInput): PodStatus => {
  const { pod, snapshot } = input
  const old: PodStatus = input.previous ?? pod.status ?? {}
  const { initContainerStatuses, containerStatuses } = buildContainerStatuses({
    pod,
    snapshot,
    previous: old,
    reasons: input.reasons,
    probes: input.probes
  })
  const computed = getPhase(
    pod,
    [...containerStatuses, ...initContainerStatuses],
    input.podIsTerminal,
    hasAnyActiveRegularContainerStarted(pod, snapshot)
  )
  const phase = reconcilePhase({
    computed,
    ...(input.previous !== undefined ? { cached: input.previous } : {}),
    ...(pod.status !== undefined ? { api: pod.status } : {}),
    ...(input.evict !== undefined ? { evict: input.evict } : {})
  })
  const conditions = generateConditions({
    pod,
    previous: old,
    snapshot,
    initContainerStatuses,
    containerStatuses,
    phase: phase.phase,
    now: input.now
  })
  const sandboxIP = snapshot.sandbox?.state === "ready" ? snapshot.sandbox.ip : undefined
  const podIP = sandboxIP || old.podIP
  return {
    phase: phase.phase,
    ...(phase.reason !== undefined ? { reason: phase.reason } : {}),
    ...(phase.message !== undefined ? { message: phase.message } : {}),
    conditions,
    ...(old.hostIP !== undefined ? { hostIP: old.hostIP } : {}),
    ...(old.hostIPs !== undefined ? { hostIPs: old.hostIPs } : {}),
    ...(podIP ? { podIP, podIPs: sandboxIP ? [{ ip: sandboxIP }] : (old.podIPs ?? [{ ip: podIP }]) } : {}),
    startTime: old.startTime ?? toRfc3339(input.now),
    ...(initContainerStatuses.length > 0 ? { initContainerStatuses } : {}),
    containerStatuses,
    ...(old.qosClass !== undefined ? { qosClass: old.qosClass } : {}),
    ...(old.nominatedNodeName !== undefined ? { nominatedNodeName: old.nominatedNodeName } : {})
  }
}
