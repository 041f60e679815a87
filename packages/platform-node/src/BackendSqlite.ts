/**
 * The StorageBackend on SQLite (better-sqlite3): one table of objects, one change log with a
 * bounded history, the resourceVersion counter recovered from the log on open.
 *
 * Durability: WAL with `synchronous=NORMAL` by default. A commit returns once its frames are in the
 * WAL file (written, not fsynced), so an acknowledged write survives a crash or `kill -9` of the
 * process; a power loss may drop the last commits but never corrupts the file. `synchronous: "full"`
 * fsyncs every commit and also survives power loss, at the cost of one fsync per write.
 *
 * The database is opened in EXCLUSIVE locking mode: one process owns it (the counter lives in
 * memory), and a second opener fails instead of forking history.
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

export interface Options {
  /** database file; `:memory:` for a throwaway store */
  readonly path: string
  /** changes kept for `changesSince` (watch resumes); default 10 000 */
  readonly history?: number
  /** "normal" (default) survives a process crash; "full" also survives power loss */
  readonly synchronous?: "normal" | "full"
}

/** The default number of changes kept in the log. */
export const defaultHistory = 10_000

const schema = `
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rv INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`

/** What a key holds during a commit: its version and stored JSON. */
interface Current {
  readonly rv: number
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

/** The smallest string greater than every string starting with `prefix` (keys are ASCII). */
const prefixEnd = (prefix: string): string =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)

const open = (options: Options): Effect.Effect<Database.Database, StorageOpenError> =>
  Effect.try({
    try: () => {
      const db = new Database(options.path, { timeout: 0 })
      try {
        db.pragma("locking_mode = EXCLUSIVE")
        db.pragma("journal_mode = WAL")
        db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
        db.pragma("cache_size = -65536")
        db.pragma("temp_store = MEMORY")
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

/** Builds the backend over an open database; the caller owns closing it. */
export const make = (db: Database.Database, history: number = defaultHistory): StorageBackend["Service"] => {
  const pruneStep = Math.max(1, Math.ceil(history / 10))
  const getRow = db.prepare<[string], [number, string]>("SELECT rv, json FROM objects WHERE key = ?").raw()
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

  /** changes at or below this version were pruned */
  let compacted = getMeta.get("compacted")?.[0] ?? 0
  let revision = Math.max(lastChange.get()?.[0] ?? 0, compacted)

  /** Checks every `expect` and assigns versions; reads only. */
  const plan = (mutations: ReadonlyArray<Mutation>): Array<Planned> | CommitConflict => {
    const pending = mutations.length > 1 ? new Map<string, Current | undefined>() : undefined
    const planned: Array<Planned> = []
    let rv = revision
    for (const mutation of mutations) {
      const { key } = mutation
      let current: Current | undefined
      if (pending?.has(key)) {
        current = pending.get(key)
      } else {
        const row = getRow.get(key)
        current = row === undefined ? undefined : { rv: row[0], json: row[1] }
      }
      const actual = current?.rv ?? 0
      const conflict = mutation.expect !== undefined && mutation.expect !== actual
      if (conflict || (current === undefined && mutation.object === undefined)) {
        return { _tag: "CommitConflict", key, actual }
      }
      rv += 1
      const last = mutation.object ?? (JSON.parse((current as Current).json) as KubeObject)
      const object = withVersion(last, rv)
      const json = JSON.stringify(object)
      const type = mutation.object === undefined ? "DELETED" : current === undefined ? "ADDED" : "MODIFIED"
      planned.push({ key, rv, type, object, json })
      pending?.set(key, type === "DELETED" ? undefined : { rv, json })
    }
    return planned
  }

  /** One transaction: the writes, their changes, and a prune of the log when it outgrew `history`. */
  const write = db.transaction((planned: ReadonlyArray<Planned>, last: number): number => {
    for (const { key, rv, type, json } of planned) {
      if (type === "DELETED") remove.run(key)
      else upsert.run(key, rv, json)
      appendChange.run(rv, type, key, json)
    }
    if (last - compacted < history + pruneStep) return compacted
    prune.run(last - history)
    setMeta.run("compacted", last - history)
    return last - history
  })

  return StorageBackend.of({
    revision: Effect.sync(() => revision),
    get: (key) =>
      Effect.sync(() => {
        const row = getRow.get(key)
        return row === undefined ? undefined : toStored([key, row[0], row[1]])
      }),
    list: (prefix, after, limit) =>
      Effect.sync(() => {
        const fromAfter = after !== undefined && after >= prefix
        const lower = fromAfter ? after : prefix
        const max = limit === undefined ? -1 : limit
        const rows =
          prefix === ""
            ? (fromAfter ? listStatements.afterKeyUnbounded : listStatements.fromStart).all(lower, max)
            : (fromAfter ? listStatements.afterKey : listStatements.fromPrefix).all(lower, prefixEnd(prefix), max)
        return rows.map(toStored)
      }),
    commit: (mutations) =>
      Effect.suspend(() => {
        const planned = plan(mutations)
        if (!Array.isArray(planned)) return Effect.fail(planned)
        const last = planned.at(-1)?.rv ?? revision
        compacted = write(planned, last)
        revision = last
        return Effect.succeed(
          planned.map(({ key, rv, type, object }): Change => ({ type, key, resourceVersion: rv, object }))
        )
      }),
    changesSince: (since) =>
      Effect.sync(() => {
        if (since < compacted) return undefined
        if (since >= revision) return []
        return changesAfter
          .all(since)
          .map(([rv, type, key, json]): Change => ({ type, key, resourceVersion: rv, object: JSON.parse(json) }))
      })
  })
}

/** The backend on the database at `options.path`; the database is closed when the layer is released. */
export const layer = (options: Options): Layer.Layer<StorageBackend, StorageOpenError> =>
  Layer.effect(
    StorageBackend,
    Effect.map(
      Effect.acquireRelease(open(options), (db) => Effect.sync(() => db.close())),
      (db) => make(db, options.history)
    )
  )
