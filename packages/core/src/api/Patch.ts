/**
 * The three PATCH bodies the API server takes, as pure functions over JSON values:
 * JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch (lists merged by
 * the Kubernetes `patchMergeKey`s of the built-in types, with the `$patch`, `$setElementOrder`,
 * `$retainKeys` and `$deleteFromPrimitiveList` directives). Inputs are never mutated.
 */

/** A patched document, or why the patch does not apply (a BadRequest at the API). */
export type PatchResult =
  | { readonly _tag: "Ok"; readonly value: unknown }
  | { readonly _tag: "Error"; readonly message: string }

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const ok = (value: unknown): PatchResult => ({ _tag: "Ok", value })
const fail = (message: string): PatchResult => ({ _tag: "Error", message })

class PatchError {
  constructor(readonly message: string) {}
}

const guard = (f: () => unknown): PatchResult => {
  try {
    return ok(f())
  } catch (e) {
    if (e instanceof PatchError) return fail(e.message)
    throw e
  }
}

/** Structural JSON equality. */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  // own members counted as they are compared (no key lists made: an update compares every write)
  let members = 0
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue
    if (!Object.hasOwn(b, k) || !jsonEqual((a as Json)[k], (b as Json)[k])) return false
    members++
  }
  for (const k in b) if (Object.hasOwn(b, k)) members--
  return members === 0
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386)

const merge = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return patch
  const result: Json = isObject(target) ? { ...target } : {}
  for (const key of Object.keys(patch)) {
    const value = patch[key]
    if (value === null) delete result[key]
    else result[key] = merge(result[key], value)
  }
  return result
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export const mergePatch = (original: unknown, patch: unknown): PatchResult => ok(merge(original, patch))

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902)

const parsePointer = (pointer: string): Array<string> => {
  if (pointer === "") return []
  if (!pointer.startsWith("/")) throw new PatchError(`invalid JSON pointer: "${pointer}"`)
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))
}

