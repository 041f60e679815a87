/** How the Durable Object backend splits an object's JSON into parts under SQLite's 2 MB value cap. */
import { describe, expect, it } from "vitest"
import { partChars, splitParts } from "../src/worker/BackendDurableObject.js"

describe("splitParts", () => {
  it("keeps a small object in one part", () => {
    expect(splitParts('{"a":1}')).toEqual(['{"a":1}'])
  })

  it("cuts a long text into parts of at most the part size that join back to it", () => {
    const text = "y".repeat(partChars * 2 + 5)
    const parts = splitParts(text)
    expect(parts.map((p) => p.length)).toEqual([partChars, partChars, 5])
    expect(parts.join("")).toBe(text)
  })

  it("never cuts between the two halves of a surrogate pair", () => {
    // "a" then emoji: with parts of 2 units, the first cut would fall inside the first emoji
    const text = "a\u{1F600}\u{1F600}"
    const parts = splitParts(text, 2)
    expect(parts).toEqual(["a", "\u{1F600}", "\u{1F600}"])
    // encodeURIComponent throws on a lone surrogate
    for (const part of parts) expect(() => encodeURIComponent(part)).not.toThrow()
  })
})
