/**
 * Decoding what comes in: JSON bodies and YAML/JSON manifest files (multi-document, `kind: List`
 * flattened) into typed objects. An Effect Schema derived from the field catalogue (`Shape.ts`)
 * checks the types; failures are `BadRequest` values worded as the API server's decoder words them
 * (`Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct
 * field ContainerPort.spec.containers.ports.containerPort of type int32`) with the exact field path
 * (`spec.containers[0].ports[0].containerPort`) in `causes`. No input escapes as an exception.
 */
import { Result, Schema, type SchemaIssue } from "effect"
import { parseAllDocuments } from "yaml"
import { BadRequest, type FieldCause } from "./Errors.js"
import type { KubeObject } from "./Meta.js"
import { parseQuantity } from "./Quantity.js"
import { apiVersionOf, type ResourceType, resourceFor, resourceForKind } from "./Resources.js"
import { goTypeOf, type LeafType, prune, type Shape, shapeAt, shapeForKind, unknownFieldsOf } from "./Shape.js"

// ---------------------------------------------------------------------------------------------
// Schema derived from the field catalogue

const int32Range = Schema.makeFilter((n: number) => (n >= -2147483648 && n <= 2147483647 ? undefined : "int32"))
const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const isQuantityInput = (v: string | number): boolean => Result.isSuccess(parseQuantity(v))

const leafSchema = (shape: Extract<Shape, { _tag: "Leaf" }>): AnySchema => {
  switch (shape.go) {
    case "string":
    case "v1.Time":
    case "v1.MicroTime":
      return Schema.String
    case "int32":
      return Schema.Int.check(int32Range)
    case "int64":
      return Schema.Int
    case "float64":
      return Schema.Number
    case "bool":
      return Schema.Boolean
    case "resource.Quantity":
      return Schema.Union([Schema.String, Schema.Number]).check(
        Schema.makeFilter((v: string | number) => (isQuantityInput(v) ? undefined : "quantity"))
      )
    case "intstr.IntOrString":
      return Schema.Union([Schema.Int.check(int32Range), Schema.String])
    case "[]uint8":
      return Schema.String.check(Schema.makeFilter((s: string) => (base64Re.test(s) ? undefined : "base64")))
  }
}

type AnySchema = Schema.Codec<unknown, unknown>

const schemaCache = new WeakMap<Shape, AnySchema>()

/** The decoding Schema of a shape: every field optional and nullable, unknown fields ignored. */
export const schemaOf = (shape: Shape): AnySchema => {
  const cached = schemaCache.get(shape)
  if (cached !== undefined) return cached
  let schema: AnySchema
  switch (shape._tag) {
    case "Leaf":
      schema = leafSchema(shape)
      break
    case "Any":
      schema = Schema.Unknown
      break
    case "Array":
      schema = Schema.Array(Schema.NullOr(schemaOf(shape.item)))
      break
    case "Map":
      schema = Schema.Record(Schema.String, Schema.NullOr(schemaOf(shape.value)))
      break
    case "Object": {
      const fields: Record<string, Schema.Top> = {}
      for (const [k, f] of Object.entries(shape.fields)) fields[k] = Schema.optionalKey(Schema.NullOr(schemaOf(f)))
      schema = Schema.Struct(fields) as unknown as AnySchema
      break
    }
  }
  schemaCache.set(shape, schema)
  return schema
}

const decoderCache = new WeakMap<Shape, ReturnType<typeof Schema.decodeUnknownResult<AnySchema>>>()

const decoderOf = (shape: Shape) => {
  let decoder = decoderCache.get(shape)
  if (decoder === undefined) {
    decoder = Schema.decodeUnknownResult(schemaOf(shape))
    decoderCache.set(shape, decoder)
  }
  return decoder
}

// ---------------------------------------------------------------------------------------------
// Issues to Kubernetes wording

interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly input: unknown
}

