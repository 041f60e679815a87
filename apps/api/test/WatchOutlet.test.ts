/**
 * The watch written straight to the Node response (`watchToOutlet`): the same lines and headers as
 * the web-stream path over a real server, and its timing, backpressure and close over a fake
 * response under the TestClock.
 */
import { EventEmitter } from "node:events"
import { request as httpRequest, type IncomingMessage } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import type { KubeObject } from "@podlet/core/api/Meta"
import { resourceFor } from "@podlet/core/api/Resources"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Effect, Layer, ManagedRuntime } from "effect"
import { TestClock } from "effect/testing"
import { afterEach } from "vitest"
import { makeApp } from "../src/app.js"
import { listen, type NodeServer } from "../src/NodeServer.js"
import { type WatchOutlet, type WatchRequest, watchToOutlet } from "../src/Watch.js"
import { json, pod, readLines, TABLE } from "./support.js"

const PODS = "/api/v1/namespaces/default/pods"

// ---------------------------------------------------------------------------------------------
// the same watch over both paths

interface Served {
  readonly app: ReturnType<typeof makeApp>
  readonly server: NodeServer
  readonly close: () => Promise<void>
}

let served: Served | undefined

afterEach(async () => {
  await served?.close()
  served = undefined
})

/** An app over a store on a frozen clock (Table ages and timestamps alike on both paths), served on Node. */
const serve = async (store: Layer.Layer<ObjectStore> = StoreMemory.layer): Promise<Served> => {
  const runtime = ManagedRuntime.make(store.pipe(Layer.provideMerge(TestClock.layer())))
  const app = makeApp({ runtime })
  const server = await listen(app, "127.0.0.1", 0)
  served = { app, server, close: () => server.close().then(() => runtime.dispose()) }
  return served
}

interface NodeWatch {
  readonly response: IncomingMessage
  /** the first `count` non-empty lines (fewer when the stream ends first; an unterminated last line counts) */
  readonly lines: (count: number) => Promise<{ lines: Array<string>; ended: boolean }>
  readonly close: () => void
}

/** A watch over HTTP: resolves once the headers arrived. */
const nodeWatch = (url: string, headers: Record<string, string> = {}): Promise<NodeWatch> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (response) => {
      let buffer = ""
      let ended = false
      const lines: Array<string> = []
      let wanted: { count: number; done: () => void } | undefined
      const check = () => {
        if (wanted !== undefined && (lines.length >= wanted.count || ended)) wanted.done()
      }
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        buffer += chunk
        let nl = buffer.indexOf("\n")
        while (nl >= 0) {
          const line = buffer.slice(0, nl)
          buffer = buffer.slice(nl + 1)
          if (line !== "") lines.push(line)
          nl = buffer.indexOf("\n")
        }
        check()
      })
      response.on("end", () => {
        if (buffer !== "") lines.push(buffer)
        ended = true
        check()
      })
      resolve({
        response,
        lines: (count) =>
          new Promise((done) => {
            wanted = { count, done: () => done({ lines: lines.slice(0, count), ended }) }
            check()
          }),
        close: () => req.destroy()
      })
    })
    req.on("error", reject)
    req.end()
  })

/** Starts the watch on both paths, runs `changes`, and answers both paths' first `count` lines. */
const bothPaths = async (
  s: Served,
  path: string,
  count: number,
  changes: () => Promise<void> = async () => undefined,
  headers: Record<string, string> = {}
) => {
  const direct = await nodeWatch(`${s.server.url}${path}`, headers)
  const streamed = await s.app.request(path, { headers })
  await changes()
  const overNode = await direct.lines(count)
  const overStream = await readLines(streamed, count)
  direct.close()
  await overStream.cancel()
  return { direct, streamed, overNode, overStream }
}

const create = async (s: Served, name: string, labels: Record<string, string> = {}) => {
  const res = await s.app.request(PODS, json("POST", pod(name, labels)))
  expect(res.status).toBe(201)
  return (await res.json()) as { metadata: { resourceVersion: string } }
}

