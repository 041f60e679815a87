import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { hex32 } from "../../src/layers/RuntimeSimulated.js"

describe("hex32 (container and sandbox ids)", () => {
  it.each([0, 1, 0xf, 0x10, 0xff, 0x100, 0x12345678, 0x80000000, 0xffffffff])("%d as 8 hex digits", (x) => {
    expect(hex32(x)).toBe(x.toString(16).padStart(8, "0"))
  })

  it("agrees with toString(16) padded to 8 digits for any uint32", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => hex32(x) === x.toString(16).padStart(8, "0")))
  })
})
