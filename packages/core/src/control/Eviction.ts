/**
 * The Eviction subresource (`POST pods/{name}/eviction`, `pkg/registry/core/pod/storage/eviction.go`):
 * a delete that honours PodDisruptionBudgets. Pods that already count as disrupted (Pending,
 * Succeeded, Failed, being deleted) are deleted at once; a pod selected by more than one PDB is
 * refused (500); otherwise its PDB must allow a disruption, which the eviction takes by decrementing
 * `disruptionsAllowed` and recording the pod in `disruptedPods`, or the answer is 429 `Cannot evict
 * pod as it would violate the pod's disruption budget.` (an unready pod may go without decrementing
 * while the budget is met). The deleted pod gets `DisruptionTarget=True` / `EvictionByEvictionAPI`.
 */
import { Clock, Effect } from "effect"
import { ApiFailure, type BadRequest, Conflict, type NotFound } from "../api/Errors.js"
import type { DeleteOptions } from "../api/Meta.js"
import type { Pod } from "../api/Pod.js"
import { toRfc3339 } from "../domain/Time.js"
import type { DeleteResult, ObjectStore } from "../services/ObjectStore.js"
import type { Pdb } from "./Disruption.js"
import { isPodReady, pdbSelects } from "./Disruption.js"
import { withPodCondition } from "./TaintEviction.js"

/** What an eviction can answer besides success. */
export type EvictionError = NotFound | Conflict | BadRequest | ApiFailure

/** The condition an evicted pod gets. */
export const evictionCondition = {
  type: "DisruptionTarget",
  status: "True",
  reason: "EvictionByEvictionAPI",
  message: "Eviction API: evicting"
} as const

export const DisruptionBudgetMessage = "Cannot evict pod as it would violate the pod's disruption budget."

/** `canIgnorePDB`: the pod is not running, or already going. */
export const canIgnorePdb = (pod: Pod): boolean =>
  pod.status?.phase === "Succeeded" ||
  pod.status?.phase === "Failed" ||
  pod.status?.phase === "Pending" ||
  pod.metadata.deletionTimestamp !== undefined

/** The decision for a pod that cannot ignore its budgets. */
export type BudgetDecision =
  | { readonly _tag: "Delete" }
  | { readonly _tag: "DeleteUnready" }
  | { readonly _tag: "Decrement"; readonly pdb: Pdb }
  | { readonly _tag: "Refuse"; readonly error: ApiFailure }

/** `checkAndDecrement` and the PDB lookup, without the writes. */
export const budgetDecision = (pod: Pod, pdbs: ReadonlyArray<Pdb>): BudgetDecision => {
  const matching = pdbs.filter((pdb) => {
    const selector = pdb.spec.selector
    const empty =
      selector === undefined ||
      (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
    return !empty && pdbSelects(pdb, pod)
  })
  if (matching.length > 1) {
    return {
      _tag: "Refuse",
      error: new ApiFailure({
        code: 500,
        reason: "InternalError",
        message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
      })
    }
  }
  const pdb = matching[0]
  if (pdb === undefined) return { _tag: "Delete" }
  const status = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }
  if (!isPodReady(pod)) {
    if (pdb.spec.unhealthyPodEvictionPolicy === "AlwaysAllow") return { _tag: "DeleteUnready" }
    if (status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) return { _tag: "DeleteUnready" }
  }
  const tooMany = new ApiFailure({ code: 429, reason: "TooManyRequests", message: DisruptionBudgetMessage })
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) return { _tag: "Refuse", error: tooMany }
  if (status.disruptionsAllowed < 0) {
    return {
      _tag: "Refuse",
      error: new ApiFailure({
        code: 403,
        reason: "Forbidden",
        message: `poddisruptionbudgets.policy "${pdb.metadata.name ?? ""}" is forbidden: pdb disruptions allowed is negative`
      })
    }
  }
  if (status.disruptionsAllowed === 0) return { _tag: "Refuse", error: tooMany }
  return { _tag: "Decrement", pdb }
}

/** The PDB after an eviction took one disruption from it (`disruptedPods[pod] = now`). */
export const decrementedPdb = (pdb: Pdb, podName: string, now: number): Pdb => {
  const status = pdb.status!
  const allowed = status.disruptionsAllowed - 1
  const time = toRfc3339(now)
  return {
    ...pdb,
    status: {
      ...status,
      disruptionsAllowed: allowed,
      disruptedPods: { ...status.disruptedPods, [podName]: time },
      ...(allowed === 0
        ? {
            conditions: [
              ...(status.conditions ?? []).filter((c) => c.type !== "DisruptionAllowed"),
              {
                type: "DisruptionAllowed",
                status: "False",
                reason: "InsufficientPods",
                message: "",
                observedGeneration: pdb.metadata.generation ?? 1,
                lastTransitionTime: time
              }
            ]
          }
        : {})
    }
  }
}

const isDryRun = (options: DeleteOptions): boolean => (options.dryRun ?? []).includes("All")

/**
 * Evicts pod `namespace/name` (`options` are the Eviction's DeleteOptions). Succeeds with the delete's
 * result; 429 / 500 / 403 come back as `ApiFailure`.
 */
export const evictPod = Effect.fnUntraced(function* (
  store: ObjectStore["Service"],
  namespace: string,
  name: string,
  options: DeleteOptions = {}
): Effect.fn.Return<DeleteResult<Pod>, EvictionError> {
  const dryRun = isDryRun(options)
  for (let attempt = 0; ; attempt++) {
    const pod = yield* store.get<Pod>("pods", namespace, name)
    const expectedVersion = options.preconditions?.resourceVersion
    if (expectedVersion !== undefined && expectedVersion !== pod.metadata.resourceVersion) {
      return yield* new Conflict({
        resource: "pods",
        group: "",
        kind: "Pod",
        name,
        message: `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`
      })
    }
    if (!canIgnorePdb(pod)) {
      const pdbs = yield* store.list<Pdb>("poddisruptionbudgets", { namespace }).pipe(
        Effect.map((r) => r.items),
        Effect.mapError((e) => new ApiFailure({ code: 500, reason: "InternalError", message: e.message }))
      )
      const decision = budgetDecision(pod, pdbs)
      if (decision._tag === "Refuse") return yield* decision.error
      if (decision._tag === "Decrement" && !dryRun) {
        const now = yield* Clock.currentTimeMillis
        const written = yield* store
          .updateStatus("poddisruptionbudgets", decrementedPdb(decision.pdb, name, now))
          .pipe(Effect.result)
        if (written._tag === "Failure") {
          if (written.failure._tag === "Conflict" && attempt < 5) continue
          return yield* new ApiFailure({ code: 429, reason: "TooManyRequests", message: DisruptionBudgetMessage })
        }
      }
    }
    if (!dryRun) {
      const now = yield* Clock.currentTimeMillis
      const conditions = withPodCondition(pod.status?.conditions ?? [], evictionCondition, now)
      if (conditions !== undefined && pod.metadata.deletionTimestamp === undefined) {
        yield* store.updateStatus("pods", { ...pod, status: { ...pod.status, conditions } }).pipe(Effect.ignore)
      }
    }
    const { preconditions: _p, ...rest } = options
    const deleteOptions = {
      ...rest,
      ...(pod.metadata.uid !== undefined ? { preconditions: { uid: pod.metadata.uid } } : {})
    } as Parameters<ObjectStore["Service"]["delete"]>[3]
    return yield* store.delete<Pod>("pods", namespace, name, deleteOptions)
  }
})
