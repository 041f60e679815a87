/**
 * A shared-informer-like cache for the control plane (client-go `SharedIndexInformer`): it lists and
 * watches one resource through the ObjectStore, keeps the objects by `namespace/name`, and calls a
 * synchronous handler with each change (and the previous object). When the watch ends (an `Expired`
 * window) it lists and watches again, reporting what changed meanwhile.
 */
import type { Scope } from "effect"
import { Effect, Stream } from "effect"
import type { KubeObject } from "../api/Meta.js"
import type { ObjectStore } from "../services/ObjectStore.js"

/** One change as the handler sees it; `old` is the cached object before the change. */
export interface InformerEvent<T extends KubeObject> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  readonly object: T
  readonly old: T | undefined
}

export interface Informer<T extends KubeObject> {
  /** the cached object by `namespace/name` (or `name` for cluster-scoped kinds) */
  get(key: string): T | undefined
  /** every cached object */
  values(): IterableIterator<T>
  readonly size: () => number
}

/** The cache key of an object: `namespace/name`, or `name` without a namespace. */
export const keyOf = (object: KubeObject): string =>
  object.metadata.namespace === undefined
    ? (object.metadata.name ?? "")
    : `${object.metadata.namespace}/${object.metadata.name ?? ""}`

/** Starts an informer on `resource` in the current scope; `handler` runs for every change, in order. */
export const makeInformer = Effect.fnUntraced(function* <T extends KubeObject>(
  store: ObjectStore["Service"],
  resource: string,
  handler: (event: InformerEvent<T>) => void
): Effect.fn.Return<Informer<T>, never, Scope.Scope> {
  const cache = new Map<string, T>()
  /** keys seen since the current watch started (to find objects deleted while it was down) */
  let seen: Set<string> | undefined

  const apply = (type: "ADDED" | "MODIFIED" | "DELETED", object: T): void => {
    const key = keyOf(object)
    const old = cache.get(key)
    seen?.add(key)
    if (type === "DELETED") {
      if (old === undefined) return
      cache.delete(key)
      handler({ type, object, old })
      return
    }
    if (old !== undefined && old.metadata.resourceVersion === object.metadata.resourceVersion) return
    cache.set(key, object)
    handler({ type: old === undefined ? "ADDED" : "MODIFIED", object, old })
  }

  const watchOnce = Effect.suspend(() => {
    seen = cache.size === 0 ? undefined : new Set()
    let initial = true
    return store.watch<T>(resource, { allowBookmarks: cache.size > 0 }).pipe(
      Stream.runForEachArray((events) =>
        Effect.sync(() => {
          for (const event of events) {
            if (event.type === "BOOKMARK") {
              if (initial && event.object.metadata.annotations?.["k8s.io/initial-events-end"] === "true") {
                initial = false
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
        })
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
    size: () => cache.size
  }
})
