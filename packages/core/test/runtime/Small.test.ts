import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Offsets, small } from "../../src/layers/runtime/Small.js"

describe("small: the same number", () => {
  it.each([0, 1, 2 ** 30 - 1, 2 ** 30, -1, -0, 0.5, 1.7e12, Number.NaN, Number.POSITIVE_INFINITY])("%d", (x) => {
    expect(Object.is(small(x), x)).toBe(true)
  })
})

describe("Offsets: times kept after an epoch come back exactly", () => {
  it("for any first time and later times, whole or fractional", () => {
    const time = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 45 }),
      fc.double({ min: 0, max: 2 ** 45, noNaN: true }),
      fc.constantFrom(1.7e12, 1.7e12 + 0.1, 0.3, 2 ** 30 + 0.5)
    )
    fc.assert(
      fc.property(time, fc.array(fc.tuple(time, fc.boolean())), (first, later) => {
        const offsets = new Offsets()
        const kept = [first, ...later.map(([t, whole]) => first + (whole ? Math.floor(t) : t))]
        const stored = kept.map((t) => offsets.keep(t))
        expect(stored.map((k) => offsets.time(k))).toEqual(kept)
      })
    )
  })

  it("a whole ms within 12 days of the first is a small integer", () => {
    const offsets = new Offsets()
    offsets.keep(1.7e12 + 0.25)
    expect(offsets.keep(1.7e12 + 5_000)).toBe(5_000)
    expect(offsets.time(5_000)).toBe(1.7e12 + 5_000)
  })
})
