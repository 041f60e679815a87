/**
 * The resource types podlet serves: their kind, group/version, plural, scope and short names.
 * The store, the API's discovery and the printers all read this one table.
 */

export interface ResourceType {
  /** lower-case plural, the URL segment: "pods" */
  readonly resource: string
  readonly kind: string
  readonly group: string
  readonly version: string
  readonly namespaced: boolean
  readonly shortNames: ReadonlyArray<string>
  readonly singular: string
  /** has a `status` subresource (PUT/PATCH on the main resource ignore status changes) */
  readonly hasStatus: boolean
}

const core = (
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: ReadonlyArray<string>,
  hasStatus: boolean
): ResourceType => ({
  resource,
  kind,
  group: "",
  version: "v1",
  namespaced,
  shortNames,
  singular: kind.toLowerCase(),
  hasStatus
})

export const Resources: ReadonlyArray<ResourceType> = [
  core("pods", "Pod", true, ["po"], true),
  core("nodes", "Node", false, ["no"], true),
  core("namespaces", "Namespace", false, ["ns"], true),
  core("events", "Event", true, ["ev"], false),
  core("services", "Service", true, ["svc"], true),
  core("endpoints", "Endpoints", true, ["ep"], false),
  core("configmaps", "ConfigMap", true, ["cm"], false),
  core("secrets", "Secret", true, [], false),
  {
    resource: "replicasets",
    kind: "ReplicaSet",
    group: "apps",
    version: "v1",
    namespaced: true,
    shortNames: ["rs"],
    singular: "replicaset",
    hasStatus: true
  },
  {
    resource: "poddisruptionbudgets",
    kind: "PodDisruptionBudget",
    group: "policy",
    version: "v1",
    namespaced: true,
    shortNames: ["pdb"],
    singular: "poddisruptionbudget",
    hasStatus: true
  },
  {
    resource: "leases",
    kind: "Lease",
    group: "coordination.k8s.io",
    version: "v1",
    namespaced: true,
    shortNames: [],
    singular: "lease",
    hasStatus: false
  }
]

const byResource = new Map(Resources.map((r) => [r.resource, r]))
const byKind = new Map(Resources.map((r) => [r.kind, r]))

/** The resource type for a plural name ("pods"), or undefined. */
export const resourceFor = (resource: string): ResourceType | undefined => byResource.get(resource)

/** The resource type for a kind ("Pod"), or undefined. */
export const resourceForKind = (kind: string): ResourceType | undefined => byKind.get(kind)

/** `v1` or `apps/v1`. */
export const apiVersionOf = (r: ResourceType): string => (r.group === "" ? r.version : `${r.group}/${r.version}`)
