/**
 * The StorageBackend on SQLite (better-sqlite3), log-structured: a commit appends its changes to
 * the change log (one small transaction, one or two WAL pages), and the objects table is brought up
 * to date in batches. Until then, the latest state of recently written keys lives in memory
 * (`dirty`, at most `materializeEvery` keys) and overlays every read; on open, the log tail past
 * the last batch is replayed into the table. The log keeps a bounded history.
 *
 * Durability: WAL with `synchronous=NORMAL` by default. A commit returns once its frames are in the
 * WAL file (written, not fsynced), so an acknowledged write survives a crash or `kill -9` of the
 * process; a power loss may drop the last commits but never corrupts the file. `synchronous: "full"`
 * fsyncs every commit and also survives power loss, at the cost of one fsync per write.
 *
 * The database is opened in EXCLUSIVE locking mode: one process owns it (the counter and the
 * overlay live in memory), and a second opener fails instead of forking history.
 */
import type { KubeObject } from "@podlet/core/api/Meta"
import {
  type Change,
  type CommitConflict,
  type Mutation,
  StorageBackend,
  type StoredObject
} from "@podlet/core/services/StorageBackend"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { StorageOpenError } from "./Errors.js"

export interface BackendSqliteOptions {
  /** database file; `:memory:` for a throwaway store */
  readonly path: string
  /** changes kept for `changesSince` (watch resumes); default 10 000 */
  readonly historyWindow?: number
  /** "normal" (default) survives a process crash; "full" also survives power loss */
  readonly synchronous?: "normal" | "full"
  /** changes between two batch writes of the objects table; default 1024 */
  readonly materializeEvery?: number
}

/** The default number of changes kept in the log. */
export const defaultHistoryWindow = 10_000

const defaultMaterializeEvery = 1024

const schema = `
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rv INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`

/** A key's state written since the last batch: `object` undefined once deleted. */
interface Entry {
  readonly rv: number
  readonly object: KubeObject | undefined
  readonly json: string
}

/** One planned write of a commit. */
interface Planned {
  readonly key: string
  readonly rv: number
  readonly type: Change["type"]
  readonly object: KubeObject
  readonly json: string
}

type Row = [key: string, rv: number, json: string]
type ChangeRow = [rv: number, type: Change["type"], key: string, json: string]

const withVersion = (object: KubeObject, rv: number): KubeObject => ({
  ...object,
  metadata: { ...object.metadata, resourceVersion: String(rv) }
})

const toStored = ([key, rv, json]: Row): StoredObject => ({
  key,
  resourceVersion: rv,
  object: JSON.parse(json) as KubeObject
})

const toChange = ([rv, type, key, json]: ChangeRow): Change => ({
  type,
  key,
  resourceVersion: rv,
  object: JSON.parse(json) as KubeObject
})

/** The smallest string greater than every string starting with `prefix` (keys are ASCII). */
const prefixEnd = (prefix: string): string =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)

const open = (options: BackendSqliteOptions): Effect.Effect<Database.Database, StorageOpenError> =>
  Effect.try({
    try: () => {
      const db = new Database(options.path, { timeout: 0 })
      try {
        db.pragma("locking_mode = EXCLUSIVE")
        db.pragma("journal_mode = WAL")
        db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
        db.pragma("wal_autocheckpoint = 4096")
        db.pragma("journal_size_limit = 67108864")
        db.pragma("cache_size = -65536")
        db.exec(schema)
        // take the exclusive lock now, so a second opener fails here rather than on its first write
        db.exec("BEGIN EXCLUSIVE; COMMIT")
        return db
      } catch (error) {
        db.close()
        throw error
      }
    },
    catch: (error) => new StorageOpenError({ path: options.path, message: String(error) })
  })

