// The store's spec-change check (it decides an update's new generation) against the key-list
// version it replaced, on random objects: members missing, undefined, reordered, nested, shared.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { KubeObject } from "../../src/api/Meta.js"
import { jsonEqual } from "../../src/api/Patch.js"
import { specChanged } from "../../src/layers/ObjectStoreLive.js"

type Json = Record<string, unknown>

/** the previous implementation (the reference) */
const reference = (a: KubeObject, b: KubeObject, hasStatus: boolean): boolean => {
  const ka = Object.keys(a).filter((k) => k !== "metadata" && !(hasStatus && k === "status"))
  const kb = Object.keys(b).filter((k) => k !== "metadata" && !(hasStatus && k === "status"))
  if (ka.length !== kb.length) return true
  for (const k of ka) if (!jsonEqual((a as unknown as Json)[k], (b as unknown as Json)[k])) return true
  return false
}

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom("a", "b"),
  fc.dictionary(fc.constantFrom("x", "y"), fc.integer({ min: 0, max: 2 }), { maxKeys: 2 }),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 })
)
const object = fc.dictionary(fc.constantFrom("metadata", "status", "spec", "count", "type", "source"), value, {
  maxKeys: 6
})

describe("specChanged", () => {
  it("agrees with the key-list comparison it replaced", () => {
    fc.assert(
      fc.property(object, object, fc.boolean(), fc.boolean(), (a, b, hasStatus, derive) => {
        // half the time b is a's copy with one member changed (the usual update)
        const other = derive ? { ...a, count: (a.count as number | undefined) ?? 0 } : b
        const x = { metadata: {}, ...a } as unknown as KubeObject
        const y = { metadata: {}, ...other } as unknown as KubeObject
        expect(specChanged(x, y, hasStatus)).toBe(reference(x, y, hasStatus))
        expect(specChanged(y, x, hasStatus)).toBe(reference(y, x, hasStatus))
        expect(specChanged(x, x, hasStatus)).toBe(false)
      }),
      { numRuns: 5000 }
    )
  })

  it("tells an Event's count update from a metadata-only one", () => {
    const old = { apiVersion: "v1", kind: "Event", metadata: { name: "e" }, count: 1, type: "Normal" }
    expect(specChanged({ ...old, count: 2 } as KubeObject, old as KubeObject, false)).toBe(true)
    expect(specChanged({ ...old, metadata: { name: "e", labels: {} } } as KubeObject, old as KubeObject, false)).toBe(
      false
    )
    expect(specChanged({ ...old, count: undefined } as KubeObject, old as KubeObject, false)).toBe(true)
    const { count: _count, ...without } = old
    expect(specChanged({ ...without, extra: undefined } as KubeObject, old as KubeObject, false)).toBe(false)
  })
})
