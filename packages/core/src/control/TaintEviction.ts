/**
 * The taint eviction controller (`pkg/controller/tainteviction`, spec §10.2 step 4): pods on a node
 * with NoExecute taints are deleted — at once when a taint is not tolerated, at
 * `start + min(tolerationSeconds)` of the tolerations used otherwise, never when those tolerate
 * forever. Before deleting it adds `DisruptionTarget=True` (`DeletionByTaintManager`, `Taint
 * manager: deleting due to NoExecute taint`); the deletion is graceful, so a pod on a lost node stays
 * `Terminating` until its kubelet returns or PodGC removes it. Removing the taint (or a pod update
 * that tolerates it) cancels a scheduled deletion.
 */
import type { Scope } from "effect"
import { Clock, Effect, Semaphore } from "effect"
import type { Node, ObjectReference, Taint } from "../api/Objects.js"
import { jsonEqual } from "../api/Patch.js"
import type { Pod, PodCondition, Toleration } from "../api/Pod.js"
import { toRfc3339 } from "../domain/Time.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { Informer, SharedInformers } from "./Informer.js"
import { keyOf, makeSharedInformers } from "./Informer.js"
import type { NodePodIndex } from "./NodePodIndex.js"
import { makeNodePodIndex } from "./NodePodIndex.js"
import { makeWorkQueue } from "./WorkQueue.js"

/** `Toleration.ToleratesTaint`. */
const toleratesTaint = (t: Toleration, taint: Taint): boolean => {
  if ((t.effect ?? "") !== "" && t.effect !== taint.effect) return false
  if ((t.key ?? "") !== "" && t.key !== taint.key) return false
  const operator = t.operator ?? "Equal"
  if (operator === "Exists") return true
  return operator === "Equal" && (t.value ?? "") === (taint.value ?? "")
}

/** `GetMatchingTolerations`: are all taints tolerated, and the first toleration used for each. */
export const matchingTolerations = (
  taints: ReadonlyArray<Taint>,
  tolerations: ReadonlyArray<Toleration>
): { readonly allTolerated: boolean; readonly used: ReadonlyArray<Toleration> } => {
  const used: Array<Toleration> = []
  for (const taint of taints) {
    const match = tolerations.find((t) => toleratesTaint(t, taint))
    if (match === undefined) return { allTolerated: false, used: [] }
    used.push(match)
  }
  return { allTolerated: true, used }
}

/** `getMinTolerationTime` in ms: 0 for no tolerations, undefined for forever. */
export const minTolerationMillis = (used: ReadonlyArray<Toleration>): number | undefined => {
  if (used.length === 0) return 0
  let min: number | undefined
  for (const t of used) {
    if (t.tolerationSeconds === undefined) continue
    if (t.tolerationSeconds <= 0) return 0
    if (min === undefined || t.tolerationSeconds < min) min = t.tolerationSeconds
  }
  return min === undefined ? undefined : min * 1000
}

/**
 * What to do with a pod on a node with these NoExecute taints (`processPodOnNode`): nothing to
 * evict for (`cancel`), or evict `afterMillis` from the start of its eviction countdown.
 */
export const taintEvictionDecision = (
  taints: ReadonlyArray<Taint>,
  tolerations: ReadonlyArray<Toleration>
): { readonly _tag: "Cancel" } | { readonly _tag: "Evict"; readonly afterMillis: number } => {
  if (taints.length === 0) return { _tag: "Cancel" }
  const { allTolerated, used } = matchingTolerations(taints, tolerations)
  if (!allTolerated) return { _tag: "Evict", afterMillis: 0 }
  const min = minTolerationMillis(used)
  return min === undefined ? { _tag: "Cancel" } : { _tag: "Evict", afterMillis: min }
}

/** The condition the controller adds before deleting. */
export const taintEvictionCondition = {
  type: "DisruptionTarget",
  status: "True",
  reason: "DeletionByTaintManager",
  message: "Taint manager: deleting due to NoExecute taint"
} as const

/** `UpdatePodCondition`: the pod's conditions with `condition` set (transition time kept when the status is unchanged). */
export const withPodCondition = (
  conditions: ReadonlyArray<PodCondition>,
  condition: Omit<PodCondition, "lastTransitionTime" | "lastProbeTime">,
  now: number
): ReadonlyArray<PodCondition> | undefined => {
  const old = conditions.find((c) => c.type === condition.type)
  const next: PodCondition = {
    ...condition,
    lastProbeTime: null,
    lastTransitionTime:
      old !== undefined && old.status === condition.status && old.lastTransitionTime !== undefined
        ? old.lastTransitionTime
        : toRfc3339(now)
  }
  if (old === undefined) return [...conditions, next]
  if (old.status === next.status && old.reason === next.reason && old.message === next.message) return undefined
  return conditions.map((c) => (c === old ? next : c))
}

const noExecuteTaints = (node: Node | undefined): ReadonlyArray<Taint> =>
  (node?.spec?.taints ?? []).filter((t) => t.effect === "NoExecute")

const hasNoExecuteTaint = (node: Node | undefined): boolean =>
  (node?.spec?.taints ?? []).some((t) => t.effect === "NoExecute")

export interface TaintEvictionOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly recorder: EventRecorder["Service"]
  /** the pods-by-node index, when shared with the other node controllers (default: its own) */
  readonly podsByNode?: NodePodIndex
}

export interface TaintEviction {
  readonly busy: () => boolean
}

const source = { component: "taint-eviction-controller" } as const

