import { describe, expect, it } from "vitest"
import { segmentsAfter } from "../src/Target.js"
import fc from "./fastCheck.js"

/** What the routes and the metrics did before: split, then decode every segment (undefined when one does not decode). */
const reference = (path: string, prefixLength: number): ReadonlyArray<string> | undefined => {
  try {
    return path.slice(prefixLength).split("/").map(decodeURIComponent)
  } catch {
    return undefined
  }
}

describe("segmentsAfter", () => {
  it("matches split-and-decode on paths with and without percent escapes", () => {
    const part = fc.oneof(
      fc.constantFrom("namespaces", "default", "pods", "a%2Fb", "%", "%zz", "%E2%82%AC", "%C3", "", "watch"),
      fc.string({ maxLength: 6 })
    )
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        const path = `/api/v1/${parts.join("/")}`
        expect(segmentsAfter(path, "/api/v1/".length)).toEqual(reference(path, "/api/v1/".length))
      }),
      { numRuns: 3000 }
    )
  })

  it("decodes escapes and reports a bad one", () => {
    expect(segmentsAfter("/api/v1/namespaces/a%2Fb", 8)).toEqual(["namespaces", "a/b"])
    expect(segmentsAfter("/api/v1/namespaces/%zz", 8)).toBeUndefined()
  })
})
