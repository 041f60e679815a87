/**
 * `containerHash` hashes the key-sorted JSON as it walks it (no string, no byte array): agreement
 * with the reference (build the canonical JSON, encode it as UTF-8, FNV-1a over the bytes) on
 * random JSON values with any Unicode (lone surrogates too), undefined members, holes, and on
 * random container specs.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { Container } from "../../src/api/Pod.js"
import { containerHash } from "../../src/domain/Backoff.js"

/** The hash as it was first written (canonical JSON string, TextEncoder, FNV-1a over the bytes). */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`
  }
  return JSON.stringify(value)
}
const encoder = new TextEncoder()
const referenceHash = (container: unknown): string => {
  let hash = 0x811c9dc5
  for (const byte of encoder.encode(canonicalJson(container))) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16)
}

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }))
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.sparseArray(tie("value"), { maxLength: 4 }),
    fc.dictionary(text, tie("value"), { maxKeys: 5 })
  )
})).value

const container = fc.record(
  {
    name: fc.string({ minLength: 1 }),
    image: fc.string(),
    command: fc.array(text, { maxLength: 3 }),
    args: fc.array(text, { maxLength: 3 }),
    env: fc.array(fc.record({ name: fc.string(), value: text }, { requiredKeys: ["name"] }), { maxLength: 3 }),
    ports: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), name: fc.string() })),
    resources: fc.record({ requests: fc.dictionary(fc.string(), fc.string()) }),
    imagePullPolicy: fc.constantFrom("Always", "IfNotPresent", "Never")
  },
  { requiredKeys: ["name", "image"] }
)

describe("containerHash", () => {
  it("agrees with the canonical-JSON-then-UTF-8 reference on random JSON values", () => {
    fc.assert(
      fc.property(fc.dictionary(text, json, { maxKeys: 6 }), (value) => {
        expect(containerHash(value as unknown as Container)).toBe(referenceHash(value))
      }),
      { numRuns: 1_000 }
    )
  })

  it("agrees with the reference on random container specs", () => {
    fc.assert(
      fc.property(container, (spec) => {
        expect(containerHash(spec as Container)).toBe(referenceHash(spec))
      }),
      { numRuns: 2_000 }
    )
  })

  it("agrees on strings with lone and paired surrogates, and on functions among members", () => {
    for (const value of ["\ud800", "a\udc00b", "\ud83d\ude00", "\udbff", "é€😀", "\u0000\u007f\u0080\u07ff\u0800"]) {
      const spec = { name: value, image: value, command: [value, undefined as unknown as string] }
      expect(containerHash(spec as Container)).toBe(referenceHash(spec))
    }
    const odd = { name: "x", image: "y", f: () => 1, list: [() => 2, 1] }
    expect(containerHash(odd as unknown as Container)).toBe(referenceHash(odd))
  })
})
