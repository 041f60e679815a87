import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { KubeObject } from "@podlet/core/api/Meta"
import { makeBackendMemory } from "@podlet/core/layers/BackendMemory"
import { type Mutation, StorageBackend, type StoredObject } from "@podlet/core/services/StorageBackend"
import Database from "better-sqlite3"
import { Effect, Exit } from "effect"
import { BackendSqlite, type BackendSqliteOptions, newFilePageSize, runs } from "../src/BackendSqlite.js"

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
const keys = (items: ReadonlyArray<{ readonly key: string }>) => items.map((item) => item.key)

/** Runs `program` against a backend on `path`, closing the database afterwards. */
const withBackend = <A, E>(
  path: string,
  options: Omit<BackendSqliteOptions, "path">,
  program: (backend: StorageBackend["Service"]) => Effect.Effect<A, E>
) => StorageBackend.use(program).pipe(Effect.provide(BackendSqlite.layer({ path, ...options })))

/** How many superseded rows may wait past the history window before a prune deletes them. */
const pruneStep = (historyWindow: number) => Math.min(1024, Math.ceil(historyWindow / 10))

/** Each key's latest log row that is not a delete: the rows that hold the live objects. */
const liveRows = (rows: ReadonlyArray<readonly [number, string, string]>): ReadonlySet<number> => {
  const latest = new Map<string, readonly [number, string]>()
  for (const [rv, type, k] of rows) latest.set(k, [rv, type])
  return new Set([...latest.values()].filter(([, type]) => type !== "DELETED").map(([rv]) => rv))
}

