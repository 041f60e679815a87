/**
 * A kubelet's heartbeats (`pkg/kubelet/nodelease`, `kubelet_node_status.go`): every 10 s it renews
 * its Lease `kube-node-lease/<node>` (`leaseDurationSeconds: 40`, renewed at a quarter of it) and
 * computes its node's conditions (`nodeStatusUpdateFrequency: 10s`), posting the node status when a
 * condition changed or 5 minutes passed since the last report (`nodeStatusReportFrequency: 5m`).
 * Condition changes are recorded as node events (`NodeHasInsufficientMemory`, `NodeReady`, ...).
 * Everything goes through the node's link, so a partitioned node's heartbeats simply fail.
 */
import type { Scope } from "effect"
import { Clock, Effect, Semaphore } from "effect"
import type { Lease, Node, ObjectReference } from "../api/Objects.js"
import { toRfc3339 } from "../domain/Time.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { PressureState } from "./NodePressure.js"
import { conditionEvent, kubeletNodeConditions, stampConditions } from "./NodePressure.js"

export const NodeLeaseNamespace = "kube-node-lease"
export const LeaseDurationSeconds = 40
/** `renewIntervalFraction` 0.25 of the lease duration */
export const LeaseRenewMillis = 10_000
export const NodeStatusUpdateMillis = 10_000
export const NodeStatusReportMillis = 5 * 60_000

/** `metav1.MicroTime` as the API writes it: `2025-01-01T00:00:10.000000Z`. */
export const toMicroTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

export interface NodeHeartbeatOptions {
  /** the store as the node reaches it (its link) */
  readonly store: ObjectStore["Service"]
  readonly recorder: EventRecorder["Service"]
  readonly nodeName: string
  readonly pressure: () => PressureState
}

export interface NodeHeartbeat {
  /** computes and posts the node status now if it changed (a pressure change does not wait for the tick) */
  readonly postStatus: Effect.Effect<void>
  /** renews the lease now (a reconnected kubelet does not wait for its next tick) */
  readonly renewLease: Effect.Effect<void>
}

/** Starts the heartbeats in the current scope: a renewal and a status check now, then every 10 s. */
export const startNodeHeartbeat = Effect.fnUntraced(function* (
  options: NodeHeartbeatOptions
): Effect.fn.Return<NodeHeartbeat, never, Scope.Scope> {
  const { store, recorder, nodeName } = options
  const lock = yield* Semaphore.make(1)
  let lastReport: number | undefined

  const nodeRef: ObjectReference = { kind: "Node", name: nodeName, uid: nodeName, apiVersion: "v1" }

  const renewLease = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const existing = yield* store.get<Lease>("leases", NodeLeaseNamespace, nodeName).pipe(Effect.result)
    if (existing._tag === "Success") {
      const lease = existing.success
      yield* store.update("leases", {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: nodeName,
          leaseDurationSeconds: LeaseDurationSeconds,
          renewTime: toMicroTime(now)
        }
      })
      return
    }
    if (existing.failure._tag !== "NotFound") return yield* existing.failure
    const node = yield* store.get<Node>("nodes", undefined, nodeName)
    yield* store.create("leases", {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: nodeName,
        namespace: NodeLeaseNamespace,
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: node.metadata.uid ?? "" }]
      },
      spec: { holderIdentity: nodeName, leaseDurationSeconds: LeaseDurationSeconds, renewTime: toMicroTime(now) }
    } satisfies Lease)
  }).pipe(Effect.catch((error) => Effect.logDebug("node lease not renewed", nodeName, error)))

  const updateStatus = (force: boolean) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const node = yield* store.get<Node>("nodes", undefined, nodeName)
      const previous = node.status?.conditions ?? []
      const values = kubeletNodeConditions(options.pressure(), now)
      const { conditions, changed } = stampConditions(values, previous, toRfc3339(now))
      const due = lastReport === undefined || now - lastReport >= NodeStatusReportMillis
      if (!changed && !(force && due)) return
      yield* store.updateStatus("nodes", { ...node, status: { ...node.status, conditions } })
      lastReport = now
      for (const value of values) {
        const old = previous.find((c) => c.type === value.type)
        if (old === undefined || old.status === value.status) continue
        if (value.type === "Ready" && value.status !== "True") continue
        const reason = conditionEvent(value.type, value.status)
        if (reason === undefined) continue
        yield* recorder.record({
          involvedObject: nodeRef,
          type: "Normal",
          reason,
          message: `Node ${nodeName} status is now: ${reason}`,
          source: { component: "kubelet", host: nodeName }
        })
      }
    }).pipe(
      lock.withPermits(1),
      Effect.catch((error) => Effect.logDebug("node status not posted", nodeName, error))
    )

  const tick = Effect.andThen(renewLease, updateStatus(true))
  yield* Effect.gen(function* () {
    lastReport = yield* Clock.currentTimeMillis
    while (true) {
      yield* tick
      yield* Effect.sleep(LeaseRenewMillis)
    }
  }).pipe(Effect.forkScoped({ startImmediately: true }))

  return { postStatus: updateStatus(false), renewLease }
})
