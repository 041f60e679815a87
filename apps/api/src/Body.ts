/**
 * Request bodies: read with the apiserver's 3 MiB limit, then parsed as JSON or YAML according to
 * the Content-Type. Malformed input is a 400 BadRequest, an unknown media type a 415, an oversized
 * body a 413; nothing here can become a 500. The resource routes read a body before their handler
 * runs (`prefetchBody`), so the handler's fiber does not suspend on it; the outcome is the same.
 */
import { ApiFailure, BadRequest } from "@podlet/core/api/Errors"
import { Effect, Result } from "effect"
import { parseAllDocuments } from "yaml"
import { decodeProtobuf, protobufMediaType } from "./Protobuf.js"

/** The apiserver's request body limit (3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024

/** The media type of a Content-Type or Accept entry, lower-cased, without parameters. */
export const mediaType = (header: string | null | undefined): string =>
  (header ?? "").split(";")[0]!.trim().toLowerCase()

/** Media types accepted for whole objects (POST, PUT, DeleteOptions). */
export const objectMediaTypes = ["application/json", "application/yaml"] as const

const unsupported = (contentType: string, accepted: ReadonlyArray<string>) =>
  new ApiFailure({
    code: 415,
    reason: "UnsupportedMediaType",
    message: `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}${
      contentType === "" ? "" : ` (got ${contentType})`
    }`
  })

const tooLarge = () =>
  new ApiFailure({
    code: 413,
    reason: "RequestEntityTooLarge",
    message: `Request entity too large: limit is ${maxBodyBytes}`
  })

