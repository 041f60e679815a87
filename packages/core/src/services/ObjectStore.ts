/**
 * The ObjectStore: podlet's API server storage. It holds Kubernetes objects the way the API server
 * does: one cluster-wide resourceVersion counter, optimistic concurrency, strategies (defaulting,
 * validation, graceful deletion) per resource, label and field selectors, and watches from a
 * resourceVersion within a bounded history window. Every face (kubelet, controllers, HTTP API, SDK)
 * reads and writes through it.
 *
 * Implementations: `layers/StoreMemory.ts` (in-memory, runs in workerd) and the SQLite backend in
 * `@podlet/platform-node`; both are the same `ObjectStore` over a different `StorageBackend`.
 */
import type { Effect, Scope, Stream } from "effect"
import { Context } from "effect"
import type { AlreadyExists, BadRequest, Conflict, Expired, Forbidden, Invalid, NotFound } from "../api/Errors.js"
import type { DeleteOptions, KubeObject, WatchEvent } from "../api/Meta.js"

/** `fieldValidation` (Strict / Warn / Ignore) for unknown or duplicate fields. */
export type FieldValidation = "Strict" | "Warn" | "Ignore"

export interface WriteOptions {
  /** `dryRun=All`: run every check, persist nothing. */
  readonly dryRun?: boolean
  readonly fieldValidation?: FieldValidation
}

export interface ListOptions {
  /** omitted: every namespace (cluster-wide list) */
  readonly namespace?: string
  /** `app=web,tier!=db,env in (a,b),!legacy` */
  readonly labelSelector?: string
  /** `metadata.name=x,status.phase!=Running` */
  readonly fieldSelector?: string
  readonly limit?: number
  readonly continue?: string
}

export interface ListResult<T extends KubeObject = KubeObject> {
  readonly items: ReadonlyArray<T>
  readonly resourceVersion: string
  readonly continue?: string
  readonly remainingItemCount?: number
}

export interface WatchOptions {
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  /**
   * Start after this resourceVersion. Omitted or "0": synthetic ADDED for every current object,
   * then changes. Too old for the history window: the stream fails with `Expired`.
   */
  readonly resourceVersion?: string
  /** emit BOOKMARK events (object carries only kind/apiVersion/metadata.resourceVersion) */
  readonly allowBookmarks?: boolean
}

/**
 * A plain-callback watcher (`ObjectStore.observe`): `onEvents` gets the events a `watch` with the
 * same options would emit, in order, a batch at a time, called synchronously when the store
 * delivers (it must not block). `onEnd` is called once if the watch ends on its own: `Expired`
 * when the observer fell behind the history window, or what `onEvents` threw.
 */
export interface WatchObserver<T extends KubeObject = KubeObject> {
  onEvents(events: ReadonlyArray<WatchEvent<T>>): void
  onEnd(error: unknown): void
}

export type PatchType = "merge" | "json" | "strategic"

/** The result of a write: the stored object plus warnings (`fieldValidation=Warn`). */
export interface WriteResult<T extends KubeObject = KubeObject> {
  readonly object: T
  readonly warnings: ReadonlyArray<string>
}

/**
 * The result of a delete: `deleted` is false when the object was only marked (graceful deletion
 * with a deletionTimestamp, or pending finalizers) and still exists.
 */
export interface DeleteResult<T extends KubeObject = KubeObject> {
  readonly object: T
  readonly deleted: boolean
}

export type WriteError = NotFound | AlreadyExists | Conflict | Invalid | BadRequest | Forbidden

export class ObjectStore extends Context.Service<
  ObjectStore,
  {
    /** create; `metadata.generateName`, uid, creationTimestamp, defaults and `status.phase` set here */
    create<T extends KubeObject>(
      resource: string,
      object: T,
      options?: WriteOptions
    ): Effect.Effect<WriteResult<T>, WriteError>
    get<T extends KubeObject>(
      resource: string,
      namespace: string | undefined,
      name: string
    ): Effect.Effect<T, NotFound | BadRequest>
    list<T extends KubeObject>(
      resource: string,
      options?: ListOptions
    ): Effect.Effect<ListResult<T>, BadRequest | Expired>
    /** PUT: replaces metadata and spec; status changes are ignored where the resource has a status subresource */
    update<T extends KubeObject>(
      resource: string,
      object: T,
      options?: WriteOptions
    ): Effect.Effect<WriteResult<T>, WriteError>
    /** PUT .../status: replaces only status (and nothing else) */
    updateStatus<T extends KubeObject>(
      resource: string,
      object: T,
      options?: WriteOptions
    ): Effect.Effect<WriteResult<T>, WriteError>
    patch<T extends KubeObject>(
      resource: string,
      namespace: string | undefined,
      name: string,
      type: PatchType,
      patch: unknown,
      options?: WriteOptions & { readonly subresource?: "status" }
    ): Effect.Effect<WriteResult<T>, WriteError>
    /** graceful deletion as data: pods with a grace period get deletionTimestamp; finalizers hold removal */
    delete<T extends KubeObject>(
      resource: string,
      namespace: string | undefined,
      name: string,
      options?: Omit<DeleteOptions, "dryRun"> &
        Omit<WriteOptions, "dryRun"> & { readonly dryRun?: boolean | ReadonlyArray<string> }
    ): Effect.Effect<DeleteResult<T>, NotFound | Conflict | BadRequest>
    /**
     * POST pods/{name}/binding (`BindingREST.setPodNodeAndMetadata`): sets `spec.nodeName` and
     * `PodScheduled=True` in one write; Conflict when the pod is already assigned or being deleted
     */
    bind<T extends KubeObject>(
      namespace: string,
      name: string,
      nodeName: string,
      options?: { readonly uid?: string }
    ): Effect.Effect<WriteResult<T>, NotFound | Conflict>
    /** events in resourceVersion order; never lost, never duplicated */
    watch<T extends KubeObject>(
      resource: string,
      options?: WatchOptions
    ): Stream.Stream<WatchEvent<T>, Expired | BadRequest>
    /**
     * Optional, in-process only: `watch` without a fiber per watcher. The events go to `observer`
     * (see `WatchObserver`) until the scope closes; the initial events (resourceVersion omitted or
     * "0", with the `initial-events-end` BOOKMARK when `allowBookmarks`) before this returns. No
     * idle-time bookmarks. A wrapper that changes `watch` must drop or change this member too.
     */
    readonly observe?: <T extends KubeObject>(
      resource: string,
      options: WatchOptions | undefined,
      observer: WatchObserver<T>
    ) => Effect.Effect<void, BadRequest | Expired, Scope.Scope>
    /** the current cluster-wide resourceVersion */
    readonly resourceVersion: Effect.Effect<string>
  }
>()("@podlet/core/services/ObjectStore") {}