/** Starts the controller in the current scope. */
export const makeTaintEviction = Effect.fnUntraced(function* (
  options: TaintEvictionOptions
): Effect.fn.Return<TaintEviction, never, Scope.Scope> {
  const { store, recorder } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  /** pod key → when its countdown started and when it fires (epoch ms) */
  const scheduled = new Map<string, { readonly createdAt: number; readonly fireAt: number }>()
  const podsByNode = options.podsByNode ?? makeNodePodIndex()
  const informers: { nodes?: Informer<Node>; pods?: Informer<Pod> } = {}
  const lock = yield* Semaphore.make(1)

  const podRef = (key: string): ObjectReference => {
    const [namespace, name] = key.split("/") as [string, string]
    return { apiVersion: "v1", kind: "Pod", namespace, name }
  }

  const cancel = (key: string) =>
    Effect.suspend(() => {
      if (!scheduled.delete(key)) return Effect.void
      return recorder.record({
        involvedObject: podRef(key),
        type: "Normal",
        reason: "TaintManagerEviction",
        message: `Cancelling deletion of Pod ${key}`,
        source
      })
    })

  const processPod = Effect.fnUntraced(function* (pod: Pod, taints: ReadonlyArray<Taint>, now: number) {
    const key = keyOf(pod)
    const decision = taintEvictionDecision(taints, pod.spec.tolerations ?? [])
    if (decision._tag === "Cancel") return yield* cancel(key)
    const existing = scheduled.get(key)
    if (decision.afterMillis === 0) {
      if (existing !== undefined && existing.fireAt <= now) return
      yield* cancel(key)
      scheduled.set(key, { createdAt: now, fireAt: now })
      return queue.add(`evict:${key}`)
    }
    if (existing !== undefined && existing.createdAt < now) return
    const createdAt = existing?.createdAt ?? now
    scheduled.set(key, { createdAt, fireAt: createdAt + decision.afterMillis })
    yield* queue.addAfter(`evict:${key}`, createdAt + decision.afterMillis - now)
  })

  /** `addConditionAndDeletePod` */
  const evict = Effect.fnUntraced(function* (key: string, now: number) {
    const entry = scheduled.get(key)
    if (entry === undefined) return
    if (entry.fireAt > now) return yield* queue.addAfter(`evict:${key}`, entry.fireAt - now)
    scheduled.delete(key)
    yield* recorder.record({
      involvedObject: podRef(key),
      type: "Normal",
      reason: "TaintManagerEviction",
      message: `Marking for deletion Pod ${key}`,
      source
    })
    const [namespace, name] = key.split("/") as [string, string]
    const pod = yield* store.get<Pod>("pods", namespace, name).pipe(Effect.orElseSucceed(() => undefined))
    if (pod === undefined) return
    const conditions = withPodCondition(pod.status?.conditions ?? [], taintEvictionCondition, now)
    if (conditions !== undefined) {
      yield* store.updateStatus("pods", { ...pod, status: { ...pod.status, conditions } }).pipe(Effect.ignore)
    }
    yield* store
      .delete("pods", namespace, name, {
        ...(pod.metadata.uid !== undefined ? { preconditions: { uid: pod.metadata.uid } } : {})
      })
      .pipe(Effect.ignore)
  })

  const reconcile = (item: string): Effect.Effect<void> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const colon = item.indexOf(":")
      const kind = item.slice(0, colon)
      const key = item.slice(colon + 1)
      if (kind === "evict") return yield* evict(key, now)
      if (kind === "node") {
        const taints = noExecuteTaints(informers.nodes?.get(key))
        for (const podKey of podsByNode.keys(key)) {
          const pod = informers.pods?.get(podKey)
          if (pod === undefined) continue
          if (taints.length === 0) yield* cancel(podKey)
          else yield* processPod(pod, taints, now)
        }
        return
      }
      const pod = informers.pods?.get(key)
      if (pod === undefined) return yield* cancel(key)
      const nodeName = pod.spec.nodeName ?? ""
      if (nodeName === "") return
      const taints = noExecuteTaints(informers.nodes?.get(nodeName))
      if (taints.length === 0) return
      yield* processPod(pod, taints, now)
    }).pipe(lock.withPermits(1))

  const queue = yield* makeWorkQueue("taint-eviction", reconcile)
  informers.nodes = yield* shared.informer<Node>("nodes", (event) => {
    const before = noExecuteTaints(event.old)
    const after = event.type === "DELETED" ? [] : noExecuteTaints(event.object)
    if (event.old !== undefined && event.type !== "DELETED" && jsonEqual(before, after)) return
    queue.add(`node:${event.object.metadata.name ?? ""}`)
  })
  informers.pods = yield* shared.informer<Pod>("pods", (event) => {
    podsByNode.observe(event)
    const old = event.old
    if (
      event.type === "MODIFIED" &&
      old !== undefined &&
      old.spec.nodeName === event.object.spec.nodeName &&
      jsonEqual(old.spec.tolerations ?? [], event.object.spec.tolerations ?? [])
    ) {
      return
    }
    // what the reconcile would do nothing about: no countdown to cancel, no NoExecute taint on the
    // node (a taint added later reaches the pod through the node's own reconcile)
    const key = event.key
    const nodeName = event.type === "DELETED" ? "" : (event.object.spec.nodeName ?? "")
    if (!scheduled.has(key) && (nodeName === "" || !hasNoExecuteTaint(informers.nodes?.get(nodeName)))) return
    queue.add(`pod:${key}`)
  })

  return { busy: queue.busy }
})
