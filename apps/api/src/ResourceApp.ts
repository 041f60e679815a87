/**
 * The generic resource handlers of one group-version (`/api/v1`, `/apis/apps/v1`, ...): GET, LIST,
 * WATCH, POST, PUT, PATCH, DELETE and deletecollection on every resource the group serves, the
 * `status` subresource, cluster-wide lists, and the group-version's APIResourceList. Each handler
 * decodes the request, calls the ObjectStore once, and encodes the answer.
 */
import { decodeObject, isClean } from "@podlet/core/api/Decode"
import { type ApiError, BadRequest, Invalid } from "@podlet/core/api/Errors"
import type { KubeObject } from "@podlet/core/api/Meta"
import { apiVersionOf, type ResourceType, resourceForKind } from "@podlet/core/api/Resources"
import { prune, shapeForKind } from "@podlet/core/api/Shape"
import { ObjectStore, type WriteOptions } from "@podlet/core/services/ObjectStore"
import { Clock, Context, Effect, type Fiber, Result } from "effect"
import { Hono } from "hono"
import { incomingOf, prefetchBody, readObjectBody, readPatchBody, takeObjectBody } from "./Body.js"
import { apiResourceList } from "./Discovery.js"
import { type ApiRuntime, respond } from "./Edge.js"
import { evict } from "./Eviction.js"
import { outputFor } from "./Negotiate.js"
import { logResponse } from "./PodLogs.js"
import {
  deleteOptions,
  includeObjectResult,
  isWatch,
  listOptions,
  watchOptions,
  writeOptions,
  writeOptionsResult
} from "./Query.js"
import { listResponse, type ObjectJson, objectResponse, type Rendering, statusResponse } from "./Respond.js"
import { patchScale, readScale, replaceScale } from "./ScaleApp.js"
import { methodNotAllowedStatus, notFoundStatus } from "./StatusResponse.js"
import { type GroupVersion, hrefParts, resolveTarget, segmentsAfter, type Target } from "./Target.js"
import {
  type WatchOutlet,
  type WatchRequest,
  watchGauges,
  watchOutletOf,
  watchResponse,
  watchToOutlet
} from "./Watch.js"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const reject = (message: string) => Result.fail(new BadRequest({ message }))

/**
 * The object a write body describes, checked against the URL: kind and apiVersion default to the
 * endpoint's (as the apiserver's decoder does) and must match it; the namespace comes from the URL;
 * a name in the URL must match the body's. Then type-checked by core's `decodeObject` (400 with
 * Go's wording, e.g. `containerPort` as a string).
 */
export const objectFromBody = (
  target: Target,
  body: unknown,
  urlName: string | undefined
): Effect.Effect<KubeObject, BadRequest> => Effect.fromResult(objectFromBodyResult(target, body, urlName))