describe("BackendSqlite", () => {
  const fresh = <A, E>(program: (backend: StorageBackend["Service"]) => Effect.Effect<A, E>) =>
    withBackend(tempPath(), {}, program)

  it.effect("commits each mutation under the next resourceVersion and stores it on the object", () =>
    fresh((backend) =>
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
        expect(yield* backend.get(key("b"))).toEqual({ key: key("b"), resourceVersion: 2, object: changes[1]?.object })

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
    fresh((backend) =>
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
    fresh((backend) =>
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
        const [again] = yield* backend.commit([{ key: key("a"), object: pod("a"), expect: 0 }])
        expect(again?.type).toBe("ADDED")
      })
    )
  )

  it.effect("sees its own earlier mutations within one commit", () =>
    fresh((backend) =>
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
    fresh((backend) =>
      Effect.gen(function* () {
        for (const [name, ns] of [
          ["c", "default"],
          ["a", "default"],
          ["b", "default"],
          ["a", "default2"],
          ["z", "kube-system"]
        ] as const) {
          yield* backend.commit([{ key: key(name, ns), object: pod(name, ns) }])
        }
        const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } }
        yield* backend.commit([{ key: "nodes//n1", object: node }])
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
        expect(keys(yield* backend.list("pods/", undefined, 2))).toEqual([key("a"), key("b")])
        expect(keys(yield* backend.list("", key("z", "kube-system")))).toEqual([])
        expect(keys(yield* backend.list("", undefined, 1))).toEqual(["nodes//n1"])
        const [first] = yield* backend.list("pods/default/", undefined, 1)
        expect(first?.object.metadata).toEqual({ name: "a", namespace: "default", resourceVersion: "2" })
      })
    )
  )

  it.effect("lists and gets the latest state across written and not yet written changes", () =>
    fresh((backend) =>
      Effect.gen(function* () {
        for (const name of ["a", "b", "c", "d", "e"]) yield* backend.commit([{ key: key(name), object: pod(name) }])
        yield* backend.commit([{ key: key("b"), object: undefined }])
        yield* backend.commit([{ key: key("a"), object: pod("a", "default", "Running") }])
        yield* backend.commit([{ key: key("bb"), object: pod("bb") }])
        yield* backend.commit([{ key: key("e"), object: undefined }])
        expect(keys(yield* backend.list("pods/default/"))).toEqual([key("a"), key("bb"), key("c"), key("d")])
        expect(keys(yield* backend.list("pods/default/", undefined, 2))).toEqual([key("a"), key("bb")])
        expect(keys(yield* backend.list("pods/default/", key("a"), 2))).toEqual([key("bb"), key("c")])
        expect(keys(yield* backend.list("pods/default/", key("c")))).toEqual([key("d")])
        const [a] = yield* backend.list("pods/default/", undefined, 1)
        expect(a).toMatchObject({ resourceVersion: 7, object: { status: { phase: "Running" } } })
        expect(yield* backend.get(key("b"))).toBeUndefined()
        expect(yield* backend.get(key("e"))).toBeUndefined()
        expect((yield* backend.get(key("c")))?.resourceVersion).toBe(3)
      })
    )
  )

  it.effect("keeps a bounded change history; an older `since` is undefined", () =>
    withBackend(tempPath(), { historyWindow: 10 }, (backend) =>
      Effect.gen(function* () {
        for (let i = 1; i <= 30; i++) yield* backend.commit([{ key: key(`p${i}`), object: pod(`p${i}`) }])
        const tail = yield* backend.changesSince(25)
        expect(tail?.map((c) => c.resourceVersion)).toEqual([26, 27, 28, 29, 30])
        expect(tail?.[0]).toMatchObject({ type: "ADDED", key: key("p26"), object: { metadata: { name: "p26" } } })
        expect(yield* backend.changesSince(30)).toEqual([])
        expect(yield* backend.changesSince(20)).toHaveLength(10)
        expect(yield* backend.changesSince(19)).toBeUndefined()
        expect(yield* backend.changesSince(0)).toBeUndefined()
      })
    )
  )

  it.effect("deletes old change rows in batches: the file holds at most window + prune step", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const historyWindow = 100
      yield* withBackend(path, { historyWindow }, (backend) =>
        Effect.gen(function* () {
          for (let i = 1; i <= 3000; i++) yield* backend.commit([{ key: key(`p${i % 50}`), object: pod(`p${i}`) }])
        })
      )
      const db = new Database(path, { readonly: true })
      const [rows, oldest] = db.prepare("SELECT count(*), min(rv) FROM changes").raw().get() as [number, number]
      db.close()
      // the 50 objects' latest rows, the window and at most a prune step of superseded rows
      expect(rows).toBeLessThanOrEqual(historyWindow + pruneStep(historyWindow) + 50)
      expect(rows).toBe(3000 - oldest + 1)
      expect(oldest).toBeLessThanOrEqual(3000 - historyWindow + 1)
    })
  )

  it.effect("an object's JSON is written once: its latest log row outlives the window, superseded rows go", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const historyWindow = 10
      yield* withBackend(path, { historyWindow }, (backend) =>
        Effect.gen(function* () {
          for (let i = 0; i < 40; i++) yield* backend.commit([{ key: key(`p${i}`), object: pod(`p${i}`) }])
          // p0 and p1 rewritten many times, p2 deleted: every other object's only row is older than the window
          for (let i = 0; i < 500; i++) {
            yield* backend.commit([{ key: key(`p${i % 2}`), object: pod(`p${i % 2}`, "default", `Phase${i}`) }])
          }
          yield* backend.commit([{ key: key("p2"), object: undefined }])
          for (let i = 0; i < 100; i++)
            yield* backend.commit([{ key: key("p0"), object: pod("p0", "default", `Last${i}`) }])
        })
      )
      const db = new Database(path, { readonly: true })
      const rows = db.prepare("SELECT rv, type, key FROM changes ORDER BY rv").raw().all() as Array<
        [number, string, string]
      >
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").raw().all()
      const [compacted] = (db.prepare("SELECT value FROM meta WHERE name = 'compacted'").raw().get() as
        | [number]
        | undefined) ?? [0]
      db.close()
      expect(tables).toEqual([["changes"], ["meta"]])
      // the 37 untouched objects, p1's last row, and the window with at most a prune step
      expect(rows.length).toBeLessThanOrEqual(38 + historyWindow + pruneStep(historyWindow))
      // at or below the compaction floor only objects' latest rows are left (p2's are gone)
      const live = liveRows(rows)
      expect(rows.filter(([rv]) => rv <= compacted && !live.has(rv))).toEqual([])
      expect(compacted).toBeGreaterThan(40)
      expect(rows.filter(([, , k]) => k === key("p2"))).toEqual([])
      yield* withBackend(path, { historyWindow }, (backend) =>
        Effect.gen(function* () {
          const listed = yield* backend.list("pods/")
          expect(listed.length).toBe(39)
          expect((yield* backend.get(key("p0")))?.object).toMatchObject({ status: { phase: "Last99" } })
          expect((yield* backend.get(key("p1")))?.object).toMatchObject({ status: { phase: "Phase499" } })
          expect((yield* backend.get(key("p7")))?.object).toMatchObject({ status: { phase: "Pending" } })
          expect(yield* backend.get(key("p2"))).toBeUndefined()
          expect(yield* backend.changesSince(641 - historyWindow)).toHaveLength(historyWindow)
          // superseded rows found on open are pruned too: the log keeps shrinking to the live rows
          for (let i = 0; i < 200; i++)
            yield* backend.commit([{ key: key("p0"), object: pod("p0", "default", `More${i}`) }])
        })
      )
      const after = new Database(path, { readonly: true })
      const count = (after.prepare("SELECT count(*) FROM changes").raw().get() as [number])[0]
      after.close()
      expect(count).toBeLessThanOrEqual(38 + historyWindow + pruneStep(historyWindow))
    })
  )

  it.effect("reopening continues the revision, the objects and the history", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const options = { historyWindow: 10 }
      yield* withBackend(path, options, (backend) =>
        Effect.gen(function* () {
          for (let i = 1; i <= 25; i++) yield* backend.commit([{ key: key(`p${i}`), object: pod(`p${i}`) }])
          yield* backend.commit([{ key: key("p25"), object: undefined }])
          yield* backend.commit([{ key: key("p3"), object: pod("p3", "default", "Running") }])
        })
      )
      yield* withBackend(path, options, (backend) =>
        Effect.gen(function* () {
          expect(yield* backend.revision).toBe(27)
          expect((yield* backend.changesSince(20))?.map((c) => [c.type, c.resourceVersion])).toEqual([
            ["ADDED", 21],
            ["ADDED", 22],
            ["ADDED", 23],
            ["ADDED", 24],
            ["ADDED", 25],
            ["DELETED", 26],
            ["MODIFIED", 27]
          ])
          expect(yield* backend.changesSince(16)).toBeUndefined()
          expect(yield* backend.changesSince(17)).toHaveLength(10)
          const listed = yield* backend.list("pods/")
          expect(listed.length).toBe(24)
          expect(yield* backend.get(key("p25"))).toBeUndefined()
          expect(yield* backend.get(key("p3"))).toMatchObject({
            resourceVersion: 27,
            object: { status: { phase: "Running" } }
          })
          const [next] = yield* backend.commit([{ key: key("q"), object: pod("q") }])
          expect(next?.resourceVersion).toBe(28)
        })
      )
    })
  )
})

