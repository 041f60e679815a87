/**
 * The storage under the ObjectStore: a versioned key-value map with a change log. The ObjectStore
 * owns every API rule (strategies, selectors, patches, watches); a backend only stores bytes
 * durably and atomically. In-memory (`layers/BackendMemory.ts`) and SQLite (`@podlet/platform-node`).
 *
 * Keys are `resource/namespace/name` (`resource//name` for cluster-scoped objects).
 * `commit` returns once the changes are durable; a backend with group commit (`sync.whenDurable`)
 * makes changes visible to reads and commits before they are durable, and the store acknowledges
 * and publishes them only once they are.
 */
import type { Effect } from "effect"
import { Context } from "effect"
import type { KubeObject } from "../api/Meta.js"

/** An object as stored, with the resourceVersion it was written at. */
export interface StoredObject {
  readonly key: string
  readonly resourceVersion: number
  readonly object: KubeObject
}

/** One committed change; `object` is the new state (or the last state for a delete). */
export interface Change {
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  readonly key: string
  readonly resourceVersion: number
  readonly object: KubeObject
}

/** One write in a commit: `object` undefined deletes. `expect` is the current version (0 = must not exist). */
export interface Mutation {
  readonly key: string
  readonly object: KubeObject | undefined
  readonly expect?: number
  /**
   * `object` and its `metadata` were made for this write and nothing else refers to them yet (the
   * store's own fresh copies): the backend may set `metadata.resourceVersion` on them in place
   * (whether or not the commit succeeds) instead of copying both. Absent: `object` is not modified.
   */
  readonly owned?: boolean
}

/** A commit whose `expect` did not hold: nothing was written. */
export interface CommitConflict {
  readonly _tag: "CommitConflict"
  readonly key: string
  readonly actual: number
}

/**
 * The synchronous face of a backend (both built-in backends have one): the ObjectStore's hot path
 * runs a whole write in one step through it, with no Effect per backend call.
 */
export interface SyncBackend {
  get(key: string): StoredObject | undefined
  /**
   * Applies the mutations atomically, as `commit` does, and returns the changes at once: later
   * reads and commits see them. Without `whenDurable` they are durable on return.
   */
  commit(mutations: ReadonlyArray<Mutation>): ReadonlyArray<Change> | CommitConflict
  /**
   * Group commit: calls `callback` once every change applied so far is durable (changes applied in
   * the same tick share one transaction). Callbacks run in the order they were registered; the
   * error is the storage failure, if the transaction failed. Absent: every commit is durable at once.
   */
  readonly whenDurable?: (callback: (error?: unknown) => void) => void
  /** true while some applied change is not durable yet */
  readonly pending?: () => boolean
}

export class StorageBackend extends Context.Service<
  StorageBackend,
  {
    /** the last committed resourceVersion (0 when empty) */
    readonly revision: Effect.Effect<number>
    get(key: string): Effect.Effect<StoredObject | undefined>
    /** objects whose key starts with `prefix`, in key order, starting after `after` */
    list(prefix: string, after?: string, limit?: number): Effect.Effect<ReadonlyArray<StoredObject>>
    /**
     * Applies the mutations atomically, each under the next resourceVersion; the object written
     * carries `metadata.resourceVersion` set to its version. Returns the changes, durable on return.
     */
    commit(mutations: ReadonlyArray<Mutation>): Effect.Effect<ReadonlyArray<Change>, CommitConflict>
    /** changes with resourceVersion > `since`, in order; undefined when `since` is older than the history kept */
    changesSince(since: number): Effect.Effect<ReadonlyArray<Change> | undefined>
    /** the synchronous face, when the backend has one (the store's fast path) */
    readonly sync?: SyncBackend
  }
>()("@podlet/core/services/StorageBackend") {}
