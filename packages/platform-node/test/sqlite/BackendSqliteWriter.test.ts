/**
 * The SQLite backend's side of the writer protocol: with a writer that answers only when told
 * (batching while a batch is with the writer, order of callbacks, a failed batch, `changesSince`
 * decided on the state its answer comes with, drain), and with both real writers (a commit that
 * fails in SQLite, the same history read back across the thread boundary).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { KubeObject } from "@podlet/core/api/Meta"
import { makeBackendMemory } from "@podlet/core/layers/BackendMemory"
import type { Mutation } from "@podlet/core/services/StorageBackend"
import { StorageBackend } from "@podlet/core/services/StorageBackend"
import Database from "better-sqlite3"
import { Cause, Effect, Exit, Fiber } from "effect"
import { BackendSqlite, makeBackendSqlite } from "../../src/BackendSqlite.js"
import {
  type ChangeRow,
  type LogPrune,
  type LogRow,
  type LogWriter,
  makeInlineLogWriter
} from "../../src/sqlite/LogWriter.js"
import { threadSplitRows } from "../../src/sqlite/WriterThread.js"

const dir = mkdtempSync(join(tmpdir(), "podlet-backend-writer-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0

const schema = `
CREATE TABLE changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`

const pod = (name: string, phase = "Pending"): KubeObject & { readonly status: { readonly phase: string } } => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  status: { phase }
})
const key = (name: string) => `pods/default/${name}`

interface HeldWrite {
  readonly rows: ReadonlyArray<LogRow>
  readonly prune: LogPrune | undefined
  readonly done: (error?: unknown) => void
}

/** A writer that holds every call until the test answers it; reads answer from `log`. */
const heldWriter = () => {
  const writes: Array<HeldWrite> = []
  const reads: Array<{ readonly since: number; readonly done: (rows: ReadonlyArray<ChangeRow> | Error) => void }> = []
  const writer: LogWriter = {
    write: (rows, prune, done) => writes.push({ rows, prune, done }),
    changesAfter: (since, done) => reads.push({ since, done }),
    close: (done) => done()
  }
  return { writer, writes, reads }
}

const backendOn = (writer: LogWriter, historyWindow?: number) => {
  const db = new Database(":memory:")
  db.exec(schema)
  return makeBackendSqlite(db, historyWindow === undefined ? {} : { historyWindow }, writer)
}

