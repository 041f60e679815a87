/**
 * The disruption controller (`pkg/controller/disruption`): for each PodDisruptionBudget it counts the
 * pods its selector picks, how many are expected (the pods themselves for an integer
 * `minAvailable`; the scale of their controllers — ReplicaSets here — for `maxUnavailable` or a
 * percentage), how many must stay healthy, how many are healthy (Ready, not being deleted, not just
 * evicted), and so how many disruptions the Eviction API may allow. Pods the Eviction API marked in
 * `status.disruptedPods` count as gone for 2 minutes.
 */
import type { Scope } from "effect"
import { Clock, Effect, Semaphore } from "effect"
import { matchesLabelSelector } from "../api/LabelSelector.js"
import type { PodDisruptionBudget, ReplicaSet } from "../api/Objects.js"
import { jsonEqual } from "../api/Patch.js"
import type { Pod } from "../api/Pod.js"
import { fromRfc3339, toRfc3339 } from "../domain/Time.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { Informer, SharedInformers } from "./Informer.js"
import { keyOf, makeSharedInformers } from "./Informer.js"
import { makeWorkQueue } from "./WorkQueue.js"

/** `DeletionTimeout`: an evicted pod not deleted within this long counts again. */
export const DisruptedPodTimeoutMillis = 2 * 60_000

/** A PDB condition (`DisruptionAllowed`). */
export interface PdbCondition {
  readonly type: string
  readonly status: "True" | "False" | "Unknown"
  readonly reason?: string
  readonly message?: string
  readonly lastTransitionTime?: string
  readonly observedGeneration?: number
}

/** The PDB status with the fields the object type leaves out. */
export type PdbStatus = NonNullable<PodDisruptionBudget["status"]> & {
  readonly disruptedPods?: Readonly<Record<string, string>>
  readonly conditions?: ReadonlyArray<PdbCondition>
}

/** A PodDisruptionBudget as the controller and the Eviction API read it. */
export type Pdb = Omit<PodDisruptionBudget, "spec" | "status"> & {
  readonly spec: PodDisruptionBudget["spec"] & {
    readonly unhealthyPodEvictionPolicy?: "IfHealthyBudget" | "AlwaysAllow"
  }
  readonly status?: PdbStatus
}

