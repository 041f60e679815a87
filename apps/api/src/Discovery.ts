/**
 * API discovery: the legacy documents (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`)
 * and the aggregated `APIGroupDiscoveryList` (v2 and v2beta1) that kubectl 1.32 asks for first, with
 * the exact Content-Type it needs, all derived from core's resource table. Also `/version`.
 */
import type { ResourceType } from "@podlet/core/api/Resources"
import { Hono } from "hono"
import { type DiscoveryFlavor, discoveryFlavorFor } from "./Negotiate.js"
import { type GroupVersion, GroupVersions, subresourcesOf } from "./Target.js"

const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
/** Resources in kubectl's `all` category (as upstream, for the kinds podlet serves). */
const allCategory = new Set(["pods", "services", "replicasets"])

/** The `/version` body: a v1.32 server, so the kubectl dispatcher runs kubectl 1.32 (§1.1). */
export const versionInfo = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2024-12-11T00:00:00Z",
  goVersion: "go1.23.4",
  compiler: "gc",
  platform: "linux/amd64"
} as const

const categories = (r: ResourceType) => (allCategory.has(r.resource) ? { categories: ["all"] } : {})
const shortNames = (r: ResourceType) => (r.shortNames.length === 0 ? {} : { shortNames: r.shortNames })

/** `GET /api/v1`, `GET /apis/apps/v1`: the legacy APIResourceList. */
export const apiResourceList = (gv: GroupVersion) => ({
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: gv.groupVersion,
  resources: gv.resources.flatMap((r) => [
    {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs,
      ...shortNames(r),
      ...categories(r),
      storageVersionHash: ""
    },
    ...subresourcesOf(r).map((sub) => ({
      name: `${r.resource}/${sub.name}`,
      singularName: "",
      namespaced: r.namespaced,
      kind: sub.kind?.kind ?? r.kind,
      ...(sub.kind === undefined ? {} : { group: sub.kind.group, version: sub.kind.version }),
      verbs: sub.verbs
    }))
  ])
})

const discoveryResource = (r: ResourceType) => ({
  resource: r.resource,
  responseKind: { group: r.group, version: r.version, kind: r.kind },
  scope: r.namespaced ? "Namespaced" : "Cluster",
  singularResource: r.singular,
  verbs,
  ...shortNames(r),
  ...categories(r),
  ...(subresourcesOf(r).length === 0
    ? {}
    : {
        subresources: subresourcesOf(r).map((sub) => ({
          subresource: sub.name,
          responseKind: sub.kind ?? { group: r.group, version: r.version, kind: r.kind },
          verbs: sub.verbs
        }))
      })
})

const discoveryGroup = (group: string, gvs: ReadonlyArray<GroupVersion>) => ({
  metadata: { ...(group === "" ? {} : { name: group }), creationTimestamp: null },
  versions: gvs.map((gv) => ({
    version: gv.version,
    resources: gv.resources.map(discoveryResource),
    freshness: "Current"
  }))
})

const groups = (): ReadonlyArray<readonly [string, ReadonlyArray<GroupVersion>]> => {
  const byGroup = new Map<string, Array<GroupVersion>>()
  for (const gv of GroupVersions) byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv])
  return [...byGroup.entries()]
}

/** The aggregated discovery of `/api` (core only) or `/apis` (every named group). */
export const aggregatedDiscovery = (flavor: "v2" | "v2beta1", core: boolean) => ({
  kind: "APIGroupDiscoveryList",
  apiVersion: `apidiscovery.k8s.io/${flavor}`,
  metadata: {},
  items: groups()
    .filter(([group]) => (group === "") === core)
    .map(([group, gvs]) => discoveryGroup(group, gvs))
})

/** The Content-Type aggregated discovery must carry (§3.2). */
export const aggregatedContentType = (flavor: "v2" | "v2beta1") =>
  `application/json;g=apidiscovery.k8s.io;v=${flavor};as=APIGroupDiscoveryList`

const apiGroup = (group: string, gvs: ReadonlyArray<GroupVersion>) => {
  const versions = gvs.map((gv) => ({ groupVersion: gv.groupVersion, version: gv.version }))
  return { name: group, versions, preferredVersion: versions[0]! }
}

/** `GET /apis` (legacy): every named group. */
export const apiGroupList = () => ({
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: groups()
    .filter(([group]) => group !== "")
    .map(([group, gvs]) => apiGroup(group, gvs))
})

/** `GET /api` (legacy). */
export const apiVersions = (serverAddress: string) => ({
  kind: "APIVersions",
  versions: ["v1"],
  serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }]
})

const discoveryResponse = (flavor: DiscoveryFlavor, core: boolean, legacy: () => unknown): Response =>
  flavor === "legacy"
    ? Response.json(legacy())
    : new Response(JSON.stringify(aggregatedDiscovery(flavor, core)), {
        headers: { "content-type": aggregatedContentType(flavor) }
      })

/** The discovery and version routes. */
export const discoveryApp = (): Hono => {
  const app = new Hono()
  app.get("/version", (c) => c.json(versionInfo))
  app.get("/api", (c) =>
    discoveryResponse(discoveryFlavorFor(c.req.header("accept")), true, () => apiVersions(new URL(c.req.url).host))
  )
  app.get("/apis", (c) => discoveryResponse(discoveryFlavorFor(c.req.header("accept")), false, apiGroupList))
  for (const [group, gvs] of groups()) {
    if (group === "") continue
    app.get(`/apis/${group}`, (c) => c.json({ kind: "APIGroup", apiVersion: "v1", ...apiGroup(group, gvs) }))
  }
  return app
}
