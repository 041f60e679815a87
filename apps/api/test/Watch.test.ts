import { describe, expect, it } from "@effect/vitest"
import type { KubeObject } from "@podlet/core/api/Meta"
import { resourceFor } from "@podlet/core/api/Resources"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterEach, beforeEach } from "vitest"
import { type WatchRequest, watchLines } from "../src/Watch.js"
import { json, pod, readLines, TABLE, type TestApp, testApp } from "./support.js"

const PODS = "/api/v1/namespaces/default/pods"

interface Event {
  type: string
  object: {
    kind: string
    apiVersion: string
    metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> }
    code?: number
    reason?: string
    columnDefinitions?: Array<unknown>
    rows?: Array<{ cells: Array<unknown> }>
  }
}
const parse = (lines: Array<string>) => lines.map((l) => JSON.parse(l) as Event)

describe("watch over HTTP", () => {
  let t: TestApp
  beforeEach(() => {
    t = testApp()
  })
  afterEach(() => t.dispose())

  const create = async (name: string, labels: Record<string, string> = {}) => {
    const res = await t.app.request(PODS, json("POST", pod(name, labels)))
    expect(res.status).toBe(201)
    return (await res.json()) as { metadata: { resourceVersion: string } }
  }

  it("streams ADDED, MODIFIED and DELETED from a list's resourceVersion, objects with kind and apiVersion", async () => {
    await create("before")
    const list = (await (await t.app.request(PODS)).json()) as { metadata: { resourceVersion: string } }
    const res = await t.app.request(`${PODS}?watch=true&resourceVersion=${list.metadata.resourceVersion}`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    await create("web")
    await t.app.request(
      `${PODS}/web`,
      json("PATCH", { metadata: { labels: { v: "2" } } }, "application/merge-patch+json")
    )
    await t.app.request(`${PODS}/web`, json("DELETE", { gracePeriodSeconds: 0 }))
    const { lines, cancel } = await readLines(res, 3)
    await cancel()
    const events = parse(lines)
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "web"],
      ["MODIFIED", "web"],
      ["DELETED", "web"]
    ])
    for (const e of events) expect(e.object).toMatchObject({ kind: "Pod", apiVersion: "v1" })
  })

  it("starts with synthetic ADDED events for current objects at resourceVersion 0 (get pod NAME -w)", async () => {
    await create("a")
    await create("b")
    const res = await t.app.request(`${PODS}?fieldSelector=metadata.name%3Db&resourceVersion=0&watch=true`)
    const { lines, cancel } = await readLines(res, 1)
    await cancel()
    expect(parse(lines).map((e) => [e.type, e.object.metadata.name])).toEqual([["ADDED", "b"]])
  })

  it("watches one object by URL with ?watch=1 and across namespaces at /api/v1/pods", async () => {
    await create("a")
    await create("b")
    const one = await t.app.request(`${PODS}/b?watch=1&resourceVersion=0`)
    const first = await readLines(one, 1)
    await first.cancel()
    expect(parse(first.lines)[0]!.object.metadata.name).toBe("b")
    const all = await t.app.request("/api/v1/pods?watch=1")
    const every = await readLines(all, 2)
    await every.cancel()
    expect(
      parse(every.lines)
        .map((e) => e.object.metadata.name)
        .sort()
    ).toEqual(["a", "b"])
  })

  it("supports the legacy /watch/ path form", async () => {
    await create("a")
    const res = await t.app.request("/api/v1/watch/namespaces/default/pods")
    const { lines, cancel } = await readLines(res, 1)
    await cancel()
    expect(parse(lines)[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "a" } } })
  })

  it("sends one-row Tables with the Table Accept, column definitions only in the first event", async () => {
    await create("a")
    await create("b")
    const res = await t.app.request(`${PODS}?watch=true&resourceVersion=0`, { headers: { accept: TABLE } })
    expect(res.headers.get("content-type")).toBe("application/json;as=Table;v=v1;g=meta.k8s.io")
    const { lines, cancel } = await readLines(res, 2)
    await cancel()
    const [first, second] = parse(lines)
    expect(first!.object.kind).toBe("Table")
    expect(first!.object.columnDefinitions).toHaveLength(9)
    expect(first!.object.rows).toHaveLength(1)
    expect(first!.object.rows![0]!.cells[0]).toBe("a")
    expect(second!.object.columnDefinitions).toEqual([])
    expect(second!.object.rows![0]!.cells[0]).toBe("b")
  })

  it("turns objects leaving a label selector into DELETED", async () => {
    await create("web", { app: "web" })
    const res = await t.app.request(`${PODS}?watch=1&labelSelector=app%3Dweb&resourceVersion=0`)
    await t.app.request(
      `${PODS}/web`,
      json("PATCH", { metadata: { labels: { app: "db" } } }, "application/merge-patch+json")
    )
    const { lines, cancel } = await readLines(res, 2)
    await cancel()
    expect(parse(lines).map((e) => e.type)).toEqual(["ADDED", "DELETED"])
  })

  it("answers a bad selector with a 400 before streaming", async () => {
    const res = await t.app.request(`${PODS}?watch=1&fieldSelector=nope%3Dx`)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 })
  })

  it("ends with an ERROR event (410 Expired) for a resourceVersion older than the history", async () => {
    await t.dispose()
    t = testApp(StoreMemory.layerWith({ historyWindow: 2 }))
    for (const name of ["a", "b", "c", "d", "e"]) await create(name)
    const res = await t.app.request(`${PODS}?watch=1&resourceVersion=1`)
    expect(res.status).toBe(200)
    const { lines, ended } = await readLines(res, 2)
    expect(ended).toBe(true)
    const events = parse(lines)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } })
  })
})

