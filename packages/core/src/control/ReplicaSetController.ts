/**
 * The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`): for each ReplicaSet it
 * claims the pods of its namespace (adopts orphans its selector picks, releases owned pods it no
 * longer picks), creates pods from the template when fewer are active than `spec.replicas`
 * (failed, evicted and deleted pods are replaced), deletes the ones ranked first when there are
 * more, and writes the status. Pods it created or deleted but has not yet seen through its watch
 * are counted as expected (the controller's expectations), so a sync never acts twice.
 * Deleting a ReplicaSet and its pods (background, foreground, orphan) is the ObjectStore's garbage
 * collection; the controller stops managing a ReplicaSet once it is gone or being deleted.
 */
import type { Scope } from "effect"
import { Clock, Effect } from "effect"
import { matchesLabelSelector } from "../api/LabelSelector.js"
import type { ReplicaSet } from "../api/Objects.js"
import { jsonEqual } from "../api/Patch.js"
import type { Pod } from "../api/Pod.js"
import { toStatus } from "../api/Status.js"
import type { EventRecord, EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { InformerEvent, SharedInformers } from "./Informer.js"
import { keyOf, makeSharedInformers } from "./Informer.js"
import {
  BurstReplicas,
  controllerOf,
  controllerRef,
  isPodActive,
  podFromTemplate,
  podsToDelete,
  replicaSetStatus
} from "./ReplicaSetDecision.js"
import type { WorkQueue } from "./WorkQueue.js"
import { makeWorkQueue } from "./WorkQueue.js"

export interface ReplicaSetControllerOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly recorder: EventRecorder["Service"]
}

export interface ReplicaSetController {
  readonly busy: () => boolean
}

const source = { component: "replicaset-controller" } as const

