/**
 * The StorageBackend on a Durable Object's SQLite storage (`ctx.storage.sql`). Every commit writes
 * its rows and its change-log entries in one `transactionSync`: SQL calls are synchronous, and the
 * object's output gate holds every response until the write is durable, so an acknowledged write
 * survives the object's eviction or restart. Live objects are also held parsed in memory (as the
 * SQLite backend on Node does), so gets, lists and `expect` checks never read the database; the
 * change log keeps the last `historyWindow` changes for watch resumes. A Durable Object's SQLite
 * caps a value at 2 MB, so an object's JSON is stored in parts of at most `partChars` characters
 * (objects up to the API's 3 MiB body limit fit).
 */
import type { KubeObject } from "@podlet/core/api/Meta"
import {
  type Change,
  type CommitConflict,
  type Mutation,
  StorageBackend,
  type StoredObject
} from "@podlet/core/services/StorageBackend"
import { Effect, Layer } from "effect"

/** What the backend uses of `DurableObjectState.storage`. */
export type DurableSqlStorage = Pick<DurableObjectStorage, "sql" | "transactionSync">

export interface BackendDurableObjectOptions {
  /** changes kept for `changesSince` (watch resumes); default 10 000 */
  readonly historyWindow?: number
}

/** The default number of changes kept in the log. */
export const defaultHistoryWindow = 10_000

const schema = [
  "CREATE TABLE IF NOT EXISTS podlet_objects (key TEXT NOT NULL, part INTEGER NOT NULL, rv INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (key, part))",
  "CREATE TABLE IF NOT EXISTS podlet_changes (rv INTEGER NOT NULL, part INTEGER NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (rv, part))",
  "CREATE TABLE IF NOT EXISTS podlet_store (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
]

/** Characters per stored part: at most 1.5 MB of UTF-8 (3 bytes a UTF-16 unit at worst), under the 2 MB cap. */
export const partChars = 512 * 1024

/** Splits JSON into parts of at most `size` characters, never between the two halves of a surrogate pair. */
export const splitParts = (json: string, size: number = partChars): Array<string> => {
  if (json.length <= size) return [json]
  const parts: Array<string> = []
  for (let start = 0; start < json.length; ) {
    let end = Math.min(start + size, json.length)
    const last = json.charCodeAt(end - 1)
    if (end < json.length && end - start > 1 && last >= 0xd800 && last <= 0xdbff) end--
    parts.push(json.slice(start, end))
    start = end
  }
  return parts
}

/** One resource's keys in order, sorted lazily (a run of writes costs one merge at the next list). */
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
    while (i < base.length && j < added.length) merged.push(base[i]! < added[j]! ? base[i++]! : added[j++]!)
    for (; i < base.length; i++) merged.push(base[i]!)
    for (; j < added.length; j++) merged.push(added[j]!)
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
    const key = keys[mid]!
    if (key < bound || (strict && key === bound)) lo = mid + 1
    else hi = mid
  }
  return lo
}

const resourceOf = (key: string): string => {
  const slash = key.indexOf("/")
  return slash < 0 ? key : key.slice(0, slash)
}

const withVersion = (object: KubeObject, rv: number): KubeObject => ({
  ...object,
  metadata: { ...object.metadata, resourceVersion: String(rv) }
})

/** One planned write of a commit. */
interface Planned {
  readonly key: string
  readonly rv: number
  readonly type: Change["type"]
  readonly object: KubeObject
  readonly json: string
}

type ObjectRow = [key: string, part: number, rv: number, json: string]
type ChangeRow = [rv: number, part: number, type: Change["type"], key: string, json: string]

