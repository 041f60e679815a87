/**
 * `generateAPIPodStatus` (K-pods) for one pod: container statuses (`domain/ContainerStatuses`),
 * phase (`domain/Phase` getPhase + reconcilePhase), conditions (`domain/Conditions`), pod and host
 * IPs, start time and QoS class, from a fresh runtime snapshot; then written through the status
 * manager (only when changed). The generated status is also the kubelet's cache (the prober reads it).
 */
import { Clock, Effect } from "effect"
import type { Pod, PodCondition, PodStatus } from "../api/Pod.js"
import { podQOSClass } from "../api/QOS.js"
import { generateConditions, kubeletConditionTypes } from "../domain/Conditions.js"
import { buildContainerStatuses } from "../domain/ContainerStatuses.js"
import { getPhase, reconcilePhase } from "../domain/Phase.js"
import type { RuntimeSnapshot } from "../domain/RuntimeSnapshot.js"
import { hasAnyActiveRegularContainerStarted } from "../domain/RuntimeSnapshot.js"
import { toRfc3339 } from "../domain/Time.js"
import type { KubeletContext, PublishedFrom } from "./KubeletContext.js"
import { memoryOf, snapshotOf } from "./KubeletContext.js"
import { jsonEqual } from "./StatusManager.js"

export interface StatusOptions {
  /** the kubelet will never run this pod's containers again (deleted, evicted) */
  readonly podIsTerminal: boolean
  /** a pod sync handler's eviction (active deadline, node pressure): phase Failed with this reason and message */
  readonly evict?: { readonly reason: string; readonly message: string; readonly disruptionReason?: string }
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
 * A copy built member by member from `{}`, in the same key order. Statuses are assembled by object
 * spreads, which can give every object a hidden class of its own; a status is kept (by the kubelet
 * and the store) for the pod's life, so it is rebuilt once with classes shared by all its kind.
 */
const reshape = <T>(value: T): T => {
  if (Array.isArray(value)) return value.map(reshape) as T
  if (value === null || typeof value !== "object") return value
  const out: Record<string, unknown> = {}
  for (const key in value) out[key] = reshape((value as Record<string, unknown>)[key])
  return out as T
}

/** The API status of `pod` for `snapshot`, at `now`. Pure apart from reading the kubelet's memory. */
export const generatePodStatus = (
  ctx: KubeletContext,
  pod: Pod,
  snapshot: RuntimeSnapshot,
  options: StatusOptions,
  now: number
): PodStatus => {
  const memory = memoryOf(ctx, pod.metadata.uid ?? "")
  const previous = memory.status ?? pod.status
  const { initContainerStatuses, containerStatuses } = buildContainerStatuses({
    pod,
    snapshot,
    ...(previous !== undefined ? { previous } : {}),
    reasons: memory.reasons,
    probes: ctx.probeResults
  })
  const computed = getPhase(
    pod,
    [...containerStatuses, ...initContainerStatuses],
    options.podIsTerminal,
    hasAnyActiveRegularContainerStarted(pod, snapshot)
  )
  const phase = reconcilePhase({
    computed,
    ...(memory.status !== undefined ? { cached: memory.status } : {}),
    ...(pod.status !== undefined ? { api: pod.status } : {}),
    ...(options.evict !== undefined ? { evict: options.evict } : {})
  })
  const generated = generateConditions({
    pod,
    ...(previous !== undefined ? { previous } : {}),
    snapshot,
    initContainerStatuses,
    containerStatuses,
    phase: phase.phase,
    now
  })
  const conditions =
    options.evict?.disruptionReason === undefined
      ? generated
      : withDisruptionTarget(generated, options.evict.disruptionReason, options.evict.message, now)
  const podIP = snapshot.sandbox?.ip ?? memory.podIP
  if (podIP !== undefined) memory.podIP = podIP
  return {
    phase: phase.phase,
    ...(phase.reason !== undefined ? { reason: phase.reason } : {}),
    ...(phase.message !== undefined ? { message: phase.message } : {}),
    conditions,
    hostIP: ctx.nodeIP,
    hostIPs: [{ ip: ctx.nodeIP }],
    ...(podIP !== undefined ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    ...(memory.startTime !== undefined ? { startTime: toRfc3339(memory.startTime) } : {}),
    ...((pod.spec.initContainers ?? []).length > 0 ? { initContainerStatuses } : {}),
    containerStatuses,
    qosClass: podQOSClass(pod.spec)
  }
}

const optionsKey = (options: StatusOptions): string =>
  options.evict === undefined
    ? String(options.podIsTerminal)
    : `${options.podIsTerminal}\u0000${options.evict.reason}\u0000${options.evict.message}\u0000${options.evict.disruptionReason ?? ""}`

const reasonsKey = (reasons: ReadonlyMap<string, { readonly reason: string; readonly message: string }>): string => {
  let key = ""
  for (const [name, r] of reasons) key += `${name}\u0000${r.reason}\u0000${r.message}\u0001`
  return key
}

const sameInputs = (a: PublishedFrom, b: PublishedFrom): boolean =>
  a.pod === b.pod &&
  a.snapshot === b.snapshot &&
  a.previous === b.previous &&
  a.options === b.options &&
  a.reasons === b.reasons &&
  a.podIP === b.podIP &&
  a.startTime === b.startTime &&
  a.probes.length === b.probes.length &&
  a.probes.every((p, i) => p === b.probes[i])

/**
 * Generates the status from a fresh snapshot, caches it and writes it if it changed; returns it.
 * When every input is the one the cached status was generated from, and that generation changed
 * nothing, the cached status is the answer (generation is deterministic; the clock only stamps
 * conditions that change).
 */
export const publishStatus = (ctx: KubeletContext, pod: Pod, options: StatusOptions): Effect.Effect<PodStatus> =>
  Effect.gen(function* () {
    const uid = pod.metadata.uid ?? ""
    const latest = ctx.pods.get(uid) ?? pod
    const snapshot = yield* snapshotOf(ctx, uid)
    const now = yield* Clock.currentTimeMillis
    const memory = memoryOf(ctx, uid)
    const from: PublishedFrom = {
      pod: latest,
      snapshot,
      previous: memory.status,
      options: optionsKey(options),
      reasons: reasonsKey(memory.reasons),
      probes: snapshot.containers.map((c) => ctx.probeResults.get(c.id)),
      podIP: memory.podIP,
      startTime: memory.startTime
    }
    let status = memory.status
    if (status === undefined || memory.published === undefined || !sameInputs(memory.published, from)) {
      const generated = generatePodStatus(ctx, latest, snapshot, options, now)
      // an unchanged status keeps its identity: the next publish can then reuse it
      status = status !== undefined && jsonEqual(generated, status) ? status : reshape(generated)
      memory.status = status
      memory.published = from
    }
    yield* ctx.status.setStatus(latest, status)
    return status
  })
