/**
 * The whole API status the kubelet writes after a sync (spec pod-lifecycle §2.2, §2.3, §3, §7; K-pods
 * `generateAPIPodStatus`): container statuses, phase with the terminal-phase rules, conditions, pod IP and start
 * time. Composes `ContainerStatuses`, `Phase` and `Conditions`; pure, `now` in epoch ms. Parts equal to the previous
 * status's (and the whole status, when it is equal) are the previous objects themselves. The kubelet's
 * `PublishStatus` feeds it from its memory and writes the result.
 */
import type { Pod, PodCondition, PodStatus } from "../api/Pod.js"
import { generateConditions, kubeletConditionTypes } from "./Conditions.js"
import { buildContainerStatuses, type ReasonCache } from "./ContainerStatuses.js"
import { getPhase, reconcilePhase } from "./Phase.js"
import type { ProbeResults } from "./Probe.js"
import { hasAnyActiveRegularContainerStarted, instancesOf, type RuntimeSnapshot } from "./RuntimeSnapshot.js"
import { sameJson, sharedWith } from "./SameJson.js"
import { toRfc3339 } from "./Time.js"

/** Inputs of `generatePodStatus`. */
export interface PodStatusInput {
  /** The pod as stored (its `status` is the API status). */
  readonly pod: Pod
  readonly snapshot: RuntimeSnapshot
  /** The kubelet's last generated status (status-manager cache); absent ⇒ `pod.status`. */
  readonly previous?: PodStatus | undefined
  readonly reasons: ReasonCache
  readonly probes: ProbeResults
  /** The kubelet will never run this pod's containers again (deleted, evicted, finished). */
  readonly podIsTerminal: boolean
  /** Eviction requested by a pod sync handler (active deadline, node pressure); with a `DisruptionTarget` reason */
  readonly evict?: { readonly reason: string; readonly message: string; readonly disruptionReason?: string } | undefined
  readonly now: number
  /** The node's IP (`hostIP`, `hostIPs`); absent ⇒ carried over. */
  readonly hostIP?: string | undefined
  /** The pod's IP as the kubelet knows it; absent ⇒ the ready sandbox's, else carried over. */
  readonly podIP?: string | undefined
  /** When the kubelet first saw the pod (epoch ms); absent ⇒ carried over, else now. */
  readonly startTime?: number | undefined
  /** The pod's QoS class; absent ⇒ carried over. */
  readonly qosClass?: PodStatus["qosClass"] | undefined
}