describe("BackendSqlite with a writer that answers later", () => {
  it.effect(
    "a second batch goes while the first is with the writer; a third waits for an answer; callbacks in order",
    () =>
      Effect.gen(function* () {
        const { writer, writes } = heldWriter()
        const backend = backendOn(writer)
        const sync = backend.sync!
        const heard: Array<string> = []
        sync.commit([{ key: key("a"), object: pod("a") }])
        sync.whenDurable!((error) => heard.push(`a ${String(error)}`))
        backend.flush()
        sync.commit([{ key: key("b"), object: pod("b") }])
        sync.whenDurable!((error) => heard.push(`b ${String(error)}`))
        backend.flush()
        expect(writes.map((w) => w.rows.map((r) => r.rv))).toEqual([[1], [2]])
        // two batches are with the writer: these are applied, and wait
        sync.commit([{ key: key("a"), object: pod("a", "Running"), expect: 1 }])
        sync.commit([{ key: key("c"), object: pod("c") }])
        sync.whenDurable!((error) => heard.push(`c ${String(error)}`))
        backend.flush()
        expect(writes).toHaveLength(2)
        expect(sync.get(key("a"))?.resourceVersion).toBe(3)
        expect(yield* backend.revision).toBe(0)

        // an answer frees a place: what waits goes at once, as one batch
        writes[0]!.done()
        expect(heard).toEqual(["a undefined"])
        expect(writes.map((w) => w.rows.map((r) => [r.rv, r.type]))).toEqual([
          [[1, "ADDED"]],
          [[2, "ADDED"]],
          [
            [3, "MODIFIED"],
            [4, "ADDED"]
          ]
        ])
        expect(yield* backend.revision).toBe(1)
        expect((yield* backend.get(key("a")))?.resourceVersion).toBe(1)
        // what is with the writer is still what the synchronous face reads
        expect(sync.get(key("a"))?.resourceVersion).toBe(3)
        expect(sync.get(key("b"))?.resourceVersion).toBe(2)
        expect(sync.pending!()).toBe(true)

        writes[1]!.done()
        expect(heard).toEqual(["a undefined", "b undefined"])
        expect(yield* backend.revision).toBe(2)
        expect(sync.get(key("a"))?.resourceVersion).toBe(3)
        writes[2]!.done()
        expect(heard).toEqual(["a undefined", "b undefined", "c undefined"])
        expect(sync.pending!()).toBe(false)
        expect(yield* backend.revision).toBe(4)
        expect((yield* backend.get(key("a")))?.object).toMatchObject({ status: { phase: "Running" } })
        expect((yield* backend.list("pods/")).map((s) => [s.key, s.resourceVersion])).toEqual([
          [key("a"), 3],
          [key("b"), 2],
          [key("c"), 4]
        ])
      })
  )

  it.effect(
    "with the writer idle, a queue of twice splitRows goes in two halves cut between commits; each callback with its commit",
    () =>
      Effect.gen(function* () {
        const { writer: held, writes } = heldWriter()
        const backend = backendOn({ ...held, splitRows: 2 })
        const sync = backend.sync!
        const heard: Array<string> = []
        const commit = (...names: ReadonlyArray<string>) => {
          sync.commit(names.map((name) => ({ key: key(name), object: pod(name) })))
          sync.whenDurable!(() => heard.push(names.join("")))
        }
        commit("a")
        commit("b")
        // half of 8 rows is 4: the cut moves to the end of this commit
        commit("c", "d", "e")
        commit("f")
        commit("g")
        commit("h")
        backend.flush()
        const rvs = () => writes.map((w) => w.rows.map((r) => r.rv))
        expect(rvs()).toEqual([
          [1, 2, 3, 4, 5],
          [6, 7, 8]
        ])
        writes[0]!.done()
        expect(heard).toEqual(["a", "b", "cde"])
        // one batch with the writer: everything queued goes as one
        for (const name of ["i", "j", "k", "l", "m"]) commit(name)
        backend.flush()
        expect(rvs()).toEqual([
          [1, 2, 3, 4, 5],
          [6, 7, 8],
          [9, 10, 11, 12, 13]
        ])
        writes[1]!.done()
        writes[2]!.done()
        expect(heard).toEqual(["a", "b", "cde", "f", "g", "h", "i", "j", "k", "l", "m"])
        // the writer idle, a queue under twice splitRows: one batch
        commit("n")
        commit("o")
        commit("p")
        backend.flush()
        expect(rvs().at(-1)).toEqual([14, 15, 16])
        writes[3]!.done()
        expect(yield* backend.revision).toBe(16)
      })
  )

  it.effect(
    "with a writer that answers at once, what callbacks commit goes at the next flush, not in the same one",
    () =>
      Effect.gen(function* () {
        const sent: Array<ReadonlyArray<number>> = []
        const backend = backendOn({
          write: (rows, _prune, done) => {
            sent.push(rows.map((r) => r.rv))
            done()
          },
          changesAfter: (_since, done) => done([]),
          close: (done) => done()
        })
        const sync = backend.sync!
        sync.commit([{ key: key("a"), object: pod("a") }])
        sync.whenDurable!(() => sync.commit([{ key: key("b"), object: pod("b") }]))
        backend.flush()
        expect(sent).toEqual([[1]])
        expect(sync.pending!()).toBe(true)
        backend.flush()
        expect(sent).toEqual([[1], [2]])
        expect(sync.pending!()).toBe(false)
      })
  )

  it.effect("a callback registered while a batch is with the writer and nothing waits runs with that batch", () =>
    Effect.gen(function* () {
      const { writer, writes } = heldWriter()
      const backend = backendOn(writer)
      const heard: Array<string> = []
      backend.sync!.commit([{ key: key("a"), object: pod("a") }])
      backend.flush()
      backend.sync!.whenDurable!(() => heard.push("later"))
      expect(heard).toEqual([])
      writes[0]!.done()
      expect(heard).toEqual(["later"])
    })
  )

  it.effect("a failed batch fails its commits and those applied on top of it; the durable state stays", () =>
    Effect.gen(function* () {
      const { writer, writes } = heldWriter()
      const backend = backendOn(writer)
      const sync = backend.sync!
      sync.commit([{ key: key("a"), object: pod("a") }])
      backend.flush()
      writes[0]!.done()

      const before = yield* Effect.forkChild(backend.commit([{ key: key("x"), object: pod("x") }]))
      yield* Effect.yieldNow
      backend.flush()
      const failing = yield* Effect.forkChild(backend.commit([{ key: key("a"), object: pod("a", "Running") }]))
      yield* Effect.yieldNow
      backend.flush()
      // on top of the failing batch: one more with the writer, one queued
      const sent = yield* Effect.forkChild(backend.commit([{ key: key("b"), object: pod("b") }]))
      yield* Effect.yieldNow
      writes[1]!.done()
      const queued = yield* Effect.forkChild(backend.commit([{ key: key("a"), object: undefined }]))
      yield* Effect.yieldNow
      backend.flush()
      expect(writes.map((w) => w.rows.map((r) => r.rv))).toEqual([[1], [2], [3], [4]])
      expect(sync.get(key("a"))).toBeUndefined()
      expect(sync.get(key("b"))?.resourceVersion).toBe(4)
      const disk = new Error("disk I/O error")
      writes[2]!.done(disk)
      expect(Exit.isSuccess(yield* Fiber.await(before))).toBe(true)
      // failed before the writer answered the batch on top (it refuses it: nothing of it is written)
      for (const exit of [yield* Fiber.await(failing), yield* Fiber.await(sent), yield* Fiber.await(queued)]) {
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBe(disk)
      }
      expect(sync.get(key("a"))?.resourceVersion).toBe(1)
      expect(sync.get(key("b"))).toBeUndefined()
      expect(sync.pending!()).toBe(false)
      // the refusal changes nothing; the next write takes the next durable version
      writes[3]!.done(disk)
      const [next] = yield* Effect.sync(() => {
        const result = sync.commit([{ key: key("c"), object: pod("c") }])
        backend.flush()
        return Array.isArray(result) ? result : []
      })
      expect(next?.resourceVersion).toBe(3)
      expect(writes.map((w) => w.rows.map((r) => r.rv))).toEqual([[1], [2], [3], [4], [3]])
      writes[4]!.done()
      expect(yield* backend.revision).toBe(3)
      expect((yield* backend.list("pods/")).map((s) => [s.key, s.resourceVersion])).toEqual([
        [key("a"), 1],
        [key("c"), 3],
        [key("x"), 2]
      ])
    })
  )

  it.effect("changesSince reads through the writer and is decided on the state its answer comes with", () =>
    Effect.gen(function* () {
      const { writer, writes, reads } = heldWriter()
      // window 2: a prune is due once the floor moves by 1
      const backend = backendOn(writer, 2)
      const logged: Array<ChangeRow> = []
      for (const name of ["a", "b", "c"]) {
        const [change] = backend.sync!.commit([{ key: key(name), object: pod(name) }]) as ReadonlyArray<{
          readonly resourceVersion: number
          readonly object: KubeObject
        }>
        logged.push([change!.resourceVersion, "ADDED", key(name), JSON.stringify(change!.object)])
        backend.flush()
        writes.at(-1)!.done()
      }
      expect(writes.at(-1)!.prune).toEqual({ ranges: [], floor: 1 })
      // answered before anything moves: the rows, as changes
      const read = yield* Effect.forkChild(backend.changesSince(1))
      yield* Effect.yieldNow
      expect(reads.map((r) => r.since)).toEqual([1])
      reads[0]!.done(logged.slice(1))
      expect(((yield* Fiber.join(read)) ?? []).map((c) => [c.resourceVersion, c.key])).toEqual([
        [2, key("b")],
        [3, key("c")]
      ])
      // a write with the writer moves the floor past `since` before the read's answer: too old
      backend.sync!.commit([{ key: key("d"), object: pod("d") }])
      backend.flush()
      const late = yield* Effect.forkChild(backend.changesSince(1))
      yield* Effect.yieldNow
      writes.at(-1)!.done()
      reads[1]!.done(logged.slice(1))
      expect(yield* Fiber.join(late)).toBeUndefined()
      // a read the writer fails is a defect, as a failed SQLite read is inline
      const failed = yield* Effect.forkChild(backend.changesSince(3))
      yield* Effect.yieldNow
      reads[2]!.done(new Error("gone"))
      expect(Exit.isFailure(yield* Fiber.await(failed))).toBe(true)
    })
  )

  it.effect("drain calls back once the batch with the writer and what waits behind it are durable", () =>
    Effect.gen(function* () {
      const { writer, writes } = heldWriter()
      const backend = backendOn(writer)
      backend.sync!.commit([{ key: key("a"), object: pod("a") }])
      backend.flush()
      backend.sync!.commit([{ key: key("b"), object: pod("b") }])
      let drained = false
      backend.drain(() => {
        drained = true
      })
      writes[0]!.done()
      expect(drained).toBe(false)
      backend.flush()
      writes[1]!.done()
      expect(drained).toBe(true)
    })
  )
})

