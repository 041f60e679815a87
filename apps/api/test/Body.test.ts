import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import {
  maxBodyBytes,
  maxBodyDepth,
  nestedDeeperThan,
  prefetchBody,
  readObjectBody,
  readPatchBody,
  takeObjectBody
} from "../src/Body.js"
import fc from "./fastCheck.js"

/** A request whose body arrives as a stream in chunks (no Content-Length), as a chunked upload does. */
const streamed = (chunks: ReadonlyArray<Uint8Array>, headers: Record<string, string>) =>
  new Request("http://x/api/v1/namespaces/default/pods", {
    method: "POST",
    headers,
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk)
        controller.close()
      }
    }),
    duplex: "half"
  } as RequestInit)

const plain = (body: string | Uint8Array, headers: Record<string, string>, method = "POST") =>
  new Request("http://x/api/v1/namespaces/default/pods", { method, headers, body })

/** Requests covering every outcome of a body read; each call builds fresh ones (a body reads once). */
const cases = (): ReadonlyArray<readonly [string, () => Request]> => [
  ["json", () => plain('{"kind":"Pod","metadata":{"name":"a"}}', { "content-type": "application/json" })],
  ["yaml", () => plain("kind: Pod\nmetadata:\n  name: a\n", { "content-type": "application/yaml" })],
  ["no content-type", () => plain('{"a":1}', {})],
  ["empty", () => plain("", { "content-type": "application/json" })],
  ["bad json", () => plain("{", { "content-type": "application/json" })],
  ["bad yaml", () => plain("a: [", { "content-type": "application/yaml" })],
  ["bad utf-8", () => plain(new Uint8Array([0x7b, 0xff, 0x7d]), { "content-type": "application/json" })],
  ["too deep", () => plain(`${"[".repeat(300)}${"]".repeat(300)}`, { "content-type": "application/json" })],
  ["unsupported", () => plain("x", { "content-type": "text/plain" })],
  [
    "declared too large",
    () => plain("{}", { "content-type": "application/json", "content-length": `${maxBodyBytes + 1}` })
  ],
  [
    "streamed",
    () =>
      streamed([new TextEncoder().encode('{"a":'), new TextEncoder().encode("1}")], {
        "content-type": "application/json"
      })
  ],
  [
    "streamed too large",
    () => streamed([new Uint8Array(maxBodyBytes), new Uint8Array(10).fill(32)], { "content-type": "application/json" })
  ],
  ["stream fails", () => streamedFailing()]
]

const streamedFailing = () =>
  new Request("http://x/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new Error("connection reset"))
      }
    }),
    duplex: "half"
  } as RequestInit)

describe("a body read ahead of the handler (prefetchBody)", () => {
  for (const [name, make] of cases()) {
    it(`gives the same result as reading in the handler: ${name}`, async () => {
      const direct = await Effect.runPromiseExit(readObjectBody(make()))
      const ahead = make()
      await prefetchBody(ahead)
      const prefetched = await Effect.runPromiseExit(readObjectBody(ahead))
      expect(prefetched).toEqual(direct)
    })
  }

  it("gives the same result for PATCH bodies", async () => {
    const make = () =>
      plain('{"metadata":{"labels":{"a":"b"}}}', { "content-type": "application/merge-patch+json" }, "PATCH")
    const direct = await Effect.runPromiseExit(readPatchBody(make()))
    const ahead = make()
    await prefetchBody(ahead)
    expect(await Effect.runPromiseExit(readPatchBody(ahead))).toEqual(direct)
    expect(Exit.isSuccess(direct)).toBe(true)
  })

  it("really reads ahead: the handler's read does not touch the request body again", async () => {
    const ahead = plain('{"a":1}', { "content-type": "application/json" })
    await prefetchBody(ahead)
    expect(ahead.bodyUsed).toBe(true)
    expect(await Effect.runPromise(readObjectBody(ahead))).toEqual({ a: 1 })
  })

  it("takeObjectBody answers as readObjectBody does, without suspending, for every case", async () => {
    for (const [name, make] of cases()) {
      const direct = await Effect.runPromiseExit(readObjectBody(make()))
      const ahead = make()
      await prefetchBody(ahead)
      const taken = takeObjectBody(ahead)
      expect(taken, name).toBeDefined()
      expect(Effect.runSyncExit(Effect.fromResult(taken!)), name).toEqual(direct)
    }
  })

  it("takeObjectBody takes nothing from a request that was not read ahead", async () => {
    const request = plain('{"a":1}', { "content-type": "application/json" })
    expect(takeObjectBody(request)).toBeUndefined()
    expect(request.bodyUsed).toBe(false)
    expect(await Effect.runPromise(readObjectBody(request))).toEqual({ a: 1 })
  })

  it("leaves GET requests alone", async () => {
    const get = new Request("http://x/api/v1/pods")
    await prefetchBody(get)
    expect(get.bodyUsed).toBe(false)
  })
})

/** The iterative depth check this module used before (the reference for the recursive one). */
const deeperReference = (value: unknown, limit: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== "object" || v === null) continue
    if (depth >= limit) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}

describe("nestedDeeperThan", () => {
  it("agrees with the iterative walk on random JSON values and limits", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, limit) => {
        expect(nestedDeeperThan(value, limit)).toBe(deeperReference(value, limit))
      }),
      { numRuns: 2000 }
    )
  })

  it("answers at the body limit without overflowing", () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(nestedDeeperThan(deep, maxBodyDepth)).toBe(true)
    expect(deeperReference(deep, maxBodyDepth)).toBe(true)
  })
})
