/**
 * The node lifecycle controller (`pkg/controller/nodelifecycle`, spec §10.2, RTM-9): it watches
 * nodes and their Leases, notes when each node last showed a sign of life, and once that is
 * `node-monitor-grace-period` (50 s) old turns the node's conditions `Unknown`. It keeps the taints
 * it owns in step with the node (NoSchedule taints for bad conditions and cordoned nodes; the
 * not-ready / unreachable NoExecute taints the taint eviction controller acts on) and marks the
 * pods of a node that is not Ready as not Ready (`MarkPodsNotReady`, event `NodeNotReady`).
 *
 * Legacy mode (`nodeLifecycle: "legacy"`, the pre-v1.27 path the seed document describes): no
 * NoExecute taints; the pods of an unreachable node show phase `Unknown` / `NodeLost`, and 5 minutes
 * after its last heartbeat (`pod-eviction-timeout`) they become `Failed` and are deleted, so their
 * controllers replace them elsewhere. Zone disruption modes and eviction rate limits are not modelled.
 */
import type { Scope } from "effect"
import { Clock, Effect, Semaphore } from "effect"
import type { Lease, Node, ObjectReference } from "../api/Objects.js"
import type { Pod, PodStatus } from "../api/Pod.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { Informer, SharedInformers } from "./Informer.js"
import { makeSharedInformers } from "./Informer.js"
import type { Heartbeat, NodeLifecycleMode } from "./NodeHealth.js"
import {
  conditionNoScheduleTaints,
  heartbeatAdvanced,
  isDaemonSetPod,
  NodeMonitorGracePeriodMillis,
  nodeLostFailedStatus,
  nodeLostStatus,
  noExecuteTaintFor,
  overdueConditions,
  PodEvictionTimeoutMillis,
  podNotReadyStatus,
  readyCondition,
  readyStatus,
  reconcileTaints
} from "./NodeHealth.js"
import { NodeLeaseNamespace } from "./NodeHeartbeat.js"
import type { NodePodIndex } from "./NodePodIndex.js"
import { makeNodePodIndex } from "./NodePodIndex.js"
import { makeWorkQueue } from "./WorkQueue.js"

export interface NodeLifecycleOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly recorder: EventRecorder["Service"]
  /** default `modern` */
  readonly mode?: NodeLifecycleMode
  /** default 50 s */
  readonly gracePeriodMillis?: number
  /** legacy mode: default 5 minutes */
  readonly podEvictionTimeoutMillis?: number
  /** the pods-by-node index, when shared with the other node controllers (default: its own) */
  readonly podsByNode?: NodePodIndex
}

export interface NodeLifecycle {
  readonly busy: () => boolean
  /** reconciles one node now (its health, taints and pods), without waiting for the watch */
  syncNode(name: string): Effect.Effect<void>
}

interface Health {
  heartbeat: Heartbeat
  /** when the controller last saw the node alive (epoch ms) */
  probe: number
  /** the Ready status seen at the previous reconcile */
  ready: string
  /** when Ready last left True (epoch ms) */
  notReadySince: number | undefined
  /** legacy: the pods were deleted already */
  evicted: boolean
  /** pods already marked since the node stopped being Ready (marked once, as upstream) */
  readonly marked: Set<string>
}

const source = { component: "node-controller" } as const

/** Retries a read-modify-write on Conflict (the informer copy may be stale; the store is read fresh). */
const retryConflicts = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  effect.pipe(Effect.retry({ while: (e) => e._tag === "Conflict", times: 5 }))

