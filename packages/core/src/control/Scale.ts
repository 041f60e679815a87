/**
 * The `scale` subresource of ReplicaSets (`autoscaling/v1` Scale, `pkg/registry/apps/replicaset`
 * `ScaleREST`): GET reads `spec.replicas`, `status.replicas` and the selector as a string; PUT
 * writes only `spec.replicas` (with the Scale's resourceVersion as precondition). For the API and
 * the SDK (`kubectl scale rs/web --replicas=5`).
 */
import { Effect } from "effect"
import { Conflict, Invalid, type NotFound } from "../api/Errors.js"
import type { LabelSelector } from "../api/Meta.js"
import type { ReplicaSet } from "../api/Objects.js"
import type { ObjectStore, WriteError } from "../services/ObjectStore.js"

/** autoscaling/v1 Scale. */
export interface Scale {
  readonly apiVersion: "autoscaling/v1"
  readonly kind: "Scale"
  readonly metadata: {
    readonly name: string
    readonly namespace: string
    readonly uid?: string
    readonly resourceVersion?: string
    readonly creationTimestamp?: string
  }
  readonly spec: { readonly replicas?: number }
  readonly status: { readonly replicas: number; readonly selector?: string }
}

/** `metav1.LabelSelectorAsSelector(...).String()`: requirements sorted by key, `k=v`, `k in (a,b)`, `k`, `!k`. */
export const formatLabelSelector = (selector: LabelSelector): string => {
  const parts: Array<{ readonly key: string; readonly text: string }> = []
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push({ key: k, text: `${k}=${v}` })
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(",")
    const text =
      e.operator === "In"
        ? `${e.key} in (${values})`
        : e.operator === "NotIn"
          ? `${e.key} notin (${values})`
          : e.operator === "Exists"
            ? e.key
            : `!${e.key}`
    parts.push({ key: e.key, text })
  }
  return parts
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((p) => p.text)
    .join(",")
}

/** The Scale of a ReplicaSet. */
export const scaleOf = (rs: ReplicaSet): Scale => ({
  apiVersion: "autoscaling/v1",
  kind: "Scale",
  metadata: {
    name: rs.metadata.name ?? "",
    namespace: rs.metadata.namespace ?? "default",
    ...(rs.metadata.uid !== undefined ? { uid: rs.metadata.uid } : {}),
    ...(rs.metadata.resourceVersion !== undefined ? { resourceVersion: rs.metadata.resourceVersion } : {}),
    ...(rs.metadata.creationTimestamp !== undefined ? { creationTimestamp: rs.metadata.creationTimestamp } : {})
  },
  spec: { replicas: rs.spec.replicas ?? 1 },
  status: { replicas: rs.status?.replicas ?? 0, selector: formatLabelSelector(rs.spec.selector) }
})

/** GET .../replicasets/{name}/scale */
export const getScale = (
  store: ObjectStore["Service"],
  namespace: string,
  name: string
): Effect.Effect<Scale, NotFound | WriteError> =>
  Effect.map(store.get<ReplicaSet>("replicasets", namespace, name), scaleOf)

/** PUT .../replicasets/{name}/scale: sets `spec.replicas`; Conflict on a stale resourceVersion, Invalid below 0. */
export const updateScale = (
  store: ObjectStore["Service"],
  namespace: string,
  name: string,
  scale: Pick<Scale, "spec"> & { readonly metadata?: { readonly resourceVersion?: string } }
): Effect.Effect<Scale, WriteError> =>
  Effect.gen(function* () {
    const replicas = scale.spec.replicas ?? 0
    if (!Number.isInteger(replicas) || replicas < 0) {
      return yield* new Invalid({
        resource: "replicasets",
        group: "autoscaling",
        kind: "Scale",
        name,
        causes: [
          {
            reason: "FieldValueInvalid",
            message: `Invalid value: ${replicas}: must be greater than or equal to 0`,
            field: "spec.replicas"
          }
        ]
      })
    }
    const rs = yield* store.get<ReplicaSet>("replicasets", namespace, name)
    const expected = scale.metadata?.resourceVersion
    if (expected !== undefined && expected !== "" && expected !== rs.metadata.resourceVersion) {
      return yield* new Conflict({
        resource: "replicasets",
        group: "apps",
        kind: "ReplicaSet",
        name,
        message: `Operation cannot be fulfilled on replicasets.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`
      })
    }
    const written = yield* store.update<ReplicaSet>("replicasets", { ...rs, spec: { ...rs.spec, replicas } })
    return scaleOf(written.object)
  })