/** `IsPodReady`: the pod's Ready condition is True. */
export const isPodReady = (pod: Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true

/** Does the PDB select the pod (same namespace; an empty selector picks all, none picks nothing)? */
export const pdbSelects = (pdb: Pdb, pod: Pod): boolean =>
  (pod.metadata.namespace ?? "default") === (pdb.metadata.namespace ?? "default") &&
  matchesLabelSelector(pdb.spec.selector, pod.metadata.labels)

/** `GetScaledValueFromIntOrPercent(value, total, roundUp=true)`; undefined for a malformed string. */
export const scaledValue = (value: number | string, total: number): number | undefined => {
  if (typeof value === "number") return value
  const match = /^(\d+)%$/.exec(value)
  if (match === null) return /^\d+$/.test(value) ? Number(value) : undefined
  return Math.ceil((Number(match[1]) * total) / 100)
}

/** `metadata.ownerReferences[controller=true]`. */
const controllerOf = (pod: Pod) => (pod.metadata.ownerReferences ?? []).find((o) => o.controller === true)

/**
 * `getExpectedScale`: the sum of `spec.replicas` of the distinct controllers of the pods (a
 * ReplicaSet's replicas, default 1); pods without a controller are unmanaged. An error message
 * when a controller cannot be found.
 */
export const expectedScale = (
  pods: ReadonlyArray<Pod>,
  replicaSet: (namespace: string, name: string, uid: string) => ReplicaSet | undefined
): { readonly expected: number; readonly unmanaged: number } | { readonly error: string } => {
  const seen = new Set<string>()
  let expected = 0
  let unmanaged = 0
  for (const pod of pods) {
    const ref = controllerOf(pod)
    if (ref === undefined) {
      unmanaged++
      continue
    }
    if (seen.has(ref.uid)) continue
    seen.add(ref.uid)
    const rs =
      ref.kind === "ReplicaSet" ? replicaSet(pod.metadata.namespace ?? "default", ref.name, ref.uid) : undefined
    if (rs === undefined) return { error: `found no controllers for pod "${pod.metadata.name ?? ""}"` }
    expected += rs.spec.replicas ?? 1
  }
  return { expected, unmanaged }
}

export interface PdbComputation {
  readonly status: PdbStatus
  /** when the status must be computed again (an entry of disruptedPods expires), epoch ms */
  readonly recheckAt?: number
  /** events to record on the PDB: [type, reason, message] */
  readonly events: ReadonlyArray<readonly [type: "Normal" | "Warning", reason: string, message: string]>
}

/**
 * `trySync` without the writes: the PDB's status for its selected pods at `now`, or the error of
 * an expected count that cannot be computed (the status is then left as it is).
 */
export const computePdbStatus = (
  pdb: Pdb,
  pods: ReadonlyArray<Pod>,
  replicaSet: (namespace: string, name: string, uid: string) => ReplicaSet | undefined,
  now: number
): PdbComputation | { readonly error: string } => {
  const events: Array<readonly ["Normal" | "Warning", string, string]> = []
  if (pods.length === 0) events.push(["Normal", "NoPods", "No matching pods found"])
  const { minAvailable, maxUnavailable } = pdb.spec
  let expectedCount = 0
  let desiredHealthy = 0
  let unmanaged = 0
  if (maxUnavailable !== undefined || typeof minAvailable === "string") {
    const scale = expectedScale(pods, replicaSet)
    if ("error" in scale) return { error: `Failed to calculate the number of expected pods: ${scale.error}` }
    expectedCount = scale.expected
    unmanaged = scale.unmanaged
    if (maxUnavailable !== undefined) {
      const max = scaledValue(maxUnavailable, expectedCount)
      if (max === undefined) return { error: `invalid value for IntOrString: invalid value "${maxUnavailable}"` }
      desiredHealthy = Math.max(0, expectedCount - max)
    } else {
      const min = scaledValue(minAvailable!, expectedCount)
      if (min === undefined) return { error: `invalid value for IntOrString: invalid value "${minAvailable}"` }
      desiredHealthy = min
    }
  } else if (typeof minAvailable === "number") {
    desiredHealthy = minAvailable
    expectedCount = pods.length
  }
  if (unmanaged > 0) {
    events.push([
      "Warning",
      "UnmanagedPods",
      `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec.selector ?? {})}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`
    ])
  }

  const recorded = pdb.status?.disruptedPods ?? {}
  const disruptedPods: Record<string, string> = {}
  let recheckAt: number | undefined
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue
    const name = pod.metadata.name ?? ""
    const at = fromRfc3339(recorded[name])
    if (at === undefined) continue
    const expectedDeletion = at + DisruptedPodTimeoutMillis
    if (expectedDeletion < now) continue
    disruptedPods[name] = recorded[name]!
    if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion
  }
  let currentHealthy = 0
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue
    const disrupted = fromRfc3339(disruptedPods[pod.metadata.name ?? ""])
    if (disrupted !== undefined && disrupted + DisruptedPodTimeoutMillis > now) continue
    if (isPodReady(pod)) currentHealthy++
  }
  const allowed = currentHealthy - desiredHealthy
  const disruptionsAllowed = expectedCount <= 0 || allowed <= 0 ? 0 : allowed
  const generation = pdb.metadata.generation ?? 1
  const old = pdb.status?.conditions?.find((c) => c.type === "DisruptionAllowed")
  const conditionStatus = disruptionsAllowed > 0 ? "True" : "False"
  const condition: PdbCondition = {
    type: "DisruptionAllowed",
    status: conditionStatus,
    reason: disruptionsAllowed > 0 ? "SufficientPods" : "InsufficientPods",
    message: "",
    observedGeneration: generation,
    lastTransitionTime:
      old?.status === conditionStatus && old.lastTransitionTime !== undefined ? old.lastTransitionTime : toRfc3339(now)
  }
  const status: PdbStatus = {
    observedGeneration: generation,
    ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expectedCount,
    conditions: [...(pdb.status?.conditions ?? []).filter((c) => c.type !== "DisruptionAllowed"), condition]
  }
  return { status, ...(recheckAt !== undefined ? { recheckAt } : {}), events }
}

/** Did the computed status change anything the controller writes? */
export const pdbStatusChanged = (old: PdbStatus | undefined, next: PdbStatus): boolean =>
  old === undefined ||
  old.currentHealthy !== next.currentHealthy ||
  old.desiredHealthy !== next.desiredHealthy ||
  old.expectedPods !== next.expectedPods ||
  old.disruptionsAllowed !== next.disruptionsAllowed ||
  old.observedGeneration !== next.observedGeneration ||
  !jsonEqual(old.disruptedPods ?? {}, next.disruptedPods ?? {}) ||
  !jsonEqual(old.conditions ?? [], next.conditions ?? [])