describe("BackendSqlite ownership", () => {
  it.effect("a path that cannot be opened is a StorageOpenError", () =>
    Effect.gen(function* () {
      const path = join(dir, "missing-dir", "store.db")
      const error = yield* Effect.flip(withBackend(path, {}, (backend) => backend.revision))
      expect(error._tag).toBe("StorageOpenError")
      expect(error.path).toBe(path)
    })
  )

  it.effect("synchronous=full opens and commits", () =>
    withBackend(tempPath(), { synchronous: "full" }, (backend) =>
      Effect.gen(function* () {
        const [change] = yield* backend.commit([{ key: key("a"), object: pod("a") }])
        expect(change?.resourceVersion).toBe(1)
      })
    )
  )

  it.effect("one process owns the file: a second open fails until the first is released", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const second = yield* withBackend(path, {}, () =>
        Effect.exit(withBackend(path, {}, (backend) => backend.revision))
      )
      expect(Exit.isFailure(second)).toBe(true)
      expect(JSON.stringify(second)).toContain("StorageOpenError")
      expect(yield* withBackend(path, {}, (backend) => backend.revision)).toBe(0)
    })
  )
})

describe("BackendSqlite page size", () => {
  const pageSize = (path: string): number => {
    const db = new Database(path, { readonly: true })
    try {
      return db.pragma("page_size", { simple: true }) as number
    } finally {
      db.close()
    }
  }

  it.effect("a new file gets 16 KiB pages; a file made with 4 KiB pages keeps them, its rows and its revision", () =>
    Effect.gen(function* () {
      for (const writer of ["thread", "inline"] as const) {
        const created = tempPath()
        yield* withBackend(created, { writer }, (backend) => backend.commit([{ key: key("a"), object: pod("a") }]))
        expect(pageSize(created)).toBe(newFilePageSize)

        const older = tempPath()
        const db = new Database(older)
        db.pragma("page_size = 4096")
        db.pragma("journal_mode = WAL")
        db.exec(
          "CREATE TABLE changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL)"
        )
        db.close()
        yield* withBackend(older, { writer }, (backend) => backend.commit([{ key: key("a"), object: pod("a") }]))
        const reopened = yield* withBackend(older, { writer }, (backend) =>
          Effect.gen(function* () {
            yield* backend.commit([{ key: key("b"), object: pod("b") }])
            return { revision: yield* backend.revision, listed: keys(yield* backend.list("pods/")) }
          })
        )
        expect(reopened).toEqual({ revision: 2, listed: [key("a"), key("b")] })
        expect(pageSize(older)).toBe(4096)
      }
    })
  )
})

