/**
 * The storage under the ObjectStore: a versioned key-value map with a change log. The ObjectStore
 * owns every API rule (strategies, selectors, patches, watches); a backend only stores bytes
 * durably and atomically. In-memory (`layers/BackendMemory.ts`) and SQLite (`@podlet/platform-node`).
 *
 * Keys are `resource/namespace/name` (`resource//name` for cluster-scoped objects).
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
}

/** A commit whose `expect` did not hold: nothing was written. */
export interface CommitConflict {
  readonly _tag: "CommitConflict"
  readonly key: string
  readonly actual: number
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
  }
>()("@podlet/core/services/StorageBackend") {}