describe("watch straight to the Node response, against the web-stream path", () => {
  it("sends the same headers and the same lines: from a resourceVersion, ADDED / MODIFIED / DELETED", async () => {
    const s = await serve()
    const before = await create(s, "before")
    const { direct, streamed, overNode, overStream } = await bothPaths(
      s,
      `${PODS}?watch=true&resourceVersion=${before.metadata.resourceVersion}`,
      3,
      async () => {
        await create(s, "web")
        await s.app.request(
          `${PODS}/web`,
          json("PATCH", { metadata: { labels: { v: "2" } } }, "application/merge-patch+json")
        )
        await s.app.request(`${PODS}/web`, json("DELETE", { gracePeriodSeconds: 0 }))
      }
    )
    expect(direct.response.statusCode).toBe(200)
    expect(direct.response.headers["content-type"]).toBe(streamed.headers.get("content-type"))
    expect(direct.response.headers["cache-control"]).toBe("no-cache, private")
    expect(direct.response.headers["transfer-encoding"]).toBe("chunked")
    expect(direct.response.headers["x-hono-already-sent"]).toBeUndefined()
    expect(overNode.lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      "ADDED",
      "MODIFIED",
      "DELETED"
    ])
    expect(overNode.lines).toEqual(overStream.lines)
  })

  it("sends the same initial ADDED events, selectors, one-object and cluster-wide watches, and the legacy path", async () => {
    const s = await serve()
    await create(s, "a", { app: "web" })
    await create(s, "b")
    for (const [path, count] of [
      [`${PODS}?fieldSelector=metadata.name%3Db&resourceVersion=0&watch=true`, 1],
      [`${PODS}/b?watch=1&resourceVersion=0`, 1],
      ["/api/v1/pods?watch=1", 2],
      ["/api/v1/watch/namespaces/default/pods", 2]
    ] as const) {
      const { overNode, overStream } = await bothPaths(s, path, count)
      expect(overNode.lines).toHaveLength(count)
      expect(overNode.lines).toEqual(overStream.lines)
    }
    const { overNode, overStream } = await bothPaths(s, `${PODS}?watch=1&labelSelector=app%3Dweb`, 2, async () => {
      await s.app.request(
        `${PODS}/a`,
        json("PATCH", { metadata: { labels: { app: "db" } } }, "application/merge-patch+json")
      )
    })
    expect(overNode.lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["ADDED", "DELETED"])
    expect(overNode.lines).toEqual(overStream.lines)
  })

  it("sends the same one-row Tables, column definitions only in the first", async () => {
    const s = await serve()
    await create(s, "a")
    const { direct, overNode, overStream } = await bothPaths(
      s,
      `${PODS}?watch=true&resourceVersion=0`,
      3,
      async () => {
        await create(s, "b")
        await create(s, "c")
      },
      { accept: TABLE }
    )
    expect(direct.response.headers["content-type"]).toBe("application/json;as=Table;v=v1;g=meta.k8s.io")
    const tables = overNode.lines.map((l) => JSON.parse(l) as { object: { columnDefinitions: Array<unknown> } })
    expect(tables.map((t) => t.object.columnDefinitions.length)).toEqual([9, 0, 0])
    expect(overNode.lines).toEqual(overStream.lines)
  })

  it("ends with the same ERROR event (410 Expired) for a resourceVersion older than the history", async () => {
    const s = await serve(StoreMemory.layerWith({ historyWindow: 2 }))
    for (const name of ["a", "b", "c", "d", "e"]) await create(s, name)
    const { overNode, overStream } = await bothPaths(s, `${PODS}?watch=1&resourceVersion=1`, 2)
    expect(overNode.ended).toBe(true)
    expect(overNode.lines).toHaveLength(1)
    expect(JSON.parse(overNode.lines[0]!)).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } })
    expect(overNode.lines).toEqual(overStream.lines)
  })

  it("answers a bad selector with the same 400 before streaming", async () => {
    const s = await serve()
    const direct = await nodeWatch(`${s.server.url}${PODS}?watch=1&fieldSelector=nope%3Dx`)
    const body = await direct.lines(1)
    const streamed = await s.app.request(`${PODS}?watch=1&fieldSelector=nope%3Dx`)
    expect(direct.response.statusCode).toBe(400)
    expect(body.lines).toEqual([await streamed.text()])
  })
})

