/**
 * The ReplicaSet controller's decisions (`pkg/controller/replicaset`, `pkg/controller/controller_utils.go`),
 * as pure functions: which pods count (active: not finished, not being deleted), the pod a template
 * makes (generateName `<rs>-`, controller ownerReference), which pods go first on scale-down
 * (`ActivePodsWithRanks` with LogarithmicScaleDown), and the status (`calculateStatus`, zero counts
 * omitted as upstream's `omitempty`), plus when to look again for `minReadySeconds`.
 */
import type { OwnerReference } from "../api/Meta.js"
import type { ReplicaSet, ReplicaSetStatus } from "../api/Objects.js"
import type { Pod, PodPhase } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { fromRfc3339 } from "../domain/Time.js"
import { isPodReady } from "./EndpointsDecision.js"

/** The cap on pods created or deleted in one sync (`burstReplicas`). */
export const BurstReplicas = 500
/** The annotation that orders scale-down (`PodDeletionCost`). */
export const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

/** Not Succeeded/Failed and not being deleted (`controller.IsPodActive`). */
export const isPodActive = (pod: Pod): boolean =>
  pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && pod.metadata.deletionTimestamp === undefined

/** The pod's controller ownerReference, if any. */
export const controllerOf = (pod: Pod): OwnerReference | undefined =>
  pod.metadata.ownerReferences?.find((r) => r.controller === true)

/** The ownerReference a ReplicaSet puts on its pods. */
export const controllerRef = (rs: ReplicaSet): OwnerReference => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  name: rs.metadata.name ?? "",
  uid: rs.metadata.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

