/**
 * The in-memory StorageBackend: per resource a map of its objects by key and a lazily merged sorted key
 * index (lists in key order), one revision counter, and a bounded change log for watches.
 * Synchronous and allocation-light; runs in workerd.
 */
import { Effect, Layer } from "effect"
import { copyOf } from "../api/Extend.js"
import type { KubeObject } from "../api/Meta.js"
import type { Change, CommitConflict, Mutation, StoredObject } from "../services/StorageBackend.js"
import { StorageBackend } from "../services/StorageBackend.js"

export interface BackendMemoryOptions {
  /** changes kept for `changesSince` (default 10_000) */
  readonly historyWindow?: number
}

/** The default number of changes the memory backend keeps for watches. */
export const defaultHistoryWindow = 10_000

/** One resource's objects by key, and its sorted key index. */
class Partition {
  /** the resource's objects by key (one map per resource: a lookup searches only its own resource's) */
  readonly objects = new Map<string, StoredObject>()
  private sorted: Array<string> = []
  private added: Array<string> = []
  private removed = new Set<string>()

  insert(key: string): void {
    if (this.removed.delete(key)) return
    this.added.push(key)
  }

  remove(key: string): void {
    // a short pending list is searched; a long one is not (the scan made mass deletes quadratic)
    if (this.added.length < 64) {
      const i = this.added.indexOf(key)
      if (i >= 0) {
        this.added.splice(i, 1)
        return
      }
    }
    this.removed.add(key)
  }

  keys(): ReadonlyArray<string> {
    if (this.added.length === 0 && this.removed.size === 0) return this.sorted
    const removed = this.removed
    const base = removed.size === 0 ? this.sorted : this.sorted.filter((k) => !removed.has(k))
    const added = removed.size === 0 ? this.added : this.added.filter((k) => !removed.has(k))
    added.sort()
    const merged: Array<string> = new Array(base.length + added.length)
    let i = 0
    let j = 0
    let n = 0
    while (i < base.length && j < added.length) merged[n++] = base[i]! < added[j]! ? base[i++]! : added[j++]!
    while (i < base.length) merged[n++] = base[i++]!
    while (j < added.length) merged[n++] = added[j++]!
    this.sorted = merged
    this.added = []
    this.removed = new Set()
    return merged
  }
}

const partitionOf = (key: string): string => {
  const slash = key.indexOf("/")
  return slash < 0 ? key : key.slice(0, slash)
}

