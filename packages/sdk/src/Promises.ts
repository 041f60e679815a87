/**
 * The Promise API over the Effect API: every operation of a `ClusterEffect` run to a Promise that
 * rejects with the SDK's error classes, and its watch Stream as an async iterator.
 */
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import { Cause, Effect, Exit, Scope, Stream } from "effect"
import type { Cluster } from "./Cluster.js"
import type { ClusterEffect } from "./ClusterEffect.js"
import type { ClusterError } from "./Errors.js"

/** Runs an Effect; rejects with its failure (an SDK error) or its defect. */
export const runToPromise = async <A>(effect: Effect.Effect<A, ClusterError>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/**
 * A stream as an async iterator that starts at once (not at the first `next()`), so changes made
 * right after `watch()` returns are seen; `return()` interrupts it.
 */
const iterate = <A>(stream: Stream.Stream<A, ClusterError>): AsyncIterableIterator<A> => {
  const inner = Stream.toAsyncIterable(stream)[Symbol.asyncIterator]()
  let first: Promise<IteratorResult<A>> | undefined = inner.next()
  first.catch(() => undefined)
  const iterator: AsyncIterableIterator<A> = {
    next: () => {
      const pending = first
      first = undefined
      return pending ?? inner.next()
    },
    return: async () => {
      first = undefined
      await inner.return?.()
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]: () => iterator
  }
  return iterator
}

/** Makes a `ClusterEffect` in a fresh scope and wraps it; `close()` closes the scope. */
export const promiseCluster = async (
  make: Effect.Effect<ClusterEffect, ClusterError, Scope.Scope>
): Promise<Cluster> => {
  const scope = Scope.makeUnsafe()
  const close = () => Effect.runPromise(Scope.close(scope, Exit.void))
  const ops = await runToPromise(Effect.provideService(make, Scope.Scope, scope)).catch(async (error: unknown) => {
    await close()
    throw error
  })
  return toPromises(ops, close)
}

/** The Promise face of a `ClusterEffect`. */
export const toPromises = (ops: ClusterEffect, close: () => Promise<void>): Cluster => {
  const run = runToPromise
  return {
    apply: (manifest) => run(ops.apply(manifest)),
    get: (kind, name, namespace) => run(ops.get(kind, name, namespace)),
    list: (kind, options) => run(ops.list(kind, options)),
    delete: (kind, name, options) => run(ops.delete(kind, name, options)),
    pods: {
      get: (name, namespace) => run(ops.pods.get(name, namespace)),
      list: (options) => run(ops.pods.list(options)),
      delete: (name, options) => run(ops.pods.delete(name, options)),
      evict: (name, namespace) => run(ops.pods.evict(name, namespace)),
      logs: (name, options) => run(ops.pods.logs(name, options)),
      status: (name, namespace) => run(ops.pods.status(name, namespace))
    },
    watch: <T extends KubeObject>(kind: string, options?: Parameters<Cluster["watch"]>[1]) =>
      iterate<WatchEvent<T>>(ops.watch<T>(kind, options)),
    events: (object) => run(ops.events(object)),
    waitFor: (ref, condition, options) => run(ops.waitFor(ref, condition, options)),
    clock: {
      mode: ops.clock.mode,
      now: () => run(ops.clock.now),
      advance: (duration) => run(ops.clock.advance(duration))
    },
    faults: {
      containerExit: (target, exitCode) => run(ops.faults.containerExit(target, exitCode)),
      containerOOM: (target) => run(ops.faults.containerOOM(target)),
      stopHeartbeat: (node) => run(ops.faults.stopHeartbeat(node)),
      resumeHeartbeat: (node) => run(ops.faults.resumeHeartbeat(node)),
      diskFailure: (node) => run(ops.faults.diskFailure(node)),
      memoryPressure: (node) => run(ops.faults.memoryPressure(node)),
      recover: (node) => run(ops.faults.recover(node)),
      registryOutage: (down) => run(ops.faults.registryOutage(down))
    },
    images: {
      add: (image) => run(ops.images.add(image)),
      preload: (node, image) => run(ops.images.preload(node, image))
    },
    nodes: {
      list: () => run(ops.nodes.list()),
      get: (name) => run(ops.nodes.get(name)),
      cordon: (name) => run(ops.nodes.cordon(name)),
      uncordon: (name) => run(ops.nodes.uncordon(name)),
      drain: (name, options) => run(ops.nodes.drain(name, options)),
      add: (node) => run(ops.nodes.add(node))
    },
    close
  }
}
