import { describe, expect, it } from "vitest"
import { requestVerb, requestVerbOfHref } from "../src/Metrics.js"
import { hrefParts, segmentsAfter } from "../src/Target.js"
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

describe("hrefParts", () => {
  it("gives URL's pathname and query for serialized URLs", () => {
    const piece = fc.oneof(
      fc.constantFrom("/", "//", "?", "??", "#", "%2F", "%zz", "a=b", "&", "watch=1", "..", ".", " ", "é", "\\"),
      fc.string({ maxLength: 5 })
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const href = new URL(`http://127.0.0.1:8080/${pieces.join("")}`).href
        const url = new URL(href)
        const parts = hrefParts(href)
        expect(parts.pathname).toBe(url.pathname)
        expect([...new URLSearchParams(parts.search)]).toEqual([...url.searchParams])
      }),
      { numRuns: 3000 }
    )
  })

  it("classifies a request the same from its URL string as from its URL", () => {
    const paths = fc.constantFrom(
      "/api/v1/namespaces/default/pods",
      "/api/v1/namespaces/default/pods?watch=1",
      "/api/v1/pods?watch=true&labelSelector=a%3Db",
      "/api/v1/watch/namespaces/default/pods",
      "/api/v1/namespaces/default/pods/web/status?watch=1",
      "/apis/apps/v1/namespaces/default/replicasets/r/scale",
      "/api/v1/namespaces/a%2Fb/pods#frag",
      "/api/v1/nodes/n1?watch=0",
      "/metrics",
      "/api/v1//pods"
    )
    const methods = fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    fc.assert(
      fc.property(methods, paths, (method, path) => {
        const url = new URL(`http://127.0.0.1:8080${path}`)
        expect(requestVerbOfHref(method, url.href)).toEqual(requestVerb(method, url))
      })
    )
  })
})