/** Builds the backend over a Durable Object's storage (creating its tables, loading its objects). */
export const makeBackendDurableObject = (
  storage: DurableSqlStorage,
  options: BackendDurableObjectOptions = {}
): StorageBackend["Service"] => {
  const { sql } = storage
  const historyWindow = Math.max(1, options.historyWindow ?? defaultHistoryWindow)
  const pruneStep = Math.max(1, Math.min(1024, Math.ceil(historyWindow / 10)))
  for (const statement of schema) sql.exec(statement)

  const meta = (name: string): number => {
    const row = sql.exec<{ value: number }>("SELECT value FROM podlet_store WHERE name = ?", name).toArray()[0]
    return row?.value ?? 0
  }
  const lastChange = sql.exec<{ rv: number | null }>("SELECT max(rv) AS rv FROM podlet_changes").one().rv ?? 0
  /** changes at or below this version were deleted from the log */
  let compacted = meta("compacted")
  let revision = Math.max(lastChange, compacted)

  const objects = new Map<string, StoredObject>()
  const indexes = new Map<string, KeyIndex>()
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
  // rows in (key, part) order: a key's parts are consecutive
  let loading: { key: string; rv: number; json: string } | undefined
  const loaded = () => {
    if (loading !== undefined) put({ key: loading.key, resourceVersion: loading.rv, object: JSON.parse(loading.json) })
  }
  for (const [key, part, rv, json] of sql
    .exec("SELECT key, part, rv, json FROM podlet_objects ORDER BY key, part")
    .raw<ObjectRow>()) {
    if (part > 0 && loading?.key === key) loading.json += json
    else {
      loaded()
      loading = { key, rv, json }
    }
  }
  loaded()

  /** Checks every `expect` and assigns versions; reads only. */
  const plan = (mutations: ReadonlyArray<Mutation>): Array<Planned> | CommitConflict => {
    const within = mutations.length > 1 ? new Map<string, StoredObject | undefined>() : undefined
    const planned: Array<Planned> = []
    let rv = revision
    for (const mutation of mutations) {
      const { key } = mutation
      const current = within?.has(key) ? within.get(key) : objects.get(key)
      const actual = current?.resourceVersion ?? 0
      if ((mutation.expect !== undefined && mutation.expect !== actual) || (!current && !mutation.object)) {
        return { _tag: "CommitConflict", key, actual }
      }
      rv += 1
      const object = withVersion(mutation.object ?? current!.object, rv)
      const type = mutation.object === undefined ? "DELETED" : current === undefined ? "ADDED" : "MODIFIED"
      planned.push({ key, rv, type, object, json: JSON.stringify(object) })
      within?.set(key, type === "DELETED" ? undefined : { key, resourceVersion: rv, object })
    }
    return planned
  }

  /** Writes the rows and the log entries, and prunes the log when a step of it fell out of the window. */
  const write = (planned: ReadonlyArray<Planned>, last: number): number =>
    storage.transactionSync(() => {
      for (const { key, rv, type, json } of planned) {
        const parts = splitParts(json)
        sql.exec("DELETE FROM podlet_objects WHERE key = ?", key)
        for (const [part, text] of parts.entries()) {
          if (type !== "DELETED") {
            sql.exec("INSERT INTO podlet_objects (key, part, rv, json) VALUES (?, ?, ?, ?)", key, part, rv, text)
          }
          sql.exec(
            "INSERT INTO podlet_changes (rv, part, type, key, json) VALUES (?, ?, ?, ?, ?)",
            rv,
            part,
            type,
            key,
            text
          )
        }
      }
      const floor = last - historyWindow
      if (floor - compacted < pruneStep) return compacted
      sql.exec("DELETE FROM podlet_changes WHERE rv <= ?", floor)
      sql.exec("INSERT OR REPLACE INTO podlet_store (name, value) VALUES ('compacted', ?)", floor)
      return floor
    })

  const commit = (mutations: ReadonlyArray<Mutation>): Effect.Effect<ReadonlyArray<Change>, CommitConflict> =>
    Effect.suspend(() => {
      const planned = plan(mutations)
      if (!Array.isArray(planned)) return Effect.fail(planned)
      const last = planned.at(-1)?.rv ?? revision
      compacted = write(planned, last)
      revision = last
      const changes: Array<Change> = []
      for (const { key, rv, type, object } of planned) {
        if (type === "DELETED") drop(key)
        else put({ key, resourceVersion: rv, object })
        changes.push({ type, key, resourceVersion: rv, object })
      }
      return Effect.succeed(changes)
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
        const key = keys[i]!
        if (!key.startsWith(prefix)) break
        out.push(objects.get(key)!)
      }
      return out
    })

  const changesSince = (since: number): Effect.Effect<ReadonlyArray<Change> | undefined> =>
    Effect.sync(() => {
      if (since < Math.max(compacted, revision - historyWindow)) return undefined
      if (since >= revision) return []
      const rows = sql.exec(
        "SELECT rv, part, type, key, json FROM podlet_changes WHERE rv > ? ORDER BY rv, part",
        since
      )
      const texts: Array<{ rv: number; type: Change["type"]; key: string; json: string }> = []
      for (const [rv, part, type, key, json] of rows.raw<ChangeRow>()) {
        const last = texts.at(-1)
        if (part > 0 && last?.rv === rv) last.json += json
        else texts.push({ rv, type, key, json })
      }
      return texts.map(({ rv, type, key, json }) => ({
        type,
        key,
        resourceVersion: rv,
        object: JSON.parse(json) as KubeObject
      }))
    })

  return StorageBackend.of({
    revision: Effect.sync(() => revision),
    get: (key) => Effect.sync(() => objects.get(key)),
    list,
    commit,
    changesSince
  })
}

/** `StorageBackend` on a Durable Object's SQLite storage. */
export const BackendDurableObject = {
  layer: (storage: DurableSqlStorage, options?: BackendDurableObjectOptions): Layer.Layer<StorageBackend> =>
    Layer.sync(StorageBackend, () => makeBackendDurableObject(storage, options))
} as const