export interface DisruptionControllerOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly recorder: EventRecorder["Service"]
}

export interface DisruptionController {
  readonly busy: () => boolean
}

const source = { component: "controllermanager" } as const

/** Starts the controller in the current scope. */
export const makeDisruptionController = Effect.fnUntraced(function* (
  options: DisruptionControllerOptions
): Effect.fn.Return<DisruptionController, never, Scope.Scope> {
  const { store, recorder } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  const informers: { pdbs?: Informer<Pdb>; pods?: Informer<Pod>; replicaSets?: Informer<ReplicaSet> } = {}
  const lock = yield* Semaphore.make(1)
  /** the last event of each kind per PDB, so a repeated sync does not repeat it */
  const lastEvents = new Map<string, string>()

  const replicaSet = (namespace: string, name: string, uid: string): ReplicaSet | undefined => {
    const rs = informers.replicaSets?.get(`${namespace}/${name}`)
    return rs?.metadata.uid === uid ? rs : undefined
  }

  const reconcile = (key: string): Effect.Effect<void> =>
    Effect.gen(function* () {
      const cached = informers.pdbs?.get(key)
      if (cached === undefined || cached.metadata.deletionTimestamp !== undefined) return void lastEvents.delete(key)
      const now = yield* Clock.currentTimeMillis
      const pdb = yield* store.get<Pdb>("poddisruptionbudgets", cached.metadata.namespace, cached.metadata.name ?? "")
      const pods: Array<Pod> = []
      for (const pod of informers.pods?.inNamespace(pdb.metadata.namespace ?? "default") ?? []) {
        if (pdbSelects(pdb, pod)) pods.push(pod)
      }
      const result = computePdbStatus(pdb, pods, replicaSet, now)
      const ref = {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        namespace: pdb.metadata.namespace ?? "default",
        name: pdb.metadata.name ?? "",
        uid: pdb.metadata.uid ?? ""
      }
      if ("error" in result) {
        yield* recorder.record({
          involvedObject: ref,
          type: "Warning",
          reason: "CalculateExpectedPodCountFailed",
          message: result.error,
          source
        })
        return
      }
      for (const [type, reason, message] of result.events) {
        if (lastEvents.get(key) === `${reason}:${message}`) continue
        lastEvents.set(key, `${reason}:${message}`)
        yield* recorder.record({ involvedObject: ref, type, reason, message, source })
      }
      if (result.events.length === 0) lastEvents.delete(key)
      if (result.recheckAt !== undefined) yield* queue.addAfter(key, result.recheckAt - now)
      if (!pdbStatusChanged(pdb.status, result.status)) return
      yield* store.updateStatus("poddisruptionbudgets", { ...pdb, status: result.status })
    }).pipe(
      Effect.retry({ while: (e) => e._tag === "Conflict", times: 5 }),
      Effect.catch((error) => Effect.logDebug("disruption: status not written", key, error)),
      lock.withPermits(1)
    )

  const queue = yield* makeWorkQueue("disruption", reconcile)
  /** enqueues every PDB of the namespace that selects the pod */
  const podChanged = (pod: Pod): void => {
    for (const pdb of informers.pdbs?.values() ?? []) if (pdbSelects(pdb, pod)) queue.add(keyOf(pdb))
  }
  informers.pdbs = yield* shared.informer<Pdb>("poddisruptionbudgets", (event) => queue.add(keyOf(event.object)))
  informers.replicaSets = yield* shared.informer<ReplicaSet>("replicasets", (event) => {
    for (const pdb of informers.pdbs?.values() ?? []) {
      if (pdb.metadata.namespace === event.object.metadata.namespace) queue.add(keyOf(pdb))
    }
  })
  informers.pods = yield* shared.informer<Pod>("pods", (event) => {
    podChanged(event.object)
    if (event.old !== undefined && !jsonEqual(event.old.metadata.labels, event.object.metadata.labels)) {
      podChanged(event.old)
    }
  })
  for (const pdb of informers.pdbs.values()) queue.add(keyOf(pdb))

  return { busy: queue.busy }
})
