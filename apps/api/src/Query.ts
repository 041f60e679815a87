/**
 * Query parameters of resource requests, decoded into the ObjectStore's options: list and watch
 * (selectors, limit/continue, resourceVersion, bookmarks, timeoutSeconds), writes (dryRun,
 * fieldValidation, fieldManager), deletes (DeleteOptions from the body or the query) and
 * `includeObject` for Tables. Bad values are 400 BadRequest or 422 Invalid, as upstream.
 */
import { BadRequest, Invalid } from "@podlet/core/api/Errors"
import type { DeleteOptions, PropagationPolicy } from "@podlet/core/api/Meta"
import type { FieldValidation, ListOptions, WatchOptions, WriteOptions } from "@podlet/core/services/ObjectStore"
import { Effect, Result } from "effect"
import type { IncludeObject } from "./Table.js"

const param = (query: URLSearchParams, name: string): string | undefined => query.get(name) ?? undefined

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

/** `watch=1` / `watch=true`. */
export const isWatch = (query: URLSearchParams): boolean => {
  const w = param(query, "watch")
  return w === "1" || w === "true"
}

const nonNegativeInt = (query: URLSearchParams, name: string): Effect.Effect<number | undefined, BadRequest> => {
  const raw = param(query, name)
  if (raw === undefined || raw === "") return Effect.succeed(undefined)
  const n = Number(raw)
  return Number.isInteger(n) && n >= 0
    ? Effect.succeed(n)
    : Effect.fail(new BadRequest({ message: `invalid value for ${name}: ${JSON.stringify(raw)}` }))
}

/** List options: namespace, selectors, `limit` and `continue`. */
export const listOptions = (
  namespace: string | undefined,
  query: URLSearchParams
): Effect.Effect<ListOptions, BadRequest> =>
  Effect.map(nonNegativeInt(query, "limit"), (limit) => ({
    ...optional("namespace", namespace),
    ...optional("labelSelector", param(query, "labelSelector") || undefined),
    ...optional("fieldSelector", param(query, "fieldSelector") || undefined),
    ...optional("limit", limit === 0 ? undefined : limit),
    ...optional("continue", param(query, "continue") || undefined)
  }))

/** Watch options plus `timeoutSeconds`; a named object adds `metadata.name=<name>` to the field selector. */
export const watchOptions = (
  namespace: string | undefined,
  name: string | undefined,
  query: URLSearchParams
): Effect.Effect<{ readonly options: WatchOptions; readonly timeoutSeconds: number | undefined }, BadRequest> =>
  Effect.map(nonNegativeInt(query, "timeoutSeconds"), (timeoutSeconds) => {
    const fields = [param(query, "fieldSelector"), name === undefined ? undefined : `metadata.name=${name}`]
      .filter((s): s is string => s !== undefined && s !== "")
      .join(",")
    const bookmarks = param(query, "allowWatchBookmarks")
    return {
      options: {
        ...optional("namespace", namespace),
        ...optional("labelSelector", param(query, "labelSelector") || undefined),
        ...optional("fieldSelector", fields === "" ? undefined : fields),
        ...optional("resourceVersion", param(query, "resourceVersion") || undefined),
        ...optional("allowBookmarks", bookmarks === "true" || bookmarks === "1" ? true : undefined)
      },
      timeoutSeconds: timeoutSeconds === 0 ? undefined : timeoutSeconds
    }
  })

/** `includeObject` of Table requests (default Metadata). */
export const includeObject = (query: URLSearchParams): Effect.Effect<IncludeObject, BadRequest> =>
  Effect.fromResult(includeObjectResult(query))

const metadataOnly: Result.Result<IncludeObject, BadRequest> = Result.succeed("Metadata")

/** `includeObject` as a plain value. */
export const includeObjectResult = (query: URLSearchParams): Result.Result<IncludeObject, BadRequest> => {
  const raw = param(query, "includeObject")
  if (raw === undefined || raw === "") return metadataOnly
  return raw === "None" || raw === "Metadata" || raw === "Object"
    ? Result.succeed(raw)
    : Result.fail(new BadRequest({ message: `includeObject: unsupported value "${raw}"` }))
}

/** Which write a set of options belongs to, for the error wording (`CreateOptions.meta.k8s.io`). */
export type WriteVerb = "Create" | "Update" | "Patch" | "Delete"

const optionsInvalid = (verb: WriteVerb, field: string, reason: string, message: string) =>
  new Invalid({
    resource: "",
    group: "meta.k8s.io",
    kind: `${verb}Options`,
    name: "",
    causes: [{ reason, message, field }]
  })

/** `dryRun` (only `All`) and `fieldValidation` (Strict/Warn/Ignore, default Warn as upstream). */
export const writeOptions = (query: URLSearchParams, verb: WriteVerb): Effect.Effect<WriteOptions, Invalid> =>
  Effect.fromResult(writeOptionsResult(query, verb))