/** `objectFromBody` as a plain value. */
export const objectFromBodyResult = (
  target: Target,
  body: unknown,
  urlName: string | undefined
): Result.Result<KubeObject, BadRequest> => {
  const r = target.resource
  const expected = apiVersionOf(r)
  if (!isRecord(body)) {
    return reject(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: the body must be an object`)
  }
  const { apiVersion = expected, kind = r.kind, metadata = {} } = body
  if (apiVersion !== expected) {
    return reject(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expected})`
    )
  }
  if (kind !== r.kind) {
    return reject(
      `${String(kind)} in version "${r.version}" cannot be handled as a ${r.kind}: the kind does not match the endpoint`
    )
  }
  if (!isRecord(metadata)) {
    return reject(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: metadata must be an object`)
  }
  const meta: Record<string, unknown> = { ...metadata }
  if (r.namespaced) {
    const ns = meta["namespace"]
    if (ns !== undefined && ns !== "" && ns !== target.namespace) {
      return reject("the namespace of the provided object does not match the namespace sent on the request")
    }
    meta["namespace"] = target.namespace
  } else {
    delete meta["namespace"]
  }
  if (urlName !== undefined) {
    const name = meta["name"]
    if (name !== undefined && name !== "" && name !== urlName) {
      return reject(`the name of the object (${String(name)}) does not match the name on the URL (${urlName})`)
    }
    meta["name"] = urlName
  }
  const object = { ...body, apiVersion: expected, kind: r.kind, metadata: meta }
  const quick = decodedQuickly(r, object)
  if (quick !== undefined) return Result.succeed(quick)
  return decodeObject(object, { resource: r.resource })
}

/**
 * What `decodeObject` answers for a typed object that core's `isClean` walk accepts (types that
 * the Schema accepts, no unknown field, no null), without the Schema pass, which was most of a
 * create's cost at the edge: the same pruning of the same object. Undefined for anything else;
 * the caller then runs `decodeObject` (and its 400 wording).
 */
export const decodedQuickly = (r: ResourceType, object: Record<string, unknown>): KubeObject | undefined => {
  const shape = shapeForKind(r.kind)
  if (shape === undefined || resourceForKind(r.kind) !== r) return undefined
  try {
    if (!isClean(shape, object)) return undefined
    const stripped = prune(shape, object, { keepUnknown: true }) as Record<string, unknown>
    return (stripped.metadata === undefined ? { ...stripped, metadata: {} } : stripped) as unknown as KubeObject
  } catch {
    return undefined
  }
}

/** How to encode the answer (Accept, `includeObject`), with `now` from the fiber's clock. */
const renderingNow = (
  request: Request,
  query: URLSearchParams,
  edge: EdgeOptions,
  fiber: Fiber.Fiber<unknown, unknown>
): Result.Result<Rendering, BadRequest> => {
  const output = outputFor(request.headers.get("accept"))
  const include = includeObjectResult(query)
  if (Result.isFailure(include)) return Result.fail(include.failure)
  const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
  const { objectJson } = edge
  return Result.succeed(
    objectJson === undefined
      ? { output, include: include.success, now }
      : { output, include: include.success, now, objectJson }
  )
}

const renderingOf = (request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.withFiber((fiber) => Effect.fromResult(renderingNow(request, query, edge, fiber)))

const methodNotAllowed = Effect.sync(() => statusResponse(methodNotAllowedStatus()))

const list = (target: Target, request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const options = yield* listOptions(target.namespace, query)
    const result = yield* store.list(target.resource.resource, options)
    const metadata = {
      resourceVersion: result.resourceVersion,
      ...(result.continue === undefined || result.continue === "" ? {} : { continue: result.continue }),
      ...(result.remainingItemCount === undefined ? {} : { remainingItemCount: result.remainingItemCount })
    }
    return listResponse(target.resource, result.items, metadata, rendering)
  })

const watch = (
  target: Target,
  request: Request,
  query: URLSearchParams,
  outlet: WatchOutlet | undefined,
  edge: EdgeOptions
) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const { options, timeoutSeconds } = yield* watchOptions(target.namespace, target.name, query)
    const gauge = watchGauges.get(request)
    // the start is fixed now (and selectors are checked) before the 200 goes out
    const rv = options.resourceVersion
    const fromNow = rv === undefined || rv === "0"
    const current = yield* store.list(target.resource.resource, {
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
      ...(options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector }),
      ...(fromNow ? {} : { limit: 1 })
    })
    const { objectJson } = edge
    const watchRequest: WatchRequest = {
      resource: target.resource,
      initial: fromNow ? current.items : [],
      options: fromNow ? { ...options, resourceVersion: current.resourceVersion } : options,
      output: rendering.output,
      include: rendering.include,
      timeoutSeconds,
      ...(gauge === undefined ? {} : { gauge }),
      ...(objectJson === undefined ? {} : { objectJson })
    }
    return yield* outlet === undefined || request.method !== "GET"
      ? watchResponse(watchRequest)
      : watchToOutlet(watchRequest, outlet)
  })

const get = (target: Target, name: string, request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const object = yield* store.get(target.resource.resource, target.namespace, name)
    return objectResponse(target.resource, object, rendering)
  })

/** The store's create of a decided object, answered as the 201 (module-level: no closure per request). */
const createObject = (
  store: ObjectStore["Service"],
  target: Target,
  object: KubeObject,
  options: WriteOptions,
  rendering: Rendering
): Effect.Effect<Response, ApiError> =>
  Effect.map(store.create(target.resource.resource, object, options), (result) =>
    objectResponse(target.resource, result.object, rendering, 201, result.warnings)
  )

/** A create from its parsed body: the object checked against the URL, then the store's create. */
const createFromBody = (
  fiber: Fiber.Fiber<unknown, unknown>,
  target: Target,
  body: unknown,
  options: WriteOptions,
  rendering: Rendering
): Effect.Effect<Response, ApiError, ObjectStore> => {
  const object = objectFromBodyResult(target, body, undefined)
  if (Result.isFailure(object)) return Effect.fail(object.failure)
  const store = Context.getOrUndefined(fiber.context, ObjectStore)
  return store === undefined
    ? Effect.flatMap(Effect.service(ObjectStore), (s) => createObject(s, target, object.success, options, rendering))
    : createObject(store, target, object.success, options, rendering)
}

/**
 * POST: everything before the store's create is decided as plain values (the body read ahead),
 * in the order the apiserver checks it (query, body, object); one Effect step for the store.
 */
const create = (
  target: Target,
  request: Request,
  query: URLSearchParams,
  edge: EdgeOptions
): Effect.Effect<Response, ApiError, ObjectStore> =>
  Effect.withFiber((fiber) => {
    const rendering = renderingNow(request, query, edge, fiber)
    if (Result.isFailure(rendering)) return Effect.fail(rendering.failure)
    const options = writeOptionsResult(query, "Create")
    if (Result.isFailure(options)) return Effect.fail(options.failure)
    const body = takeObjectBody(request)
    if (body === undefined) {
      return Effect.flatMap(readObjectBody(request), (read) =>
        createFromBody(fiber, target, read, options.success, rendering.success)
      )
    }
    return Result.isFailure(body)
      ? Effect.fail(body.failure)
      : createFromBody(fiber, target, body.success, options.success, rendering.success)
  })

const update = (target: Target, name: string, request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const options = yield* writeOptions(query, "Update")
    const body = yield* readObjectBody(request)
    const object = yield* objectFromBody(target, body, name)
    const result =
      target.subresource === "status"
        ? yield* store.updateStatus(target.resource.resource, object, options)
        : yield* store.update(target.resource.resource, object, options)
    return objectResponse(target.resource, result.object, rendering, 200, result.warnings)
  })

const fieldManagerRequired = () =>
  new Invalid({
    resource: "",
    group: "meta.k8s.io",
    kind: "PatchOptions",
    name: "",
    causes: [
      { reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }
    ]
  })

const patch = (target: Target, name: string, request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const options = yield* writeOptions(query, "Patch")
    const body = yield* readPatchBody(request)
    const r = target.resource
    const sub = target.subresource === "status" ? { subresource: "status" as const } : {}
    if (body.kind !== "apply") {
      const result = yield* store.patch(r.resource, target.namespace, name, body.kind, body.patch, {
        ...options,
        ...sub
      })
      return objectResponse(r, result.object, rendering, 200, result.warnings)
    }
    // server-side apply, simplified: create when absent, else a strategic merge of the applied configuration
    if (!query.get("fieldManager")) return yield* fieldManagerRequired()
    const applied = yield* objectFromBody(target, body.patch, name)
    const exists = yield* store.get(r.resource, target.namespace, name).pipe(
      Effect.as(true),
      Effect.catchTag("NotFound", () => Effect.succeed(false))
    )
    if (!exists && target.subresource === undefined) {
      const created = yield* store.create(r.resource, applied, options)
      return objectResponse(r, created.object, rendering, 201, created.warnings)
    }
    const result = yield* store.patch(r.resource, target.namespace, name, "strategic", applied, { ...options, ...sub })
    return objectResponse(r, result.object, rendering, 200, result.warnings)
  })

const remove = (target: Target, name: string, request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const body = yield* readObjectBody(request)
    const options = yield* deleteOptions(body, query)
    const result = yield* store.delete(target.resource.resource, target.namespace, name, options as never)
    return objectResponse(target.resource, result.object, rendering, 200)
  })

const removeCollection = (target: Target, request: Request, query: URLSearchParams, edge: EdgeOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const rendering = yield* renderingOf(request, query, edge)
    const body = yield* readObjectBody(request)
    const options = yield* deleteOptions(body, query)
    const selection = yield* listOptions(target.namespace, query)
    const { limit: _limit, continue: _continue, ...all } = selection
    const current = yield* store.list(target.resource.resource, all)
    const deleted: Array<KubeObject> = []
    for (const item of current.items) {
      const result = yield* store
        .delete(target.resource.resource, item.metadata.namespace, item.metadata.name ?? "", options as never)
        .pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
      if (result !== undefined) deleted.push(result.object)
    }
    const rv = yield* store.resourceVersion
    return listResponse(target.resource, deleted, { resourceVersion: rv }, rendering)
  })

/** What the app around the handlers offers them. */
export interface EdgeOptions {
  /** the JSON the store's backend already wrote for an object (see `Rendering.objectJson`) */
  readonly objectJson?: ObjectJson
}

/**
 * Dispatches a request on a resolved target by method; a watch writes to `outlet` (the Node
 * response) when there is one.
 */
export const handleResource = (target: Target, request: Request, outlet?: WatchOutlet, edge: EdgeOptions = {}) => {
  const query = new URLSearchParams(hrefParts(request.url).search)
  const { name } = target
  const clusterWide = target.resource.namespaced && target.namespace === undefined
  if (target.subresource === "log" && request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed
  if (target.subresource === "eviction") {
    return request.method === "POST"
      ? evict(target.namespace ?? "default", name ?? "", request, query)
      : methodNotAllowed
  }
  if (target.subresource === "scale") {
    const namespace = target.namespace ?? "default"
    const scaled = name ?? ""
    if (request.method === "GET") return readScale(namespace, scaled)
    if (request.method === "PUT") return replaceScale(namespace, scaled, request)
    if (request.method === "PATCH") return patchScale(namespace, scaled, request)
    return methodNotAllowed
  }
  switch (request.method) {
    case "GET":
    case "HEAD":
      if (target.subresource === "log") return logResponse(target.namespace ?? "default", name ?? "", query)
      if (target.watchPath || (isWatch(query) && target.subresource === undefined))
        return watch(target, request, query, outlet, edge)
      return name === undefined ? list(target, request, query, edge) : get(target, name, request, query, edge)
    case "POST":
      return name === undefined && !clusterWide ? create(target, request, query, edge) : methodNotAllowed
    case "PUT":
      return name === undefined ? methodNotAllowed : update(target, name, request, query, edge)
    case "PATCH":
      return name === undefined ? methodNotAllowed : patch(target, name, request, query, edge)
    case "DELETE":
      if (name !== undefined)
        return target.subresource === undefined ? remove(target, name, request, query, edge) : methodNotAllowed
      return clusterWide ? methodNotAllowed : removeCollection(target, request, query, edge)
    default:
      return methodNotAllowed
  }
}

const pathSegments = (path: string, prefix: string): ReadonlyArray<string> | undefined => {
  let start = prefix.length
  while (path.charCodeAt(start) === 47) start++
  return segmentsAfter(path, start)
}

/** The sub-app of one group-version, mounted at its prefix. */
export const groupVersionApp = (gv: GroupVersion, runtime: ApiRuntime, edge: EdgeOptions = {}): Hono => {
  const app = new Hono()
  app.get("/", (c) => c.json(apiResourceList(gv)))
  app.all("*", async (c) => {
    const segments = pathSegments(c.req.path, gv.prefix)
    const target = segments === undefined ? undefined : resolveTarget(gv, segments)
    if (target === undefined) return statusResponse(notFoundStatus())
    await prefetchBody(c.req.raw, incomingOf(c.env))
    return respond(runtime, handleResource(target, c.req.raw, watchOutletOf(c.env), edge))
  })
  return app
}