/** `UpdatePodCondition` with `DisruptionTarget=True` (the eviction manager's condition), kept before the kubelet's own. */
const withDisruptionTarget = (
  conditions: ReadonlyArray<PodCondition>,
  reason: string,
  message: string,
  now: number
): ReadonlyArray<PodCondition> => {
  const old = conditions.find((c) => c.type === "DisruptionTarget")
  const condition: PodCondition = {
    type: "DisruptionTarget",
    status: "True",
    lastProbeTime: null,
    lastTransitionTime:
      old?.status === "True" && old.lastTransitionTime !== undefined ? old.lastTransitionTime : toRfc3339(now),
    reason,
    message
  }
  if (old !== undefined) return conditions.map((c) => (c === old ? condition : c))
  const at = conditions.findIndex((c) => kubeletConditionTypes.has(c.type))
  return at < 0 ? [...conditions, condition] : [...conditions.slice(0, at), condition, ...conditions.slice(at)]
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
    initContainerStatuses.length === 0 ? containerStatuses : [...containerStatuses, ...initContainerStatuses],
    input.podIsTerminal,
    hasAnyActiveRegularContainerStarted(pod, snapshot)
  )
  const phase = reconcilePhase({ computed, cached: input.previous, api: pod.status, evict: input.evict })
  const generated = generateConditions({
    pod,
    previous: old,
    snapshot,
    initContainerStatuses,
    containerStatuses,
    phase: phase.phase,
    now: input.now
  })
  const disruption = input.evict?.disruptionReason
  const conditions =
    input.evict === undefined || disruption === undefined
      ? generated
      : withDisruptionTarget(generated, disruption, input.evict.message, input.now)
  const sandboxIP = snapshot.sandbox?.state === "ready" ? snapshot.sandbox.ip : undefined
  const podIP = input.podIP ?? (sandboxIP || old.podIP)
  const podIPs =
    input.podIP !== undefined || sandboxIP
      ? sharedWith([{ ip: podIP ?? "" }], old.podIPs)
      : (old.podIPs ?? [{ ip: podIP ?? "" }])
  const hostIP = input.hostIP ?? old.hostIP
  const hostIPs = input.hostIP !== undefined ? sharedWith([{ ip: input.hostIP }], old.hostIPs) : old.hostIPs
  const qosClass = input.qosClass ?? old.qosClass
  const startTime = input.startTime !== undefined ? toRfc3339(input.startTime) : (old.startTime ?? toRfc3339(input.now))
  const hasInit = pod.spec.initContainers !== undefined && pod.spec.initContainers.length > 0
  // the usual shape as one literal (its properties in the object, no separate property store)
  if (
    phase.reason === undefined &&
    phase.message === undefined &&
    hostIP !== undefined &&
    hostIPs !== undefined &&
    podIP &&
    qosClass !== undefined &&
    old.nominatedNodeName === undefined
  ) {
    const usual: PodStatus = hasInit
      ? {
          phase: phase.phase,
          conditions,
          hostIP,
          hostIPs,
          podIP,
          podIPs,
          startTime,
          initContainerStatuses,
          containerStatuses,
          qosClass
        }
      : { phase: phase.phase, conditions, hostIP, hostIPs, podIP, podIPs, startTime, containerStatuses, qosClass }
    return sharedWith(usual, old)
  }
  // built member by member from {}: one hidden class per key order, shared by every status of that order
  const status: Record<string, unknown> = {}
  status.phase = phase.phase
  if (phase.reason !== undefined) status.reason = phase.reason
  if (phase.message !== undefined) status.message = phase.message
  status.conditions = conditions
  if (hostIP !== undefined) status.hostIP = hostIP
  if (hostIPs !== undefined) status.hostIPs = hostIPs
  if (podIP) {
    status.podIP = podIP
    status.podIPs = podIPs
  }
  status.startTime = startTime
  if (hasInit) status.initContainerStatuses = initContainerStatuses
  status.containerStatuses = containerStatuses
  if (qosClass !== undefined) status.qosClass = qosClass
  if (old.nominatedNodeName !== undefined) status.nominatedNodeName = old.nominatedNodeName
  // an unchanged status is the previous object itself (and its parts are shared when they are unchanged)
  return sharedWith(status as PodStatus, old)
}

/** Whether some container's status would read the previous status (no instance, or one in state unknown). */
const readsPreviousStatus = (pod: Pod, snapshot: RuntimeSnapshot): boolean => {
  for (const containers of [pod.spec.initContainers ?? [], pod.spec.containers]) {
    for (const container of containers) {
      const instances = instancesOf(snapshot, container.name)
      const newest = instances[0]
      if (newest === undefined || newest.state === "unknown" || instances[1]?.state === "unknown") return true
    }
  }
  return false
}

/**
 * Whether `generatePodStatus` for `written` with `status` as the previous status gives `status` back,
 * known without generating, where `status` was generated for `pod` and `snapshot` from a previous
 * status (not the API's) and every other input is unchanged: `written` is `pod` with `status` stored
 * (same spec, annotations and deletion), and no container status reads the previous one. Then every
 * part is rebuilt from the same inputs, and what is carried over (condition transition times, phase
 * reason and message, IPs, start time, non-kubelet conditions) is carried over from `status` itself.
 */
export const regeneratesItself = (pod: Pod, written: Pod, snapshot: RuntimeSnapshot, status: PodStatus): boolean =>
  written.spec === pod.spec &&
  written.metadata.annotations === pod.metadata.annotations &&
  written.metadata.deletionTimestamp === pod.metadata.deletionTimestamp &&
  written.status !== undefined &&
  sameJson(written.status, status) &&
  !readsPreviousStatus(pod, snapshot)
