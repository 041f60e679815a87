import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import {
  canonicalQuantity,
  compareQuantity,
  formatQuantity,
  fromMilli,
  milliValue,
  parseQuantity,
  quantityFormatError,
  quantityOrUndefined,
  quantitySuffixError,
  unitValue
} from "../../src/api/Quantity.js"

const q = (s: string | number) => {
  const r = quantityOrUndefined(s)
  if (r === undefined) throw new Error(`not a quantity: ${s}`)
  return r
}

describe("Quantity", () => {
  it.each([
    ["500m", "500m"],
    ["0.5", "500m"],
    ["1.5", "1500m"],
    ["1000m", "1"],
    ["64Mi", "64Mi"],
    ["1.5Gi", "1536Mi"],
    ["0.5Gi", "512Mi"],
    ["2048Ki", "2Mi"],
    ["1024", "1024"],
    ["1Ki", "1Ki"],
    ["512Ki", "512Ki"],
    ["0.5Ki", "512"],
    ["2e3", "2e3"],
    ["1.5e3", "1500"],
    ["1k", "1k"],
    ["1.5k", "1500"],
    ["12000", "12k"],
    ["120000", "120k"],
    ["100M", "100M"],
    ["1G", "1G"],
    ["0", "0"],
    ["0Mi", "0"],
    ["-1", "-1"],
    ["-500m", "-500m"],
    ["1n", "1n"],
    ["1u", "1u"],
    ["0.1m", "100u"],
    ["1.", "1"],
    [".5", "500m"],
    ["+2", "2"],
    ["1E", "1E"],
    [" 1 ", "1"]
  ])("%j is written canonically as %j", (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected)
  })

  it.each([
    [0.5, "500m"],
    [2, "2"],
    [1e21, "1e21"],
    [0.25, "250m"]
  ])("the JSON number %j is written as %j", (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected)
  })

  it.each([
    ["abc", quantityFormatError],
    ["", quantityFormatError],
    [".", quantityFormatError],
    ["1.2.3", quantityFormatError],
    ["1Qi", quantityFormatError],
    ["1Mk", quantitySuffixError],
    ["1mm", quantitySuffixError],
    ["1 Gi", quantityFormatError]
  ])("%j does not parse: %s", (input, message) => {
    const r = parseQuantity(input)
    expect(Result.isFailure(r) ? r.failure : "parsed").toBe(message)
  })

  it("rejects non-finite numbers", () => {
    expect(Result.isFailure(parseQuantity(Number.NaN))).toBe(true)
    expect(Result.isFailure(parseQuantity(Number.POSITIVE_INFINITY))).toBe(true)
  })

  it("compares across suffixes", () => {
    expect(compareQuantity(q("1"), q("1000m"))).toBe(0)
    expect(compareQuantity(q("1Gi"), q("1G"))).toBe(1)
    expect(compareQuantity(q("500m"), q("0.6"))).toBe(-1)
    expect(compareQuantity(q("1Ki"), q("1024"))).toBe(0)
  })

  it("reads milli-units and whole units, rounding up", () => {
    expect(milliValue(q("500m"))).toBe(500)
    expect(milliValue(q("2"))).toBe(2000)
    expect(milliValue(q("1n"))).toBe(1)
    expect(unitValue(q("64Mi"))).toBe(67108864)
    expect(unitValue(q("500m"))).toBe(1)
    expect(unitValue(q("1.5Gi"))).toBe(1610612736)
    expect(formatQuantity(fromMilli(1500))).toBe("1500m")
  })

  const written = fc
    .tuple(
      fc.integer({ min: 0, max: 999_999 }),
      fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
      fc.constantFrom("", "m", "k", "M", "G", "Ki", "Mi", "Gi", "Ti", "e3", "e-3", "n", "u")
    )
    .map(([whole, frac, suffix]) => `${whole}${frac === undefined ? "" : `.${frac}`}${suffix}`)

  it("formatting is canonical: format(parse(format(x))) === format(x), and the value is kept", () => {
    fc.assert(
      fc.property(written, (text) => {
        const first = q(text)
        const canonical = formatQuantity(first)
        const second = q(canonical)
        expect(formatQuantity(second)).toBe(canonical)
        expect(compareQuantity(first, second)).toBe(0)
      }),
      { numRuns: 500 }
    )
  }, 30_000)

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = parseQuantity(text)
        expect(Result.isSuccess(r) || typeof r.failure === "string").toBe(true)
      }),
      { numRuns: 500 }
    )
  }, 30_000)
})
