/**
 * The name scanners against the anchored regexes they stand for: the same yes and no on strings
 * made of the characters that matter (and any others), so the valid path answers as the regex did.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  matchesDNS1123Label,
  matchesDNS1123Subdomain,
  matchesLabelValue,
  matchesQualifiedName,
  nameRegexes
} from "../../src/api/Names.js"

/** strings of the characters the patterns distinguish, plus a few they reject */
const nameLike = fc
  .array(fc.constantFrom("a", "z", "A", "Z", "0", "9", "-", ".", "_", "/", " ", "\n", "é", "`", "{", "@", ":", "["), {
    maxLength: 8
  })
  .map((cs) => cs.join(""))

const anyString = fc.oneof(nameLike, nameLike, fc.string({ maxLength: 8 }), fc.string({ unit: "binary", maxLength: 6 }))

const pairs = [
  ["dns1123Label", matchesDNS1123Label, nameRegexes.dns1123Label],
  ["dns1123Subdomain", matchesDNS1123Subdomain, nameRegexes.dns1123Subdomain],
  ["qualifiedName", matchesQualifiedName, nameRegexes.qualifiedName],
  ["labelValue", matchesLabelValue, nameRegexes.labelValue]
] as const

describe("name scanners", () => {
  for (const [name, scan, re] of pairs) {
    it(`${name}: the scanner answers as the regex`, () => {
      fc.assert(
        fc.property(anyString, (s) => {
          expect(scan(s)).toBe(re.test(s))
        }),
        { numRuns: 5000 }
      )
    })
  }

  it("a table of edge cases", () => {
    const cases = ["", "a", "-", "a-", "-a", "a.b", "a..b", "a.-b", "a-.b", ".a", "a.", "A", "a_b", "a\n", "é", "0"]
    for (const s of cases) for (const [, scan, re] of pairs) expect(scan(s)).toBe(re.test(s))
  })

  it("values that are not strings go to the regex, as before", () => {
    // `test` coerces: an array of one valid name passed the old check
    expect(isDNS1123Label(["abc"] as unknown as string)).toEqual([])
    expect(isDNS1123Subdomain(["a.b"] as unknown as string)).toEqual([])
    expect(isQualifiedName(["abc"] as unknown as string)).toEqual([])
    expect(isValidLabelValue(["abc"] as unknown as string)).toEqual([])
    expect(isDNS1123Label(["A"] as unknown as string)).not.toEqual([])
  })
})