/**
 * A writer that writes at once, as a thread does a batch it was sent, and answers (writes and
 * reads) only when told, in order: the thread's answers on their way back.
 */
const lateWriter = (db: Database.Database, splitRows: number) => {
  const inner = makeInlineLogWriter(db)
  const answers: Array<() => void> = []
  const writer: LogWriter = {
    splitRows,
    write: (rows, prune, done) => inner.write(rows, prune, (error) => answers.push(() => done(error))),
    changesAfter: (since, done) => inner.changesAfter(since, (rows) => answers.push(() => done(rows))),
    close: (done) => done()
  }
  return { writer, answers }
}

describe("BackendSqlite with answers late and two batches in flight", () => {
  it.effect("random histories end as the memory backend's: commits, objects, history, the file after a reopen", () =>
    Effect.gen(function* () {
      let seed = 4242
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n
      }
      for (const historyWindow of [3, 12, 50]) {
        const db = new Database(":memory:")
        db.exec(schema)
        const { writer, answers } = lateWriter(db, 1 + random(4))
        const backend = makeBackendSqlite(db, { historyWindow }, writer)
        const memory = makeBackendMemory({ historyWindow })
        const sync = backend.sync!
        const heard: Array<number> = []
        let durable = 0
        for (let i = 0; i < 1500; i++) {
          const action = random(10)
          if (action < 6) {
            // a commit of one to three distinct keys; some with an expect, some of them stale
            const mutations: Array<Mutation> = []
            const count = 1 + random(3)
            for (let m = 0; m < count; m++) {
              const name = `p${random(15)}`
              if (mutations.some((x) => x.key === key(name))) continue
              const current = sync.get(key(name))
              const remove = current !== undefined && random(4) === 0
              const expect_ = random(3) === 0 ? (current?.resourceVersion ?? 0) + random(2) : undefined
              mutations.push({
                key: key(name),
                object: remove ? undefined : pod(name, `v${i}`),
                ...(expect_ === undefined ? {} : { expect: expect_ })
              })
            }
            const a = sync.commit(mutations)
            const b = memory.sync!.commit(mutations)
            expect(JSON.stringify(a)).toBe(JSON.stringify(b))
            if (Array.isArray(a) && a.length > 0) {
              const last = a.at(-1)!.resourceVersion
              sync.whenDurable!(() => {
                heard.push(last)
                durable = last
              })
            }
          } else if (action < 8) backend.flush()
          else answers.shift()?.()
          // the Effect-side reads show durable state only
          expect(yield* backend.revision).toBe(durable)
        }
        while (sync.pending!() || answers.length > 0) {
          backend.flush()
          answers.shift()?.()
        }
        // callbacks ran once each, in commit order
        expect(heard).toEqual([...heard].sort((x, y) => x - y))
        const revision = yield* memory.revision
        expect(heard.at(-1)).toBe(revision)
        const listed = (items: ReadonlyArray<{ key: string; resourceVersion: number; object: KubeObject }>) =>
          JSON.stringify(items.map((s) => [s.key, s.resourceVersion, s.object]))
        expect(listed(yield* backend.list("pods/"))).toBe(listed(yield* memory.list("pods/")))
        // the history from every `since` the window serves, through the late reads
        for (let since = revision - historyWindow; since <= revision; since++) {
          const read = yield* Effect.forkChild(backend.changesSince(since))
          yield* Effect.yieldNow
          while (answers.length > 0) answers.shift()!()
          expect(JSON.stringify(yield* Fiber.join(read))).toBe(JSON.stringify(yield* memory.changesSince(since)))
        }
        // creates of new keys (superseding nothing) past the window, with prunes among them: the
        // file then holds no row at or under the compaction floor but the objects' latest, so no
        // superseded row was lost on the way
        for (let j = 0; j < 2 * historyWindow + 10; j++) {
          const mutation = { key: key(`t${j}`), object: pod(`t${j}`) }
          sync.commit([mutation])
          memory.sync!.commit([mutation])
          backend.flush()
          while (answers.length > 0) answers.shift()!()
        }
        const rows = db.prepare("SELECT rv, type, key FROM changes ORDER BY rv").raw().all() as Array<
          [number, string, string]
        >
        const compacted = (db.prepare("SELECT value FROM meta WHERE name = 'compacted'").raw().get() as [number])[0]
        const latest = new Map<string, [number, string]>()
        for (const [rv, type, k] of rows) latest.set(k, [rv, type])
        const live = new Set([...latest.values()].filter(([, type]) => type !== "DELETED").map(([rv]) => rv))
        expect(rows.filter(([rv]) => rv <= compacted && !live.has(rv))).toEqual([])
        // the file alone: objects and the last changes as the memory backend's
        const last = yield* memory.revision
        const reopened = makeBackendSqlite(db, { historyWindow })
        expect(yield* reopened.revision).toBe(last)
        expect(listed(yield* reopened.list("pods/"))).toBe(listed(yield* memory.list("pods/")))
        const since = last - historyWindow
        expect(JSON.stringify(yield* reopened.changesSince(since))).toBe(
          JSON.stringify(yield* memory.changesSince(since))
        )
        db.close()
      }
    })
  )
})