describe("BackendSqlite group commit", () => {
  it.effect(
    "writes of one tick are visible to the synchronous face at once and become durable together, in order",
    () =>
      Effect.gen(function* () {
        const path = tempPath()
        yield* withBackend(path, {}, (backend) =>
          Effect.gen(function* () {
            const sync = backend.sync!
            const durable: Array<string> = []
            const first = sync.commit([{ key: key("a"), object: pod("a"), expect: 0 }])
            sync.whenDurable!(() => durable.push("a"))
            // the second write builds on the first before either is durable
            const second = sync.commit([{ key: key("a"), object: pod("a", "default", "Running"), expect: 1 }])
            sync.whenDurable!(() => durable.push("a again"))
            expect(Array.isArray(first) && Array.isArray(second)).toBe(true)
            expect(sync.get(key("a"))?.resourceVersion).toBe(2)
            expect(sync.pending!()).toBe(true)
            // the Effect side shows durable state only
            expect(yield* backend.get(key("a"))).toBeUndefined()
            expect(yield* backend.revision).toBe(0)
            expect(durable).toEqual([])
            // a stale expect against the queued state is a conflict, with nothing queued
            expect(sync.commit([{ key: key("a"), object: pod("a"), expect: 1 }])).toEqual({
              _tag: "CommitConflict",
              key: key("a"),
              actual: 2
            })
            yield* Effect.callback<void>((resume) => sync.whenDurable!(() => resume(Effect.void)))
            expect(durable).toEqual(["a", "a again"])
            expect(sync.pending!()).toBe(false)
            expect(yield* backend.revision).toBe(2)
            expect((yield* backend.get(key("a")))?.object).toMatchObject({ status: { phase: "Running" } })
            // nothing pending: a callback runs at once
            let now = false
            sync.whenDurable!(() => {
              now = true
            })
            expect(now).toBe(true)
          })
        )
        // the file holds both changes
        const db = new Database(path)
        try {
          expect(db.prepare("SELECT rv, type FROM changes ORDER BY rv").all()).toEqual([
            { rv: 1, type: "ADDED" },
            { rv: 2, type: "MODIFIED" }
          ])
        } finally {
          db.close()
        }
      })
  )

  it.effect("an owned object is stamped in place; the result, the file and a reopen equal the copying path's", () =>
    Effect.gen(function* () {
      const run = (owned: boolean) =>
        Effect.gen(function* () {
          const path = tempPath()
          const written: Array<unknown> = []
          const inputs: Array<string> = []
          yield* withBackend(path, {}, (backend) =>
            Effect.gen(function* () {
              const writes: ReadonlyArray<Mutation> = [
                { key: key("a"), object: pod("a"), expect: 0, owned },
                { key: key("b"), object: pod("b"), owned },
                {
                  key: key("a"),
                  object: { ...pod("a", "default", "Running"), metadata: { name: "a", resourceVersion: "1" } },
                  expect: 1,
                  owned
                },
                { key: key("b"), object: undefined, expect: 2, owned }
              ]
              for (const write of writes) {
                const [change] = yield* backend.commit([write])
                if (owned && write.object !== undefined) expect(change?.object).toBe(write.object)
                written.push(change)
                inputs.push(JSON.stringify(write.object))
              }
            })
          )
          const reopened = yield* withBackend(path, {}, (backend) =>
            Effect.all([backend.list("pods/"), backend.changesSince(0)])
          )
          return { written: JSON.stringify(written), inputs, reopened: JSON.stringify(reopened) }
        })
      const copying = yield* run(false)
      const owning = yield* run(true)
      expect(owning.written).toBe(copying.written)
      expect(owning.reopened).toBe(copying.reopened)
      // the copying path leaves its inputs as they were
      expect(copying.inputs).toEqual([
        JSON.stringify(pod("a")),
        JSON.stringify(pod("b")),
        JSON.stringify({ ...pod("a", "default", "Running"), metadata: { name: "a", resourceVersion: "1" } }),
        undefined
      ])
    })
  )

  it.effect("the synchronous face reads what was last written, for any mix of reads, writes, deletes and flushes", () =>
    withBackend(tempPath(), {}, (backend) =>
      Effect.gen(function* () {
        const sync = backend.sync!
        /** the model: key -> [resourceVersion, phase] */
        const model = new Map<string, readonly [number, string]>()
        let revision = 0
        let seed = 11
        const random = (n: number) => {
          seed = (seed * 1103515245 + 12345) % 2147483648
          return seed % n
        }
        const names = ["a", "b", "c"]
        // keys built afresh each time (equal strings, other objects), as the store builds them
        const fresh = (name: string) => ["pods", "default", name].join("/")
        for (let step = 0; step < 600; step++) {
          const name = names[random(names.length)]!
          const k = key(name)
          const op = random(6)
          if (op === 0) sync.get(fresh(name))
          else if (op === 1 || op === 2) {
            const expected = random(4) === 0 ? 99 : (model.get(k)?.[0] ?? 0)
            const result = sync.commit([
              {
                key: fresh(name),
                object: pod(name, "default", `v${step}`),
                expect: expected,
                owned: random(2) === 0
              }
            ])
            if (expected === (model.get(k)?.[0] ?? 0)) model.set(k, [++revision, `v${step}`])
            else expect(Array.isArray(result)).toBe(false)
          } else if (op === 3) {
            const result = sync.commit([{ key: fresh(name), object: undefined }])
            if (model.delete(k)) ++revision
            else expect(Array.isArray(result)).toBe(false)
          } else if (op === 4) {
            const other = names[(names.indexOf(name) + 1) % names.length]!
            sync.commit([
              { key: k, object: pod(name, "default", `m${step}`) },
              { key: key(other), object: pod(other, "default", `n${step}`) }
            ])
            model.set(k, [++revision, `m${step}`])
            model.set(key(other), [++revision, `n${step}`])
          } else yield* Effect.callback<void>((resume) => sync.whenDurable!(() => resume(Effect.void)))
          // read back starting at any key (the last one read or written among them)
          const first = random(names.length)
          for (let i = 0; i < names.length; i++) {
            const other = names[(first + i) % names.length]!
            const stored = sync.get(fresh(other))
            expect(
              stored === undefined
                ? undefined
                : [stored.resourceVersion, (stored.object as ReturnType<typeof pod>).status.phase]
            ).toEqual(model.get(key(other)))
          }
        }
      })
    )
  )

  it.effect("what is queued when the layer closes is written before the database closes", () =>
    Effect.gen(function* () {
      const path = tempPath()
      yield* withBackend(path, {}, (backend) =>
        Effect.sync(() => {
          backend.sync!.commit([{ key: key("late"), object: pod("late"), expect: 0 }])
        })
      )
      const stored = yield* withBackend(path, {}, (backend) => backend.get(key("late")))
      expect(stored?.resourceVersion).toBe(1)
    })
  )
})

