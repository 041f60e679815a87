/** Which answers the Worker marks uncompressed (watches, followed logs), and how. */
import { describe, expect, it } from "vitest"
import { isStreamed, uncompressed } from "../src/worker/Streaming.js"

describe("isStreamed", () => {
  const cases: ReadonlyArray<[string, boolean]> = [
    ["/api/v1/namespaces/default/pods?watch=1", true],
    ["/api/v1/pods?watch=true&resourceVersion=5", true],
    ["/api/v1/watch/namespaces/default/pods", true],
    ["/apis/apps/v1/watch/replicasets", true],
    ["/api/v1/namespaces/default/pods/web/log?follow=true", true],
    ["/api/v1/namespaces/default/pods", false],
    ["/api/v1/namespaces/default/pods?watch=false", false],
    ["/api/v1/namespaces/default/pods/web/log", false],
    ["/api/v1/namespaces/default/pods/watch", false],
    ["/version", false]
  ]
  it.each(cases)("%s: %s", (path, expected) => {
    expect(isStreamed(new URL(`http://127.0.0.1${path}`))).toBe(expected)
  })
})

describe("uncompressed", () => {
  it("marks the response identity-encoded and no-transform, keeping its status, headers and body", async () => {
    const response = new Response("line\n", {
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "no-cache, private" }
    })
    const marked = uncompressed(response)
    expect(marked.status).toBe(200)
    expect(marked.headers.get("content-encoding")).toBe("identity")
    expect(marked.headers.get("cache-control")).toBe("no-cache, private, no-transform")
    expect(marked.headers.get("content-type")).toBe("application/json")
    expect(await marked.text()).toBe("line\n")
  })
})
