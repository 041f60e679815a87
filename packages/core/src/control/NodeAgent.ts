/**
 * The node-level half of a kubelet that the pod workers do not cover: its link to the API server
 * (partitions), its heartbeats (Lease and node status), and its eviction manager (node-pressure
 * and disk-failure evictions, spec §10.4 / §10.6, and the kernel OOM killer under memory pressure).
 * Faults drive it: a partition cuts the link, a disk failure or memory pressure changes what the
 * node reports and whom the kubelet evicts. When a partition heals, the agent does what the
 * kubelet's status manager does on reconnect (`syncBatch`): it writes the statuses the kubelet
 * generated meanwhile over what the control plane wrote (Ready=False, NodeLost), lets the held
 * watch events through and renews the Lease at once (not at its next tick: a partition that ends
 * within the grace period never looks like a lost node).
 */
import type { Scope } from "effect"
import { Clock, Effect, Queue } from "effect"
import type { Pod, PodStatus } from "../api/Pod.js"
import { kubeletConditionTypes } from "../domain/Conditions.js"
import type { Kubelet } from "../kubelet/Kubelet.js"
import { podReference } from "../kubelet/KubeletContext.js"
import type { Eviction } from "../kubelet/Terminate.js"
import type { ContainerRuntime } from "../services/ContainerRuntime.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { MemoryPressureOptions } from "../services/Faults.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { NodeHeartbeat } from "./NodeHeartbeat.js"
import { startNodeHeartbeat } from "./NodeHeartbeat.js"
import type { NodeLink } from "./NodeLink.js"
import { makeNodeLink } from "./NodeLink.js"
import type { PressureState } from "./NodePressure.js"
import {
  EvictionMonitoringMillis,
  lowResourceMessage,
  MemoryEvictionThreshold,
  nodeConditionMessage,
  noPressure,
  rankForMemoryEviction,
  rankForOomKill
} from "./NodePressure.js"

export interface NodeAgentOptions {
  /** the API storage itself (the agent builds the node's link over it) */
  readonly store: ObjectStore["Service"]
  readonly recorder: EventRecorder["Service"]
  readonly nodeName: string
}

export interface NodeAgent {
  readonly nodeName: string
  /** the node's connection to the API server (the kubelet's ObjectStore) */
  readonly link: NodeLink
  readonly pressure: () => PressureState
  /** the kubelet's extra pod sync handler: the eviction asked for this pod, if any */
  readonly evictionOf: (pod: Pod) => Eviction | undefined
  /** starts the heartbeats and the eviction manager for the node's kubelet and runtime */
  attach(kubelet: Kubelet, runtime: ContainerRuntime["Service"]): Effect.Effect<void, never, Scope.Scope>
  /** stops (true) or resumes (false) the node's conversation with the API server */
  partition(on: boolean): Effect.Effect<void>
  /** the node's disk dies: DiskPressure is reported (after `evict`, every pod is evicted) */
  readonly failDisk: Effect.Effect<void>
  /** memory.available drops under the hard threshold (after `evict`, one pod per 10 s) */
  memoryPressure(options?: MemoryPressureOptions): Effect.Effect<void>
  /** the pressure and the disk failure end (conditions clear after the 5-minute transition period) */
  readonly recover: Effect.Effect<void>
  /** runs the eviction manager now (then every 10 s while under pressure) */
  readonly evict: Effect.Effect<void>
}

const isTerminal = (status: PodStatus | undefined): boolean =>
  status?.phase === "Succeeded" || status?.phase === "Failed"

/**
 * The status the reconnecting kubelet writes (`mergePodStatus`): its own generated status, with the
 * conditions it does not own kept from the API and a terminal API phase kept.
 */
export const reconnectStatus = (api: PodStatus | undefined, cached: PodStatus): PodStatus => {
  const foreign = (api?.conditions ?? []).filter((c) => !kubeletConditionTypes.has(c.type))
  const own = (cached.conditions ?? []).filter((c) => kubeletConditionTypes.has(c.type))
  const base: PodStatus = { ...cached, conditions: [...foreign, ...own] }
  if (api?.phase === undefined || !isTerminal(api) || isTerminal(cached)) return base
  return { ...base, phase: api.phase, ...(api.reason !== undefined ? { reason: api.reason } : {}) }
}