/** Advances the test clock one second at a time, so periodic timers re-arm at their exact times. */
const advance = (seconds: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < seconds; i++) yield* TestClock.adjust("1 second")
  })

describe("watch stream timing", () => {
  const pods = resourceFor("pods")!
  const request = (extra: Partial<WatchRequest> = {}): WatchRequest => ({
    resource: pods,
    initial: [],
    options: { namespace: "default" },
    output: "json" as const,
    include: "Metadata" as const,
    timeoutSeconds: undefined,
    ...extra
  })

  it.effect("writes a keep-alive newline every 10 s on an idle stream", () =>
    Effect.gen(function* () {
      const fiber = yield* watchLines(request()).pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* advance(9)
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* advance(11)
      expect(yield* Fiber.join(fiber)).toEqual(["\n", "\n"])
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("ends the stream after timeoutSeconds", () =>
    Effect.gen(function* () {
      const fiber = yield* watchLines(request({ timeoutSeconds: 30 })).pipe(Stream.runCollect, Effect.forkChild)
      yield* advance(29)
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* advance(1)
      expect(yield* Fiber.join(fiber)).toEqual(["\n", "\n"])
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("emits BOOKMARK events when the client allows them", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const created = yield* store.create("pods", pod("web") as KubeObject)
      const fiber = yield* watchLines(
        request({
          initial: [created.object],
          options: {
            namespace: "default",
            allowBookmarks: true,
            resourceVersion: created.object.metadata.resourceVersion!
          }
        })
      ).pipe(
        Stream.filter((l) => l !== "\n"),
        Stream.take(2),
        Stream.runCollect,
        Effect.forkChild
      )
      yield* advance(61)
      const [added, bookmark] = (yield* Fiber.join(fiber)).map((l) => JSON.parse(l) as Event)
      expect(added!.type).toBe("ADDED")
      expect(bookmark).toMatchObject({ type: "BOOKMARK", object: { kind: "Pod", apiVersion: "v1" } })
      expect(bookmark!.object.metadata.resourceVersion).toMatch(/^\d+$/)
    }).pipe(Effect.provide(StoreMemory.layer))
  )
})
