/**
 * The StorageBackend on SQLite (better-sqlite3), log-structured, each object's JSON written once:
 * a commit appends its changes to the change log in one small transaction (one row per change,
 * nothing else), and the log row of an object's latest change is also its stored state. On open
 * one scan of the log finds each key's latest row. Every live object is also held parsed in memory
 * (as the memory store holds them; an API server's watch cache does the same), so gets, lists and
 * the `expect` checks never touch the database. `changesSince` serves exactly the last
 * `historyWindow` changes from the log; older rows that are no object's latest state (superseded
 * or deleted) are deleted in batches, a run of consecutive versions by one statement.
 *
 * Durability: WAL with `synchronous=NORMAL` by default. A commit returns once its frames are in the
 * WAL file (written, not fsynced), so an acknowledged write survives a crash or `kill -9` of the
 * process; a power loss may drop the last commits but never corrupts the file. `synchronous: "full"`
 * fsyncs every commit and also survives power loss, at the cost of one fsync per write.
 *
 * Group commit: the synchronous face (`sync.commit`) applies a write at once (later commits and
 * `sync.get` see it) and queues it; the writes queued in a tick go to the writer as batches, one
 * transaction each (`setImmediate`), and each batch's `whenDurable` callbacks run, in order, once
 * it committed. Up to two batches are with the writer at once: one waiting place frees, all that is
 * queued goes; both free, a queue of at least twice the writer's `splitRows` goes in two halves (cut
 * between commits). So a writer thread commits one batch while this thread plans the next, rather
 * than all clients waiting on one batch and then all planning at once.
 * A failed batch fails its writes and every one planned on top of it (the writer refuses the
 * batches sent after it); the next write takes the version after the durable one. The Effect-side
 * reads (`get`, `list`, `revision`, `changesSince`) show durable state only.
 *
 * The database is opened in EXCLUSIVE locking mode: one process owns it (the counter and the
 * cache live in memory), and a second opener fails instead of forking history.
 *
 * Writer: with `writer: "thread"` the file is opened, migrated and read on this thread, then handed
 * to a writer thread (`sqlite/WriterThread.ts`) that runs the transactions, prunes and checkpoints.
 * `"inline"` runs them here (`sqlite/LogWriter.ts`), each batch as it is sent, all queued writes in
 * one; the default is `PODLET_SQLITE_WRITER` when set, else the thread.
 */
import { extend } from "@podlet/core/api/Extend"
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
import { type LogPrune, type LogWriter, makeInlineLogWriter } from "./sqlite/LogWriter.js"
import { startWriterThread, threadSplitRows } from "./sqlite/WriterThread.js"

export interface BackendSqliteOptions {
  /** database file; `:memory:` for a throwaway store */
  readonly path: string
  /** changes kept for `changesSince` (watch resumes); default 10 000 */
  readonly historyWindow?: number
  /** "normal" (default) survives a process crash; "full" also survives power loss */
  readonly synchronous?: "normal" | "full"
  /** where transactions run: on this thread, or on a writer thread; `:memory:` is always inline */
  readonly writer?: "inline" | "thread"
  /** with the writer thread: WAL bytes after which it checkpoints (default 16 MiB) */
  readonly checkpointBytes?: number
}

/** The writer a layer uses: the option, else `PODLET_SQLITE_WRITER`, else the thread (`:memory:`: inline). */
export const writerOf = (options: BackendSqliteOptions): "inline" | "thread" =>
  options.path === ":memory:"
    ? "inline"
    : (options.writer ?? (process.env["PODLET_SQLITE_WRITER"] === "inline" ? "inline" : "thread"))

/** The default number of changes kept in the log. */
export const defaultHistoryWindow = 10_000

/**
 * The page size of a new database file (an existing one keeps its own: WAL mode cannot change it).
 * A batch of pod-sized rows fills a quarter of the frames 4 KiB pages take, so a commit and a
 * checkpoint make a quarter of the write calls (a checkpoint's stall measured about a third shorter).
 */
export const newFilePageSize = 16_384

/** at most this many superseded rows wait past the history window before a prune */
const maxPruneStep = 1024

const schema = `
CREATE TABLE IF NOT EXISTS changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`

/**
 * Earlier layouts. A file that kept its objects as JSON in an `objects` table gets the log tail
 * replayed into it, then each object becomes a log row (unless the log holds it). A file with a
 * `heads` table (key -> version of its latest log row, written in batches) only loses it: the
 * log alone says the same.
 */