/** Creates a node's agent (its link and pressure state); `attach` starts its loops. */
export const makeNodeAgent = Effect.fnUntraced(function* (options: NodeAgentOptions): Effect.fn.Return<NodeAgent> {
  const { store, recorder, nodeName } = options
  const link = makeNodeLink(store, nodeName)
  const evictions = new Map<string, Eviction>()
  let state: PressureState = noPressure
  let kubelet: Kubelet | undefined
  let runtime: ContainerRuntime["Service"] | undefined
  let heartbeat: NodeHeartbeat | undefined
  const signal = yield* Queue.sliding<void>(1)

  const nodeRef = { kind: "Node", name: nodeName, uid: nodeName, apiVersion: "v1" } as const
  const source = { component: "kubelet", host: nodeName } as const

  /** pods the kubelet runs and could still evict */
  const activePods = (): ReadonlyArray<Pod> => {
    if (kubelet === undefined) return []
    const ctx = kubelet.context
    const out: Array<Pod> = []
    for (const [uid, pod] of ctx.pods) {
      if (pod.metadata.deletionTimestamp !== undefined || evictions.has(uid)) continue
      const memory = ctx.memory.get(uid)
      if (memory?.terminated === true || isTerminal(memory?.status ?? pod.status)) continue
      out.push(pod)
    }
    return out
  }

  const evictPod = (pod: Pod, message: string) =>
    Effect.gen(function* () {
      const uid = pod.metadata.uid ?? ""
      evictions.set(uid, {
        reason: "Evicted",
        message,
        gracePeriodSeconds: 0,
        disruptionReason: "TerminationByKubelet"
      })
      yield* recorder.record({ involvedObject: podReference(pod), type: "Warning", reason: "Evicted", message, source })
      if (kubelet !== undefined) yield* kubelet.context.wake(uid)
    })

  /** `managerImpl.synchronize`: one pass of the eviction manager. */
  const synchronize = Effect.gen(function* () {
    if (kubelet !== undefined)
      for (const uid of evictions.keys()) if (!kubelet.context.pods.has(uid)) evictions.delete(uid)
    if (state.diskFailed) {
      const message = nodeConditionMessage(["DiskPressure"])
      for (const pod of activePods()) yield* evictPod(pod, message)
      return
    }
    if (state.memory === undefined) return
    yield* recorder.record({
      involvedObject: nodeRef,
      type: "Warning",
      reason: "EvictionThresholdMet",
      message: "Attempting to reclaim memory",
      source
    })
    const victim = rankForMemoryEviction(activePods())[0]
    if (victim !== undefined) {
      yield* evictPod(victim, lowResourceMessage("memory", MemoryEvictionThreshold, state.memory.available))
    }
  })

  /** the kernel OOM killer: the highest-scored pod's first running container dies with 137 */
  const oomKill = Effect.gen(function* () {
    if (kubelet === undefined || runtime === undefined) return
    for (const pod of rankForOomKill(activePods())) {
      const instances = yield* runtime.listContainers(pod.metadata.uid ?? "")
      const running = instances
        .filter((c) => c.state === "running")
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0]
      if (running === undefined) continue
      yield* recorder.record({
        involvedObject: nodeRef,
        type: "Warning",
        reason: "SystemOOM",
        message: `System OOM encountered, victim process: ${running.name}`,
        source
      })
      yield* runtime.killContainer(running.id, 137, "OOMKilled")
      return
    }
  })

  const postStatus = Effect.suspend(() => heartbeat?.postStatus ?? Effect.void)

  /** On reconnect: the kubelet's statuses over the control plane's, then the held events, then pending confirmations. */
  const reconnect = Effect.gen(function* () {
    if (kubelet === undefined) return yield* link.connect
    const ctx = kubelet.context
    for (const [uid, pod] of ctx.pods) {
      const cached = ctx.memory.get(uid)?.status
      if (cached === undefined) continue
      const current = yield* store
        .get<Pod>("pods", pod.metadata.namespace, pod.metadata.name ?? "")
        .pipe(Effect.orElseSucceed(() => undefined))
      if (current === undefined || current.metadata.uid !== uid) continue
      const status = reconnectStatus(current.status, cached)
      yield* store.updateStatus("pods", { ...current, status }).pipe(Effect.ignore)
    }
    yield* link.connect
    if (heartbeat !== undefined) yield* heartbeat.renewLease
    for (const [uid, memory] of ctx.memory) {
      if (memory.terminated && memory.pod?.metadata.deletionTimestamp !== undefined) yield* ctx.wake(uid)
    }
  })

  return {
    nodeName,
    link,
    pressure: () => state,
    evictionOf: (pod) => evictions.get(pod.metadata.uid ?? ""),
    attach: (k, r) =>
      Effect.gen(function* () {
        kubelet = k
        runtime = r
        heartbeat = yield* startNodeHeartbeat({ store: link.store, recorder, nodeName, pressure: () => state })
        yield* Effect.gen(function* () {
          while (true) {
            if (state.diskFailed || state.memory !== undefined) {
              yield* Effect.timeoutOption(Queue.take(signal), EvictionMonitoringMillis)
            } else yield* Queue.take(signal)
            yield* synchronize
          }
        }).pipe(Effect.forkScoped({ startImmediately: true }))
      }),
    partition: (on) => (on ? link.disconnect : link.connected() ? Effect.void : reconnect),
    failDisk: Effect.suspend(() => {
      state = { ...state, diskFailed: true }
      return postStatus
    }),
    memoryPressure: (pressureOptions = {}) =>
      Effect.gen(function* () {
        state = { ...state, memory: { available: pressureOptions.available ?? "50Mi" } }
        if (pressureOptions.oomKill === true) yield* oomKill
        yield* postStatus
      }),
    recover: Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      state = {
        ...(state.memory !== undefined
          ? { memoryEndedAt: now }
          : state.memoryEndedAt !== undefined
            ? { memoryEndedAt: state.memoryEndedAt }
            : {}),
        diskFailed: false,
        ...(state.diskFailed
          ? { diskEndedAt: now }
          : state.diskEndedAt !== undefined
            ? { diskEndedAt: state.diskEndedAt }
            : {})
      }
      yield* postStatus
    }),
    evict: Effect.sync(() => {
      Queue.offerUnsafe(signal, undefined)
    })
  }
})