/** A database file of an earlier layout: the change log and meta tables, plus `table` (its own DDL). */
const legacyFile = (path: string, table: string): Database.Database => {
  const db = new Database(path)
  db.exec(`
    ${table}
    CREATE TABLE changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  `)
  return db
}

/** A default/`name` pod's JSON as an earlier layout stored it, at `rv`. */
const json = (name: string, rv: number, phase = "Pending") =>
  JSON.stringify({
    ...pod(name, "default", phase),
    metadata: { name, namespace: "default", resourceVersion: String(rv) }
  })

describe("BackendSqlite recovery", () => {
  it("runs: consecutive versions collapse into ranges", () => {
    expect(runs([])).toEqual([])
    expect(runs([7])).toEqual([[7, 7]])
    expect(runs([5, 3, 4, 9, 1, 10, 11])).toEqual([
      [1, 1],
      [3, 5],
      [9, 11]
    ])
    expect(runs([2, 2, 3])).toEqual([[2, 3]])
  })

  it.effect("after random writes and a reopen, objects and history equal the memory backend's", () =>
    Effect.gen(function* () {
      let seed = 12345
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n
      }
      for (let round = 0; round < 4; round++) {
        const historyWindow = [5, 20, 60, 1000][round]!
        const path = tempPath()
        const memory = makeBackendMemory({ historyWindow })
        const mutations: Array<Mutation> = []
        const alive = new Set<string>()
        for (let i = 0; i < 400; i++) {
          const name = `p${random(30)}`
          const exists = alive.has(key(name))
          const remove = exists && random(4) === 0
          mutations.push({ key: key(name), object: remove ? undefined : pod(name, "default", `Phase${i}`) })
          if (remove) alive.delete(key(name))
          else alive.add(key(name))
        }
        // commits of one to three mutations of distinct keys, the file reopened twice in between
        const batches: Array<Array<Mutation>> = []
        let size = 0
        for (const mutation of mutations) {
          const last = batches.at(-1)
          if (last === undefined || last.length >= size || last.some((m) => m.key === mutation.key)) {
            batches.push([mutation])
            size = 1 + random(3)
          } else last.push(mutation)
        }
        const third = Math.floor(batches.length / 3)
        for (const part of [batches.slice(0, third), batches.slice(third, 2 * third), batches.slice(2 * third)]) {
          yield* withBackend(path, { historyWindow }, (backend) =>
            Effect.gen(function* () {
              for (const batch of part) {
                const a = yield* Effect.exit(backend.commit(batch))
                const b = yield* Effect.exit(memory.commit(batch))
                expect(Exit.isSuccess(a)).toBe(Exit.isSuccess(b))
              }
            })
          )
        }
        const revision = yield* memory.revision
        yield* withBackend(path, { historyWindow }, (backend) =>
          Effect.gen(function* () {
            expect(yield* backend.revision).toBe(revision)
            const listed = (items: ReadonlyArray<StoredObject>) =>
              JSON.stringify(items.map((s) => [s.key, s.resourceVersion, s.object]))
            expect(listed(yield* backend.list("pods/"))).toBe(listed(yield* memory.list("pods/")))
            const since = revision - Math.min(historyWindow, 5)
            expect(JSON.stringify(yield* backend.changesSince(since))).toBe(
              JSON.stringify(yield* memory.changesSince(since))
            )
          })
        )
        // at or below the compaction floor, the file holds only the live objects' rows
        const db = new Database(path, { readonly: true })
        const rows = db.prepare("SELECT rv, type, key FROM changes ORDER BY rv").raw().all() as Array<
          [number, string, string]
        >
        const [compacted] = (db.prepare("SELECT value FROM meta WHERE name = 'compacted'").raw().get() as
          | [number]
          | undefined) ?? [0]
        db.close()
        const live = liveRows(rows)
        expect(rows.filter(([rv]) => rv <= compacted && !live.has(rv))).toEqual([])
        expect(live.size).toBe(alive.size)
      }
    })
  )

  it.effect("a file with a heads table (the batched key index) opens from its log and loses the table", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const db = legacyFile(path, "CREATE TABLE heads (key TEXT PRIMARY KEY, rv INTEGER NOT NULL) WITHOUT ROWID;")
      const insertChange = db.prepare("INSERT INTO changes VALUES (?, ?, ?, ?)")
      insertChange.run(1, "ADDED", key("a"), json("a", 1))
      insertChange.run(4, "ADDED", key("c"), json("c", 4))
      insertChange.run(5, "MODIFIED", key("a"), json("a", 5, "Running"))
      insertChange.run(6, "DELETED", key("b"), json("b", 6))
      insertChange.run(7, "MODIFIED", key("c"), json("c", 7, "Running"))
      // heads written up to rv 5 (the batch); 6 and 7 only in the log
      const insertHead = db.prepare("INSERT INTO heads VALUES (?, ?)")
      insertHead.run(key("a"), 5)
      insertHead.run(key("b"), 2)
      insertHead.run(key("c"), 4)
      db.prepare("INSERT INTO meta VALUES (?, ?)").run("materialized", 5)
      db.prepare("INSERT INTO meta VALUES (?, ?)").run("compacted", 3)
      db.close()
      yield* withBackend(path, {}, (backend) =>
        Effect.gen(function* () {
          expect(yield* backend.revision).toBe(7)
          expect((yield* backend.list("pods/")).map((s) => [s.key, s.resourceVersion])).toEqual([
            [key("a"), 5],
            [key("c"), 7]
          ])
          expect((yield* backend.changesSince(3))?.map((c) => c.resourceVersion)).toEqual([4, 5, 6, 7])
          expect(yield* backend.changesSince(2)).toBeUndefined()
        })
      )
      const after = new Database(path, { readonly: true })
      const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").raw().all()
      const meta = after.prepare("SELECT name FROM meta ORDER BY name").raw().all()
      after.close()
      expect(tables).toEqual([["changes"], ["meta"]])
      expect(meta).toEqual([["compacted"]])
    })
  )
})