const hasPointer = (issue: SchemaIssue.Issue): boolean => {
  switch (issue._tag) {
    case "Pointer":
      return true
    case "Composite":
    case "AnyOf":
      return issue.issues.some(hasPointer)
    case "Filter":
    case "Encoding":
      return hasPointer(issue.issue)
    default:
      return false
  }
}

/** The leaf problems of an issue tree, each with its path and the offending input. */
const problemsOf = (issue: SchemaIssue.Issue, root: unknown): Array<Problem> => {
  const out: Array<Problem> = []
  const valueAt = (path: ReadonlyArray<PropertyKey>): unknown =>
    path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as never)[k as never] : undefined), root)
  const walk = (i: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    switch (i._tag) {
      case "Pointer":
        walk(i.issue, [...path, ...i.path])
        return
      case "Composite":
      case "AnyOf":
        if (i.issues.some(hasPointer)) {
          for (const x of i.issues) if (hasPointer(x)) walk(x, path)
          return
        }
        out.push({ path, input: valueAt(path) })
        return
      case "Filter":
      case "Encoding":
        if (hasPointer(i.issue)) walk(i.issue, path)
        else out.push({ path, input: valueAt(path) })
        return
      default:
        out.push({ path, input: valueAt(path) })
    }
  }
  walk(issue, [])
  return out
}

/** `spec.containers[0].ports[0].containerPort` (indices and map keys in brackets). */
const fieldPath = (shape: Shape, path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  let current: Shape | undefined = shape
  for (const seg of path) {
    if (current?._tag === "Object") {
      out = out === "" ? String(seg) : `${out}.${String(seg)}`
      current = current.fields[String(seg)]
    } else {
      out = `${out}[${String(seg)}]`
      current = current?._tag === "Array" ? current.item : current?._tag === "Map" ? current.value : undefined
    }
  }
  return out
}

/** Go's dotted struct-field path (`spec.containers.ports.containerPort`): struct fields only. */
const goFieldPath = (shape: Shape, path: ReadonlyArray<PropertyKey>): string => {
  const names: Array<string> = []
  let current: Shape | undefined = shape
  for (const seg of path) {
    if (current?._tag === "Object") {
      names.push(String(seg))
      current = current.fields[String(seg)]
    } else current = current?._tag === "Array" ? current.item : current?._tag === "Map" ? current.value : undefined
  }
  return names.join(".")
}

const jsonKind = (input: unknown, goType: string): string => {
  if (typeof input === "string") return "string"
  if (typeof input === "boolean") return "bool"
  if (typeof input === "number") {
    const intTarget = goType === "int32" || goType === "int64" || goType === "intstr.IntOrString"
    return intTarget && (!Number.isInteger(input) || Math.abs(input) > 2147483647) ? `number ${input}` : "number"
  }
  if (Array.isArray(input)) return "array"
  if (input === null) return "null"
  return "object"
}

/** The Go decoder's message for one problem. */
const goMessage = (shape: Shape, problem: Problem): string => {
  const at = shapeAt(shape, problem.path)
  const target = at?.shape
  if (target?._tag === "Leaf" && target.go === "resource.Quantity" && typeof problem.input !== "object") {
    const r = parseQuantity(problem.input as string | number)
    if (Result.isFailure(r)) return r.failure
  }
  if (target?._tag === "Leaf" && target.go === "[]uint8" && typeof problem.input === "string") {
    return `illegal base64 data at input byte ${base64ErrorOffset(problem.input)}`
  }
  const goType = target === undefined ? "interface {}" : goTypeOf(target)
  const struct = (at?.struct ?? "").replace(/^v1\./, "")
  const field = goFieldPath(shape, problem.path)
  const kind = jsonKind(problem.input, goType)
  if (field === "") return `json: cannot unmarshal ${kind} into Go value of type ${goType}`
  return `json: cannot unmarshal ${kind} into Go struct field ${struct}.${field} of type ${goType}`
}

const base64ErrorOffset = (s: string): number => {
  const i = s.search(/[^A-Za-z0-9+/=]/)
  return i >= 0 ? i : Math.max(0, s.length - (s.length % 4 === 0 ? 1 : s.length % 4))
}