const readLimited = async (request: Request): Promise<Uint8Array | "too-large"> => {
  const length = request.headers.get("content-length")
  const declared = Number(length ?? "0")
  if (declared > maxBodyBytes) return "too-large"
  // a declared length bounds the body (the HTTP parser enforces it): read it whole, which
  // @hono/node-server serves straight from the socket without building a web stream
  if (length !== null && Number.isInteger(declared)) return new Uint8Array(await request.arrayBuffer())
  if (request.body === null) return new Uint8Array()
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBodyBytes) {
      await reader.cancel()
      return "too-large"
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** A body read: its bytes, too large, or the reason it could not be read. */
type BodyRead = Uint8Array | "too-large" | { readonly failed: unknown }

const unreadable = (e: unknown) => new BadRequest({ message: `unable to read the request body: ${String(e)}` })

const bodyOf = (read: BodyRead): Effect.Effect<Uint8Array, ApiFailure | BadRequest> =>
  read === "too-large"
    ? Effect.fail(tooLarge())
    : read instanceof Uint8Array
      ? Effect.succeed(read)
      : Effect.fail(unreadable(read.failed))

/** Reads a body; never rejects. */
const readBody = (request: Request): Promise<BodyRead> =>
  readLimited(request).then(
    (read) => read,
    (failed: unknown) => ({ failed })
  )

/** Bodies read before their handler ran, by request (taken once). */
const prefetched = new WeakMap<Request, BodyRead>()

/** The part of a Node request message (`IncomingMessage`) a body read needs. */
export interface IncomingBody {
  readonly readableDidRead: boolean
  readonly readableAborted: boolean
  /** bytes the parser has buffered */
  readonly readableLength: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** what the parser has buffered, whole; null when nothing is */
  read(): unknown
  /** lets the message end (and the connection serve its next request) once the parser is done */
  resume(): unknown
}

/** The Node request message behind a Hono context's `env` (@hono/node-server passes `{ incoming, outgoing }`), if any. */
export const incomingOf = (env: unknown): IncomingBody | undefined => {
  const incoming = (env as { readonly incoming?: Partial<IncomingBody> } | undefined)?.incoming
  return typeof incoming?.read === "function" && typeof incoming.resume === "function"
    ? (incoming as IncomingBody)
    : undefined
}

/**
 * The body the HTTP parser has already buffered on a Node message with a Content-Length, once all
 * of its bytes are there (the parser delivers exactly that many), taken whole and without a copy;
 * undefined otherwise (then the body is read from the Request). The same outcome as `readLimited`,
 * the 3 MiB limit included.
 */
export const bufferedBody = (incoming: IncomingBody): Uint8Array | "too-large" | undefined => {
  const length = incoming.headers["content-length"]
  if (typeof length !== "string" || incoming.readableDidRead || incoming.readableAborted) return undefined
  const declared = Number(length)
  if (declared > maxBodyBytes) return "too-large"
  if (!Number.isInteger(declared) || incoming.readableLength !== declared) return undefined
  const chunk = declared === 0 ? null : incoming.read()
  incoming.resume()
  if (chunk === null) return new Uint8Array()
  return chunk instanceof Uint8Array ? chunk : new TextEncoder().encode(String(chunk))
}

/**
 * Reads the body of a request that can carry one (not GET or HEAD) ahead of its handler, which
 * then takes it without suspending. Never rejects: a failed read is kept and reported where the
 * handler reads the body, as without the prefetch. Given the Node message, a body that came with
 * the request's head is taken from the parser's buffer one microtask later (Node's parser runs
 * microtasks after the head's callback, which starts the handler, and then pushes the body),
 * without a web stream, listeners or a copy.
 */
export const prefetchBody = async (request: Request, incoming?: IncomingBody): Promise<void> => {
  if (request.method === "GET" || request.method === "HEAD") return
  if (incoming !== undefined) {
    await undefined
    const buffered = bufferedBody(incoming)
    if (buffered !== undefined) {
      prefetched.set(request, buffered)
      return
    }
  }
  prefetched.set(request, await readBody(request))
}

/** The body's bytes, at most 3 MiB (413 beyond). */
export const readBodyBytes = (request: Request): Effect.Effect<Uint8Array, ApiFailure | BadRequest> =>
  Effect.suspend(() => {
    const read = prefetched.get(request)
    if (read === undefined)
      return Effect.flatMap(
        Effect.promise(() => readBody(request)),
        bodyOf
      )
    prefetched.delete(request)
    return bodyOf(read)
  })

/** Decodes a whole body (not streaming, so one decoder serves every request). */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

// The per-request helpers below are module-level functions rather than `Effect.try({ try, catch })`
// literals: under tsx (keepNames) every named closure created per call costs a defineProperty.

const decodeUtf8 = (bytes: Uint8Array): Result.Result<string, BadRequest> => {
  try {
    return Result.succeed(utf8.decode(bytes))
  } catch {
    return Result.fail(new BadRequest({ message: "the request body is not valid UTF-8" }))
  }
}

const decodeUtf8Effect = (bytes: Uint8Array): Effect.Effect<string, BadRequest> => Effect.fromResult(decodeUtf8(bytes))

/** The body as text, at most 3 MiB (413 beyond). */
export const readBodyText = (request: Request): Effect.Effect<string, ApiFailure | BadRequest> =>
  Effect.flatMap(readBodyBytes(request), decodeUtf8Effect)

/** Deepest nesting accepted in a body (real objects stay far below; deeper input is a 400, not a stack overflow). */
export const maxBodyDepth = 256

/**
 * Whether a parsed value nests deeper than `limit`. Recursive but bounded by `limit` (it stops
 * descending there), so it cannot overflow the stack for the limits used, and allocates nothing.
 */
export const nestedDeeperThan = (value: unknown, limit: number): boolean => {
  if (typeof value !== "object" || value === null) return false
  if (limit <= 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (nestedDeeperThan(value[i], limit - 1)) return true
    return false
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && nestedDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true
  }
  return false
}

const checkDepth = (value: unknown): Result.Result<unknown, BadRequest> =>
  nestedDeeperThan(value, maxBodyDepth)
    ? Result.fail(new BadRequest({ message: `the request body nests deeper than ${maxBodyDepth} levels` }))
    : Result.succeed(value)

const parseJsonNow = (text: string): Result.Result<unknown, BadRequest> => {
  try {
    return Result.succeed(JSON.parse(text) as unknown)
  } catch (e) {
    return Result.fail(new BadRequest({ message: `json parse error: ${e instanceof Error ? e.message : String(e)}` }))
  }
}

/** Parses JSON text; a syntax error is a 400 with the parser's message. */
export const parseJson = (text: string): Effect.Effect<unknown, BadRequest> =>
  Effect.suspend(() => Effect.fromResult(parseJsonNow(text)))

const parseYamlNow = (text: string): Result.Result<unknown, BadRequest> => {
  try {
    const docs = parseAllDocuments(text)
    if (!Array.isArray(docs) || docs.length === 0) return Result.succeed(null)
    if (docs.length > 1) throw new Error("expected a single document")
    const doc = docs[0]!
    const error = doc.errors[0]
    if (error !== undefined) throw new Error(error.message)
    return Result.succeed(doc.toJS({ maxAliasCount: 100 }) as unknown)
  } catch (e) {
    return Result.fail(new BadRequest({ message: `yaml: ${e instanceof Error ? e.message : String(e)}` }))
  }
}

/** Parses one YAML document (JSON is YAML too); several documents or a syntax error are a 400. */
export const parseYaml = (text: string): Effect.Effect<unknown, BadRequest> =>
  Effect.suspend(() => Effect.fromResult(parseYamlNow(text)))

/** A whole-object body's media type that cannot be read (415), before its bytes are read. */
const refusedObjectType = (type: string): ApiFailure | undefined =>
  type === protobufMediaType ||
  type === "" ||
  type === "application/json" ||
  type === "application/yaml" ||
  type === "*/*"
    ? undefined
    : unsupported(type, objectMediaTypes)

/** A whole-object body from its bytes, by media type (an accepted one). */
const objectFromBytes = (type: string, bytes: Uint8Array): Result.Result<unknown, ApiFailure | BadRequest> => {
  if (type === protobufMediaType) {
    const decoded = decodeProtobuf(bytes)
    if (decoded === "unsupported") return Result.fail(unsupported(type, objectMediaTypes))
    if (decoded instanceof BadRequest) return Result.fail(decoded)
    return Result.succeed(decoded)
  }
  const text = decodeUtf8(bytes)
  if (Result.isFailure(text)) return text
  if (text.success.trim() === "") return Result.succeed(undefined)
  const parsed = type === "application/yaml" ? parseYamlNow(text.success) : parseJsonNow(text.success)
  return Result.isFailure(parsed) ? parsed : checkDepth(parsed.success)
}

/**
 * Reads and parses a whole-object body (create, update, DeleteOptions). JSON unless the
 * Content-Type says YAML or Kubernetes protobuf (Namespace, ConfigMap, Secret only); a missing
 * Content-Type is read as JSON.
 */
export const readObjectBody = (request: Request): Effect.Effect<unknown, ApiFailure | BadRequest> =>
  Effect.suspend(() => {
    const type = mediaType(request.headers.get("content-type"))
    const refused = refusedObjectType(type)
    if (refused !== undefined) return Effect.fail(refused)
    return Effect.flatMap(readBodyBytes(request), (bytes) => Effect.fromResult(objectFromBytes(type, bytes)))
  })

/**
 * `readObjectBody` without suspending, for a request whose body was read ahead (`prefetchBody`):
 * the same answer as a plain value; undefined when the body was not read ahead (nothing taken).
 */
export const takeObjectBody = (request: Request): Result.Result<unknown, ApiFailure | BadRequest> | undefined => {
  const read = prefetched.get(request)
  if (read === undefined) return undefined
  const type = mediaType(request.headers.get("content-type"))
  const refused = refusedObjectType(type)
  if (refused !== undefined) return Result.fail(refused)
  prefetched.delete(request)
  if (read === "too-large") return Result.fail(tooLarge())
  if (!(read instanceof Uint8Array)) return Result.fail(unreadable(read.failed))
  return objectFromBytes(type, read)
}

/** How a PATCH body is applied, from its Content-Type. */
export type PatchKind = "merge" | "json" | "strategic" | "apply"

/** The patch media types, in the order the apiserver lists them. */
export const patchMediaTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml"
] as const

const patchKinds: Readonly<Record<string, PatchKind>> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply"
}

/** Reads a PATCH body: the patch kind from the Content-Type (415 otherwise) and the parsed patch. */
export const readPatchBody = (
  request: Request
): Effect.Effect<{ readonly kind: PatchKind; readonly patch: unknown }, ApiFailure | BadRequest> =>
  Effect.gen(function* () {
    const type = mediaType(request.headers.get("content-type"))
    const kind = patchKinds[type]
    if (kind === undefined) return yield* unsupported(type, patchMediaTypes)
    const text = yield* readBodyText(request)
    if (text.trim() === "") return yield* new BadRequest({ message: "the patch body is empty" })
    const parsed = yield* kind === "apply" ? parseYaml(text) : parseJson(text)
    const patch = yield* Effect.fromResult(checkDepth(parsed))
    return { kind, patch }
  })
