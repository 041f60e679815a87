/**
 * Answers and watch lines that reuse the JSON the SQLite backend wrote (`writtenJson`) are the
 * bytes the normal encoding gives, and the reuse happens.
 */
import type { KubeObject } from "@podlet/core/api/Meta"
import { resourceFor } from "@podlet/core/api/Resources"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { BackendSqlite, writtenJson } from "@podlet/platform-node/BackendSqlite"
import { Layer, ManagedRuntime } from "effect"
import { describe, expect, it } from "vitest"
import { makeApp } from "../src/app.js"
import { typedAlready, withTypeMeta } from "../src/Respond.js"
import { json, pod, readLines } from "./support.js"

const pods = resourceFor("pods")!
const PODS = "/api/v1/namespaces/default/pods"

describe("typedAlready", () => {
  it.each([
    [{ apiVersion: "v1", kind: "Pod", metadata: {} }, true],
    [{ kind: "Pod", apiVersion: "v1", metadata: {} }, false],
    [{ apiVersion: "v2", kind: "Pod", metadata: {} }, false],
    [{ apiVersion: "v1", kind: "Node", metadata: {} }, false],
    [{ apiVersion: "v1", metadata: {}, kind: "Pod" }, false],
    [{ metadata: {} }, false],
    [{ 0: "x", apiVersion: "v1", kind: "Pod", metadata: {} }, false]
  ])("%j: %s", (object, expected) => {
    expect(typedAlready(pods, object as unknown as KubeObject)).toBe(expected)
  })
})

/** An app over SQLite reusing the backend's JSON, counting the reuses. */
const sqliteApp = () => {
  const store = ObjectStoreLive.layer.pipe(Layer.provide(BackendSqlite.layer({ path: ":memory:" })), Layer.orDie)
  const runtime = ManagedRuntime.make(store)
  const hits = { count: 0 }
  const objectJson = (object: KubeObject) => {
    const written = writtenJson(object)
    if (written !== undefined) hits.count++
    return written
  }
  return { app: makeApp({ runtime, objectJson }), hits, dispose: () => runtime.dispose() }
}

/** The bytes the normal encoding gives for the object a JSON text describes. */
const reencoded = (text: string) => JSON.stringify(withTypeMeta(pods, JSON.parse(text) as KubeObject))

describe("answers with the backend's JSON", () => {
  it("create, update, patch, status and delete answer the bytes of the normal encoding", async () => {
    const { app, hits, dispose } = sqliteApp()
    try {
      const texts: Array<string> = []
      const send = async (path: string, init: RequestInit, status: number) => {
        const res = await app.request(path, init)
        const text = await res.text()
        expect(res.status, text).toBe(status)
        texts.push(text)
        return JSON.parse(text) as KubeObject
      }
      const created = await send(PODS, json("POST", pod("web", { app: "web" })), 201)
      await send(`${PODS}/web`, json("PUT", { ...created, metadata: { ...created.metadata, labels: { v: "2" } } }), 200)
      await send(
        `${PODS}/web`,
        json("PATCH", { metadata: { labels: { v: "3" } } }, "application/merge-patch+json"),
        200
      )
      const current = await send(`${PODS}/web`, { method: "GET" }, 200)
      await send(`${PODS}/web/status`, json("PUT", { ...current, status: { phase: "Running" } }), 200)
      await send(`${PODS}/web`, json("DELETE", { gracePeriodSeconds: 0 }), 200)
      for (const text of texts) expect(text).toBe(reencoded(text))
      expect(hits.count).toBeGreaterThan(0)
    } finally {
      await dispose()
    }
  })

  it("a body with kind before apiVersion is answered with apiVersion first all the same", async () => {
    const { app, hits, dispose } = sqliteApp()
    try {
      const { apiVersion, kind, ...rest } = pod("swapped")
      const res = await app.request(PODS, json("POST", { kind, apiVersion, ...rest }))
      const text = await res.text()
      expect(res.status).toBe(201)
      expect(text.startsWith('{"apiVersion":"v1","kind":"Pod",')).toBe(true)
      expect(text).toBe(reencoded(text))
      expect(hits.count).toBe(1)
    } finally {
      await dispose()
    }
  })

  it("watch lines are the bytes of the normal encoding", async () => {
    const { app, hits, dispose } = sqliteApp()
    try {
      const res = await app.request(`${PODS}?watch=1`)
      await app.request(PODS, json("POST", pod("a")))
      await app.request(
        `${PODS}/a`,
        json("PATCH", { metadata: { labels: { v: "2" } } }, "application/merge-patch+json")
      )
      await app.request(`${PODS}/a`, json("DELETE", { gracePeriodSeconds: 0 }))
      const { lines, cancel } = await readLines(res, 3)
      await cancel()
      const events = lines.map((l) => JSON.parse(l) as { type: string; object: KubeObject })
      expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"])
      lines.forEach((l, i) => {
        expect(l).toBe(JSON.stringify({ type: events[i]!.type, object: withTypeMeta(pods, events[i]!.object) }))
      })
      expect(hits.count).toBeGreaterThanOrEqual(6)
    } finally {
      await dispose()
    }
  })
})
