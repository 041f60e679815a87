import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { KubeObject } from "@podlet/core/api/Meta"
import { StorageBackend } from "@podlet/core/services/StorageBackend"
import { Effect, Exit } from "effect"
import * as BackendSqlite from "../src/BackendSqlite.js"

const dir = mkdtempSync(join(tmpdir(), "podlet-sqlite-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const tempPath = () => join(dir, `store-${++files}.db`)

const pod = (name: string, namespace = "default", phase = "Pending"): KubeObject & { status: { phase: string } } => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace },
  status: { phase }
})
const key = (name: string, namespace = "default") => `pods/${namespace}/${name}`

/** Runs `program` against a backend on `path`, closing the database afterwards. */
const withBackend = <A, E>(
  path: string,
  program: (backend: StorageBackend["Service"]) => Effect.Effect<A, E>,
  history?: number
) =>
  StorageBackend.use(program).pipe(
    Effect.provide(BackendSqlite.layer(history === undefined ? { path } : { path, history }))
  )

describe("BackendSqlite", () => {
  it.effect("commits each mutation under the next resourceVersion and stores it on the object", () =>
    withBackend(tempPath(), (backend) =>
      Effect.gen(function* () {
        expect(yield* backend.revision).toBe(0)
        const changes = yield* backend.commit([
          { key: key("a"), object: pod("a"), expect: 0 },
          { key: key("b"), object: pod("b"), expect: 0 }
        ])
        expect(changes.map((c) => [c.type, c.key, c.resourceVersion, c.object.metadata.resourceVersion])).toEqual([
          ["ADDED", key("a"), 1, "1"],
          ["ADDED", key("b"), 2, "2"]
        ])
        expect(yield* backend.revision).toBe(2)
        const stored = yield* backend.get(key("b"))
        expect(stored).toEqual({ key: key("b"), resourceVersion: 2, object: changes[1]?.object })

        const [modified] = yield* backend.commit([{ key: key("a"), object: pod("a", "default", "Running"), expect: 1 }])
        expect(modified?.type).toBe("MODIFIED")
        expect(modified?.resourceVersion).toBe(3)
        expect((yield* backend.get(key("a")))?.object).toMatchObject({
          status: { phase: "Running" },
          metadata: { resourceVersion: "3" }
        })
        expect(yield* backend.get(key("missing"))).toBeUndefined()
      })
    )
  )

  it.effect("rejects a stale expect atomically: nothing of the commit is written", () =>
    withBackend(tempPath(), (backend) =>
      Effect.gen(function* () {
        yield* backend.commit([{ key: key("a"), object: pod("a") }])
        const exit = yield* Effect.exit(
          backend.commit([
            { key: key("b"), object: pod("b"), expect: 0 },
            { key: key("a"), object: pod("a", "default", "Running"), expect: 0 }
          ])
        )
        expect(exit).toEqual(Exit.fail({ _tag: "CommitConflict", key: key("a"), actual: 1 }))
        expect(yield* backend.revision).toBe(1)
        expect(yield* backend.get(key("b"))).toBeUndefined()
        expect(yield* backend.changesSince(0)).toHaveLength(1)

        const stale = yield* Effect.exit(backend.commit([{ key: key("a"), object: pod("a"), expect: 7 }]))
        expect(stale).toEqual(Exit.fail({ _tag: "CommitConflict", key: key("a"), actual: 1 }))
      })
    )
  )

  it.effect("deletes: the DELETED change carries the last state at the delete's version", () =>
    withBackend(tempPath(), (backend) =>
      Effect.gen(function* () {
        yield* backend.commit([{ key: key("a"), object: pod("a", "default", "Running") }])
        const [deleted] = yield* backend.commit([{ key: key("a"), object: undefined, expect: 1 }])
        expect(deleted).toMatchObject({
          type: "DELETED",
          key: key("a"),
          resourceVersion: 2,
          object: { status: { phase: "Running" }, metadata: { name: "a", resourceVersion: "2" } }
        })
        expect(yield* backend.get(key("a"))).toBeUndefined()
        const missing = yield* Effect.exit(backend.commit([{ key: key("a"), object: undefined }]))
        expect(missing).toEqual(Exit.fail({ _tag: "CommitConflict", key: key("a"), actual: 0 }))
      })
    )
  )

  it.effect("sees its own earlier mutations within one commit", () =>
    withBackend(tempPath(), (backend) =>
      Effect.gen(function* () {
        const changes = yield* backend.commit([
          { key: key("a"), object: pod("a"), expect: 0 },
          { key: key("a"), object: pod("a", "default", "Running"), expect: 1 },
          { key: key("a"), object: undefined, expect: 2 },
          { key: key("a"), object: pod("a", "default", "Failed"), expect: 0 }
        ])
        expect(changes.map((c) => c.type)).toEqual(["ADDED", "MODIFIED", "DELETED", "ADDED"])
        expect(changes[2]?.object).toMatchObject({ status: { phase: "Running" } })
        expect(yield* backend.get(key("a"))).toMatchObject({
          resourceVersion: 4,
          object: { status: { phase: "Failed" } }
        })
      })
    )
  )

  it.effect("lists by prefix in key order, after a key, up to a limit", () =>
    withBackend(tempPath(), (backend) =>
      Effect.gen(function* () {
        yield* backend.commit(
          [
            ["c", "default"],
            ["a", "default"],
            ["b", "default"],
            ["a", "default2"],
            ["z", "kube-system"]
          ].map(([name = "", ns = ""]) => ({ key: key(name, ns), object: pod(name, ns) }))
        )
        yield* backend.commit([
          { key: "nodes//n1", object: { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } } }
        ])
        const keys = (items: ReadonlyArray<{ key: string }>) => items.map((i) => i.key)
        expect(keys(yield* backend.list("pods/default/"))).toEqual([key("a"), key("b"), key("c")])
        expect(keys(yield* backend.list("pods/default/", key("a")))).toEqual([key("b"), key("c")])
        expect(keys(yield* backend.list("pods/default/", key("a"), 1))).toEqual([key("b")])
        expect(keys(yield* backend.list("pods/default/", "pods/"))).toEqual([key("a"), key("b"), key("c")])
        expect(keys(yield* backend.list("pods/"))).toEqual([
          key("a"),
          key("b"),
          key("c"),
          key("a", "default2"),
          key("z", "kube-system")
        ])
        expect(keys(yield* backend.list("", key("z", "kube-system")))).toEqual([])
        expect(keys(yield* backend.list("", undefined, 1))).toEqual(["nodes//n1"])
        const [first] = yield* backend.list("pods/default/", undefined, 1)
        expect(first?.object.metadata).toEqual({ name: "a", namespace: "default", resourceVersion: "2" })
      })
    )
  )

  it.effect("keeps a bounded change history; older `since` is undefined", () =>
    withBackend(
      tempPath(),
      (backend) =>
        Effect.gen(function* () {
          for (let i = 1; i <= 30; i++) yield* backend.commit([{ key: key(`p${i}`), object: pod(`p${i}`) }])
          const all = yield* backend.changesSince(25)
          expect(all?.map((c) => c.resourceVersion)).toEqual([26, 27, 28, 29, 30])
          expect(all?.[0]).toMatchObject({ type: "ADDED", key: key("p26"), object: { metadata: { name: "p26" } } })
          expect(yield* backend.changesSince(30)).toEqual([])
          // history 10 (prune step 1): exactly the last 10 changes are kept
          expect(yield* backend.changesSince(20)).toHaveLength(10)
          expect(yield* backend.changesSince(19)).toBeUndefined()
          expect(yield* backend.changesSince(0)).toBeUndefined()
        }),
      10
    )
  )

  it.effect("reopening continues the revision, the objects and the history", () =>
    Effect.gen(function* () {
      const path = tempPath()
      yield* withBackend(
        path,
        (backend) =>
          Effect.gen(function* () {
            for (let i = 1; i <= 25; i++) yield* backend.commit([{ key: key(`p${i}`), object: pod(`p${i}`) }])
            yield* backend.commit([{ key: key("p25"), object: undefined }])
          }),
        10
      )
      yield* withBackend(
        path,
        (backend) =>
          Effect.gen(function* () {
            expect(yield* backend.revision).toBe(26)
            expect(yield* backend.changesSince(5)).toBeUndefined()
            expect((yield* backend.changesSince(20))?.map((c) => [c.type, c.resourceVersion])).toEqual([
              ["ADDED", 21],
              ["ADDED", 22],
              ["ADDED", 23],
              ["ADDED", 24],
              ["ADDED", 25],
              ["DELETED", 26]
            ])
            expect((yield* backend.list("pods/")).length).toBe(24)
            const [next] = yield* backend.commit([{ key: key("q"), object: pod("q") }])
            expect(next?.resourceVersion).toBe(27)
          }),
        10
      )
    })
  )

  it.effect("one process owns the file: a second open fails until the first is released", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const second = yield* withBackend(path, () => Effect.exit(withBackend(path, (backend) => backend.revision)))
      expect(Exit.isFailure(second)).toBe(true)
      expect(JSON.stringify(second)).toContain("StorageOpenError")
      expect(yield* withBackend(path, (backend) => backend.revision)).toBe(0)
    })
  )
})