const migrate = (db: Database.Database): void => {
  const hasTable = (name: string): boolean =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
  if (hasTable("objects")) migrateObjectsTable(db)
  if (hasTable("heads")) {
    db.transaction(() => {
      db.exec("DROP TABLE heads")
      db.exec("DELETE FROM meta WHERE name = 'materialized'")
    })()
  }
}

const migrateObjectsTable = (db: Database.Database): void => {
  const materialized =
    db.prepare<[string], [number]>("SELECT value FROM meta WHERE name = ?").raw().get("materialized")?.[0] ?? 0
  const tail = db
    .prepare<[number], [string, string, number, string]>(
      "SELECT type, key, rv, json FROM changes WHERE rv > ? ORDER BY rv"
    )
    .raw()
  const upsert = db.prepare<[string, number, string]>(
    "INSERT INTO objects (key, rv, json) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET rv = excluded.rv, json = excluded.json"
  )
  const remove = db.prepare<[string]>("DELETE FROM objects WHERE key = ?")
  db.transaction(() => {
    for (const [type, key, rv, json] of tail.all(materialized)) {
      if (type === "DELETED") remove.run(key)
      else upsert.run(key, rv, json)
    }
    db.exec(`
      INSERT OR IGNORE INTO changes (rv, type, key, json) SELECT rv, 'MODIFIED', key, json FROM objects;
      DELETE FROM meta WHERE name = 'materialized';
      DROP TABLE objects;
    `)
  })()
}

/** One resource's keys in order: sorted lazily, so a run of writes costs one merge at the next list. */
class KeyIndex {
  private sorted: Array<string> = []
  private added: Array<string> = []
  private removed = new Set<string>()

  add(key: string): void {
    if (!this.removed.delete(key)) this.added.push(key)
  }

  delete(key: string): void {
    this.removed.add(key)
  }

  keys(): ReadonlyArray<string> {
    if (this.added.length === 0 && this.removed.size === 0) return this.sorted
    const removed = this.removed
    const base = removed.size === 0 ? this.sorted : this.sorted.filter((k) => !removed.has(k))
    const added = (removed.size === 0 ? this.added : this.added.filter((k) => !removed.has(k))).sort()
    const merged: Array<string> = []
    let i = 0
    let j = 0
    while (i < base.length && j < added.length) {
      const a = base[i] as string
      const b = added[j] as string
      if (a < b) {
        merged.push(a)
        i++
      } else {
        merged.push(b)
        j++
      }
    }
    for (; i < base.length; i++) merged.push(base[i] as string)
    for (; j < added.length; j++) merged.push(added[j] as string)
    this.sorted = merged
    this.added = []
    this.removed = new Set()
    return merged
  }
}

/** Index of the first key > `bound` (or >= when not `strict`) in sorted `keys`. */
const lowerBound = (keys: ReadonlyArray<string>, bound: string, strict: boolean): number => {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const key = keys[mid] as string
    if (key < bound || (strict && key === bound)) lo = mid + 1
    else hi = mid
  }
  return lo
}

const resourceOf = (key: string): string => {
  const slash = key.indexOf("/")
  return slash < 0 ? key : key.slice(0, slash)
}

/** One planned write of a commit. */
interface Planned {
  readonly key: string
  readonly rv: number
  readonly type: Change["type"]
  /** the object at `rv` (for a delete: the deleted object at its delete's version) */
  readonly object: KubeObject
  /** what the key holds after this write (undefined: deleted); `objects` keeps it once durable */
  readonly stored: StoredObject | undefined
  readonly json: string
  /** the key's state before this write: the durable one, or an earlier pending write of the key */
  readonly previous: StoredObject | undefined
  /** the last write of its commit: a batch ends only at one */
  readonly last: boolean
}

/** Writes sent to the writer as one transaction, and the callbacks its answer runs. */
interface Batch {
  readonly planned: ReadonlyArray<Planned>
  readonly waiting: Array<(error?: unknown) => void>
  readonly prune: LogPrune | undefined
  /** with a prune: the superseded versions it keeps, and how many `superseded` held when it was made */
  readonly kept: ReadonlyArray<number>
  readonly mark: number
  /** planned on top of a batch that failed: failed already, whatever the writer answers */
  doomed: boolean
}

/** at most this many batches are with the writer at once: it commits one while the next is planned */
const maxInFlight = 2

type LogRow = [rv: number, type: Change["type"], key: string]
type ChangeRow = [rv: number, type: Change["type"], key: string, json: string]