/** `writeOptions` as a plain value, for handlers that decide before entering Effect. */
export const writeOptionsResult = (query: URLSearchParams, verb: WriteVerb): Result.Result<WriteOptions, Invalid> => {
  const dryRun = query.getAll("dryRun")
  const badDryRun = dryRun.find((d) => d !== "All")
  if (badDryRun !== undefined) {
    return Result.fail(
      optionsInvalid(
        verb,
        "dryRun",
        "FieldValueNotSupported",
        `Unsupported value: "${badDryRun}": supported values: "All"`
      )
    )
  }
  const validation = param(query, "fieldValidation") ?? ""
  const fieldValidation: FieldValidation | undefined =
    validation === ""
      ? "Warn"
      : validation === "Strict" || validation === "Warn" || validation === "Ignore"
        ? validation
        : undefined
  if (fieldValidation === undefined) {
    return Result.fail(
      optionsInvalid(
        verb,
        "fieldValidation",
        "FieldValueNotSupported",
        `Unsupported value: "${validation}": supported values: "Ignore", "Strict", "Warn"`
      )
    )
  }
  return Result.succeed(dryRun.length > 0 ? { dryRun: true, fieldValidation } : { fieldValidation })
}

const propagationPolicies: ReadonlyArray<string> = ["Orphan", "Background", "Foreground"]

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** DeleteOptions as the store takes them: `dryRun` is the write option. */
export type StoreDeleteOptions = Omit<DeleteOptions, "dryRun"> & WriteOptions

/**
 * DeleteOptions from the body when there is one, else from the query (as the apiserver does);
 * `dryRun` becomes the store's write option.
 */
export const deleteOptions = (
  body: unknown,
  query: URLSearchParams
): Effect.Effect<StoreDeleteOptions, BadRequest | Invalid> =>
  Effect.gen(function* () {
    let grace: unknown
    let policy: unknown
    let preconditions: unknown
    let orphan: unknown
    let dryRun: ReadonlyArray<unknown>
    if (body !== undefined && body !== null) {
      if (!isRecord(body)) return yield* new BadRequest({ message: "DeleteOptions: the body must be an object" })
      if (body["kind"] !== undefined && body["kind"] !== "DeleteOptions") {
        return yield* new BadRequest({ message: `expected DeleteOptions, got ${String(body["kind"])}` })
      }
      grace = body["gracePeriodSeconds"]
      policy = body["propagationPolicy"]
      preconditions = body["preconditions"]
      orphan = body["orphanDependents"]
      const d = body["dryRun"]
      dryRun = d === undefined || d === null ? [] : Array.isArray(d) ? d : [d]
    } else {
      const g = param(query, "gracePeriodSeconds")
      grace = g === undefined || g === "" ? undefined : Number(g)
      policy = param(query, "propagationPolicy")
      const o = param(query, "orphanDependents")
      orphan = o === undefined ? undefined : o === "true"
      dryRun = query.getAll("dryRun")
    }
    if (grace !== undefined && grace !== null && !(typeof grace === "number" && Number.isInteger(grace))) {
      return yield* new BadRequest({ message: `DeleteOptions: gracePeriodSeconds must be an integer` })
    }
    if (policy !== undefined && policy !== null && !propagationPolicies.includes(String(policy))) {
      return yield* optionsInvalid(
        "Delete",
        "propagationPolicy",
        "FieldValueNotSupported",
        `Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan", "nil"`
      )
    }
    if (preconditions !== undefined && preconditions !== null && !isRecord(preconditions)) {
      return yield* new BadRequest({ message: "DeleteOptions: preconditions must be an object" })
    }
    const badDryRun = dryRun.find((d) => d !== "All")
    if (badDryRun !== undefined) {
      return yield* optionsInvalid(
        "Delete",
        "dryRun",
        "FieldValueNotSupported",
        `Unsupported value: "${String(badDryRun)}": supported values: "All"`
      )
    }
    const pre = isRecord(preconditions) ? preconditions : undefined
    return {
      ...(typeof grace === "number" ? { gracePeriodSeconds: Math.max(0, grace) } : {}),
      ...(typeof policy === "string" ? { propagationPolicy: policy as PropagationPolicy } : {}),
      ...(typeof orphan === "boolean" ? { orphanDependents: orphan } : {}),
      ...(pre === undefined
        ? {}
        : {
            preconditions: {
              ...(typeof pre["uid"] === "string" ? { uid: pre["uid"] } : {}),
              ...(typeof pre["resourceVersion"] === "string" ? { resourceVersion: pre["resourceVersion"] } : {})
            }
          }),
      ...(dryRun.length > 0 ? { dryRun: true } : {})
    }
  })