const arrayIndex = (token: string, length: number, allowEnd: boolean, path: string): number => {
  if (allowEnd && token === "-") return length
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in path "${path}"`)
  const index = Number(token)
  if (index > length || (!allowEnd && index === length)) throw new PatchError(`index out of range in path "${path}"`)
  return index
}

const getAt = (doc: unknown, tokens: ReadonlyArray<string>, path: string): unknown => {
  let current = doc
  for (const token of tokens) {
    if (Array.isArray(current)) current = current[arrayIndex(token, current.length, false, path)]
    else if (isObject(current) && Object.hasOwn(current, token)) current = current[token]
    else throw new PatchError(`missing path "${path}"`)
  }
  return current
}

/** Rebuilds the document along `tokens`, letting `f` change the parent container at the end. */
const updateAt = (
  doc: unknown,
  tokens: ReadonlyArray<string>,
  path: string,
  f: (parent: unknown, last: string) => unknown
): unknown => {
  if (tokens.length === 0) throw new PatchError(`cannot apply at the document root: "${path}"`)
  const [head, ...rest] = tokens as [string, ...Array<string>]
  if (rest.length === 0) return f(doc, head)
  if (Array.isArray(doc)) {
    const index = arrayIndex(head, doc.length, false, path)
    const copy = doc.slice()
    copy[index] = updateAt(doc[index], rest, path, f)
    return copy
  }
  if (isObject(doc) && Object.hasOwn(doc, head)) return { ...doc, [head]: updateAt(doc[head], rest, path, f) }
  throw new PatchError(`missing path "${path}"`)
}

const addAt = (doc: unknown, path: string, value: unknown): unknown => {
  const tokens = parsePointer(path)
  if (tokens.length === 0) return value
  return updateAt(doc, tokens, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const copy = parent.slice()
      copy.splice(arrayIndex(last, parent.length, true, path), 0, value)
      return copy
    }
    if (isObject(parent)) return { ...parent, [last]: value }
    throw new PatchError(`missing path "${path}"`)
  })
}

const removeAt = (doc: unknown, path: string): unknown => {
  const tokens = parsePointer(path)
  return updateAt(doc, tokens, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const copy = parent.slice()
      copy.splice(arrayIndex(last, parent.length, false, path), 1)
      return copy
    }
    if (isObject(parent) && Object.hasOwn(parent, last)) {
      const copy = { ...parent }
      delete copy[last]
      return copy
    }
    throw new PatchError(`missing path "${path}"`)
  })
}

const replaceAt = (doc: unknown, path: string, value: unknown): unknown => {
  const tokens = parsePointer(path)
  if (tokens.length === 0) return value
  return updateAt(doc, tokens, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const copy = parent.slice()
      copy[arrayIndex(last, parent.length, false, path)] = value
      return copy
    }
    if (isObject(parent) && Object.hasOwn(parent, last)) return { ...parent, [last]: value }
    throw new PatchError(`missing path "${path}"`)
  })
}

const stringField = (op: Json, field: string, index: number): string => {
  const value = op[field]
  if (typeof value !== "string") throw new PatchError(`operation ${index}: missing "${field}"`)
  return value
}

/** RFC 6902: add, remove, replace, move, copy and test, applied in order; any failure fails all. */
export const jsonPatch = (original: unknown, patch: unknown): PatchResult =>
  guard(() => {
    if (!Array.isArray(patch)) throw new PatchError("a JSON patch must be an array of operations")
    let doc = original
    patch.forEach((op, index) => {
      if (!isObject(op)) throw new PatchError(`operation ${index} is not an object`)
      const path = stringField(op, "path", index)
      switch (op.op) {
        case "add":
          if (!Object.hasOwn(op, "value")) throw new PatchError(`operation ${index}: missing "value"`)
          doc = addAt(doc, path, op.value)
          break
        case "remove":
          doc = removeAt(doc, path)
          break
        case "replace":
          if (!Object.hasOwn(op, "value")) throw new PatchError(`operation ${index}: missing "value"`)
          getAt(doc, parsePointer(path), path)
          doc = replaceAt(doc, path, op.value)
          break
        case "move": {
          const from = stringField(op, "from", index)
          if (path.startsWith(`${from}/`)) throw new PatchError(`cannot move "${from}" into its own child "${path}"`)
          const value = getAt(doc, parsePointer(from), from)
          doc = addAt(removeAt(doc, from), path, value)
          break
        }
        case "copy": {
          const from = stringField(op, "from", index)
          doc = addAt(doc, path, getAt(doc, parsePointer(from), from))
          break
        }
        case "test":
          if (!jsonEqual(getAt(doc, parsePointer(path), path), op.value))
            throw new PatchError(`testing value ${path} failed: test failed`)
          break
        default:
          throw new PatchError(`Unexpected kind: ${String(op.op)}`)
      }
    })
    return doc
  })

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

const podSpecMergeKeys: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  imagePullSecrets: "name",
  hostAliases: "ip",
  resourceClaims: "name"
}
const containerMergeKeys: Record<string, string> = {
  ports: "containerPort",
  env: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  resizePolicy: "resourceName"
}

const buildMergeKeys = (): Map<string, string> => {
  const keys = new Map<string, string>([
    ["metadata.ownerReferences", "uid"],
    ["status.conditions", "type"],
    ["status.addresses", "type"],
    ["status.podIPs", "ip"],
    ["status.hostIPs", "ip"],
    ["spec.ports", "port"]
  ])
  for (const prefix of ["spec", "spec.template.spec"]) {
    for (const [field, key] of Object.entries(podSpecMergeKeys)) keys.set(`${prefix}.${field}`, key)
    for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
      for (const [field, key] of Object.entries(containerMergeKeys)) keys.set(`${prefix}.${list}.${field}`, key)
    }
  }
  keys.set("spec.template.metadata.ownerReferences", "uid")
  return keys
}

/** `patchMergeKey` by field path (list positions left out): `spec.containers` → `name`. */
const mergeKeys = buildMergeKeys()
/** primitive lists with `patchStrategy: merge` (set union). */
const mergedPrimitiveLists = new Set(["metadata.finalizers", "spec.template.metadata.finalizers"])

const join = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`)

const directivePrefixes = ["$setElementOrder/", "$deleteFromPrimitiveList/"]

const isDirectiveKey = (key: string): boolean =>
  key === "$patch" || key === "$retainKeys" || directivePrefixes.some((p) => key.startsWith(p))

/** A patch value with its directives and nulls removed, for use as a plain value. */
const stripDirectives = (value: unknown): unknown => {
  if (Array.isArray(value))
    return value.filter((item) => !(isObject(item) && item.$patch !== undefined)).map(stripDirectives)
  if (!isObject(value)) return value
  const out: Json = {}
  for (const key of Object.keys(value)) {
    if (isDirectiveKey(key) || value[key] === null) continue
    out[key] = stripDirectives(value[key])
  }
  return out
}