/** First index in sorted `keys` whose key is > `after` (or >= `from` when `after` is undefined). */
const lowerBound = (keys: ReadonlyArray<string>, bound: string, strict: boolean): number => {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const k = keys[mid]!
    if (k < bound || (strict && k === bound)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * `extend(object, { metadata: extend(metadata, { resourceVersion }) })`, with one copy per level;
 * an `owned` object (see `Mutation.owned`) is stamped in place instead: same members, same order.
 */
const withResourceVersion = (object: KubeObject, resourceVersion: number, owned?: boolean): KubeObject => {
  if (owned === true) {
    ;(object.metadata as { resourceVersion?: string }).resourceVersion = String(resourceVersion)
    return object
  }
  const metadata = copyOf(object.metadata)
  metadata.resourceVersion = String(resourceVersion)
  const out = copyOf(object)
  out.metadata = metadata
  return out
}

/** Builds the in-memory backend's service value (exposed for tests and benchmarks). */
export const makeBackendMemory = (options: BackendMemoryOptions = {}): StorageBackend["Service"] => {
  const window = Math.max(1, options.historyWindow ?? defaultHistoryWindow)
  const partitions = new Map<string, Partition>()
  let revision = 0
  /** entries before `logStart` are released (undefined) until the log is sliced */
  let log: Array<Change | undefined> = []
  let logStart = 0

  /** the partition of the last key looked up, and its key prefix (`events/`): the next is likely the same */
  let lastPrefix = "\u0000"
  let lastPartition: Partition | undefined

  /** the partition of `key`, made when `make` and there is none */
  const partitionFor = (key: string, make: boolean): Partition | undefined => {
    if (lastPartition !== undefined && key.startsWith(lastPrefix)) return lastPartition
    const name = partitionOf(key)
    let p = partitions.get(name)
    if (p === undefined) {
      if (!make) return undefined
      p = new Partition()
      partitions.set(name, p)
    }
    lastPrefix = `${name}/`
    lastPartition = p
    return p
  }
  const partition = (key: string): Partition => partitionFor(key, true)!
  /** the stored object of `key` (no partition made) */
  const find = (key: string): StoredObject | undefined => partitionFor(key, false)?.objects.get(key)

  const append = (change: Change): void => {
    log.push(change)
    if (log.length - logStart > window) {
      log[logStart] = undefined
      logStart++
      if (logStart > 4096 && logStart * 2 > log.length) {
        log = log.slice(logStart)
        logStart = 0
      }
    }
  }

  /**
   * The last key read through the synchronous face or written, and its record: an update reads
   * its key and then commits it, and the commit finds it here instead of in the map again.
   */
  let lastKey: string | undefined
  let lastStored: StoredObject | undefined

  /** `objects.get`, remembered (see `lastKey`) */
  const lookup = (key: string): StoredObject | undefined => {
    if (key === lastKey) return lastStored
    const stored = find(key)
    lastKey = key
    lastStored = stored
    return stored
  }

  const get = (key: string): Effect.Effect<StoredObject | undefined> => Effect.sync(() => find(key))

  const list = (prefix: string, after?: string, limit?: number): Effect.Effect<ReadonlyArray<StoredObject>> =>
    Effect.sync(() => {
      const p = partitions.get(partitionOf(prefix))
      if (p === undefined) return []
      const keys = p.keys()
      let i = after !== undefined && after >= prefix ? lowerBound(keys, after, true) : lowerBound(keys, prefix, false)
      const out: Array<StoredObject> = []
      const max = limit ?? Number.POSITIVE_INFINITY
      for (; i < keys.length && out.length < max; i++) {
        const key = keys[i]!
        if (!key.startsWith(prefix)) break
        out.push(p.objects.get(key)!)
      }
      return out
    })

  /** One mutation (every write of the store's fast path): one lookup, one map write. */
  const commitOne = (m: Mutation): ReadonlyArray<Change> | CommitConflict => {
    const key = m.key
    const current = lookup(key)
    const actual = current === undefined ? 0 : current.resourceVersion
    if ((m.expect !== undefined && m.expect !== actual) || (m.object === undefined && current === undefined)) {
      const conflict: CommitConflict = { _tag: "CommitConflict", key, actual }
      return conflict
    }
    const resourceVersion = ++revision
    let change: Change
    lastKey = key
    if (m.object === undefined) {
      lastStored = undefined
      const p = partition(key)
      p.objects.delete(key)
      p.remove(key)
      change = { type: "DELETED", key, resourceVersion, object: withResourceVersion(current!.object, resourceVersion) }
    } else {
      change = {
        type: current === undefined ? "ADDED" : "MODIFIED",
        key,
        resourceVersion,
        object: withResourceVersion(m.object, resourceVersion, m.owned)
      }
      // the change is the stored object too (a Change is a StoredObject): one record per version
      lastStored = change
      const p = partition(key)
      p.objects.set(key, change)
      if (current === undefined) p.insert(key)
    }
    append(change)
    return [change]
  }

  const commitSync = (mutations: ReadonlyArray<Mutation>): ReadonlyArray<Change> | CommitConflict => {
    if (mutations.length === 1) return commitOne(mutations[0]!)
    for (const m of mutations) {
      const current = find(m.key)
      const actual = current?.resourceVersion ?? 0
      if ((m.expect !== undefined && m.expect !== actual) || (m.object === undefined && current === undefined)) {
        const conflict: CommitConflict = { _tag: "CommitConflict", key: m.key, actual }
        return conflict
      }
    }
    const changes: Array<Change> = []
    lastKey = undefined
    lastStored = undefined
    for (const m of mutations) {
      const current = find(m.key)
      const resourceVersion = ++revision
      if (m.object === undefined) {
        const p = partition(m.key)
        p.objects.delete(m.key)
        p.remove(m.key)
        const change: Change = {
          type: "DELETED",
          key: m.key,
          resourceVersion,
          object: withResourceVersion(current!.object, resourceVersion)
        }
        changes.push(change)
        append(change)
      } else {
        const change: Change = {
          type: current === undefined ? "ADDED" : "MODIFIED",
          key: m.key,
          resourceVersion,
          object: withResourceVersion(m.object, resourceVersion, m.owned)
        }
        const p = partition(m.key)
        p.objects.set(m.key, change)
        if (current === undefined) p.insert(m.key)
        changes.push(change)
        append(change)
      }
    }
    return changes
  }

  const commit = (mutations: ReadonlyArray<Mutation>): Effect.Effect<ReadonlyArray<Change>, CommitConflict> =>
    Effect.suspend(() => {
      const result = commitSync(mutations)
      return "_tag" in result ? Effect.fail(result) : Effect.succeed(result)
    })

  const changesSince = (since: number): Effect.Effect<ReadonlyArray<Change> | undefined> =>
    Effect.sync(() => {
      const oldest = logStart < log.length ? log[logStart]!.resourceVersion : revision + 1
      if (since < oldest - 1) return undefined
      // the log is contiguous: index of `since + 1` is `logStart + (since + 1 - oldest)`
      const from = logStart + Math.max(0, since + 1 - oldest)
      // entries from `logStart` on are all there
      return from >= log.length ? [] : (log.slice(from) as Array<Change>)
    })

  return StorageBackend.of({
    revision: Effect.sync(() => revision),
    get,
    list,
    commit,
    changesSince,
    sync: {
      get: lookup,
      commit: commitSync
    }
  })
}

/** `StorageBackend` in memory, with a bounded change log. */
export const BackendMemory = {
  /** default history window (10_000 changes) */
  layer: Layer.sync(StorageBackend, () => makeBackendMemory()),
  /** with a chosen history window */
  layerWith: (options: BackendMemoryOptions): Layer.Layer<StorageBackend> =>
    Layer.sync(StorageBackend, () => makeBackendMemory(options))
} as const
