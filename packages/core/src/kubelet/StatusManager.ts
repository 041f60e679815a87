/**
 * The kubelet's status manager (`pkg/kubelet/status/status_manager.go`): writes a pod's status
 * through `ObjectStore.updateStatus` only when it changed, never moves a pod out of a terminal phase,
 * and deletes the API object (grace 0) once a deleted pod's terminal status is written.
 */
import { Effect } from "effect"
import type { Pod, PodStatus } from "../api/Pod.js"
import type { ObjectStore } from "../services/ObjectStore.js"

export interface StatusManager {
  /** writes `status` unless the stored one is equal; returns the stored pod (undefined once deleted) */
  setStatus(pod: Pod, status: PodStatus): Effect.Effect<Pod | undefined>
  /** deletes the API object of a terminated pod with grace 0 (the kubelet's confirmation of deletion) */
  confirmDeletion(pod: Pod): Effect.Effect<void>
  /** whether `setStatus(pod, status)` would find `pod`'s status already equal to `status` without any call */
  isConfirmed(pod: Pod, status: PodStatus): boolean
}

const isTerminal = (phase: string | undefined): boolean => phase === "Succeeded" || phase === "Failed"

/** `status`, keeping the stored terminal phase (and reason): a pod never leaves Succeeded or Failed. */
const keepTerminal = (status: PodStatus, old: PodStatus): PodStatus =>
  isTerminal(old.phase) && !isTerminal(status.phase)
    ? { ...status, phase: old.phase!, ...(old.reason !== undefined ? { reason: old.reason } : {}) }
    : status

/** Structural equality of JSON-like values (key order ignored, undefined members ignored). */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  return (
    ka.length === kb.length &&
    ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  )
}

/**
 * A status manager writing through `store`; `cached` is the informer's copy of a pod by UID: a
 * status already confirmed against the copy's status needs no read of the store (as the kubelet's
 * own status manager compares with its cache before any API call), and a changed status is written
 * on the copy's resourceVersion first (the read follows only when the store refuses it).
 */
export const makeStatusManager = (
  store: ObjectStore["Service"],
  cached: (uid: string) => Pod | undefined = () => undefined
): StatusManager => {
  /** a status given to `setStatus` → the stored status found equal to it (or written from it) */
  const confirmed = new WeakMap<PodStatus, PodStatus>()

  /** `written`, the pod stored by writing `merged` for `status`; remembered when `status` was written as given */
  const confirm = (status: PodStatus, merged: PodStatus, written: Pod): Pod => {
    if (merged === status && written.status !== undefined) confirmed.set(status, written.status)
    return written
  }

  const write = Effect.fnUntraced(function* (
    pod: Pod,
    status: PodStatus,
    attempt: number
  ): Effect.fn.Return<Pod | undefined> {
    const known = attempt === 0 ? cached(pod.metadata.uid ?? "") : undefined
    if (known?.status !== undefined && confirmed.get(status) === known.status) return known
    if (known !== undefined && known.metadata.uid === pod.metadata.uid && known.metadata.resourceVersion) {
      // the write the read would lead to, made from the informer's copy: the store refuses it (Conflict)
      // unless the copy is the stored version; a copy that needs no write is not trusted (it may be stale)
      const old = known.status ?? {}
      const merged = keepTerminal(status, old)
      if (!jsonEqual(merged, old)) {
        const result = yield* store.updateStatus("pods", { ...known, status: merged }).pipe(Effect.result)
        if (result._tag === "Success") return confirm(status, merged, result.success.object)
      }
    }
    const current = yield* store
      .get<Pod>("pods", pod.metadata.namespace, pod.metadata.name ?? "")
      .pipe(Effect.catch(() => Effect.succeed(undefined)))
    if (current === undefined || current.metadata.uid !== pod.metadata.uid) return undefined
    // the stored status is still the one this status was found equal to (or written as)
    if (current.status !== undefined && confirmed.get(status) === current.status) return current
    const old = current.status ?? {}
    const merged = keepTerminal(status, old)
    if (jsonEqual(merged, old)) {
      if (merged === status && current.status !== undefined) confirmed.set(status, current.status)
      return current
    }
    const result = yield* store.updateStatus("pods", { ...current, status: merged }).pipe(Effect.result)
    if (result._tag === "Success") return confirm(status, merged, result.success.object)
    if (result.failure._tag === "Conflict" && attempt < 3) return yield* write(pod, status, attempt + 1)
    yield* Effect.logWarning("status update failed", pod.metadata.name, result.failure)
    return current
  })

  return {
    setStatus(pod, status) {
      // already confirmed against the informer's copy: the answer without a generator
      const known = cached(pod.metadata.uid ?? "")
      if (known?.status !== undefined && confirmed.get(status) === known.status) return Effect.succeed(known)
      return write(pod, status, 0)
    },
    isConfirmed: (pod, status) => pod.status !== undefined && confirmed.get(status) === pod.status,
    confirmDeletion: (pod) =>
      store
        .delete("pods", pod.metadata.namespace, pod.metadata.name ?? "", {
          gracePeriodSeconds: 0,
          ...(pod.metadata.uid !== undefined ? { preconditions: { uid: pod.metadata.uid } } : {})
        })
        .pipe(
          Effect.asVoid,
          Effect.catch(() => Effect.void)
        )
  }
}
