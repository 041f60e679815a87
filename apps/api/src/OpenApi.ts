/**
 * The OpenAPI v3 documents kubectl create/apply/replace fetch under `--validate=strict` (§4): per
 * group-version, a PATCH operation tagged with each kind's GVK that declares `fieldValidation`, so
 * kubectl leaves validation to the server, and the component schemas `kubectl explain` reads
 * (`OpenApiSchemas.ts`). The PATCH operations declare no strategic-merge request body, so `kubectl
 * apply` builds its patches from its compiled-in types, not from these schemas.
 * `/openapi/v2` is a 404 on purpose (kubectl wants protobuf there and falls back on a 404).
 */
import type { ResourceType } from "@podlet/core/api/Resources"
import { Hono } from "hono"
import { componentSchemas } from "./OpenApiSchemas.js"
import { type GroupVersion, GroupVersions, subresourcesOf } from "./Target.js"

const gvk = (r: ResourceType) => ({ group: r.group, version: r.version, kind: r.kind })

const queryParam = (name: string, description: string) => ({
  name,
  in: "query",
  description,
  schema: { type: "string", uniqueItems: true }
})

const writeParams = [
  queryParam("dryRun", "When present, indicates that modifications should not be persisted. Valid value: All"),
  queryParam(
    "fieldManager",
    "fieldManager is a name associated with the actor or entity that is making these changes."
  ),
  queryParam(
    "fieldValidation",
    "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values: Ignore, Warn, Strict."
  )
]

const response = (_r: ResourceType) => ({ description: "OK" })

const itemOperations = (r: ResourceType, sub: string | undefined) => {
  const suffix = sub === undefined ? "" : sub[0]!.toUpperCase() + sub.slice(1)
  const scope = r.namespaced ? "Namespaced" : ""
  const tag = { "x-kubernetes-group-version-kind": gvk(r), "x-kubernetes-action": "" }
  return {
    get: {
      ...tag,
      "x-kubernetes-action": "get",
      operationId: `read${scope}${r.kind}${suffix}`,
      responses: { "200": response(r) }
    },
    put: {
      ...tag,
      "x-kubernetes-action": "put",
      operationId: `replace${scope}${r.kind}${suffix}`,
      parameters: writeParams,
      requestBody: { content: { "*/*": { schema: { type: "object" } } }, required: true },
      responses: { "200": response(r), "201": response(r) }
    },
    patch: {
      ...tag,
      "x-kubernetes-action": "patch",
      operationId: `patch${scope}${r.kind}${suffix}`,
      parameters: [...writeParams, queryParam("force", 'Force is going to "force" Apply requests.')],
      responses: { "200": response(r), "201": response(r) }
    },
    ...(sub === undefined
      ? {
          delete: {
            ...tag,
            "x-kubernetes-action": "delete",
            operationId: `delete${scope}${r.kind}`,
            responses: { "200": response(r), "202": response(r) }
          }
        }
      : {})
  }
}

const collectionOperations = (r: ResourceType) => ({
  get: {
    "x-kubernetes-group-version-kind": gvk(r),
    "x-kubernetes-action": "list",
    operationId: `list${r.namespaced ? "Namespaced" : ""}${r.kind}`,
    responses: { "200": { description: "OK" } }
  },
  post: {
    "x-kubernetes-group-version-kind": gvk(r),
    "x-kubernetes-action": "post",
    operationId: `create${r.namespaced ? "Namespaced" : ""}${r.kind}`,
    parameters: writeParams,
    requestBody: { content: { "*/*": { schema: { type: "object" } } }, required: true },
    responses: { "200": response(r), "201": response(r), "202": response(r) }
  }
})

/** The OpenAPI v3 document of one group-version. */
export const openApiDocument = (gv: GroupVersion) => {
  const paths: Record<string, unknown> = {}
  for (const r of gv.resources) {
    const collection = r.namespaced ? `${gv.prefix}/namespaces/{namespace}/${r.resource}` : `${gv.prefix}/${r.resource}`
    paths[collection] = collectionOperations(r)
    paths[`${collection}/{name}`] = itemOperations(r, undefined)
    for (const sub of subresourcesOf(r)) {
      if (sub.name === "status") paths[`${collection}/{name}/${sub.name}`] = itemOperations(r, sub.name)
    }
    if (r.namespaced) paths[`${gv.prefix}/${r.resource}`] = { get: collectionOperations(r).get }
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.32.0" },
    paths,
    components: { schemas: componentSchemas(gv.resources) }
  }
}

/** FNV-1a (64-bit) of a string, as 16 upper-case hex digits: the `?hash=` of each document. */
export const contentHash = (text: string): string => {
  let hash = 0xcbf29ce484222325n
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i))
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).toUpperCase().padStart(16, "0")
}

const documents = GroupVersions.map((gv) => {
  const body = JSON.stringify(openApiDocument(gv))
  return { key: gv.prefix.slice(1), body, hash: contentHash(body) }
})

/** `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=…"}, …}}`. */
export const openApiRoot = () => ({
  paths: Object.fromEntries(documents.map((d) => [d.key, { serverRelativeURL: `/openapi/v3/${d.key}?hash=${d.hash}` }]))
})

/** `/openapi/v3` and `/openapi/v3/{api/v1|apis/<group>/<version>}`. */
export const openApiApp = (): Hono => {
  const app = new Hono()
  app.get("/openapi/v3", (c) => c.json(openApiRoot(), 200, { "cache-control": "no-cache, private" }))
  for (const d of documents) {
    app.get(
      `/openapi/v3/${d.key}`,
      () =>
        new Response(d.body, { headers: { "content-type": "application/json", "cache-control": "no-cache, private" } })
    )
  }
  return app
}