/** Builds the backend over an open database (recovering the log tail); the caller owns closing it. */
export const makeBackendSqlite = (
  db: Database.Database,
  options: Omit<BackendSqliteOptions, "path" | "synchronous"> = {}
): StorageBackend["Service"] => {
  const historyWindow = Math.max(1, options.historyWindow ?? defaultHistoryWindow)
  const materializeEvery = Math.max(1, options.materializeEvery ?? defaultMaterializeEvery)
  const pruneStep = Math.min(materializeEvery, Math.ceil(historyWindow / 10))

  const getRow = db.prepare<[string], [number, string]>("SELECT rv, json FROM objects WHERE key = ?").raw()
  const getVersion = db.prepare<[string], [number]>("SELECT rv FROM objects WHERE key = ?").raw()
  const upsert = db.prepare<[string, number, string]>(
    "INSERT INTO objects (key, rv, json) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET rv = excluded.rv, json = excluded.json"
  )
  const remove = db.prepare<[string]>("DELETE FROM objects WHERE key = ?")
  const appendChange = db.prepare<[number, string, string, string]>(
    "INSERT INTO changes (rv, type, key, json) VALUES (?, ?, ?, ?)"
  )
  const prune = db.prepare<[number]>("DELETE FROM changes WHERE rv <= ?")
  const setMeta = db.prepare<[string, number]>("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)")
  const getMeta = db.prepare<[string], [number]>("SELECT value FROM meta WHERE name = ?").raw()
  const lastChange = db.prepare<[], [number | null]>("SELECT max(rv) FROM changes").raw()
  const changesAfter = db
    .prepare<[number], ChangeRow>("SELECT rv, type, key, json FROM changes WHERE rv > ? ORDER BY rv")
    .raw()
  const listFrom = (op: ">=" | ">", bounded: boolean) =>
    db
      .prepare<Array<string | number>, Row>(
        `SELECT key, rv, json FROM objects WHERE key ${op} ?${bounded ? " AND key < ?" : ""} ORDER BY key LIMIT ?`
      )
      .raw()
  const listStatements = {
    fromPrefix: listFrom(">=", true),
    afterKey: listFrom(">", true),
    fromStart: listFrom(">=", false),
    afterKeyUnbounded: listFrom(">", false)
  }

  /** the objects table reflects every change up to this version */
  let materialized = getMeta.get("materialized")?.[0] ?? 0
  /** changes at or below this version were deleted from the log (at most `revision - historyWindow`) */
  let compacted = getMeta.get("compacted")?.[0] ?? 0
  let revision = Math.max(lastChange.get()?.[0] ?? 0, compacted, materialized)
  const dirty = new Map<string, Entry>()

  const writeObject = (key: string, rv: number, deleted: boolean, json: string): void => {
    if (deleted) remove.run(key)
    else upsert.run(key, rv, json)
  }

  // recovery: apply the log tail the last batch did not reach
  db.transaction(() => {
    for (const [rv, type, key, json] of changesAfter.all(materialized)) writeObject(key, rv, type === "DELETED", json)
    if (revision > materialized) setMeta.run("materialized", revision)
  })()
  materialized = revision

  const versionOf = (key: string, pending: Map<string, Entry> | undefined): number => {
    const entry = pending?.get(key) ?? dirty.get(key)
    if (entry !== undefined) return entry.object === undefined ? 0 : entry.rv
    return getVersion.get(key)?.[0] ?? 0
  }

  const objectOf = (key: string, pending: Map<string, Entry> | undefined): KubeObject | undefined => {
    const entry = pending?.get(key) ?? dirty.get(key)
    if (entry !== undefined) return entry.object
    const row = getRow.get(key)
    return row === undefined ? undefined : (JSON.parse(row[1]) as KubeObject)
  }

  /** Checks every `expect` and assigns versions; reads only. */
  const plan = (mutations: ReadonlyArray<Mutation>): Array<Planned> | CommitConflict => {
    const pending = mutations.length > 1 ? new Map<string, Entry>() : undefined
    const planned: Array<Planned> = []
    let rv = revision
    for (const mutation of mutations) {
      const { key } = mutation
      const actual = versionOf(key, pending)
      if ((mutation.expect !== undefined && mutation.expect !== actual) || (actual === 0 && !mutation.object)) {
        return { _tag: "CommitConflict", key, actual }
      }
      rv += 1
      const last = mutation.object ?? (objectOf(key, pending) as KubeObject)
      const object = withVersion(last, rv)
      const json = JSON.stringify(object)
      const type = mutation.object === undefined ? "DELETED" : actual === 0 ? "ADDED" : "MODIFIED"
      planned.push({ key, rv, type, object, json })
      pending?.set(key, { rv, object: type === "DELETED" ? undefined : object, json })
    }
    return planned
  }

  /** Writes the dirty keys and then `planned` to the objects table. */
  const materialize = (planned: ReadonlyArray<Planned>, last: number): void => {
    for (const [key, entry] of dirty) writeObject(key, entry.rv, entry.object === undefined, entry.json)
    for (const { key, rv, type, json } of planned) writeObject(key, rv, type === "DELETED", json)
    setMeta.run("materialized", last)
  }

  /** One transaction: the changes, and when due a batch of objects and a prune of the log. */
  const write = db.transaction((planned: ReadonlyArray<Planned>, last: number) => {
    for (const { key, rv, type, json } of planned) appendChange.run(rv, type, key, json)
    const batch = last - materialized >= materializeEvery
    if (batch) materialize(planned, last)
    const floor = Math.min(last - historyWindow, batch ? last : materialized)
    const pruned = floor - compacted >= pruneStep
    if (pruned) {
      prune.run(floor)
      setMeta.run("compacted", floor)
    }
    return { batch, pruned, floor }
  })

  const commit = (mutations: ReadonlyArray<Mutation>): Effect.Effect<ReadonlyArray<Change>, CommitConflict> =>
    Effect.suspend(() => {
      const planned = plan(mutations)
      if (!Array.isArray(planned)) return Effect.fail(planned)
      const last = planned.at(-1)?.rv ?? revision
      const done = write(planned, last)
      if (done.batch) {
        dirty.clear()
        materialized = last
      } else {
        for (const { key, rv, type, object, json } of planned) {
          dirty.set(key, { rv, object: type === "DELETED" ? undefined : object, json })
        }
      }
      if (done.pruned) compacted = done.floor
      revision = last
      const changes = planned.map(({ key, rv, type, object }): Change => ({ type, key, resourceVersion: rv, object }))
      return Effect.succeed(changes)
    })

  const get = (key: string): Effect.Effect<StoredObject | undefined> =>
    Effect.sync(() => {
      const entry = dirty.get(key)
      if (entry !== undefined) {
        return entry.object === undefined ? undefined : { key, resourceVersion: entry.rv, object: entry.object }
      }
      const row = getRow.get(key)
      return row === undefined ? undefined : toStored([key, row[0], row[1]])
    })

  /** Table rows in range merged with the dirty keys in range (which win), in key order. */
  const list = (prefix: string, after?: string, limit?: number): Effect.Effect<ReadonlyArray<StoredObject>> =>
    Effect.sync(() => {
      const fromAfter = after !== undefined && after >= prefix
      const overlay: Array<string> = []
      for (const key of dirty.keys()) {
        if (key.startsWith(prefix) && (!fromAfter || key > after)) overlay.push(key)
      }
      overlay.sort()
      const lower = fromAfter ? after : prefix
      const max = limit === undefined ? -1 : limit + overlay.length
      const rows =
        prefix === ""
          ? (fromAfter ? listStatements.afterKeyUnbounded : listStatements.fromStart).all(lower, max)
          : (fromAfter ? listStatements.afterKey : listStatements.fromPrefix).all(lower, prefixEnd(prefix), max)
      if (overlay.length === 0) return (limit === undefined ? rows : rows.slice(0, limit)).map(toStored)
      const wanted = limit ?? Number.POSITIVE_INFINITY
      const out: Array<StoredObject> = []
      let i = 0
      let j = 0
      while (out.length < wanted && (i < rows.length || j < overlay.length)) {
        const row = rows[i]
        const key = overlay[j]
        if (key === undefined || (row !== undefined && row[0] < key)) {
          out.push(toStored(row as Row))
          i++
          continue
        }
        j++
        if (row !== undefined && row[0] === key) i++
        const entry = dirty.get(key) as Entry
        if (entry.object !== undefined) out.push({ key, resourceVersion: entry.rv, object: entry.object })
      }
      return out
    })

  const changesSince = (since: number): Effect.Effect<ReadonlyArray<Change> | undefined> =>
    Effect.sync(() => {
      if (since < Math.max(compacted, revision - historyWindow)) return undefined
      if (since >= revision) return []
      return changesAfter.all(since).map(toChange)
    })

  return StorageBackend.of({ revision: Effect.sync(() => revision), get, list, commit, changesSince })
}

/** `StorageBackend` on a SQLite file. */
export const BackendSqlite = {
  /** the backend on the database at `options.path`; the database is closed when the layer is released */
  layer: (options: BackendSqliteOptions): Layer.Layer<StorageBackend, StorageOpenError> =>
    Layer.effect(
      StorageBackend,
      Effect.map(
        Effect.acquireRelease(open(options), (db) => Effect.sync(() => db.close())),
        (db) => makeBackendSqlite(db, options)
      )
    )
} as const