const typeCause = (shape: Shape, problem: Problem): FieldCause => ({
  reason: "FieldValueTypeInvalid",
  message: goMessage(shape, problem),
  field: fieldPath(shape, problem.path)
})

// ---------------------------------------------------------------------------------------------
// Decoding one object

export interface DecodeOptions {
  /** the resource of the endpoint (`pods`): supplies a missing kind/apiVersion and must match */
  readonly resource?: string
}

const cannotHandle = (rt: ResourceType, detail: string, causes?: ReadonlyArray<FieldCause>): BadRequest =>
  new BadRequest({
    message: `${rt.kind} in version ${JSON.stringify(rt.version)} cannot be handled as a ${rt.kind}: ${detail}`,
    ...(causes === undefined ? {} : { causes: [...causes] })
  })

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const shortJson = (v: unknown): string => {
  try {
    const text = JSON.stringify(v) ?? String(v)
    return text.length > 200 ? `${text.slice(0, 200)}...` : text
  } catch {
    return String(v)
  }
}

/** The resource type an object claims (by kind and apiVersion), or a BadRequest. */
const resourceOf = (raw: Record<string, unknown>, options: DecodeOptions): Result.Result<ResourceType, BadRequest> => {
  const expected = options.resource === undefined ? undefined : resourceFor(options.resource)
  const kind = typeof raw.kind === "string" && raw.kind !== "" ? raw.kind : expected?.kind
  const apiVersion =
    typeof raw.apiVersion === "string" && raw.apiVersion !== ""
      ? raw.apiVersion
      : expected === undefined
        ? undefined
        : apiVersionOf(expected)
  if (kind === undefined)
    return Result.fail(new BadRequest({ message: `Object 'Kind' is missing in '${shortJson(raw)}'` }))
  if (apiVersion === undefined) {
    return Result.fail(new BadRequest({ message: `Object 'apiVersion' is missing in '${shortJson(raw)}'` }))
  }
  const rt = resourceForKind(kind)
  if (rt === undefined || apiVersionOf(rt) !== apiVersion) {
    return Result.fail(
      new BadRequest({
        message: `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}`
      })
    )
  }
  if (expected !== undefined && expected.kind !== rt.kind) {
    return Result.fail(
      cannotHandle(expected, `the kind in the body (${rt.kind}) does not match the resource's kind (${expected.kind})`)
    )
  }
  return Result.succeed(rt)
}

const decodeChecked = (raw: unknown, options: DecodeOptions): Result.Result<KubeObject, BadRequest> => {
  if (!isPlainObject(raw)) {
    return Result.fail(new BadRequest({ message: `Object 'Kind' is missing in '${shortJson(raw)}'` }))
  }
  const found = resourceOf(raw, options)
  if (Result.isFailure(found)) return Result.fail(found.failure)
  const rt = found.success
  const shape = shapeForKind(rt.kind)
  if (shape === undefined) return Result.fail(cannotHandle(rt, "no decoder for this kind"))
  const typed = { ...raw, kind: rt.kind, apiVersion: apiVersionOf(rt) }
  const decoded = decoderOf(shape)(typed, { errors: "all" })
  if (Result.isFailure(decoded)) {
    const problems = problemsOf(decoded.failure.issue, typed)
    const causes = problems.map((p) => typeCause(shape, p))
    return Result.fail(cannotHandle(rt, causes[0]?.message ?? "invalid object", causes))
  }
  const stripped = prune(shape, typed, { keepUnknown: true }) as Record<string, unknown>
  return Result.succeed(
    (stripped.metadata === undefined ? { ...stripped, metadata: {} } : stripped) as unknown as KubeObject
  )
}

/**
 * Decode one object (a parsed JSON body): type-checked against the kind's catalogue, `null`
 * members dropped, unknown fields KEPT (see `unknownFields` / `pruneUnknown`). Never throws.
 */
export const decodeObject = (raw: unknown, options: DecodeOptions = {}): Result.Result<KubeObject, BadRequest> => {
  try {
    return decodeChecked(raw, options)
  } catch (cause) {
    return Result.fail(new BadRequest({ message: `unable to decode object: ${String(cause)}` }))
  }
}

