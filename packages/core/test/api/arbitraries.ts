/**
 * Generators shared by the strategy's property tests: objects of every served kind built from the
 * field catalogue itself (every field, a random subset of them), and a way to break one at a
 * random place (an unknown field, a `null`, a value of the wrong type).
 */
import * as fc from "fast-check"
import { resourceForKind } from "../../src/api/Resources.js"
import { type LeafType, type Shape, shapeForKind } from "../../src/api/Shape.js"

export const kinds = [
  "Pod",
  "Node",
  "Namespace",
  "Event",
  "Service",
  "Endpoints",
  "ConfigMap",
  "Secret",
  "ReplicaSet",
  "PodDisruptionBudget",
  "Lease"
]

const leafValue = (go: LeafType): fc.Arbitrary<unknown> => {
  switch (go) {
    case "string":
      return fc.constantFrom("a", "web", "nginx:1.27", "", "TCP", "Always", "example.com/x")
    case "int32":
      return fc.integer({ min: -5, max: 70000 })
    case "int64":
      return fc.integer({ min: -5, max: 1_000_000 })
    case "bool":
      return fc.boolean()
    case "float64":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 })
    case "resource.Quantity":
      return fc.constantFrom("100m", "1", "64Mi", "1Gi", 0.5, 2, "1.5", "250m")
    case "intstr.IntOrString":
      return fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom("http", "8080", "50%"))
    case "v1.Time":
      return fc.constant("2026-01-01T00:00:00Z")
    case "v1.MicroTime":
      return fc.constant("2026-01-01T00:00:00.000000Z")
    case "[]uint8":
      return fc.constantFrom("aGk=", "")
  }
}

/** A value of `shape` with a random subset of its fields, bounded in depth. */
export const shapedValue = (shape: Shape, depth: number): fc.Arbitrary<unknown> => {
  switch (shape._tag) {
    case "Leaf":
      return leafValue(shape.go)
    case "Any":
      return fc.constantFrom({}, "x", 1, [1])
    case "Array":
      return depth > 6 ? fc.constant([]) : fc.array(shapedValue(shape.item, depth + 1), { maxLength: 2 })
    case "Map":
      return depth > 6
        ? fc.constant({})
        : fc.dictionary(fc.constantFrom("a", "b", "app"), shapedValue(shape.value, depth + 1), { maxKeys: 2 })
    case "Object": {
      if (depth > 6) return fc.constant({})
      const fields: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [k, f] of Object.entries(shape.fields)) fields[k] = shapedValue(f, depth + 1)
      return fc.record(fields, { requiredKeys: [] })
    }
  }
}

/** An object of `kind` with a name, built from its catalogue entry. */
export const objectOf = (kind: string): fc.Arbitrary<Record<string, unknown>> =>
  (shapedValue(shapeForKind(kind)!, 0) as fc.Arbitrary<Record<string, unknown>>).map((o) => ({
    ...o,
    apiVersion: resourceForKind(kind)?.group === "" ? "v1" : "x/v1",
    kind,
    metadata: { ...(o.metadata as object), name: "obj-1" }
  }))

export type Breakage = "unknown" | "null" | "wrongType"

/** A copy of `value` broken at its `at`-th member (modulo the number of members). */
export const broken = (value: unknown, at: number, how: Breakage): unknown => {
  const copy = structuredClone(value) as Record<string, unknown>
  const places: Array<[Record<string, unknown> | Array<unknown>, string | number]> = []
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        places.push([v, i])
        visit(item)
      })
    } else if (typeof v === "object" && v !== null) {
      for (const k of Object.keys(v)) {
        places.push([v as Record<string, unknown>, k])
        visit((v as Record<string, unknown>)[k])
      }
    }
  }
  visit(copy)
  const [parent, key] = places[at % places.length]!
  const target = (parent as Record<string | number, unknown>)[key]
  if (how === "unknown") {
    const holder = typeof target === "object" && target !== null && !Array.isArray(target) ? target : parent
    if (!Array.isArray(holder)) (holder as Record<string, unknown>).zzUnknown = "x"
  } else if (how === "null") (parent as Record<string | number, unknown>)[key] = null
  else (parent as Record<string | number, unknown>)[key] = typeof target === "string" ? { s: target } : "not-a-number"
  return copy
}

export const anyKind = fc.constantFrom(...kinds).chain((kind) => fc.tuple(fc.constant(kind), objectOf(kind)))