describe("BackendSqlite files from before the heads table", () => {
  it.effect("an objects table is migrated: objects, revision and history kept, the log tail applied", () =>
    Effect.gen(function* () {
      const path = tempPath()
      const db = legacyFile(
        path,
        "CREATE TABLE objects (key TEXT PRIMARY KEY, rv INTEGER NOT NULL, json TEXT NOT NULL);"
      )
      // a (rv 1) and b (rv 2) materialized and compacted away from the log; then the tail: c added,
      // a modified, b deleted, d added and deleted, e deleted and added again
      const insertObject = db.prepare("INSERT INTO objects VALUES (?, ?, ?)")
      insertObject.run(key("a"), 1, json("a", 1))
      insertObject.run(key("b"), 2, json("b", 2))
      insertObject.run(key("e"), 3, json("e", 3))
      const insertChange = db.prepare("INSERT INTO changes VALUES (?, ?, ?, ?)")
      insertChange.run(3, "ADDED", key("e"), json("e", 3))
      insertChange.run(4, "ADDED", key("c"), json("c", 4))
      insertChange.run(5, "MODIFIED", key("a"), json("a", 5, "Running"))
      insertChange.run(6, "DELETED", key("b"), json("b", 6))
      insertChange.run(7, "ADDED", key("d"), json("d", 7))
      insertChange.run(8, "DELETED", key("d"), json("d", 8))
      insertChange.run(9, "DELETED", key("e"), json("e", 9))
      insertChange.run(10, "ADDED", key("e"), json("e", 10, "Again"))
      db.prepare("INSERT INTO meta VALUES (?, ?)").run("materialized", 3)
      db.prepare("INSERT INTO meta VALUES (?, ?)").run("compacted", 2)
      db.close()
      yield* withBackend(path, {}, (backend) =>
        Effect.gen(function* () {
          expect(yield* backend.revision).toBe(10)
          const listed = yield* backend.list("pods/")
          expect(listed.map((s) => [s.key, s.resourceVersion])).toEqual([
            [key("a"), 5],
            [key("c"), 4],
            [key("e"), 10]
          ])
          expect((yield* backend.get(key("e")))?.object).toMatchObject({ status: { phase: "Again" } })
          expect((yield* backend.changesSince(2))?.map((c) => [c.type, c.resourceVersion])).toEqual([
            ["ADDED", 3],
            ["ADDED", 4],
            ["MODIFIED", 5],
            ["DELETED", 6],
            ["ADDED", 7],
            ["DELETED", 8],
            ["DELETED", 9],
            ["ADDED", 10]
          ])
          const [next] = yield* backend.commit([{ key: key("f"), object: pod("f") }])
          expect(next?.resourceVersion).toBe(11)
        })
      )
      // and again, from the migrated file
      const reopened = yield* withBackend(path, {}, (backend) => backend.list("pods/"))
      expect(reopened.map((s) => s.key)).toEqual([key("a"), key("c"), key("e"), key("f")])
    })
  )
})