// ---------------------------------------------------------------------------------------------
// timing, backpressure and close over a fake response

class FakeOutlet extends EventEmitter implements WatchOutlet {
  head: { status: number; headers: Record<string, string> } | undefined
  flushed = false
  writes: Array<string> = []
  /** what `write` answers (false: the buffer is full) */
  accepting = true
  writableEnded = false
  writableNeedDrain = false
  destroyed = false
  private readonly decoder = new TextDecoder()

  writeHead(status: number, headers: Record<string, string>) {
    this.head = { status, headers }
  }
  flushHeaders() {
    this.flushed = true
  }
  write(chunk: string | Uint8Array): boolean {
    this.writes.push(typeof chunk === "string" ? chunk : this.decoder.decode(chunk))
    this.writableNeedDrain = !this.accepting
    return this.accepting
  }
  end() {
    this.writableEnded = true
  }
  drain() {
    this.writableNeedDrain = false
    this.emit("drain")
  }
  disconnect() {
    this.destroyed = true
    this.emit("close")
  }
}

const pods = resourceFor("pods")!

const watchRequest = (extra: Partial<WatchRequest> = {}): WatchRequest => ({
  resource: pods,
  initial: [],
  options: { namespace: "default" },
  output: "json",
  include: "Metadata",
  timeoutSeconds: undefined,
  ...extra
})

/** Advances the test clock one second at a time, so periodic timers re-arm at their exact times. */
const advance = (seconds: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < seconds; i++) yield* TestClock.adjust("1 second")
  })

/** Lets the detached watch run until `done` holds (at most 1,000 yields). */
const settle = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1000 && !done(); i++) yield* Effect.yieldNow
  })

const names = (text: string) =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name)

/** The same store without `observe`: its watches go through the stream's pull. */
const withoutObserve = (store: Layer.Layer<ObjectStore>): Layer.Layer<ObjectStore> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const { observe: _observe, ...service } = yield* ObjectStore
      return ObjectStore.of(service)
    })
  ).pipe(Layer.provide(store))

