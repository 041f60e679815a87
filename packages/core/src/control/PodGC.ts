/**
 * The pod garbage collector (`pkg/controller/podgc`, spec §10.2 step 5, RTM-9): pods bound to a
 * node that no longer exists are, after a 40 s quarantine (and a fresh look at the API), marked
 * `Failed` with `DisruptionTarget=True` (`DeletionByPodGC`, `PodGC: node no longer exists`) and
 * force-deleted. Terminating pods on a node that is not Ready and carries the
 * `node.kubernetes.io/out-of-service` taint are marked Failed and force-deleted too.
 * (The terminated-pod threshold of 12,500 is not modelled.)
 */
import type { Scope } from "effect"
import { Clock, Effect, Semaphore } from "effect"
import type { Node } from "../api/Objects.js"
import type { Pod, PodCondition, PodStatus } from "../api/Pod.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { Informer, SharedInformers } from "./Informer.js"
import { makeSharedInformers } from "./Informer.js"
import { readyStatus, TaintNodeOutOfService } from "./NodeHealth.js"
import type { NodePodIndex } from "./NodePodIndex.js"
import { makeNodePodIndex } from "./NodePodIndex.js"
import { withPodCondition } from "./TaintEviction.js"
import { makeWorkQueue } from "./WorkQueue.js"

/** `quarantineTime`: how long a node must be gone before its pods are collected. */
export const PodGCQuarantineMillis = 40_000

/** The condition PodGC adds to an orphaned pod. */
export const podGCCondition = {
  type: "DisruptionTarget",
  status: "True",
  reason: "DeletionByPodGC",
  message: "PodGC: node no longer exists"
} as const

/**
 * `markFailedAndDeletePodWithCondition`, the status part: a non-terminal pod becomes Failed (with the
 * condition when given); undefined for a terminal pod (it is only deleted).
 */
export const podGCStatus = (
  pod: Pod,
  condition: Omit<PodCondition, "lastTransitionTime" | "lastProbeTime"> | undefined,
  now: number
): PodStatus | undefined => {
  const phase = pod.status?.phase
  if (phase === "Succeeded" || phase === "Failed") return undefined
  const conditions =
    condition === undefined ? undefined : withPodCondition(pod.status?.conditions ?? [], condition, now)
  return { ...pod.status, phase: "Failed", ...(conditions !== undefined ? { conditions } : {}) }
}

/** A node not Ready with the `out-of-service` NoExecute taint: its terminating pods are collected. */
const isOutOfService = (node: Node): boolean =>
  readyStatus(node) !== "True" &&
  (node.spec?.taints ?? []).some((t) => t.key === TaintNodeOutOfService && t.effect === "NoExecute")

export interface PodGCOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  /** the pods-by-node index, when shared with the other node controllers (default: its own) */
  readonly podsByNode?: NodePodIndex
}

export interface PodGC {
  readonly busy: () => boolean
}

/** Starts the collector in the current scope. */
export const makePodGC = Effect.fnUntraced(function* (
  options: PodGCOptions
): Effect.fn.Return<PodGC, never, Scope.Scope> {
  const { store } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  const podsByNode = options.podsByNode ?? makeNodePodIndex()
  const informers: { nodes?: Informer<Node>; pods?: Informer<Pod> } = {}
  /** node name → when it was first seen missing (epoch ms) */
  const missingSince = new Map<string, number>()
  const lock = yield* Semaphore.make(1)

  const markFailedAndDelete = Effect.fnUntraced(function* (
    pod: Pod,
    condition: Omit<PodCondition, "lastTransitionTime" | "lastProbeTime"> | undefined,
    now: number
  ) {
    const current = yield* store
      .get<Pod>("pods", pod.metadata.namespace, pod.metadata.name ?? "")
      .pipe(Effect.orElseSucceed(() => undefined))
    if (current === undefined || current.metadata.uid !== pod.metadata.uid) return
    const status = podGCStatus(current, condition, now)
    if (status !== undefined) yield* store.updateStatus("pods", { ...current, status }).pipe(Effect.ignore)
    yield* store
      .delete("pods", current.metadata.namespace, current.metadata.name ?? "", {
        gracePeriodSeconds: 0,
        ...(current.metadata.uid !== undefined ? { preconditions: { uid: current.metadata.uid } } : {})
      })
      .pipe(Effect.ignore)
  })

  /** `gcOrphaned` for one node name. */
  const collectOrphans = Effect.fnUntraced(function* (nodeName: string, now: number) {
    if (podsByNode.keys(nodeName).length === 0) return void missingSince.delete(nodeName)
    if (informers.nodes?.get(nodeName) !== undefined) return void missingSince.delete(nodeName)
    const since = missingSince.get(nodeName) ?? now
    missingSince.set(nodeName, since)
    if (now < since + PodGCQuarantineMillis) return yield* queue.addAfter(nodeName, since + PodGCQuarantineMillis - now)
    const exists = yield* store.get<Node>("nodes", undefined, nodeName).pipe(
      Effect.as(true),
      Effect.orElseSucceed(() => false)
    )
    if (exists) return void missingSince.delete(nodeName)
    missingSince.delete(nodeName)
    for (const key of podsByNode.keys(nodeName)) {
      const pod = informers.pods?.get(key)
      if (pod !== undefined) yield* markFailedAndDelete(pod, podGCCondition, now)
    }
  })

  /** `gcTerminating` for one existing node. */
  const collectOutOfService = Effect.fnUntraced(function* (node: Node, now: number) {
    if (!isOutOfService(node)) return
    for (const key of podsByNode.keys(node.metadata.name ?? "")) {
      const pod = informers.pods?.get(key)
      if (pod?.metadata.deletionTimestamp !== undefined) yield* markFailedAndDelete(pod, undefined, now)
    }
  })

  const reconcile = (nodeName: string): Effect.Effect<void> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const node = informers.nodes?.get(nodeName)
      if (node === undefined) yield* collectOrphans(nodeName, now)
      else yield* collectOutOfService(node, now)
    }).pipe(lock.withPermits(1))

  const queue = yield* makeWorkQueue("pod-gc", reconcile)
  informers.nodes = yield* shared.informer<Node>("nodes", (event) => queue.add(event.object.metadata.name ?? ""))
  informers.pods = yield* shared.informer<Pod>("pods", (event) => {
    const before = event.old?.spec.nodeName ?? ""
    const node = podsByNode.observe(event)
    if (node === "" || (node === before && event.object.metadata.deletionTimestamp === undefined)) return
    // a pod on an existing node that is not out of service: nothing to collect (node changes come
    // through the node informer)
    const current = informers.nodes?.get(node)
    if (current !== undefined && !isOutOfService(current)) return
    queue.add(node)
  })

  return { busy: queue.busy }
})
