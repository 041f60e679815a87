/**
 * A node's connection to the API server, as its kubelet sees it: an ObjectStore view that works
 * while the link is up and fails fast while the node is partitioned (a node heartbeat fault).
 * Watches are held, not lost: their events wait behind the link and arrive, in order, once it is
 * back, as a kubelet's re-list would show them. Containers keep running meanwhile; only the node's
 * conversation with the control plane stops. The store's callback face (`observe`) is offered
 * when the store has one, with the same holding.
 */
import { Effect, Latch, Stream } from "effect"
import { BadRequest } from "../api/Errors.js"
import type { KubeObject, WatchEvent } from "../api/Meta.js"
import type { WatchObserver } from "../services/ObjectStore.js"
import { ObjectStore } from "../services/ObjectStore.js"

export interface NodeLink {
  /** the ObjectStore as the node reaches it */
  readonly store: ObjectStore["Service"]
  readonly connected: () => boolean
  /** cuts the node off (idempotent) */
  readonly disconnect: Effect.Effect<void>
  /** restores the link (idempotent); held watch events flow again */
  readonly connect: Effect.Effect<void>
}

/** Wraps `store` for node `nodeName`; the link starts up. */
export const makeNodeLink = (store: ObjectStore["Service"], nodeName: string): NodeLink => {
  const latch = Latch.makeUnsafe(true)
  let up = true
  /** observers' batches held while the link is down, in arrival order */
  let held: Array<() => void> = []
  const unreachable = () =>
    new BadRequest({
      message: `node ${nodeName} cannot reach the API server: dial tcp: connect: connection refused`
    })
  const guard = <A, E>(effect: () => Effect.Effect<A, E>): Effect.Effect<A, E | BadRequest> =>
    Effect.suspend((): Effect.Effect<A, E | BadRequest> => (up ? effect() : Effect.fail(unreachable())))

  const view = ObjectStore.of({
    create: (resource, object, options) => guard(() => store.create(resource, object, options)),
    get: (resource, namespace, name) => guard(() => store.get(resource, namespace, name)),
    list: (resource, options) => guard(() => store.list(resource, options)),
    update: (resource, object, options) => guard(() => store.update(resource, object, options)),
    updateStatus: (resource, object, options) => guard(() => store.updateStatus(resource, object, options)),
    patch: (resource, namespace, name, type, patch, options) =>
      guard(() => store.patch(resource, namespace, name, type, patch, options)),
    delete: (resource, namespace, name, options) => guard(() => store.delete(resource, namespace, name, options)),
    bind: <T extends KubeObject>(
      namespace: string,
      name: string,
      nodeName: string,
      options?: Parameters<ObjectStore["Service"]["bind"]>[3]
    ) => Effect.suspend(() => (up ? store.bind<T>(namespace, name, nodeName, options) : Effect.die(unreachable()))),
    watch: <T extends KubeObject>(resource: string, options?: Parameters<ObjectStore["Service"]["watch"]>[1]) =>
      store
        .watch<T>(resource, options)
        .pipe(Stream.mapArrayEffect((events) => (up ? Effect.succeed(events) : Effect.as(latch.await, events)))),
    ...(store.observe !== undefined ? { observe: observeThrough(store.observe) } : {}),
    resourceVersion: store.resourceVersion
  })

  /** `observe` behind the link: a batch that arrives while it is down waits for `connect` */
  function observeThrough(observe: NonNullable<ObjectStore["Service"]["observe"]>) {
    return <T extends KubeObject>(
      resource: string,
      options: Parameters<typeof observe>[1],
      observer: WatchObserver<T>
    ) =>
      Effect.suspend(() => {
        let open = true
        const deliver = (events: ReadonlyArray<WatchEvent<T>>): void => {
          if (open) observer.onEvents(events)
        }
        return Effect.andThen(
          Effect.addFinalizer(() =>
            Effect.sync(() => {
              open = false
            })
          ),
          observe<T>(resource, options, {
            onEvents: (events) => {
              if (up && held.length === 0) deliver(events)
              else held.push(() => deliver(events))
            },
            onEnd: (error) => {
              if (up && held.length === 0) observer.onEnd(error)
              else held.push(() => observer.onEnd(error))
            }
          })
        )
      })
  }

  /** delivers the held batches in order (a batch delivered may not disconnect the link again) */
  const release = (): void => {
    while (up && held.length > 0) {
      const batch = held
      held = []
      for (const deliver of batch) deliver()
    }
  }

  return {
    store: view,
    connected: () => up,
    disconnect: Effect.sync(() => {
      up = false
      latch.closeUnsafe()
    }),
    connect: Effect.sync(() => {
      up = true
      latch.openUnsafe()
      release()
    })
  }
}
