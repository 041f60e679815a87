/**
 * What a resource URL names: the resource type, the namespace, the object name and the
 * subresource, from the path segments under a group-version prefix (`/api/v1`, `/apis/apps/v1`).
 * Pure, so the routing rules are table-tested; the handlers only dispatch on the result.
 */
import type { ResourceType } from "@podlet/core/api/Resources"
import { apiVersionOf, Resources } from "@podlet/core/api/Resources"

/** A group-version podlet serves and its resources. */
export interface GroupVersion {
  readonly group: string
  readonly version: string
  /** `v1` or `apps/v1` */
  readonly groupVersion: string
  /** `/api/v1` or `/apis/apps/v1` */
  readonly prefix: string
  readonly resources: ReadonlyArray<ResourceType>
}

const groupVersions = (): ReadonlyArray<GroupVersion> => {
  const byGv = new Map<string, Array<ResourceType>>()
  for (const r of Resources) {
    const gv = apiVersionOf(r)
    byGv.set(gv, [...(byGv.get(gv) ?? []), r])
  }
  return [...byGv.entries()].map(([groupVersion, resources]) => {
    const { group, version } = resources[0]!
    return {
      group,
      version,
      groupVersion,
      prefix: group === "" ? `/api/${version}` : `/apis/${group}/${version}`,
      resources
    }
  })
}

/** Every group-version, the core group first. */
export const GroupVersions: ReadonlyArray<GroupVersion> = groupVersions()

/** A subresource served under `<resource>/<name>/<subresource>`, its verbs, and its kind when not the parent's. */
export interface Subresource {
  readonly name: string
  readonly verbs: ReadonlyArray<string>
  readonly kind?: { readonly group: string; readonly version: string; readonly kind: string }
}

const statusSubresource: Subresource = { name: "status", verbs: ["get", "patch", "update"] }
const logSubresource: Subresource = { name: "log", verbs: ["get"] }
const evictionSubresource: Subresource = {
  name: "eviction",
  verbs: ["create"],
  kind: { group: "policy", version: "v1", kind: "Eviction" }
}
const scaleSubresource: Subresource = {
  name: "scale",
  verbs: ["get", "patch", "update"],
  kind: { group: "autoscaling", version: "v1", kind: "Scale" }
}

/**
 * Subresources served per resource: `status` where the resource has one, `pods/log`,
 * `pods/eviction` and `replicasets/scale`.
 */
export const subresourcesOf = (r: ResourceType): ReadonlyArray<Subresource> => [
  ...(r.hasStatus ? [statusSubresource] : []),
  ...(r.resource === "pods" && r.group === "" ? [logSubresource, evictionSubresource] : []),
  ...(r.resource === "replicasets" && r.group === "apps" ? [scaleSubresource] : [])
]

/** A resolved resource URL. `namespace` is undefined for cluster-scoped objects and cluster-wide lists. */
export interface Target {
  readonly resource: ResourceType
  readonly namespace?: string
  readonly name?: string
  readonly subresource?: string
  /** the legacy `/watch/` path form */
  readonly watchPath: boolean
}

/**
 * Resolves the segments after a group-version prefix, e.g. `["namespaces","default","pods","web","status"]`.
 * Undefined when no served resource matches (a 404).
 */
export const resolveTarget = (gv: GroupVersion, segments: ReadonlyArray<string>): Target | undefined => {
  const watchPath = segments[0] === "watch"
  const rest = watchPath ? segments.slice(1) : segments
  if (rest.includes("")) return undefined
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const namespaced = resourceNamed(gv, rest[2])
    if (namespaced?.namespaced) {
      if (rest.length > 5) return undefined
      const namespace = rest[1]!
      const name = rest[3]
      const base: Target =
        name === undefined
          ? { resource: namespaced, namespace, watchPath }
          : { resource: namespaced, namespace, name, watchPath }
      return withSubresource(base, rest[4])
    }
  }
  const resource = resourceNamed(gv, rest[0])
  if (resource === undefined || rest.length > 3) return undefined
  if (resource.namespaced) return rest.length === 1 ? { resource, watchPath } : undefined
  const name = rest[1]
  const base: Target = name === undefined ? { resource, watchPath } : { resource, name, watchPath }
  return withSubresource(base, rest[2])
}

// Module-level helpers, not closures: this runs twice per request (metrics and routing).
const resourceNamed = (gv: GroupVersion, name: string | undefined): ResourceType | undefined => {
  for (const r of gv.resources) if (r.resource === name) return r
  return undefined
}

const withSubresource = (target: Target, sub: string | undefined): Target | undefined => {
  if (sub === undefined) return target
  if (target.watchPath || !subresourcesOf(target.resource).some((s) => s.name === sub)) return undefined
  return { ...target, subresource: sub }
}

/**
 * The path segments after a group-version prefix, percent-decoded; undefined when one does not
 * decode. `path` must start with the prefix.
 */
export const segmentsAfter = (path: string, prefixLength: number): ReadonlyArray<string> | undefined => {
  const parts = path.slice(prefixLength).split("/")
  if (!path.includes("%")) return parts
  try {
    return parts.map((part) => decodeURIComponent(part))
  } catch {
    return undefined
  }
}

/**
 * The path and the query (with its `?`, for `new URLSearchParams`, which drops one) of a serialized
 * absolute URL, as `URL` would give them.
 */
export const hrefParts = (href: string): { readonly pathname: string; readonly search: string } => {
  const scheme = href.indexOf("://")
  const start = scheme < 0 ? -1 : href.indexOf("/", scheme + 3)
  if (start < 0) {
    const url = new URL(href)
    return { pathname: url.pathname, search: url.search }
  }
  const hash = href.indexOf("#", start)
  const end = hash < 0 ? href.length : hash
  const query = href.indexOf("?", start)
  return query < 0 || query > end
    ? { pathname: href.slice(start, end), search: "" }
    : { pathname: href.slice(start, query), search: href.slice(query, end) }
}