/** The JSON last written for each of the most recently written objects (by identity), oldest first. */
const recentJson = new Map<KubeObject, string>()
const recentJsonLimit = 256

/**
 * The JSON this backend wrote for `object` (the very object a write returned), while it is among
 * the last 256 written: an answer or a watch line that would serialise the same object again can
 * reuse it. Objects are never mutated once written, so the JSON stays theirs.
 */
export const writtenJson = (object: KubeObject): string | undefined => recentJson.get(object)

const rememberJson = (object: KubeObject, json: string): void => {
  recentJson.set(object, json)
  if (recentJson.size > recentJsonLimit) recentJson.delete(recentJson.keys().next().value!)
}

/** The object at version `rv`: a copy, or an `owned` object (`Mutation.owned`) stamped in place. */
const withVersion = (object: KubeObject, rv: number, owned: boolean): KubeObject => {
  if (!owned) return extend(object, { metadata: extend(object.metadata, { resourceVersion: String(rv) }) })
  ;(object.metadata as { resourceVersion?: string }).resourceVersion = String(rv)
  return object
}

/** The runs of consecutive numbers in `values` (sorted here), as [first, last] pairs. */
export const runs = (values: Array<number>): ReadonlyArray<readonly [number, number]> => {
  values.sort((a, b) => a - b)
  const out: Array<readonly [number, number]> = []
  let i = 0
  while (i < values.length) {
    const first = values[i]!
    let last = first
    while (i + 1 < values.length && values[i + 1]! <= last + 1) last = values[++i]!
    out.push([first, last])
    i++
  }
  return out
}

const toChange = ([rv, type, key, json]: ChangeRow): Change => ({
  type,
  key,
  resourceVersion: rv,
  object: JSON.parse(json) as KubeObject
})

