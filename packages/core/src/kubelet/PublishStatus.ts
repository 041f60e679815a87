/**
 * Publishing a pod's status (the kubelet's `generateAPIPodStatus` then `SetPodStatus`): the status is
 * generated from a fresh runtime snapshot by `domain/PodStatus`, cached in the kubelet's memory (the
 * prober reads it) and written through the status manager only when it changed.
 */
import { Clock, Effect } from "effect"
import type { Pod, PodStatus } from "../api/Pod.js"
import type { QOSClass } from "../api/QOS.js"
import { podQOSClass } from "../api/QOS.js"
import { generatePodStatus, regeneratesItself } from "../domain/PodStatus.js"
import type { ContainerProbeResults } from "../domain/Probe.js"
import type { RuntimeSnapshot } from "../domain/RuntimeSnapshot.js"
import type { KubeletContext, PodMemory, PublishedFrom, StartFailure } from "./KubeletContext.js"
import { memoryOf, snapshotOf } from "./KubeletContext.js"
import { jsonEqual } from "./StatusManager.js"

export interface StatusOptions {
  /** the kubelet will never run this pod's containers again (deleted, evicted) */
  readonly podIsTerminal: boolean
  /** a pod sync handler's eviction (active deadline, node pressure): phase Failed with this reason and message */
  readonly evict?: { readonly reason: string; readonly message: string; readonly disruptionReason?: string }
}

/** The QoS class of each pod spec seen (a pure function of the spec, asked at every generation). */
const qosClasses = new WeakMap<Pod["spec"], QOSClass>()

const qosClassOf = (spec: Pod["spec"]): QOSClass => {
  let qosClass = qosClasses.get(spec)
  if (qosClass === undefined) {
    qosClass = podQOSClass(spec)
    qosClasses.set(spec, qosClass)
  }
  return qosClass
}

/** The API status of `pod` for `snapshot`, at `now` (`domain/PodStatus`), from the kubelet's memory. */
const generate = (
  ctx: KubeletContext,
  pod: Pod,
  snapshot: RuntimeSnapshot,
  options: StatusOptions,
  now: number
): PodStatus => {
  const memory = memoryOf(ctx, pod.metadata.uid ?? "")
  const podIP = snapshot.sandbox?.ip ?? memory.podIP
  if (podIP !== undefined) memory.podIP = podIP
  return generatePodStatus({
    pod,
    snapshot,
    previous: memory.status,
    reasons: memory.reasons,
    probes: ctx.probeResults,
    podIsTerminal: options.podIsTerminal,
    evict: options.evict,
    now,
    hostIP: ctx.nodeIP,
    podIP,
    startTime: memory.startTime,
    qosClass: qosClassOf(pod.spec)
  })
}

const optionsKey = (options: StatusOptions): string =>
  options.evict === undefined
    ? String(options.podIsTerminal)
    : `${options.podIsTerminal}\u0000${options.evict.reason}\u0000${options.evict.message}\u0000${options.evict.disruptionReason ?? ""}`

/** The start failures as `[name, reason, message]` triples, in map order. */
const reasonsOf = (reasons: ReadonlyMap<string, StartFailure>): ReadonlyArray<readonly [string, string, string]> =>
  Array.from(reasons, ([name, r]) => [name, r.reason, r.message] as const)

const sameReasons = (
  a: ReadonlyArray<readonly [string, string, string]>,
  b: ReadonlyMap<string, StartFailure>
): boolean => {
  if (a.length !== b.size) return false
  let i = 0
  for (const [name, r] of b) {
    const x = a[i++]!
    if (x[0] !== name || x[1] !== r.reason || x[2] !== r.message) return false
  }
  return true
}

/** Whether the inputs of the cached status are the current ones (checked without allocating). */
const unchangedSince = (
  ctx: KubeletContext,
  from: PublishedFrom,
  pod: Pod,
  snapshot: RuntimeSnapshot,
  memory: PodMemory,
  options: string
): boolean => {
  if (
    from.pod !== pod ||
    from.snapshot !== snapshot ||
    from.previous !== memory.status ||
    from.options !== options ||
    from.podIP !== memory.podIP ||
    from.startTime !== memory.startTime ||
    !sameReasons(from.reasons, memory.reasons)
  ) {
    return false
  }
  return sameProbes(ctx, from.probes, snapshot)
}