/** Decode a JSON text (a request body). */
export const decodeJson = (text: string, options: DecodeOptions = {}): Result.Result<KubeObject, BadRequest> => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    return Result.fail(
      new BadRequest({
        message: `couldn't get version/kind; json parse error: ${cause instanceof Error ? cause.message : String(cause)}`
      })
    )
  }
  return decodeObject(raw, options)
}

/** Quantities seen to parse (bounded): typed objects repeat the same few. */
const goodQuantities = new Set<string | number>()

const isQuantityCached = (v: string | number): boolean => {
  if (goodQuantities.has(v)) return true
  if (!isQuantityInput(v)) return false
  if (goodQuantities.size >= 4096) goodQuantities.clear()
  goodQuantities.add(v)
  return true
}

const isInt32 = (v: unknown): boolean =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= -2147483648 && v <= 2147483647

const leafConforms = (go: LeafType, v: unknown): boolean => {
  switch (go) {
    case "string":
    case "v1.Time":
    case "v1.MicroTime":
      return typeof v === "string"
    case "int32":
      return isInt32(v)
    case "int64":
      return typeof v === "number" && Number.isSafeInteger(v)
    case "float64":
      return typeof v === "number" && Number.isFinite(v)
    case "bool":
      return typeof v === "boolean"
    case "resource.Quantity":
      return (typeof v === "string" || typeof v === "number") && isQuantityCached(v)
    case "intstr.IntOrString":
      return typeof v === "string" || isInt32(v)
    case "[]uint8":
      return typeof v === "string" && base64Re.test(v)
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * A quick walk that answers true only for values the decoding Schema accepts (anything unusual
 * answers false and goes to the Schema, which has the last word and the wording).
 */
const conforms = (shape: Shape, v: unknown): boolean => {
  switch (shape._tag) {
    case "Leaf":
      return leafConforms(shape.go, v)
    case "Any":
      return true
    case "Array": {
      if (!Array.isArray(v)) return false
      for (const item of v) if (item !== null && !conforms(shape.item, item)) return false
      return true
    }
    case "Map": {
      if (!isRecord(v)) return false
      for (const k in v) {
        const item = v[k]
        if (item !== null && !conforms(shape.value, item)) return false
      }
      return true
    }
    case "Object": {
      if (!isRecord(v)) return false
      for (const k in v) {
        if (!Object.hasOwn(shape.fields, k)) continue
        const item = v[k]
        if (item !== null && !conforms(shape.fields[k]!, item)) return false
      }
      return true
    }
  }
}

/**
 * A shape compiled for the clean walk: one node class (monomorphic reads) and each object's
 * fields in a Map (one lookup per member instead of `hasOwn` plus a keyed read on a large record).
 */
class CleanNode {
  /** 0 leaf, 1 any, 2 array, 3 map, 4 object */
  kind = 0
  go: LeafType = "string"
  nullable = false
  /** array item or map value */
  child: CleanNode | undefined = undefined
  fields: Map<string, CleanNode> | undefined = undefined
}

const compiled = new Map<Shape, CleanNode>()

/** The compiled node of `shape` (built once; recursive shapes share their nodes). */
const cleanNode = (shape: Shape): CleanNode => {
  let node = compiled.get(shape)
  if (node !== undefined) return node
  node = new CleanNode()
  compiled.set(shape, node)
  switch (shape._tag) {
    case "Leaf":
      node.go = shape.go
      node.nullable = shape.nullable === true
      break
    case "Any":
      node.kind = 1
      break
    case "Array":
      node.kind = 2
      node.child = cleanNode(shape.item)
      break
    case "Map":
      node.kind = 3
      node.child = cleanNode(shape.value)
      break
    case "Object": {
      node.kind = 4
      const fields = new Map<string, CleanNode>()
      for (const key of Object.keys(shape.fields)) fields.set(key, cleanNode(shape.fields[key]!))
      node.fields = fields
      break
    }
  }
  return node
}

const cleanWalk = (node: CleanNode, v: unknown): boolean => {
  switch (node.kind) {
    case 0:
      return v !== null && leafConforms(node.go, v)
    case 1:
      return true
    case 2: {
      if (!Array.isArray(v)) return false
      const item = node.child!
      for (let i = 0; i < v.length; i++) {
        const value: unknown = v[i]
        if (value === null || !cleanWalk(item, value)) return false
      }
      return true
    }
    case 3: {
      if (!isRecord(v)) return false
      const item = node.child!
      for (const k in v) {
        const value = v[k]
        if (value === null || !cleanWalk(item, value)) return false
      }
      return true
    }
    default: {
      if (!isRecord(v)) return false
      const fields = node.fields!
      for (const k in v) {
        const f = fields.get(k)
        if (f === undefined) return false
        const value = v[k]
        if (value === null) {
          if (f.kind === 0 && f.nullable) continue
          return false
        }
        if (!cleanWalk(f, value)) return false
      }
      return true
    }
  }
}

/**
 * One walk that answers true only when `unknownFieldsOf` would find nothing, `prune` would return
 * the value itself (no unknown field, no `null` to drop or replace) and the quick type check
 * accepts it: the write path then skips those three walks. Anything else, or anything unusual,
 * answers false, and the three run as they are.
 */
export const isClean = (shape: Shape, v: unknown): boolean => cleanWalk(cleanNode(shape), v)

/**
 * `isClean` of the members of `object` that are not `old`'s own (by reference, as `changedMembers`
 * picks them), without building that object: what an update must still check.
 */
export const isCleanExcept = (shape: Shape, object: unknown, old: unknown): boolean => {
  if (shape._tag !== "Object" || !isRecord(object) || !isRecord(old)) return false
  const fields = cleanNode(shape).fields!
  for (const k in object) {
    const item = object[k]
    if (item !== null && typeof item === "object" && item === old[k]) continue
    const f = fields.get(k)
    if (f === undefined) return false
    if (item === null) {
      if (f.kind === 0 && f.nullable) continue
      return false
    }
    if (!cleanWalk(f, item)) return false
  }
  return true
}

/**
 * The type problems of an object of a served kind, one `FieldValueTypeInvalid` cause each, worded
 * as the Go decoder words them. Empty when the object decodes (or its kind is not served).
 */
export const typeCauses = (object: unknown): ReadonlyArray<FieldCause> => {
  try {
    const kind = isPlainObject(object) && typeof object.kind === "string" ? object.kind : undefined
    const shape = kind === undefined ? undefined : shapeForKind(kind)
    if (shape === undefined) return []
    if (conforms(shape, object)) return []
    const decoded = decoderOf(shape)(object, { errors: "all" })
    return Result.isFailure(decoded) ? problemsOf(decoded.failure.issue, object).map((p) => typeCause(shape, p)) : []
  } catch {
    return []
  }
}

// ---------------------------------------------------------------------------------------------
// Unknown fields (fieldValidation)

/** `fieldValidation` modes of the API server. */
export type FieldValidation = "Strict" | "Warn" | "Ignore"

/**
 * `unknown field "spec.containers[0].imagee"` for each field the object's kind does not have.
 * `kindOrResource` is a kind (`Pod`) or a plural resource name (`pods`).
 */
export const unknownFields = (kindOrResource: string, raw: unknown): ReadonlyArray<string> => {
  const shape = shapeForKind(resourceFor(kindOrResource)?.kind ?? kindOrResource)
  if (shape === undefined) return []
  try {
    return unknownFieldsOf(shape, raw)
  } catch {
    return []
  }
}

/** The copy the API server would store: unknown fields and `null` members removed. */
export const pruneUnknown = <T extends KubeObject>(object: T): T => {
  const shape = shapeForKind(object.kind)
  return shape === undefined ? object : (prune(shape, object) as T)
}

/**
 * Apply a `fieldValidation` mode: `Strict` fails with the strict-decoding BadRequest, `Warn` returns
 * the problems as warnings, `Ignore` returns none.
 */
export const checkFieldValidation = (
  resource: string,
  raw: unknown,
  mode: FieldValidation
): Result.Result<ReadonlyArray<string>, BadRequest> => {
  const rt = resourceFor(resource)
  if (mode === "Ignore" || rt === undefined) return Result.succeed([])
  const problems = unknownFields(rt.kind, raw)
  if (problems.length === 0 || mode === "Warn") return Result.succeed(problems)
  return Result.fail(cannotHandle(rt, `strict decoding error: ${problems.join(", ")}`))
}

// ---------------------------------------------------------------------------------------------
// Manifest files

/**
 * YAML 1.1 as Kubernetes' go-yaml reads it (`yes`/`on`/`n` are booleans, `0755` is octal), but
 * timestamps and sexagesimal numbers (`10:30`) stay strings, as go-yaml leaves them.
 */
const yamlOptions = {
  version: "1.1" as const,
  customTags: (tags: Array<unknown>) =>
    tags.filter((t) => {
      const tag = t as { tag?: string; format?: string }
      return tag.tag !== "tag:yaml.org,2002:timestamp" && tag.format !== "TIME"
    }),
  uniqueKeys: true
}

const yamlError = (message: string, line: number | undefined): BadRequest =>
  new BadRequest({
    message: `error converting YAML to JSON: yaml: ${line === undefined ? "" : `line ${line}: `}${message.split("\n")[0]}`
  })

const listKinds = (raw: Record<string, unknown>): boolean =>
  typeof raw.kind === "string" && raw.kind.endsWith("List") && Array.isArray(raw.items)

/** The documents of a YAML or JSON text as plain values (empty documents skipped). */
export const parseDocuments = (text: string): Result.Result<ReadonlyArray<unknown>, BadRequest> => {
  const trimmed = text.trimStart()
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    // a JSON text is a YAML document; JSON.parse reads it much faster
    try {
      const value: unknown = JSON.parse(text)
      return Result.succeed(value === null ? [] : [value])
    } catch {
      // not plain JSON (flow-style YAML, comments...): read it as YAML below
    }
  }
  try {
    const docs = parseAllDocuments(text, yamlOptions as never)
    const list = Array.isArray(docs) ? docs : [docs]
    const out: Array<unknown> = []
    for (const doc of list) {
      const error = doc.errors[0]
      if (error !== undefined) return Result.fail(yamlError(error.message, error.linePos?.[0]?.line))
      const value: unknown = doc.toJS({ maxAliasCount: 100 })
      if (value === null || value === undefined) continue
      out.push(value)
    }
    return Result.succeed(out)
  } catch (cause) {
    return Result.fail(yamlError(cause instanceof Error ? cause.message : String(cause), undefined))
  }
}

/**
 * Every object of a YAML/JSON manifest text: multi-document YAML, JSON, and `kind: List` (or any
 * `XxxList` with `items`) flattened, each decoded and type-checked. The first failure is returned,
 * its message prefixed with the document's position when there are several.
 */
export const parseManifests = (text: string): Result.Result<ReadonlyArray<KubeObject>, BadRequest> => {
  const docs = parseDocuments(text)
  if (Result.isFailure(docs)) return Result.fail(docs.failure)
  const out: Array<KubeObject> = []
  const flat: Array<unknown> = []
  for (const doc of docs.success) {
    if (isPlainObject(doc) && listKinds(doc)) flat.push(...(doc.items as Array<unknown>))
    else flat.push(doc)
  }
  for (const [i, raw] of flat.entries()) {
    const decoded = decodeObject(raw)
    if (Result.isFailure(decoded)) {
      if (flat.length === 1) return Result.fail(decoded.failure)
      const e = decoded.failure
      return Result.fail(
        new BadRequest({
          message: `object ${i + 1} of ${flat.length}: ${e.message}`,
          ...(e.causes === undefined ? {} : { causes: e.causes })
        })
      )
    }
    out.push(decoded.success)
  }
  return Result.succeed(out)
}