const open = (options: BackendSqliteOptions): Effect.Effect<Database.Database, StorageOpenError> =>
  Effect.try({
    try: () => {
      const db = new Database(options.path, { timeout: 0 })
      try {
        db.pragma("locking_mode = EXCLUSIVE")
        db.pragma(`page_size = ${newFilePageSize}`)
        db.pragma("journal_mode = WAL")
        db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
        db.pragma("wal_autocheckpoint = 4096")
        db.pragma("journal_size_limit = 67108864")
        db.pragma("cache_size = -65536")
        db.exec(schema)
        migrate(db)
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

/**
 * The SQLite backend's service value; `flush` sends what is queued now to the writer, `drain`
 * calls back once everything applied is durable.
 */
export type BackendSqliteService = StorageBackend["Service"] & {
  readonly flush: () => void
  readonly drain: (callback: (error?: unknown) => void) => void
}

/**
 * Builds the backend over an open database (recovering the log tail); the caller owns closing it.
 * `writer` writes the log (default: inline on `db`); when given, `db` is only read here.
 */
export const makeBackendSqlite = (
  db: Database.Database,
  options: Omit<BackendSqliteOptions, "path" | "synchronous" | "writer" | "checkpointBytes"> = {},
  writer: LogWriter = makeInlineLogWriter(db)
): BackendSqliteService => {
  const historyWindow = Math.max(1, options.historyWindow ?? defaultHistoryWindow)
  const pruneStep = Math.min(maxPruneStep, Math.ceil(historyWindow / 10))

  const allLogRows = db.prepare<[], LogRow>("SELECT rv, type, key FROM changes ORDER BY rv").raw()
  const allJson = db.prepare<[], [rv: number, json: string]>("SELECT rv, json FROM changes ORDER BY rv").raw()
  const getMeta = db.prepare<[string], [number]>("SELECT value FROM meta WHERE name = ?").raw()
  const lastChange = db.prepare<[], [number | null]>("SELECT max(rv) FROM changes").raw()

  /** changes at or below this version were deleted from the log (at most `revision - historyWindow`) */
  let compacted = getMeta.get("compacted")?.[0] ?? 0
  let revision = Math.max(lastChange.get()?.[0] ?? 0, compacted)
  /** every live object, and per resource its keys in order */
  const objects = new Map<string, StoredObject>()
  const indexes = new Map<string, KeyIndex>()
  /** log rows that are no object's latest state, deleted once older than the history window */
  let superseded: Array<number> = []

  const indexOf = (key: string): KeyIndex => {
    const resource = resourceOf(key)
    let index = indexes.get(resource)
    if (index === undefined) {
      index = new KeyIndex()
      indexes.set(resource, index)
    }
    return index
  }

  const put = (stored: StoredObject): void => {
    if (!objects.has(stored.key)) indexOf(stored.key).add(stored.key)
    objects.set(stored.key, stored)
  }

  const drop = (key: string): void => {
    if (objects.delete(key)) indexOf(key).delete(key)
  }

  // recovery: each key's latest log row is its state (none when that row is a delete); the others are superseded
  const latest = new Map<string, number>()
  const deleted = new Set<number>()
  for (const [rv, type, key] of allLogRows.iterate()) {
    const before = latest.get(key)
    if (before !== undefined) superseded.push(before)
    latest.set(key, rv)
    if (type === "DELETED") deleted.add(rv)
  }
  const live = new Map<number, string>()
  for (const [key, rv] of latest) {
    if (deleted.has(rv)) superseded.push(rv)
    else live.set(rv, key)
  }
  for (const [rv, json] of allJson.iterate()) {
    const key = live.get(rv)
    if (key !== undefined) put({ key, resourceVersion: rv, object: JSON.parse(json) as KubeObject })
  }

  // group commit: changes applied but not yet durable, in order, and what reads of them see
  /** the planned writes not yet sent to the writer */
  let queued: Array<Planned> = []
  /** key -> its latest pending write (queued or with the writer) */
  const overlay = new Map<string, Planned>()
  /** the last applied resourceVersion (>= `revision`, the last durable one) */
  let applied = revision
  /** callbacks waiting for queued writes, each with the count of rows (`taken` included) it waits for */
  let callbacks: Array<(error?: unknown) => void> = []
  let callbackRows: Array<number> = []
  /** rows taken from the queue into batches so far */
  let taken = 0
  /** the batches with the writer, oldest first (answered in that order) */
  const inFlight: Array<Batch> = []
  /** with the writer idle, a queue of at least twice this many rows goes as two batches */
  const splitRows = Math.max(1, writer.splitRows ?? Number.POSITIVE_INFINITY)
  let flushScheduled = false
  let pumping = false

  /**
   * The last key `current` read, and its state, until the next change to either map: an update
   * reads its key and then commits it, and the commit finds it here instead of in the maps again.
   */
  let lastKey: string | undefined
  let lastCurrent: StoredObject | undefined

  /** The current state of a key, pending writes included. */
  const current = (key: string): StoredObject | undefined => {
    if (key === lastKey) return lastCurrent
    const pending = overlay.get(key)
    const state = pending === undefined ? objects.get(key) : pending.stored
    lastKey = key
    lastCurrent = state
    return state
  }

  /** Checks every `expect` and assigns versions; reads only. */
  const plan = (mutations: ReadonlyArray<Mutation>): Array<Planned> | CommitConflict => {
    const within = mutations.length > 1 ? new Map<string, StoredObject | undefined>() : undefined
    const planned: Array<Planned> = []
    let rv = applied
    for (let i = 0; i < mutations.length; i++) {
      const mutation = mutations[i]!
      const { key } = mutation
      const current_ = within?.has(key) ? within.get(key) : current(key)
      const actual = current_?.resourceVersion ?? 0
      if ((mutation.expect !== undefined && mutation.expect !== actual) || (!current_ && !mutation.object)) {
        return { _tag: "CommitConflict", key, actual }
      }
      rv += 1
      const object =
        mutation.object === undefined
          ? withVersion((current_ as StoredObject).object, rv, false)
          : withVersion(mutation.object, rv, mutation.owned === true)
      const json = JSON.stringify(object)
      rememberJson(object, json)
      const type = mutation.object === undefined ? "DELETED" : current_ === undefined ? "ADDED" : "MODIFIED"
      const stored = type === "DELETED" ? undefined : { key, resourceVersion: rv, object }
      planned.push({ key, rv, type, object, stored, json, previous: current_, last: i === mutations.length - 1 })
      within?.set(key, stored)
    }
    return planned
  }

  /** The next batch: the queue, or its first half (whole commits), with the callbacks of its rows. */
  const take = (half: boolean): Batch => {
    let rows = queued.length
    if (half) {
      rows = Math.ceil(rows / 2)
      while (!queued[rows - 1]!.last) rows++
    }
    const planned = rows === queued.length ? queued : queued.slice(0, rows)
    queued = rows === queued.length ? [] : queued.slice(rows)
    taken += rows
    let count = 0
    while (count < callbackRows.length && callbackRows[count]! <= taken) count++
    const waiting = callbacks.splice(0, count)
    callbackRows.splice(0, count)
    const last = planned.at(-1)!.rv
    // when due and no other prune is with the writer, a prune of the superseded rows up to `floor`
    const floor = last - historyWindow
    if (floor - compacted < pruneStep || inFlight.some((batch) => batch.prune !== undefined && !batch.doomed)) {
      return { planned, waiting, prune: undefined, kept: [], mark: 0, doomed: false }
    }
    const due: Array<number> = []
    const kept: Array<number> = []
    for (const rv of superseded) {
      if (rv <= floor) due.push(rv)
      else kept.push(rv)
    }
    return {
      planned,
      waiting,
      prune: { ranges: runs(due).flat(), floor },
      kept,
      mark: superseded.length,
      doomed: false
    }
  }

  /**
   * Sends the queued writes while fewer than `maxInFlight` batches are with the writer. Writes that
   * callbacks queue meanwhile (a writer that answers at once: inline) go at the next flush, as
   * every write queued in a tick does.
   */
  const pump = (): void => {
    if (pumping) return
    pumping = true
    try {
      const end = taken + queued.length
      while (queued.length > 0 && taken < end && inFlight.length < maxInFlight) {
        const batch = take(inFlight.length === 0 && queued.length >= 2 * splitRows)
        inFlight.push(batch)
        writer.write(batch.planned, batch.prune, (error) => settle(batch, error))
      }
    } finally {
      pumping = false
    }
    if (queued.length > 0 && inFlight.length < maxInFlight && !flushScheduled) {
      flushScheduled = true
      setImmediate(flush)
    }
  }

  const flush = (): void => {
    flushScheduled = false
    pump()
  }

  /** The writer's answer to the oldest batch: durable (or failed); the next batch goes, then its callbacks run. */
  const settle = (batch: Batch, failure: unknown): void => {
    inFlight.shift()
    lastKey = undefined
    lastCurrent = undefined
    if (batch.doomed) {
      // its callbacks were failed with the batch under it; the writer refused it
      pump()
      return
    }
    if (failure !== undefined) {
      fail(batch, failure)
      return
    }
    if (batch.prune !== undefined) {
      compacted = batch.prune.floor
      // what batches answered since it was made superseded stays, for the next prune
      superseded = batch.kept.concat(superseded.slice(batch.mark))
    }
    revision = batch.planned.at(-1)!.rv
    // a key's `previous` is what `objects` holds for it here: its durable state, or what an
    // earlier write of it (in this batch or an earlier one, answered before) put there
    for (const item of batch.planned) {
      const { key, previous } = item
      if (previous !== undefined) superseded.push(previous.resourceVersion)
      if (item.stored === undefined) {
        if (previous !== undefined) drop(key)
        superseded.push(item.rv)
      } else {
        if (previous === undefined) indexOf(key).add(key)
        objects.set(key, item.stored)
      }
      if (overlay.get(key) === item) overlay.delete(key)
    }
    pump()
    for (const callback of batch.waiting) callback()
  }

  /**
   * A failed batch: nothing of it was written. It, the batches sent after it (the writer refuses
   * them) and the queued writes were all planned on top of it: they fail, in order, and the next
   * write takes the version after the durable one.
   */
  const fail = (batch: Batch, failure: unknown): void => {
    const failed = batch.waiting
    for (const later of inFlight) {
      later.doomed = true
      failed.push(...later.waiting)
    }
    failed.push(...callbacks)
    queued = []
    callbacks = []
    callbackRows = []
    overlay.clear()
    applied = revision
    for (const callback of failed) callback(failure)
  }

  /** whether a write is applied and not yet durable */
  const pending = (): boolean => queued.length > 0 || (inFlight.length > 0 && !inFlight.at(-1)!.doomed)

  const whenDurable = (callback: (error?: unknown) => void): void => {
    if (queued.length > 0) {
      callbacks.push(callback)
      callbackRows.push(taken + queued.length)
    } else if (inFlight.length > 0 && !inFlight.at(-1)!.doomed) inFlight.at(-1)!.waiting.push(callback)
    else callback()
  }

  /** Applies at once (reads of the synchronous face see it); durable at the next flush, which it schedules. */
  const commitSync = (mutations: ReadonlyArray<Mutation>): ReadonlyArray<Change> | CommitConflict => {
    const planned = plan(mutations)
    if (!Array.isArray(planned)) return planned
    lastKey = undefined
    lastCurrent = undefined
    const changes: Array<Change> = []
    for (const item of planned) {
      queued.push(item)
      overlay.set(item.key, item)
      changes.push({ type: item.type, key: item.key, resourceVersion: item.rv, object: item.object })
    }
    if (planned.length > 0) applied = planned.at(-1)!.rv
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flush)
    }
    return changes
  }

  const commit = (mutations: ReadonlyArray<Mutation>): Effect.Effect<ReadonlyArray<Change>, CommitConflict> =>
    Effect.suspend(() => {
      const result = commitSync(mutations)
      if (!Array.isArray(result)) return Effect.fail(result as CommitConflict)
      return Effect.callback<ReadonlyArray<Change>, CommitConflict>((resume) =>
        whenDurable((error) => resume(error === undefined ? Effect.succeed(result) : Effect.die(error)))
      )
    })

  const keysFor = (prefix: string): ReadonlyArray<string> => {
    if (prefix.includes("/")) return indexes.get(resourceOf(prefix))?.keys() ?? []
    const keys: Array<string> = []
    for (const [resource, index] of indexes) if (resource.startsWith(prefix)) keys.push(...index.keys())
    return keys.sort()
  }

  const list = (prefix: string, after?: string, limit?: number): Effect.Effect<ReadonlyArray<StoredObject>> =>
    Effect.sync(() => {
      const keys = keysFor(prefix)
      const max = limit ?? Number.POSITIVE_INFINITY
      const out: Array<StoredObject> = []
      let i = after !== undefined && after >= prefix ? lowerBound(keys, after, true) : lowerBound(keys, prefix, false)
      for (; i < keys.length && out.length < max; i++) {
        const key = keys[i] as string
        if (!key.startsWith(prefix)) break
        out.push(objects.get(key) as StoredObject)
      }
      return out
    })

  /** Read from the writer after every write sent before; decided on the durable state its answer comes with. */
  const changesSince = (since: number): Effect.Effect<ReadonlyArray<Change> | undefined> =>
    Effect.suspend(() => {
      if (since < Math.max(compacted, revision - historyWindow)) return Effect.succeed(undefined)
      if (since >= revision) return Effect.succeed([])
      return Effect.callback<ReadonlyArray<Change> | undefined>((resume) =>
        writer.changesAfter(since, (rows) => {
          if (rows instanceof Error) resume(Effect.die(rows))
          else if (since < Math.max(compacted, revision - historyWindow)) resume(Effect.succeed(undefined))
          else resume(Effect.succeed(rows.map(toChange)))
        })
      )
    })

  const drain = (callback: (error?: unknown) => void): void => {
    flush()
    whenDurable(callback)
  }

  return Object.assign(
    StorageBackend.of({
      revision: Effect.sync(() => revision),
      get: (key) => Effect.sync(() => objects.get(key)),
      list,
      commit,
      changesSince,
      sync: {
        get: current,
        commit: commitSync,
        whenDurable,
        pending
      }
    }),
    { flush, drain }
  )
}

/** Opens the backend with its writer; releasing it writes what is queued, then closes the database. */
const acquire = (options: BackendSqliteOptions) =>
  Effect.gen(function* () {
    const db = yield* open(options)
    if (writerOf(options) === "inline") {
      const backend = makeBackendSqlite(db, options)
      return {
        backend,
        close: Effect.sync(() => {
          backend.flush()
          db.close()
        })
      }
    }
    // read here, then handed over: the thread opens the file once this thread has closed it. A
    // second opener that slips in between owns the file and this open fails: one owner either way
    let writer: LogWriter | undefined
    const backend = makeBackendSqlite(db, options, {
      splitRows: threadSplitRows,
      write: (rows, prune, done) => writer!.write(rows, prune, done),
      changesAfter: (since, done) => writer!.changesAfter(since, done),
      close: (done) => writer!.close(done)
    })
    db.close()
    writer = yield* startWriterThread(options)
    const started = writer
    return {
      backend,
      close: Effect.callback<void>((resume) => backend.drain(() => started.close(() => resume(Effect.void))))
    }
  })

/** `StorageBackend` on a SQLite file. */
export const BackendSqlite = {
  /** the backend on the database at `options.path`; the database is closed when the layer is released */
  layer: (options: BackendSqliteOptions): Layer.Layer<StorageBackend, StorageOpenError> =>
    Layer.effect(
      StorageBackend,
      Effect.map(
        // what is queued is written before the database closes
        Effect.acquireRelease(acquire(options), ({ close }) => close),
        ({ backend }) => backend
      )
    )
} as const