/** Whether `probes` are the probe results of the snapshot's containers now (by identity, in order). */
export const sameProbes = (
  ctx: KubeletContext,
  probes: ReadonlyArray<ContainerProbeResults | undefined>,
  snapshot: RuntimeSnapshot
): boolean => {
  if (probes.length !== snapshot.containers.length) return false
  for (let i = 0; i < probes.length; i++) {
    if (probes[i] !== ctx.probeResults.get(snapshot.containers[i]!.id)) return false
  }
  return true
}

/**
 * Generates the status from a fresh snapshot, caches it and writes it if it changed; returns it.
 * When every input is the one the cached status was generated from, and that generation changed
 * nothing, the cached status is the answer (generation is deterministic; the clock only stamps
 * conditions that change).
 */
export const publishStatus = (
  ctx: KubeletContext,
  pod: Pod,
  options: StatusOptions,
  /** a snapshot taken in this sync when nothing was done to the runtime since (else a fresh one) */
  taken?: RuntimeSnapshot
): Effect.Effect<PodStatus> =>
  Effect.gen(function* () {
    const uid = pod.metadata.uid ?? ""
    const latest = ctx.pods.get(uid) ?? pod
    const snapshot = taken ?? (yield* snapshotOf(ctx, uid))
    const now = yield* Clock.currentTimeMillis
    const memory = memoryOf(ctx, uid)
    const optionsText = optionsKey(options)
    let status = memory.status
    if (
      status === undefined ||
      memory.published === undefined ||
      !unchangedSince(ctx, memory.published, latest, snapshot, memory, optionsText)
    ) {
      const from: PublishedFrom = {
        pod: latest,
        snapshot,
        previous: memory.status,
        options: optionsText,
        reasons: reasonsOf(memory.reasons),
        probes: snapshot.containers.map((c) => ctx.probeResults.get(c.id)),
        podIP: memory.podIP,
        startTime: memory.startTime
      }
      const generated = generate(ctx, latest, snapshot, options, now)
      // an unchanged status keeps its identity: the next publish can then reuse it
      status = status !== undefined && jsonEqual(generated, status) ? status : generated
      memory.status = status
      memory.published = from
    }
    memory.stored = yield* ctx.status.setStatus(latest, status)
    return status
  })

/**
 * Whether publishing the status of `pod` now would change nothing: every input of the cached status
 * is the current one (pod, last snapshot, start failures, probes, IP), it is its own fixed point,
 * and the store holds it.
 */
export const cachedStatusStands = (ctx: KubeletContext, pod: Pod, options: StatusOptions): boolean => {
  const memory = ctx.memory.get(pod.metadata.uid ?? "")
  const from = memory?.published
  const status = memory?.status
  const snapshot = memory?.snapshot
  return (
    memory !== undefined &&
    from !== undefined &&
    status !== undefined &&
    snapshot !== undefined &&
    from.previous === status &&
    unchangedSince(ctx, from, pod, snapshot, memory, optionsKey(options)) &&
    ctx.status.isConfirmed(pod, status)
  )
}

/**
 * Makes `stored` (the API object a publish left, e.g. with the status just written) and the last
 * snapshot the pod and snapshot of the cached status' inputs, when generating from them at `now`
 * gives that same status; returns whether they are now. A write's own informer echo (or a snapshot
 * without the dead instances just removed) then finds the cached status standing.
 */
export const adoptStored = (ctx: KubeletContext, stored: Pod, options: StatusOptions, now: number): boolean => {
  const memory = memoryOf(ctx, stored.metadata.uid ?? "")
  const from = memory.published
  const status = memory.status
  const snapshot = memory.snapshot
  if (from === undefined || status === undefined || snapshot === undefined) return false
  if (from.pod === stored && from.snapshot === snapshot && from.previous === status) return true
  // every other input is the one the cached status was generated from, and it is its own previous
  const next: PublishedFrom = {
    ...from,
    pod: stored,
    snapshot,
    previous: status,
    probes: snapshot.containers.map((c) => ctx.probeResults.get(c.id))
  }
  if (!unchangedSince(ctx, next, stored, snapshot, memory, optionsKey(options))) return false
  // the status written for the pod it was generated from is its own fixed point where nothing reads the
  // previous status (else generated again to see)
  const fixed =
    from.previous !== undefined &&
    from.snapshot === snapshot &&
    sameProbes(ctx, from.probes, snapshot) &&
    regeneratesItself(from.pod, stored, snapshot, status)
  if (!fixed && !jsonEqual(generate(ctx, stored, snapshot, options, now), status)) return false
  memory.published = next
  return true
}
