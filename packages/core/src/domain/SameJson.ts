/**
 * Structural sharing for generated API objects: `sameJson` tells whether two JSON-like values
 * serialise to the same text (key order included, undefined members dropped as `JSON.stringify`
 * drops them), so a generator can hand back the previous object instead of an equal new one.
 */

/** `JSON.stringify(a) === JSON.stringify(b)` for plain JSON-like values, without serialising. */
export const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  const kx = Object.keys(x)
  const ky = Object.keys(y)
  let i = 0
  let j = 0
  for (;;) {
    while (i < kx.length && x[kx[i]!] === undefined) i++
    while (j < ky.length && y[ky[j]!] === undefined) j++
    if (i === kx.length || j === ky.length) return i === kx.length && j === ky.length
    if (kx[i] !== ky[j] || !sameJson(x[kx[i]!], y[ky[j]!])) return false
    i++
    j++
  }
}

/** `value`, or `previous` when it serialises the same (then the previous object is shared). */
export const sharedWith = <T>(value: T, previous: T | undefined): T =>
  previous !== undefined && sameJson(value, previous) ? previous : value

/** `list`, or `previous` when both hold the same elements (by identity) in the same order. */
export const sharedList = <T>(list: ReadonlyArray<T>, previous: ReadonlyArray<T> | undefined): ReadonlyArray<T> => {
  if (previous === undefined || previous.length !== list.length) return list
  for (let i = 0; i < list.length; i++) if (list[i] !== previous[i]) return list
  return previous
}

/**
 * A copy built member by member from `{}`, in the same key order (arrays element by element).
 * Generated objects are assembled by spreads, which can give every object a hidden class of its own;
 * statuses are kept for a pod's life, so new ones are rebuilt with classes shared by all their kind.
 */
export const canonical = <T>(value: T): T => {
  if (value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map(canonical) as T
  const out: Record<string, unknown> = {}
  for (const key in value) out[key] = canonical((value as Record<string, unknown>)[key])
  return out as T
}

/** `canonical` for the object's own level only (its members are already canonical or shared). */
export const canonicalTop = <T extends object>(value: T): T => {
  const out: Record<string, unknown> = {}
  for (const key in value) out[key] = (value as Record<string, unknown>)[key]
  return out as T
}