/** Starts the controller in the current scope. */
export const makeNodeLifecycle = Effect.fnUntraced(function* (
  options: NodeLifecycleOptions
): Effect.fn.Return<NodeLifecycle, never, Scope.Scope> {
  const { store, recorder } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  const mode = options.mode ?? "modern"
  const grace = options.gracePeriodMillis ?? NodeMonitorGracePeriodMillis
  const evictionTimeout = options.podEvictionTimeoutMillis ?? PodEvictionTimeoutMillis
  const health = new Map<string, Health>()
  const podsByNode = options.podsByNode ?? makeNodePodIndex()
  const lock = yield* Semaphore.make(1)
  /** the informers, once started (their handlers run while they start) */
  const informers: { leases?: Informer<Lease>; pods?: Informer<Pod> } = {}

  const nodeRef = (node: Node): ObjectReference => ({
    apiVersion: "v1",
    kind: "Node",
    name: node.metadata.name ?? "",
    uid: node.metadata.uid ?? ""
  })
  const podRef = (pod: Pod): ObjectReference => ({
    apiVersion: "v1",
    kind: "Pod",
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name ?? "",
    uid: pod.metadata.uid ?? ""
  })
  const nodeEvent = (node: Node, reason: string, message: string) =>
    recorder.record({ involvedObject: nodeRef(node), type: "Normal", reason, message, source })

  const podsOn = (nodeName: string): ReadonlyArray<Pod> => {
    const out: Array<Pod> = []
    for (const key of podsByNode.keys(nodeName)) {
      const pod = informers.pods?.get(key)
      if (pod !== undefined && pod.spec.nodeName === nodeName) out.push(pod)
    }
    return out
  }

  /** Writes a pod status computed from the stored pod; nothing when `compute` has nothing to change. */
  const updatePodStatus = (pod: Pod, compute: (current: Pod) => PodStatus | undefined) =>
    retryConflicts(
      Effect.gen(function* () {
        const current = yield* store.get<Pod>("pods", pod.metadata.namespace, pod.metadata.name ?? "")
        if (current.metadata.uid !== pod.metadata.uid) return undefined
        const status = compute(current)
        if (status === undefined) return undefined
        return (yield* store.updateStatus("pods", { ...current, status })).object
      })
    ).pipe(Effect.orElseSucceed(() => undefined))

  /**
   * MarkPodsNotReady (and, in legacy mode, the NodeLost phase) for the node's pods not marked yet:
   * once when the node stops being Ready, then for pods that arrive while it is not.
   */
  const markPods = Effect.fnUntraced(function* (node: Node, marked: Set<string>, now: number) {
    const name = node.metadata.name ?? ""
    const lost = mode === "legacy" && readyStatus(node) === "Unknown"
    for (const pod of podsOn(name)) {
      const key = `${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}/${pod.metadata.uid ?? ""}`
      if (marked.has(key)) continue
      marked.add(key)
      let markedNotReady = false
      const updated = yield* updatePodStatus(pod, (current) => {
        const notReady = podNotReadyStatus(current, now)
        markedNotReady = notReady !== undefined
        if (!lost) return notReady
        return nodeLostStatus({ ...current, status: notReady ?? current.status ?? {} }, name) ?? notReady
      })
      if (updated !== undefined && markedNotReady) {
        yield* recorder.record({
          involvedObject: podRef(pod),
          type: "Warning",
          reason: "NodeNotReady",
          message: "Node is not ready",
          source
        })
      }
    }
  })

  /** Legacy `DeletePods`: every pod of the node (DaemonSet pods aside) becomes Failed and is deleted. */
  const deletePods = Effect.fnUntraced(function* (node: Node) {
    const name = node.metadata.name ?? ""
    const victims = podsOn(name).filter((p) => p.metadata.deletionTimestamp === undefined && !isDaemonSetPod(p))
    if (victims.length === 0) return
    yield* nodeEvent(node, "DeletingAllPods", `Node ${name} event: Deleting all Pods from Node ${name}.`)
    for (const pod of victims) {
      yield* updatePodStatus(pod, (current) => nodeLostFailedStatus(current, name))
      yield* recorder.record({
        involvedObject: podRef(pod),
        type: "Normal",
        reason: "NodeControllerEviction",
        message: `Marking for deletion Pod ${pod.metadata.name ?? ""} from Node ${name}`,
        source
      })
      yield* store
        .delete("pods", pod.metadata.namespace, pod.metadata.name ?? "", {
          ...(pod.metadata.uid !== undefined ? { preconditions: { uid: pod.metadata.uid } } : {})
        })
        .pipe(Effect.ignore)
    }
  })

  /** The node with its conditions turned Unknown (a fresh read, retried on conflicts). */
  const markOverdue = (name: string, now: number) =>
    retryConflicts(
      Effect.gen(function* () {
        const node = yield* store.get<Node>("nodes", undefined, name)
        const conditions = overdueConditions(node, now)
        if (conditions === undefined) return node
        return (yield* store.updateStatus("nodes", { ...node, status: { ...node.status, conditions } })).object
      })
    )

  /** The node's taints after the NoSchedule and NoExecute passes. */
  const syncTaints = (name: string, now: number) =>
    retryConflicts(
      Effect.gen(function* () {
        const node = yield* store.get<Node>("nodes", undefined, name)
        const noExecute = mode === "modern" ? noExecuteTaintFor(readyStatus(node)) : undefined
        const taints = reconcileTaints(node.spec?.taints ?? [], conditionNoScheduleTaints(node), noExecute, now)
        if (taints === undefined) return node
        return (yield* store.update("nodes", { ...node, spec: { ...node.spec, taints } })).object
      })
    )

  const reconcile = (name: string): Effect.Effect<void> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      let node = yield* store.get<Node>("nodes", undefined, name).pipe(Effect.orElseSucceed(() => undefined))
      if (node === undefined) {
        const known = health.get(name)
        if (known !== undefined) {
          health.delete(name)
          yield* recorder.record({
            involvedObject: { apiVersion: "v1", kind: "Node", name, uid: "" },
            type: "Normal",
            reason: "RemovingNode",
            message: `Node ${name} event: Removing Node ${name} from Controller`,
            source
          })
        }
        return
      }
      const heartbeat: Heartbeat = {
        renewTime: informers.leases?.get(`${NodeLeaseNamespace}/${name}`)?.spec?.renewTime,
        readyHeartbeat: readyCondition(node)?.lastHeartbeatTime
      }
      let h = health.get(name)
      if (h === undefined) {
        h = {
          heartbeat,
          probe: now,
          ready: readyStatus(node),
          notReadySince: undefined,
          evicted: false,
          marked: new Set()
        }
        health.set(name, h)
        yield* nodeEvent(node, "RegisteredNode", `Node ${name} event: Registered Node ${name} in Controller`)
      } else if (heartbeatAdvanced(h.heartbeat, heartbeat)) {
        h.heartbeat = heartbeat
        h.probe = now
      }

      if (now >= h.probe + grace) {
        const written = yield* markOverdue(name, now).pipe(Effect.orElseSucceed(() => undefined))
        if (written === undefined) {
          yield* queue.addAfter(name, 1_000)
        } else {
          node = written
          h.heartbeat = { ...h.heartbeat, readyHeartbeat: readyCondition(node)?.lastHeartbeatTime }
        }
      } else {
        yield* queue.addAfter(name, h.probe + grace - now)
      }

      node = yield* syncTaints(name, now).pipe(Effect.orElseSucceed(() => node!))
      const ready = readyStatus(node)
      if (ready === "True") {
        h.ready = ready
        h.notReadySince = undefined
        h.evicted = false
        h.marked.clear()
        return
      }
      if (h.ready === "True") {
        h.notReadySince = now
        yield* nodeEvent(node, "NodeNotReady", `Node ${name} status is now: NodeNotReady`)
      }
      h.ready = ready
      yield* markPods(node, h.marked, now)
      if (mode !== "legacy" || h.evicted) return
      const since = ready === "Unknown" ? h.probe : (h.notReadySince ?? now)
      if (now >= since + evictionTimeout) {
        h.evicted = true
        yield* deletePods(node)
      } else {
        yield* queue.addAfter(name, since + evictionTimeout - now)
      }
    }).pipe(lock.withPermits(1))

  // the queue before the informers: they report their initial objects while they start
  const queue = yield* makeWorkQueue("node-lifecycle", reconcile)
  informers.leases = yield* shared.informer<Lease>("leases", (event) => {
    if (event.object.metadata.namespace === NodeLeaseNamespace) queue.add(event.object.metadata.name ?? "")
  })
  yield* shared.informer<Node>("nodes", (event) => queue.add(event.object.metadata.name ?? ""))
  informers.pods = yield* shared.informer<Pod>("pods", (event) => {
    const before = event.old?.spec.nodeName ?? ""
    const node = podsByNode.observe(event)
    if (node === "" || node === before) return
    const h = health.get(node)
    if (h !== undefined && h.ready !== "True") queue.add(node)
  })

  return { busy: queue.busy, syncNode: reconcile }
})
