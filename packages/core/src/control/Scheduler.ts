/**
 * The default scheduler (`kube-scheduler`, profile `default-scheduler`): one fiber that takes
 * pending pods from a priority queue, decides with the pure `SchedulingDecision`, and binds
 * (`ObjectStore.bind`: `spec.nodeName` + `PodScheduled=True`, event `Scheduled`). A pod that fits
 * nowhere gets `PodScheduled=False` reason `Unschedulable` with the FitError message and a
 * `FailedScheduling` event, and waits until a node is added or changes, a bound pod goes away or
 * ends, the pod itself changes, or 5 minutes pass (`podMaxInUnschedulablePodsDuration`).
 *
 * The node cache is incremental: each node keeps the requests of the non-terminal pods bound to it
 * (assumed at bind time, confirmed by the watch), so a decision never scans pods; for plain pods the
 * `ScoreIndex` answers without a filter pass over the nodes either.
 * Gated pods (`spec.schedulingGates`), pods of another scheduler and bound pods are left alone.
 */
import type { Scope } from "effect"
import { Clock, Effect, Queue } from "effect"
import type { Node } from "../api/Objects.js"
import { jsonEqual } from "../api/Patch.js"
import type { Pod, PodCondition } from "../api/Pod.js"
import { toRfc3339 } from "../domain/Time.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { InformerEvent, SharedInformers } from "./Informer.js"
import { keyOf, makeSharedInformers } from "./Informer.js"
import type { NodeInput, NodeState, PodUsage } from "./SchedulingDecision.js"
import {
  accountPod,
  hostPortKeys,
  makeNodeState,
  podRequests,
  ReasonUnschedulable,
  scheduleOne,
  schedulingPod,
  updateNodeState
} from "./SchedulingDecision.js"
import { makeScoreIndex } from "./ScoreIndex.js"

/** The scheduler's name (`spec.schedulerName` default, event source). */
export const DefaultSchedulerName = "default-scheduler"

/** `podMaxInUnschedulablePodsDuration`: unschedulable pods are retried at least this often. */
export const UnschedulableRetryMillis = 5 * 60_000

export interface Scheduler {
  /** a pod waits in the active queue or a scheduling attempt is in flight */
  readonly busy: () => boolean
  /** pods waiting for a change that may make them schedulable */
  readonly unschedulable: () => number
}

export interface SchedulerOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly recorder: EventRecorder["Service"]
}

/** A pod waiting in the active queue. */
export interface Pending {
  readonly uid: string
  readonly key: string
  readonly priority: number
  readonly seq: number
}

/** A binary min-heap of pending pods by (higher priority first, then arrival). */
export class ActiveQueue {
  private readonly items: Array<Pending> = []
  private readonly members = new Set<string>()

  get size(): number {
    return this.items.length
  }

  has(uid: string): boolean {
    return this.members.has(uid)
  }

  private less(a: Pending, b: Pending): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq
  }

  push(item: Pending): void {
    if (this.members.has(item.uid)) return
    this.members.add(item.uid)
    const items = this.items
    let i = items.length
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const above = items[parent]!
      if (!this.less(item, above)) break
      items[i] = above
      i = parent
    }
    items[i] = item
  }

  pop(): Pending | undefined {
    const items = this.items
    const top = items[0]
    if (top === undefined) return undefined
    const last = items.pop()!
    const n = items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const child = r < n && this.less(items[r]!, items[l]!) ? r : l
        const below = items[child]!
        if (!this.less(below, last)) break
        items[i] = below
        i = child
      }
      items[i] = last
    }
    this.members.delete(top.uid)
    return top
  }

  /** lazily dropped: popped entries are checked against the cache */
  forget(uid: string): void {
    this.members.delete(uid)
  }
}

const nodeInput = (node: Node): NodeInput => ({
  name: node.metadata.name ?? "",
  ...(node.metadata.labels !== undefined ? { labels: node.metadata.labels } : {}),
  ...(node.spec?.unschedulable !== undefined ? { unschedulable: node.spec.unschedulable } : {}),
  ...(node.spec?.taints !== undefined ? { taints: node.spec.taints } : {}),
  ...(node.status?.allocatable !== undefined ? { allocatable: node.status.allocatable } : {})
})

const isTerminal = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed"

const isGated = (pod: Pod): boolean => (pod.spec.schedulingGates ?? []).length > 0

const usageOf = (pod: Pod): PodUsage => ({ requests: podRequests(pod.spec), hostPorts: hostPortKeys(pod.spec) })

/** The pod's PodScheduled=False/Unschedulable condition, or undefined when it already says so. */
export const unschedulableCondition = (pod: Pod, message: string, now: number): PodCondition | undefined => {
  const old = pod.status?.conditions?.find((c) => c.type === "PodScheduled")
  if (old !== undefined && old.status === "False" && old.reason === ReasonUnschedulable && old.message === message) {
    return undefined
  }
  return {
    type: "PodScheduled",
    status: "False",
    lastProbeTime: null,
    lastTransitionTime:
      old?.status === "False" && old.lastTransitionTime !== undefined ? old.lastTransitionTime : toRfc3339(now),
    reason: ReasonUnschedulable,
    message
  }
}