/** `GetPodFromTemplate`: the template's labels, annotations, finalizers and spec, named `<rs>-xxxxx`. */
export const podFromTemplate = (rs: ReplicaSet): Pod => {
  const meta = rs.spec.template.metadata ?? {}
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${rs.metadata.name ?? ""}-`,
      namespace: rs.metadata.namespace ?? "default",
      ...(meta.labels !== undefined ? { labels: meta.labels } : {}),
      ...(meta.annotations !== undefined ? { annotations: meta.annotations } : {}),
      ...(meta.finalizers !== undefined ? { finalizers: meta.finalizers } : {}),
      ownerReferences: [controllerRef(rs)]
    },
    spec: rs.spec.template.spec
  }
}

const phaseOrdinal: Record<PodPhase, number> = { Pending: 0, Unknown: 1, Running: 2, Succeeded: 3, Failed: 3 }

const readyTime = (pod: Pod): number | undefined => {
  const c = pod.status?.conditions?.find((x) => x.type === "Ready" && x.status === "True")
  return fromRfc3339(c?.lastTransitionTime)
}

const deletionCost = (pod: Pod): number => {
  const text = pod.metadata.annotations?.[PodDeletionCostAnnotation]
  const n = text === undefined ? 0 : Number(text)
  return Number.isInteger(n) ? n : 0
}

const maxRestarts = (pod: Pod): readonly [number, number] => {
  let regular = 0
  let sidecar = 0
  for (const s of pod.status?.containerStatuses ?? []) regular = Math.max(regular, s.restartCount)
  const sidecars = new Set((pod.spec.initContainers ?? []).filter(isSidecar).map((c) => c.name))
  for (const s of pod.status?.initContainerStatuses ?? []) {
    if (sidecars.has(s.name)) sidecar = Math.max(sidecar, s.restartCount)
  }
  return [regular, sidecar]
}

/** `logarithmicRankDiff`: floor(log2(age in ns)) of each time, compared. */
const logRankDiff = (t1: number, t2: number, now: number): number => {
  const rank = (t: number) => (now - t > 0 ? Math.floor(Math.log2((now - t) * 1e6)) : -1)
  return rank(t1) - rank(t2)
}

/**
 * `ActivePodsWithRanks.Less`: is `a` deleted before `b`. `rankA`/`rankB` count the active related
 * pods on each pod's node (doubled-up pods go first).
 */
export const deleteBefore = (a: Pod, rankA: number, b: Pod, rankB: number, now: number): boolean => {
  const nodeA = a.spec.nodeName ?? ""
  const nodeB = b.spec.nodeName ?? ""
  if (nodeA !== nodeB && (nodeA === "" || nodeB === "")) return nodeA === ""
  const phaseA = phaseOrdinal[a.status?.phase ?? "Pending"]
  const phaseB = phaseOrdinal[b.status?.phase ?? "Pending"]
  if (phaseA !== phaseB) return phaseA < phaseB
  const readyA = isPodReady(a)
  const readyB = isPodReady(b)
  if (readyA !== readyB) return !readyA
  const costA = deletionCost(a)
  const costB = deletionCost(b)
  if (costA !== costB) return costA < costB
  if (rankA !== rankB) return rankA > rankB
  const byTime = (t1: number | undefined, t2: number | undefined): boolean | undefined => {
    if (t1 === t2) return undefined
    if (t1 === undefined || t2 === undefined) return t1 === undefined
    const diff = logRankDiff(t1, t2, now)
    if (diff === 0) return (a.metadata.uid ?? "") < (b.metadata.uid ?? "")
    return diff < 0
  }
  if (readyA && readyB) {
    const r = byTime(readyTime(a), readyTime(b))
    if (r !== undefined) return r
  }
  const [regularA, sidecarA] = maxRestarts(a)
  const [regularB, sidecarB] = maxRestarts(b)
  if (regularA !== regularB) return regularA > regularB
  if (sidecarA !== sidecarB) return sidecarA > sidecarB
  return byTime(fromRfc3339(a.metadata.creationTimestamp), fromRfc3339(b.metadata.creationTimestamp)) ?? false
}

/** `getPodsToDelete`: the `count` active pods to delete first, ranked against the related active pods. */
export const podsToDelete = (
  pods: ReadonlyArray<Pod>,
  related: ReadonlyArray<Pod>,
  count: number,
  now: number
): ReadonlyArray<Pod> => {
  const onNode = new Map<string, number>()
  for (const pod of related) {
    if (isPodActive(pod)) onNode.set(pod.spec.nodeName ?? "", (onNode.get(pod.spec.nodeName ?? "") ?? 0) + 1)
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec.nodeName ?? "") ?? 0 }))
  ranked.sort((x, y) =>
    deleteBefore(x.pod, x.rank, y.pod, y.rank, now) ? -1 : deleteBefore(y.pod, y.rank, x.pod, x.rank, now) ? 1 : 0
  )
  return ranked.slice(0, count).map((r) => r.pod)
}

/** `IsPodAvailable`: ready for more than `minReadySeconds`. */
export const isPodAvailable = (pod: Pod, minReadySeconds: number, now: number): boolean => {
  if (!isPodReady(pod)) return false
  if (minReadySeconds === 0) return true
  const since = readyTime(pod)
  return since !== undefined && since + minReadySeconds * 1000 < now
}

const labelsMatch = (
  want: Readonly<Record<string, string>> | undefined,
  have: Readonly<Record<string, string>> | undefined
) => {
  for (const [k, v] of Object.entries(want ?? {})) if (have?.[k] !== v) return false
  return true
}

/** The status from the active owned pods, and the epoch ms to look again (a pod becoming available). */
export const replicaSetStatus = (
  rs: ReplicaSet,
  active: ReadonlyArray<Pod>,
  now: number
): { readonly status: ReplicaSetStatus; readonly recheckAt: number | undefined } => {
  const minReady = rs.spec.minReadySeconds ?? 0
  let fullyLabeled = 0
  let ready = 0
  let available = 0
  let recheckAt: number | undefined
  for (const pod of active) {
    if (labelsMatch(rs.spec.template.metadata?.labels, pod.metadata.labels)) fullyLabeled++
    if (!isPodReady(pod)) continue
    ready++
    if (isPodAvailable(pod, minReady, now)) available++
    else {
      const since = readyTime(pod)
      if (since !== undefined) {
        const at = since + minReady * 1000 + 1
        if (recheckAt === undefined || at < recheckAt) recheckAt = at
      }
    }
  }
  const status: ReplicaSetStatus = {
    replicas: active.length,
    ...(fullyLabeled > 0 ? { fullyLabeledReplicas: fullyLabeled } : {}),
    ...(ready > 0 ? { readyReplicas: ready } : {}),
    ...(available > 0 ? { availableReplicas: available } : {}),
    ...(rs.metadata.generation !== undefined ? { observedGeneration: rs.metadata.generation } : {})
  }
  return { status, recheckAt }
}
