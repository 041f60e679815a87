/**
 * Encoding responses: objects and lists as JSON, YAML, a Table or partial metadata (per the Accept
 * header), every object with `kind` and `apiVersion`; `Warning: 299` headers for field-validation
 * warnings; Status bodies for errors.
 */
import type { KubeObject, ListMeta, Status } from "@podlet/core/api/Meta"
import { apiVersionOf, type ResourceType } from "@podlet/core/api/Resources"
import { printerFor } from "@podlet/core/domain/Printers"
import { stringify } from "yaml"
import { contentTypeOf, type Output } from "./Negotiate.js"
import { type IncludeObject, partialMetadata, toTable } from "./Table.js"

/** The object with `apiVersion` and `kind` of its resource type, first. */
export const withTypeMeta = <T extends KubeObject>(resource: ResourceType, object: T): T => {
  const { apiVersion: _a, kind: _k, ...rest } = object
  return { apiVersion: apiVersionOf(resource), kind: resource.kind, ...rest } as unknown as T
}

/** `Warning: 299 - "unknown field \"spec.foo\""`, inner quotes and backslashes escaped. */
export const warningHeader = (text: string): string => `299 - "${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`

/** Plain header records where they suffice: @hono/node-server writes those without building a `Headers`. */
const headersFor = (output: Output, warnings: ReadonlyArray<string>): Record<string, string> | Headers => {
  if (warnings.length === 0) return { "content-type": contentTypeOf(output) }
  const headers = new Headers({ "content-type": contentTypeOf(output) })
  for (const w of warnings) headers.append("warning", warningHeader(w))
  return headers
}

const encode = (output: Output, body: unknown): string =>
  output === "yaml" ? stringify(body, { aliasDuplicateObjects: false }) : JSON.stringify(body)

/** A JSON response with a status code. */
export const jsonResponse = (body: unknown, status = 200, headers?: Readonly<Record<string, string>>): Response => {
  const typed =
    headers !== undefined && Object.keys(headers).some((k) => k.toLowerCase() === "content-type")
      ? { ...headers }
      : { "content-type": "application/json", ...headers }
  return new Response(JSON.stringify(body), { status, headers: typed })
}

/** A Status body with its code. */
export const statusResponse = (status: Status): Response => jsonResponse(status, status.code)

/**
 * The JSON a store backend already wrote for an object (the very object a write returned), if it
 * still has it: answers reuse it instead of serialising the object again.
 */
export type ObjectJson = (object: KubeObject) => string | undefined

export interface Rendering {
  readonly output: Output
  readonly include: IncludeObject
  /** epoch ms, for the ages in Tables */
  readonly now: number
  readonly objectJson?: ObjectJson
}

/**
 * Whether an object's own JSON is its typed JSON (`withTypeMeta`): `apiVersion` and `kind` are
 * its first two keys, with its resource's values.
 */
export const typedAlready = (resource: ResourceType, object: KubeObject): boolean => {
  let index = 0
  for (const key in object) {
    if (index === 0 && (key !== "apiVersion" || object.apiVersion !== apiVersionOf(resource))) return false
    if (index === 1) return key === "kind" && object.kind === resource.kind
    index++
  }
  return false
}

/** The typed JSON of an object: the backend's own when it has it and the key order allows. */
export const typedJson = (resource: ResourceType, object: KubeObject, objectJson: ObjectJson | undefined): string => {
  const written = objectJson?.(object)
  return written !== undefined && typedAlready(resource, object)
    ? written
    : JSON.stringify(withTypeMeta(resource, object))
}

/** One object (GET, and the results of writes). */
export const objectResponse = (
  resource: ResourceType,
  object: KubeObject,
  rendering: Rendering,
  status = 200,
  warnings: ReadonlyArray<string> = []
): Response => {
  const headers = headersFor(rendering.output, warnings)
  if (rendering.output === "json") {
    return new Response(typedJson(resource, object, rendering.objectJson), { status, headers })
  }
  const typed = withTypeMeta(resource, object)
  switch (rendering.output) {
    case "table": {
      const table = toTable(
        printerFor(resource.resource),
        [typed],
        {
          ...(typed.metadata.resourceVersion === undefined ? {} : { resourceVersion: typed.metadata.resourceVersion })
        },
        rendering.now,
        rendering.include
      )
      return new Response(JSON.stringify(table), { status, headers })
    }
    case "partial":
      return new Response(JSON.stringify(partialMetadata(typed)), { status, headers })
    default:
      return new Response(encode(rendering.output, typed), { status, headers })
  }
}

/** A list (`PodList`), or a Table / PartialObjectMetadataList of it. */
export const listResponse = (
  resource: ResourceType,
  items: ReadonlyArray<KubeObject>,
  metadata: ListMeta,
  rendering: Rendering
): Response => {
  const typed = items.map((o) => withTypeMeta(resource, o))
  switch (rendering.output) {
    case "table":
      return jsonResponse(
        toTable(printerFor(resource.resource), typed, metadata, rendering.now, rendering.include),
        200,
        { "content-type": contentTypeOf("table") }
      )
    case "partial":
      return jsonResponse(
        {
          kind: "PartialObjectMetadataList",
          apiVersion: "meta.k8s.io/v1",
          metadata,
          items: typed.map(partialMetadata)
        },
        200,
        { "content-type": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io" }
      )
    default:
      return new Response(
        encode(rendering.output, {
          kind: `${resource.kind}List`,
          apiVersion: apiVersionOf(resource),
          metadata,
          items: typed
        }),
        { headers: { "content-type": contentTypeOf(rendering.output) } }
      )
  }
}
