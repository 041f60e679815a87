/**
 * A node's connection to the API server, as its kubelet sees it: an ObjectStore view that works
 * while the link is up and fails fast while the node is partitioned (a node heartbeat fault).
 * Watches are held, not lost: their events wait behind the link and arrive, in order, once it is
 * back, as a kubelet's re-list would show them. Containers keep running meanwhile; only the node's
 * conversation with the control plane stops.
 */
import { Effect, Latch, Stream } from "effect"
import { BadRequest } from "../api/Errors.js"
import type { KubeObject } from "../api/Meta.js"
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
    resourceVersion: store.resourceVersion
  })

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
    })
  }
}