/** Starts the controller in the current scope. */
export const makeReplicaSetController = Effect.fnUntraced(function* (
  options: ReplicaSetControllerOptions
): Effect.fn.Return<ReplicaSetController, never, Scope.Scope> {
  const { store, recorder } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  /** pod key → its arrival number: claims walk pods in the order the namespace listed them */
  const arrival = new Map<string, number>()
  let arrivals = 0
  /** controller uid → keys of the pods it controls */
  const byController = new Map<string, Set<string>>()
  /** namespace → keys of the pods without a controller (the ones a ReplicaSet may adopt) */
  const orphans = new Map<string, Set<string>>()
  /** ReplicaSet key → names of pods created and not yet seen */
  const pendingCreates = new Map<string, Set<string>>()
  /** ReplicaSet key → keys of pods deleted and still seen as active */
  const pendingDeletes = new Map<string, Set<string>>()
  let enqueue: (key: string) => void = () => {}
  let requeueAfter: (key: string, millis: number) => Effect.Effect<void> = () => Effect.void

  const ownerKey = (pod: Pod): string | undefined => {
    const ref = controllerOf(pod)
    return ref?.kind === "ReplicaSet" ? `${pod.metadata.namespace ?? "default"}/${ref.name}` : undefined
  }

  const observe = (pod: Pod, deleted: boolean): void => {
    const owner = ownerKey(pod)
    if (owner === undefined) return
    if (!deleted) pendingCreates.get(owner)?.delete(pod.metadata.name ?? "")
    if (deleted || !isPodActive(pod)) pendingDeletes.get(owner)?.delete(keyOf(pod))
  }

  const onReplicaSet = (event: InformerEvent<ReplicaSet>): void => {
    const key = keyOf(event.object)
    if (event.type === "DELETED") {
      pendingCreates.delete(key)
      pendingDeletes.delete(key)
    }
    enqueue(key)
  }

  /** where a pod is indexed: under its controller's uid, or as an orphan of its namespace */
  const indexOf = (pod: Pod): readonly [Map<string, Set<string>>, string] => {
    const uid = controllerOf(pod)?.uid
    return uid === undefined ? [orphans, pod.metadata.namespace ?? "default"] : [byController, uid]
  }

  const onPod = (event: InformerEvent<Pod>): void => {
    const pod = event.object
    const namespace = pod.metadata.namespace ?? "default"
    const key = event.key
    const deleted = event.type === "DELETED"
    const old = event.old
    // an orphan that stays one while no ReplicaSet exists: its bucket, arrival and owners are unchanged
    if (
      !deleted &&
      old !== undefined &&
      pod.metadata.ownerReferences === undefined &&
      old.metadata.ownerReferences === undefined &&
      replicaSets.size() === 0
    ) {
      return
    }
    const [index, id] = indexOf(pod)
    // re-indexed only when its bucket changes (claims order candidates by arrival, not bucket order)
    const oldBucket = old === undefined ? undefined : indexOf(old)
    const moved = deleted || oldBucket === undefined || oldBucket[0] !== index || oldBucket[1] !== id
    if (moved && oldBucket !== undefined) {
      const bucket = oldBucket[0].get(oldBucket[1])
      bucket?.delete(key)
      if (bucket?.size === 0) oldBucket[0].delete(oldBucket[1])
    }
    if (deleted) arrival.delete(key)
    else {
      if (!arrival.has(key)) arrival.set(key, arrivals++)
      if (moved) {
        let bucket = index.get(id)
        if (bucket === undefined) index.set(id, (bucket = new Set()))
        bucket.add(key)
      }
    }
    observe(pod, deleted)
    const owner = ownerKey(pod)
    const oldOwner = old === undefined ? undefined : ownerKey(old)
    if (owner !== undefined) enqueue(owner)
    if (oldOwner !== undefined && oldOwner !== owner) enqueue(oldOwner)
    if (owner === undefined && !deleted && replicaSets.size() > 0) {
      // an orphan: any ReplicaSet whose selector picks it may adopt it
      for (const rs of replicaSets.values()) {
        if (rs.metadata.namespace === namespace && matchesLabelSelector(rs.spec.selector, pod.metadata.labels)) {
          enqueue(keyOf(rs))
        }
      }
    }
  }

  const replicaSets = yield* shared.informer<ReplicaSet>("replicasets", onReplicaSet)
  const pods = yield* shared.informer<Pod>("pods", onPod)

  /** The pods a claim looks at, in listing order: the ones this ReplicaSet controls and the orphans. */
  const claimCandidates = (rs: ReplicaSet): Array<Pod> => {
    const namespace = rs.metadata.namespace ?? "default"
    const keys = [...(byController.get(rs.metadata.uid ?? "") ?? []), ...(orphans.get(namespace) ?? [])]
    const order = (k: string): number => arrival.get(k) ?? 0
    for (let i = 1; i < keys.length; i++) {
      if (order(keys[i - 1]!) > order(keys[i]!)) {
        keys.sort((a, b) => order(a) - order(b))
        break
      }
    }
    const out: Array<Pod> = []
    for (const key of keys) {
      const pod = pods.get(key)
      if (pod !== undefined && (pod.metadata.namespace ?? "default") === namespace) out.push(pod)
    }
    return out
  }

  const record = (rs: ReplicaSet, type: EventRecord["type"], reason: string, message: string) =>
    recorder.record({
      involvedObject: {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        namespace: rs.metadata.namespace ?? "default",
        name: rs.metadata.name ?? "",
        uid: rs.metadata.uid ?? ""
      },
      type,
      reason,
      message,
      source
    })

  /** `ClaimPods`: the pods this ReplicaSet owns after adopting orphans and releasing mismatches. */
  const claimPods = Effect.fnUntraced(function* (rs: ReplicaSet) {
    const uid = rs.metadata.uid ?? ""
    const deleting = rs.metadata.deletionTimestamp !== undefined
    const owned: Array<Pod> = []
    for (const pod of claimCandidates(rs)) {
      const ref = controllerOf(pod)
      const matches = matchesLabelSelector(rs.spec.selector, pod.metadata.labels)
      if (ref?.uid === uid) {
        if (matches || deleting) {
          owned.push(pod)
          continue
        }
        const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid)
        const { ownerReferences: _refs, ...meta } = pod.metadata
        yield* store
          .update("pods", { ...pod, metadata: refs.length > 0 ? { ...meta, ownerReferences: refs } : meta })
          .pipe(Effect.ignore)
        continue
      }
      if (ref !== undefined || !matches || deleting || pod.metadata.deletionTimestamp !== undefined) continue
      const adopted = yield* store
        .update<Pod>("pods", {
          ...pod,
          metadata: { ...pod.metadata, ownerReferences: [...(pod.metadata.ownerReferences ?? []), controllerRef(rs)] }
        })
        .pipe(Effect.option)
      if (adopted._tag === "Some") owned.push(adopted.value.object)
    }
    return owned
  })

  const createPods = Effect.fnUntraced(function* (rs: ReplicaSet, key: string, count: number) {
    let expected = pendingCreates.get(key)
    if (expected === undefined) pendingCreates.set(key, (expected = new Set()))
    // slow start: batches of 1, 2, 4, ... stop at the first failure
    let batch = 1
    let created = 0
    while (created < count) {
      const size = Math.min(batch, count - created)
      for (let i = 0; i < size; i++) {
        const result = yield* Effect.result(store.create<Pod>("pods", podFromTemplate(rs)))
        if (result._tag === "Failure") {
          const error = result.failure
          yield* record(rs, "Warning", "FailedCreate", `Error creating: ${toStatus(error).message}`)
          return
        }
        const name = result.success.object.metadata.name ?? ""
        if (pods.get(keyOf(result.success.object)) === undefined) {
          expected.add(name)
        }
        yield* record(rs, "Normal", "SuccessfulCreate", `Created pod: ${name}`)
      }
      created += size
      batch *= 2
    }
  })

  const deletePods = Effect.fnUntraced(function* (rs: ReplicaSet, key: string, victims: ReadonlyArray<Pod>) {
    let expected = pendingDeletes.get(key)
    if (expected === undefined) pendingDeletes.set(key, (expected = new Set()))
    for (const pod of victims) {
      const deleted = yield* Effect.result(
        store.delete("pods", pod.metadata.namespace, pod.metadata.name ?? "", {
          preconditions: { uid: pod.metadata.uid ?? "" }
        })
      )
      if (deleted._tag === "Failure") {
        if (deleted.failure._tag !== "NotFound") {
          yield* record(rs, "Warning", "FailedDelete", `Error deleting: ${deleted.failure.message}`)
        }
        continue
      }
      if (!deleted.success.deleted) expected.add(keyOf(pod))
      yield* record(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name ?? ""}`)
    }
  })

  const reconcile = Effect.fnUntraced(function* (key: string) {
    const rs = replicaSets.get(key)
    if (rs === undefined) return
    const now = yield* Clock.currentTimeMillis
    const owned = yield* claimPods(rs)
    const deleting = pendingDeletes.get(key)
    const active = owned.filter((p) => isPodActive(p) && deleting?.has(keyOf(p)) !== true)
    if (rs.metadata.deletionTimestamp === undefined) {
      const wanted = rs.spec.replicas ?? 1
      const diff = active.length + (pendingCreates.get(key)?.size ?? 0) - wanted
      if (diff < 0) yield* createPods(rs, key, Math.min(-diff, BurstReplicas))
      else if (diff > 0) yield* deletePods(rs, key, podsToDelete(active, active, Math.min(diff, BurstReplicas), now))
    }
    const { status, recheckAt } = replicaSetStatus(rs, active, now)
    if (!jsonEqual(rs.status ?? {}, status)) {
      yield* store.updateStatus("replicasets", { ...rs, status }).pipe(
        Effect.catchTag("NotFound", () => Effect.void),
        Effect.catchTag("Conflict", () => Effect.sync(() => enqueue(key)))
      )
    }
    if (recheckAt !== undefined) yield* requeueAfter(key, recheckAt - now)
  })

  const queue: WorkQueue = yield* makeWorkQueue("replicaset-controller", reconcile)
  enqueue = (key) => queue.add(key)
  requeueAfter = queue.addAfter
  for (const rs of replicaSets.values()) queue.add(keyOf(rs))

  return { busy: queue.busy }
})