/** Starts the scheduler in the current scope. */
export const makeScheduler = Effect.fnUntraced(function* (
  options: SchedulerOptions
): Effect.fn.Return<Scheduler, never, Scope.Scope> {
  const { store, recorder } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  const nodes = new Map<string, NodeState>()
  /** nodes sorted by name: the order the round robin walks */
  let order: Array<NodeState> = []
  /** the cycle's answer for plain pods without a filter pass; told of every change to `order` and its nodes */
  const scores = makeScoreIndex()
  let nextStartIndex = 0
  /** uid → the node a non-terminal bound (or assumed) pod uses, and what it uses */
  const bound = new Map<string, { readonly node: string; readonly usage: PodUsage }>()
  const active = new ActiveQueue()
  /** uid → when it last failed */
  const unschedulable = new Map<string, { readonly key: string; readonly at: number }>()
  const signal = yield* Queue.sliding<void>(1)
  let seq = 0
  let inFlight = false

  const wake = (): void => {
    Queue.offerUnsafe(signal, undefined)
  }

  const enqueue = (pod: Pod): void => {
    const uid = pod.metadata.uid ?? ""
    unschedulable.delete(uid)
    if (active.has(uid)) return
    active.push({ uid, key: keyOf(pod), priority: pod.spec.priority ?? 0, seq: seq++ })
    wake()
  }

  /** moveAllToActiveOrBackoffQueue: a change that may help every unschedulable pod */
  const flushUnschedulable = (): void => {
    if (unschedulable.size === 0) return
    for (const [uid, entry] of unschedulable) {
      const pod = pods.get(entry.key)
      if (pod !== undefined && pod.metadata.uid === uid) {
        active.push({ uid, key: entry.key, priority: pod.spec.priority ?? 0, seq: seq++ })
      }
    }
    unschedulable.clear()
    wake()
  }

  const release = (uid: string): boolean => {
    const entry = bound.get(uid)
    if (entry === undefined) return false
    bound.delete(uid)
    const node = nodes.get(entry.node)
    if (node !== undefined) {
      accountPod(node, entry.usage, -1)
      scores.changed(node)
    }
    return true
  }

  const assume = (uid: string, nodeName: string, usage: PodUsage): void => {
    bound.set(uid, { node: nodeName, usage })
    const node = nodes.get(nodeName)
    if (node !== undefined) {
      accountPod(node, usage, 1)
      scores.changed(node)
    }
  }

  // ---- informers ----------------------------------------------------------------------------

  const onNode = (event: InformerEvent<Node>): void => {
    const name = event.object.metadata.name ?? ""
    if (event.type === "DELETED") {
      nodes.delete(name)
      order = order.filter((n) => n.name !== name)
      scores.reset(order)
      return
    }
    const input = nodeInput(event.object)
    const existing = nodes.get(name)
    if (existing === undefined) {
      const state = makeNodeState(input)
      for (const entry of bound.values()) if (entry.node === name) accountPod(state, entry.usage, 1)
      nodes.set(name, state)
      let at = order.length
      while (at > 0 && order[at - 1]!.name > name) at--
      order.splice(at, 0, state)
      scores.reset(order)
      flushUnschedulable()
      return
    }
    const old = event.old === undefined ? undefined : nodeInput(event.old)
    updateNodeState(existing, input)
    scores.changed(existing)
    if (old === undefined || !jsonEqual(old, input)) flushUnschedulable()
  }

  const onPod = (event: InformerEvent<Pod>): void => {
    const pod = event.object
    const uid = pod.metadata.uid ?? ""
    if (event.type === "DELETED") {
      active.forget(uid)
      unschedulable.delete(uid)
      if (release(uid)) flushUnschedulable()
      return
    }
    const nodeName = pod.spec.nodeName ?? ""
    if (nodeName !== "") {
      active.forget(uid)
      unschedulable.delete(uid)
      if (isTerminal(pod)) {
        if (release(uid)) flushUnschedulable()
        return
      }
      const entry = bound.get(uid)
      if (entry?.node === nodeName) return
      if (entry !== undefined) release(uid)
      assume(uid, nodeName, usageOf(pod))
      return
    }
    if (pod.metadata.deletionTimestamp !== undefined || isGated(pod) || isTerminal(pod)) {
      active.forget(uid)
      unschedulable.delete(uid)
      return
    }
    if ((pod.spec.schedulerName ?? DefaultSchedulerName) !== DefaultSchedulerName) return
    if (unschedulable.has(uid)) {
      const old = event.old
      if (old !== undefined && jsonEqual(old.spec, pod.spec)) return
    }
    if (!active.has(uid)) enqueue(pod)
  }

  yield* shared.informer<Node>("nodes", onNode)
  const pods = yield* shared.informer<Pod>("pods", onPod)

  // ---- one scheduling cycle -----------------------------------------------------------------

  const podRef = (pod: Pod) => ({
    apiVersion: "v1",
    kind: "Pod",
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name ?? "",
    uid: pod.metadata.uid ?? ""
  })

  const markUnschedulable = Effect.fnUntraced(function* (pod: Pod, message: string) {
    const now = yield* Clock.currentTimeMillis
    const uid = pod.metadata.uid ?? ""
    unschedulable.set(uid, { key: keyOf(pod), at: now })
    yield* recorder.record({
      involvedObject: podRef(pod),
      type: "Warning",
      reason: "FailedScheduling",
      message,
      source: { component: DefaultSchedulerName }
    })
    const condition = unschedulableCondition(pod, message, now)
    if (condition === undefined) return
    const conditions = pod.status?.conditions ?? []
    const next: Pod = {
      ...pod,
      status: {
        ...pod.status,
        conditions: conditions.some((c) => c.type === "PodScheduled")
          ? conditions.map((c) => (c.type === "PodScheduled" ? condition : c))
          : [...conditions, condition]
      }
    }
    yield* store
      .updateStatus("pods", next)
      .pipe(Effect.catch((error) => Effect.logDebug("scheduler: condition not written", pod.metadata.name, error)))
  })

  const bind = (pod: Pod, node: NodeState, usage: PodUsage): Effect.Effect<void> => {
    const uid = pod.metadata.uid ?? ""
    const namespace = pod.metadata.namespace ?? "default"
    const name = pod.metadata.name ?? ""
    assume(uid, node.name, usage)
    // recorded first so the event precedes the kubelet's (same instant; upstream records right after binding)
    const scheduled = recorder.record({
      involvedObject: podRef(pod),
      type: "Normal",
      reason: "Scheduled",
      message: `Successfully assigned ${namespace}/${name} to ${node.name}`,
      source: { component: DefaultSchedulerName }
    })
    return Effect.andThen(
      scheduled,
      Effect.catch(Effect.asVoid(store.bind(namespace, name, node.name, { uid })), () =>
        Effect.sync(() => {
          if (bound.get(uid)?.node === node.name) release(uid)
          const current = pods.get(keyOf(pod))
          if (current?.metadata.uid === uid && (current.spec.nodeName ?? "") === "") enqueue(current)
        })
      )
    )
  }

  const scheduleNext = (item: Pending): Effect.Effect<void> => {
    const pod = pods.get(item.key)
    if (pod === undefined || pod.metadata.uid !== item.uid || bound.has(item.uid)) return Effect.void
    if ((pod.spec.nodeName ?? "") !== "" || pod.metadata.deletionTimestamp !== undefined || isGated(pod)) {
      return Effect.void
    }
    const compiled = schedulingPod(pod.spec)
    const result = scores.schedule(compiled, nextStartIndex) ?? scheduleOne(compiled, order, nextStartIndex)
    nextStartIndex = result.nextStartIndex
    return result._tag === "Scheduled"
      ? bind(pod, result.node, { requests: compiled.requests, hostPorts: compiled.hostPorts })
      : markUnschedulable(pod, result.message)
  }

  /** The earliest time an unschedulable pod is due for its periodic retry. */
  const nextPeriodicRetry = (): number | undefined => {
    let earliest: number | undefined
    for (const entry of unschedulable.values()) {
      const due = entry.at + UnschedulableRetryMillis
      if (earliest === undefined || due < earliest) earliest = due
    }
    return earliest
  }

  const retryDue = (now: number): void => {
    let moved = false
    for (const [uid, entry] of unschedulable) {
      if (entry.at + UnschedulableRetryMillis > now) continue
      unschedulable.delete(uid)
      const pod = pods.get(entry.key)
      if (pod?.metadata.uid === uid) {
        active.push({ uid, key: entry.key, priority: pod.spec.priority ?? 0, seq: seq++ })
        moved = true
      }
    }
    if (moved) wake()
  }

  const loop = Effect.gen(function* () {
    while (true) {
      const item = active.pop()
      if (item === undefined) {
        const now = yield* Clock.currentTimeMillis
        retryDue(now)
        if (active.size > 0) continue
        const due = nextPeriodicRetry()
        if (due === undefined) yield* Queue.take(signal)
        else yield* Effect.timeoutOption(Queue.take(signal), Math.max(0, due - now))
        continue
      }
      inFlight = true
      const exit = yield* Effect.exit(Effect.suspend(() => scheduleNext(item)))
      inFlight = false
      if (exit._tag === "Failure") yield* Effect.logError("scheduler: scheduling cycle failed", item.key, exit.cause)
    }
  })

  yield* Effect.forkScoped(loop, { startImmediately: true })

  return {
    busy: () => inFlight || active.size > 0,
    unschedulable: () => unschedulable.size
  }
})