const orderBy = (items: Array<unknown>, order: ReadonlyArray<unknown>, keyOf: (item: unknown) => unknown) => {
  const rank = new Map<string, number>()
  order.forEach((entry, i) => {
    rank.set(JSON.stringify(keyOf(entry)), i)
  })
  const ranked = items.filter((item) => rank.has(JSON.stringify(keyOf(item))))
  ranked.sort((a, b) => rank.get(JSON.stringify(keyOf(a)))! - rank.get(JSON.stringify(keyOf(b)))!)
  const rest = items.filter((item) => !rank.has(JSON.stringify(keyOf(item))))
  return [...ranked, ...rest]
}

const mergeList = (original: unknown, patch: ReadonlyArray<unknown>, path: string): Array<unknown> => {
  const key = mergeKeys.get(path)
  const base = Array.isArray(original) ? original : []
  if (key === undefined) {
    if (mergedPrimitiveLists.has(path)) {
      const out = base.slice()
      for (const item of patch) if (!out.some((existing) => jsonEqual(existing, item))) out.push(item)
      return out
    }
    return stripDirectives(patch) as Array<unknown>
  }
  if (patch.some((item) => isObject(item) && item.$patch === "replace")) {
    return stripDirectives(patch.filter((item) => !(isObject(item) && item.$patch === "replace"))) as Array<unknown>
  }
  const out = base.slice()
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`${path}: list items must be objects with the merge key "${key}"`)
    if (!Object.hasOwn(item, key))
      throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`)
    const index = out.findIndex((existing) => isObject(existing) && jsonEqual(existing[key], item[key]))
    if (item.$patch === "delete") {
      if (index >= 0) out.splice(index, 1)
      continue
    }
    if (index >= 0) out[index] = mergeMap(out[index], item, path)
    else out.push(mergeMap(undefined, item, path))
  }
  return out
}

const mergeMap = (original: unknown, patch: Json, path: string): unknown => {
  const directive = patch.$patch
  if (directive === "replace") return stripDirectives(patch)
  if (directive === "delete") return undefined
  if (directive !== undefined) throw new PatchError(`Unknown patch type: ${String(directive)}`)
  const result: Json = isObject(original) ? { ...original } : {}
  for (const key of Object.keys(patch)) {
    if (isDirectiveKey(key)) continue
    const value = patch[key]
    const childPath = join(path, key)
    if (value === null) delete result[key]
    else if (Array.isArray(value)) result[key] = mergeList(result[key], value, childPath)
    else if (isObject(value)) {
      const merged = mergeMap(result[key], value, childPath)
      if (merged === undefined) delete result[key]
      else result[key] = merged
    } else result[key] = value
  }
  for (const key of Object.keys(patch)) {
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length)
      const remove = patch[key]
      if (!Array.isArray(remove)) throw new PatchError(`${key} must be a list`)
      const current = result[field]
      if (Array.isArray(current)) result[field] = current.filter((v) => !remove.some((r) => jsonEqual(r, v)))
    }
  }
  for (const key of Object.keys(patch)) {
    if (key.startsWith("$setElementOrder/")) {
      const field = key.slice("$setElementOrder/".length)
      const order = patch[key]
      const current = result[field]
      if (!Array.isArray(order)) throw new PatchError(`${key} must be a list`)
      if (!Array.isArray(current)) continue
      const mergeKey = mergeKeys.get(join(path, field))
      result[field] = orderBy(current, order, (item) =>
        mergeKey !== undefined && isObject(item) ? item[mergeKey] : item
      )
    }
  }
  const retain = patch.$retainKeys
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError("$retainKeys must be a list")
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key]
  }
  return result
}

/**
 * Strategic merge patch, as `kubectl apply`/`patch` send for built-in kinds: maps merge, `null`
 * deletes, lists with a merge key (containers, env, volumes by `name`, ports by `containerPort`,
 * volumeMounts by `mountPath`, conditions by `type`, ownerReferences by `uid`) merge by that key,
 * finalizers merge as a set, other lists are replaced.
 */
export const strategicMergePatch = (original: unknown, patch: unknown): PatchResult =>
  guard(() => {
    if (!isObject(patch)) throw new PatchError("a strategic merge patch must be a JSON object")
    const merged = mergeMap(original, patch, "")
    return merged === undefined ? {} : merged
  })
