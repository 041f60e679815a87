import type { KubeObject } from "@podlet/core/api/Meta"
import { ObjectStore, type WriteOptions } from "@podlet/core/services/ObjectStore"
import { Effect, Layer, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { warningHeader } from "../src/Respond.js"
import { json, pod, type TestApp, testApp } from "./support.js"

/** A store whose create echoes its options as warnings; every other call must not happen. */
const echoStore = (seen: Array<WriteOptions | undefined>) =>
  Layer.succeed(
    ObjectStore,
    ObjectStore.of({
      create: <T extends KubeObject>(_resource: string, object: T, options?: WriteOptions) => {
        seen.push(options)
        return Effect.succeed({
          object: { ...object, metadata: { ...object.metadata, resourceVersion: "7", uid: "u" } },
          warnings: options?.fieldValidation === "Warn" ? ['unknown field "spec.foo"', "a\\b"] : []
        })
      },
      get: () => Effect.die("get must not be called"),
      list: () => Effect.die("boom: list defect"),
      update: () => Effect.die("update must not be called"),
      updateStatus: () => Effect.die("updateStatus must not be called"),
      patch: () => Effect.die("patch must not be called"),
      delete: () => Effect.die("delete must not be called"),
      bind: () => Effect.die("bind must not be called"),
      watch: () => Stream.die("watch must not be called"),
      resourceVersion: Effect.succeed("7")
    })
  )

let t: TestApp | undefined
afterEach(() => t?.dispose())

describe("field validation at the edge", () => {
  it("passes fieldValidation and dryRun to the store, Warn by default", async () => {
    const seen: Array<WriteOptions | undefined> = []
    t = testApp(echoStore(seen))
    await t.app.request("/api/v1/namespaces/default/pods?fieldValidation=Strict", json("POST", pod("a")))
    await t.app.request("/api/v1/namespaces/default/pods?fieldValidation=Ignore&dryRun=All", json("POST", pod("b")))
    await t.app.request("/api/v1/namespaces/default/pods", json("POST", pod("c")))
    expect(seen).toEqual([
      { fieldValidation: "Strict" },
      { fieldValidation: "Ignore", dryRun: true },
      { fieldValidation: "Warn" }
    ])
  })

  it("turns store warnings into escaped `Warning: 299` headers", async () => {
    t = testApp(echoStore([]))
    const res = await t.app.request("/api/v1/namespaces/default/pods?fieldValidation=Warn", json("POST", pod("a")))
    expect(res.status).toBe(201)
    expect(res.headers.get("warning")).toBe('299 - "unknown field \\"spec.foo\\"", 299 - "a\\\\b"')
  })

  it("formats one warning as kubectl expects", () => {
    expect(warningHeader('unknown field "spec.containers[0].imagee"')).toBe(
      '299 - "unknown field \\"spec.containers[0].imagee\\""'
    )
  })
})

describe("defects", () => {
  it("answer 500 InternalError as a Status, and the server keeps serving", async () => {
    t = testApp(echoStore([]))
    const res = await t.app.request("/api/v1/namespaces/default/pods")
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "InternalError", code: 500 })
    expect((await t.app.request("/api/v1/namespaces/default/pods", json("POST", pod("a")))).status).toBe(201)
  })
})