describe("BackendSqlite on both writers", () => {
  const writers = ["inline", "thread"] as const

  it.effect("a commit that fails in SQLite is a defect with SQLite's error; nothing of it is kept", () =>
    Effect.gen(function* () {
      for (const writerKind of writers) {
        const path = join(dir, `trigger-${++files}.db`)
        const db = new Database(path)
        db.exec(schema)
        db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON changes WHEN NEW.key = '${key("boom")}'
          BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END`)
        db.close()
        yield* Effect.gen(function* () {
          const backend = yield* StorageBackend
          const exit = yield* Effect.exit(backend.commit([{ key: key("boom"), object: pod("boom") }]))
          const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
          expect(error, writerKind).toBeInstanceOf(Database.SqliteError)
          expect((error as Error).message).toBe("refused by trigger")
          expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
          expect(yield* backend.get(key("boom"))).toBeUndefined()
          const [next] = yield* backend.commit([{ key: key("ok"), object: pod("ok") }])
          expect(next?.resourceVersion).toBe(1)
          expect((yield* backend.changesSince(0))?.map((c) => c.key)).toEqual([key("ok")])
        }).pipe(Effect.provide(BackendSqlite.layer({ path, writer: writerKind })))
      }
    })
  )

  it.effect("the same writes read back the same history from either writer, every since, small window", () =>
    Effect.gen(function* () {
      const histories: Array<string> = []
      for (const writerKind of writers) {
        const path = join(dir, `history-${++files}.db`)
        const history = yield* Effect.gen(function* () {
          const backend = yield* StorageBackend
          let seed = 7
          const random = (n: number) => {
            seed = (seed * 1103515245 + 12345) % 2147483648
            return seed % n
          }
          for (let i = 0; i < 300; i++) {
            const name = `p${random(12)}`
            const exists = (yield* backend.get(key(name))) !== undefined
            const mutation = { key: key(name), object: exists && random(3) === 0 ? undefined : pod(name, `v${i}`) }
            // some commits in one tick (one batch), some awaited one by one
            if (random(2) === 0) yield* backend.commit([mutation])
            else backend.sync!.commit([mutation])
          }
          yield* Effect.callback<void>((resume) => backend.sync!.whenDurable!(() => resume(Effect.void)))
          const revision = yield* backend.revision
          const out: Array<unknown> = [revision]
          for (let since = 0; since <= revision; since++) out.push(yield* backend.changesSince(since))
          return JSON.stringify(out)
        }).pipe(Effect.provide(BackendSqlite.layer({ path, writer: writerKind, historyWindow: 40 })))
        histories.push(history)
      }
      expect(histories[1]).toBe(histories[0])
    })
  )
})

describe("BackendSqlite on the writer thread", () => {
  it.effect("writes of one tick go as two batches; the second fails: its writes fail, the first's are durable", () =>
    Effect.gen(function* () {
      const path = join(dir, `pipeline-${++files}.db`)
      const db = new Database(path)
      db.exec(schema)
      db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON changes WHEN NEW.key = '${key("boom")}'
        BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END`)
      db.close()
      const n = 4 * threadSplitRows
      const half = n / 2
      const boom = half + 2
      yield* Effect.gen(function* () {
        const backend = yield* StorageBackend
        const fibers = []
        for (let i = 1; i <= n; i++) {
          const name = i === boom ? "boom" : `p${i}`
          fibers.push(yield* Effect.forkChild(backend.commit([{ key: key(name), object: pod(name) }])))
        }
        const answered: Array<number | string> = []
        for (const fiber of fibers) {
          const exit = yield* Fiber.await(fiber)
          answered.push(
            Exit.isSuccess(exit) ? exit.value[0]!.resourceVersion : (Cause.squash(exit.cause) as Error).message
          )
        }
        expect(answered).toEqual(Array.from({ length: n }, (_, i) => (i < half ? i + 1 : "refused by trigger")))
        expect(yield* backend.revision).toBe(half)
        const [next] = yield* backend.commit([{ key: key("next"), object: pod("next") }])
        expect(next?.resourceVersion).toBe(half + 1)
      }).pipe(Effect.provide(BackendSqlite.layer({ path, writer: "thread" })))
      // the file: the first batch and the write after the failure, nothing of the second
      const read = new Database(path, { readonly: true })
      const keys = read.prepare<[], { key: string }>("SELECT key FROM changes ORDER BY rv").all()
      read.close()
      expect(keys.map((r) => r.key)).toEqual([...Array.from({ length: half }, (_, i) => key(`p${i + 1}`)), key("next")])
    })
  )
})
