/**
 * Object metadata and the meta.k8s.io/v1 shapes every Kubernetes object and response shares:
 * ObjectMeta, lists, Status, WatchEvent, DeleteOptions, Table. Plain readonly types; decoding
 * lives in `Decode.ts`.
 */

/** `metadata.ownerReferences[]`. */
export interface OwnerReference {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly uid: string
  readonly controller?: boolean
  readonly blockOwnerDeletion?: boolean
}

/** `metadata.managedFields[]` (kept as data; podlet does not compute field ownership). */
export interface ManagedFieldsEntry {
  readonly manager?: string
  readonly operation?: string
  readonly apiVersion?: string
  readonly time?: string
  readonly fieldsType?: string
  readonly fieldsV1?: unknown
  readonly subresource?: string
}

/** `metadata` of every persisted object. Timestamps are RFC 3339 strings, as on the wire. */
export interface ObjectMeta {
  readonly name?: string
  readonly generateName?: string
  readonly namespace?: string
  readonly uid?: string
  readonly resourceVersion?: string
  readonly generation?: number
  readonly creationTimestamp?: string
  readonly deletionTimestamp?: string
  readonly deletionGracePeriodSeconds?: number
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
  readonly ownerReferences?: ReadonlyArray<OwnerReference>
  readonly finalizers?: ReadonlyArray<string>
  readonly managedFields?: ReadonlyArray<ManagedFieldsEntry>
}

/** Any Kubernetes object: type meta plus object meta; the rest is kind-specific. */
export interface KubeObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ObjectMeta
}

export interface ListMeta {
  readonly resourceVersion?: string
  readonly continue?: string
  readonly remainingItemCount?: number
}

/** `XxxList` (and `kind: List` in YAML files). */
export interface List<T = KubeObject> {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ListMeta
  readonly items: ReadonlyArray<T>
}

export interface StatusCause {
  readonly reason?: string
  readonly message?: string
  readonly field?: string
}

export interface StatusDetails {
  readonly name?: string
  readonly group?: string
  readonly kind?: string
  readonly uid?: string
  readonly causes?: ReadonlyArray<StatusCause>
  readonly retryAfterSeconds?: number
}

/** meta/v1 Status: the body of every API error. */
export interface Status {
  readonly apiVersion: "v1"
  readonly kind: "Status"
  readonly metadata: ListMeta
  readonly status: "Success" | "Failure"
  readonly message?: string
  readonly reason?: string
  readonly details?: StatusDetails
  readonly code: number
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"

/** One line of a watch stream. */
export interface WatchEvent<T = KubeObject> {
  readonly type: WatchEventType
  readonly object: T
}

export interface Preconditions {
  readonly uid?: string
  readonly resourceVersion?: string
}

export type PropagationPolicy = "Orphan" | "Background" | "Foreground"

export interface DeleteOptions {
  readonly apiVersion?: string
  readonly kind?: "DeleteOptions"
  readonly gracePeriodSeconds?: number
  readonly preconditions?: Preconditions
  readonly propagationPolicy?: PropagationPolicy
  readonly orphanDependents?: boolean
  readonly dryRun?: ReadonlyArray<string>
}

export interface LabelSelectorRequirement {
  readonly key: string
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist"
  readonly values?: ReadonlyArray<string>
}

/** The structured selector of ReplicaSets and PDBs. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>
  readonly matchExpressions?: ReadonlyArray<LabelSelectorRequirement>
}

export interface TableColumnDefinition {
  readonly name: string
  readonly type: string
  readonly format: string
  readonly description: string
  readonly priority: number
}

export interface TableRow {
  readonly cells: ReadonlyArray<unknown>
  readonly conditions?: ReadonlyArray<unknown>
  readonly object?: unknown
}

/** meta.k8s.io/v1 Table: server-side printing. */
export interface Table {
  readonly apiVersion: "meta.k8s.io/v1"
  readonly kind: "Table"
  readonly metadata: ListMeta
  readonly columnDefinitions: ReadonlyArray<TableColumnDefinition>
  readonly rows: ReadonlyArray<TableRow>
}