describe.each([
  ["observed (store.observe)", (store: Layer.Layer<ObjectStore>) => store],
  ["pulled (the watch stream)", withoutObserve]
])("watch straight to a Node response, %s: timing, backpressure, close", (_, storeOf) => {
  const stores = storeOf(StoreMemory.layer)

  it.effect("flushes the headers at once and writes a keep-alive newline every 10 s on an idle stream", () =>
    Effect.gen(function* () {
      const outlet = new FakeOutlet()
      const response = yield* watchToOutlet(watchRequest(), outlet)
      expect(response.headers.get("x-hono-already-sent")).toBe("true")
      expect(outlet.head).toEqual({
        status: 200,
        headers: {
          "content-type": "application/json",
          "cache-control": "no-cache, private",
          "transfer-encoding": "chunked"
        }
      })
      expect(outlet.flushed).toBe(true)
      yield* advance(9)
      expect(outlet.writes).toEqual([])
      yield* advance(11)
      expect(outlet.writes).toEqual(["\n", "\n"])
      outlet.disconnect()
    }).pipe(Effect.provide(stores))
  )

  it.effect("ends the response after timeoutSeconds and tells the gauge", () =>
    Effect.gen(function* () {
      const outlet = new FakeOutlet()
      const gauge = { open: 0 }
      const counted = { opened: () => gauge.open++, closed: () => gauge.open-- }
      yield* watchToOutlet(watchRequest({ timeoutSeconds: 30, gauge: counted }), outlet)
      expect(gauge.open).toBe(1)
      yield* advance(29)
      expect(outlet.writableEnded).toBe(false)
      yield* advance(1)
      yield* settle(() => outlet.writableEnded)
      expect(outlet.writableEnded).toBe(true)
      expect(gauge.open).toBe(0)
      expect(outlet.writes).toEqual(["\n", "\n"])
    }).pipe(Effect.provide(stores))
  )

  it.effect("emits BOOKMARK events when the client allows them", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const created = yield* store.create("pods", pod("web") as KubeObject)
      const outlet = new FakeOutlet()
      yield* watchToOutlet(
        watchRequest({
          initial: [created.object],
          options: {
            namespace: "default",
            allowBookmarks: true,
            resourceVersion: created.object.metadata.resourceVersion!
          }
        }),
        outlet
      )
      yield* advance(61)
      yield* settle(() => outlet.writes.filter((w) => w !== "\n").length >= 2)
      const [added, bookmark] = outlet.writes.filter((w) => w !== "\n").map((l) => JSON.parse(l) as { type: string })
      expect(added!.type).toBe("ADDED")
      expect(bookmark).toMatchObject({ type: "BOOKMARK", object: { kind: "Pod", apiVersion: "v1" } })
      outlet.disconnect()
    }).pipe(Effect.provide(stores))
  )

  it.effect("pulls nothing more while the socket's buffer is full; after drain the rest comes in one write", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const outlet = new FakeOutlet()
      yield* watchToOutlet(watchRequest({ options: { namespace: "default", resourceVersion: "0" } }), outlet)
      outlet.accepting = false
      yield* store.create("pods", pod("a") as KubeObject)
      yield* settle(() => outlet.writes.length >= 1)
      expect(outlet.writes.map(names)).toEqual([["a"]])
      yield* store.create("pods", pod("b") as KubeObject)
      yield* store.create("pods", pod("c") as KubeObject)
      yield* settle(() => false)
      expect(outlet.writes).toHaveLength(1)
      // the keep-alive newline waits for the drain too
      yield* advance(10)
      expect(outlet.writes).toHaveLength(1)
      outlet.accepting = true
      outlet.drain()
      yield* settle(() => outlet.writes.length >= 2)
      expect(outlet.writes.map(names)).toEqual([["a"], ["b", "c"]])
      outlet.disconnect()
    }).pipe(Effect.provide(stores))
  )

  it.effect("a closed connection ends the watch: the gauge hears it, nothing more is written", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const outlet = new FakeOutlet()
      const gauge = { open: 0 }
      yield* watchToOutlet(watchRequest({ gauge: { opened: () => gauge.open++, closed: () => gauge.open-- } }), outlet)
      yield* store.create("pods", pod("a") as KubeObject)
      yield* settle(() => outlet.writes.length >= 1)
      outlet.disconnect()
      yield* settle(() => gauge.open === 0)
      expect(gauge.open).toBe(0)
      yield* store.create("pods", pod("b") as KubeObject)
      yield* advance(20)
      yield* settle(() => false)
      expect(outlet.writes.map(names)).toEqual([["a"]])
      expect(outlet.writableEnded).toBe(false)
    }).pipe(Effect.provide(stores))
  )

  it.effect("a watch paused past the history window ends with 410 Expired once the socket drains", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const outlet = new FakeOutlet()
      const rv = yield* store.resourceVersion
      yield* watchToOutlet(watchRequest({ options: { namespace: "default", resourceVersion: rv } }), outlet)
      outlet.accepting = false
      yield* store.create("pods", pod("a") as KubeObject)
      yield* settle(() => outlet.writes.length >= 1)
      // one at a time, each with time to be delivered: only the pause holds them back
      for (const name of ["b", "c", "d", "e", "f"]) {
        yield* store.create("pods", pod(name) as KubeObject)
        yield* settle(() => false)
      }
      expect(outlet.writes).toHaveLength(1)
      outlet.accepting = true
      outlet.drain()
      yield* settle(() => outlet.writableEnded)
      expect(outlet.writes).toHaveLength(2)
      expect(JSON.parse(outlet.writes[1]!)).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } })
      expect(outlet.writableEnded).toBe(true)
    }).pipe(Effect.provide(storeOf(StoreMemory.layerWith({ historyWindow: 2 }))))
  )
})
