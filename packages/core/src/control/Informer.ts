/**
 * A shared-informer-like cache for the control plane (client-go `SharedIndexInformer`): it lists and
 * watches one resource through the ObjectStore, keeps the objects by `namespace/name`, and calls
 * synchronous handlers with each change (and the previous object). When the watch ends (an
 * `Expired` window) it lists and watches again, reporting what changed meanwhile. It watches
 * through the store's `observe` (each batch handled where the store delivers it, no fiber per
 * informer) when the store has one, else through the `watch` stream; both give the same events.
 * `SharedInformers` (client-go `SharedInformerFactory`) gives every controller of a control plane
 * the same informer per resource: one watch and one cache, each change handed to every handler in
 * the order they were added.
 */
import { Deferred, Effect, Scope, Stream } from "effect"
import type { KubeObject, WatchEvent } from "../api/Meta.js"
import type { ObjectStore } from "../services/ObjectStore.js"

/** One change as the handler sees it; `old` is the cached object before the change. */
export interface InformerEvent<T extends KubeObject> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  /** the object's cache key (`keyOf(object)`) */
  readonly key: string
  readonly object: T
  readonly old: T | undefined
}

export interface Informer<T extends KubeObject> {
  /** the cached object by `namespace/name` (or `name` for cluster-scoped kinds) */
  get(key: string): T | undefined
  /** every cached object */
  values(): IterableIterator<T>
  /** the cached objects of one namespace (client-go's namespace index), in arrival order */
  inNamespace(namespace: string): Iterable<T>
  readonly size: () => number
}

/** The cache key of an object: `namespace/name`, or `name` without a namespace. */
export const keyOf = (object: KubeObject): string =>
  object.metadata.namespace === undefined
    ? (object.metadata.name ?? "")
    : `${object.metadata.namespace}/${object.metadata.name ?? ""}`

/** Starts an informer on `resource` in the current scope; `handler` runs for every change, in order. */
export const makeInformer = <T extends KubeObject>(
  store: ObjectStore["Service"],
  resource: string,
  handler: (event: InformerEvent<T>) => void
): Effect.Effect<Informer<T>, never, Scope.Scope> =>
  Effect.flatMap(makeSharedInformers(store), (informers) => informers.informer(resource, handler))

/** The informers of one control plane: one per resource, shared by every handler. */
export interface SharedInformers {
  /**
   * The informer of `resource` (started on first use) with `handler` added: the handler first
   * hears every object already cached as ADDED, then every change.
   */
  informer<T extends KubeObject>(
    resource: string,
    handler: (event: InformerEvent<T>) => void
  ): Effect.Effect<Informer<T>>
}

interface Shared<T extends KubeObject> {
  readonly informer: Informer<T>
  readonly handlers: Array<(event: InformerEvent<T>) => void>
}

/** Informers started on first use in the current scope. */
export const makeSharedInformers = Effect.fnUntraced(function* (
  store: ObjectStore["Service"]
): Effect.fn.Return<SharedInformers, never, Scope.Scope> {
  const scope = yield* Effect.scope
  const started = new Map<string, Shared<KubeObject>>()
  return {
    informer: <T extends KubeObject>(resource: string, handler: (event: InformerEvent<T>) => void) =>
      Effect.suspend(() => {
        const existing = started.get(resource) as Shared<T> | undefined
        if (existing !== undefined) {
          for (const object of existing.informer.values()) {
            handler({ type: "ADDED", key: keyOf(object), object, old: undefined })
          }
          existing.handlers.push(handler)
          return Effect.succeed(existing.informer)
        }
        const handlers: Array<(event: InformerEvent<T>) => void> = [handler]
        return startInformer<T>(store, resource, handlers).pipe(
          Scope.provide(scope),
          Effect.tap((informer) => Effect.sync(() => started.set(resource, { informer, handlers } as never)))
        )
      })
  }
})

/** One watch and cache of `resource`; each change goes to `handlers` (which may grow) in order. */
const startInformer = Effect.fnUntraced(function* <T extends KubeObject>(
  store: ObjectStore["Service"],
  resource: string,
  handlers: ReadonlyArray<(event: InformerEvent<T>) => void>
): Effect.fn.Return<Informer<T>, never, Scope.Scope> {
  const cache = new Map<string, T>()
  /** namespace → key → object (namespaced kinds) */
  const byNamespace = new Map<string, Map<string, T>>()
  /** keys seen since the current watch started (to find objects deleted while it was down) */
  let seen: Set<string> | undefined

  const emit = (event: InformerEvent<T>): void => {
    for (let i = 0; i < handlers.length; i++) handlers[i]!(event)
  }

  const apply = (type: "ADDED" | "MODIFIED" | "DELETED", object: T): void => {
    const key = keyOf(object)
    const old = cache.get(key)
    seen?.add(key)
    const namespace = object.metadata.namespace
    if (type === "DELETED") {
      if (old === undefined) return
      cache.delete(key)
      if (namespace !== undefined) {
        const objects = byNamespace.get(namespace)
        objects?.delete(key)
        if (objects?.size === 0) byNamespace.delete(namespace)
      }
      emit({ type, key, object, old })
      return
    }
    if (old !== undefined && old.metadata.resourceVersion === object.metadata.resourceVersion) return
    cache.set(key, object)
    if (namespace !== undefined) {
      let objects = byNamespace.get(namespace)
      if (objects === undefined) byNamespace.set(namespace, (objects = new Map()))
      objects.set(key, object)
    }
    emit({ type: old === undefined ? "ADDED" : "MODIFIED", key, object, old })
  }

  /** one batch of a watch's events into the cache (and to the handlers) */
  const receive = (events: ReadonlyArray<WatchEvent<T>>, state: { initial: boolean }): void => {
    for (const event of events) {
      if (event.type === "BOOKMARK") {
        if (state.initial && event.object.metadata.annotations?.["k8s.io/initial-events-end"] === "true") {
          state.initial = false
          if (seen !== undefined) {
            for (const [key, object] of cache) if (!seen.has(key)) apply("DELETED", object)
            seen = undefined
          }
        }
        continue
      }
      if (event.type === "ADDED" || event.type === "MODIFIED" || event.type === "DELETED") {
        apply(event.type, event.object)
      }
    }
  }

  /** One list-and-watch; fails when the watch ends (an `Expired` window, or a handler's defect). */
  const watchOnce = Effect.suspend(() => {
    seen = cache.size === 0 ? undefined : new Set()
    const state = { initial: true }
    const options = { allowBookmarks: cache.size > 0 }
    const observe = store.observe
    if (observe === undefined) {
      return store
        .watch<T>(resource, options)
        .pipe(Stream.runForEachArray((events) => Effect.sync(() => receive(events, state))))
    }
    // the store's callback face: each batch handled where it is delivered, no fiber per informer
    return Effect.scoped(
      Effect.flatMap(Deferred.make<never, unknown>(), (ended) =>
        Effect.andThen(
          observe<T>(resource, options, {
            onEvents: (events) => receive(events, state),
            onEnd: (error) => {
              Deferred.doneUnsafe(ended, Effect.fail(error))
            }
          }),
          Deferred.await(ended)
        )
      )
    )
  })

  yield* watchOnce.pipe(
    Effect.catchCause((cause) => Effect.logWarning(`${resource} informer: watch ended, re-listing`, cause)),
    Effect.forever,
    Effect.forkScoped({ startImmediately: true })
  )

  return {
    get: (key) => cache.get(key),
    values: () => cache.values(),
    inNamespace: (namespace) => byNamespace.get(namespace)?.values() ?? [],
    size: () => cache.size
  }
})
