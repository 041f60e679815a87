/**
 * Pod workers (`pkg/kubelet/pod_workers.go`): one fiber per pod UID, so a pod's syncs never overlap.
 * A worker sleeps until it is woken (pod update, container event, probe result) or until the time
 * its last sync asked for (backoff expiry, retry, resync, active deadline), then runs one sync.
 * Wakes that arrive during a sync coalesce into one more sync.
 */

import type { Scope } from "effect"
import { Clock, Effect, FiberMap, Queue } from "effect"

/** What a sync asks of its worker. */
export interface SyncOutcome {
  /** epoch ms of the next sync wanted without any wake; undefined: only when woken */
  readonly nextSyncAt?: number
  /** the pod is finished on this node: end the worker */
  readonly done: boolean
}

export interface PodWorkers {
  /** wake (or start) the worker of pod `uid` */
  wake(uid: string): Effect.Effect<void>
  /**
   * a wake not yet picked up by an idle worker: the engine is not quiescent while this is true (a
   * worker inside a sync picks its wake up when the sync ends; a sync blocked on the clock is quiet)
   */
  readonly busy: () => boolean
  /** UIDs with a live worker */
  readonly uids: () => ReadonlyArray<string>
  /** syncs run so far (benchmarks) */
  readonly syncs: () => number
}

interface Worker {
  readonly signal: Queue.Queue<void>
  pending: boolean
  /** inside a sync (possibly blocked on the clock: a pull, a grace period) */
  syncing: boolean
}

/** Retry delay after a sync that died (K-workers `backOffPeriod`). */
const retryAfterDefectMillis = 10_000

/** Starts the workers; each runs `sync(uid)` serially. */
export const makePodWorkers = Effect.fnUntraced(function* (
  sync: (uid: string) => Effect.Effect<SyncOutcome>
): Effect.fn.Return<PodWorkers, never, Scope.Scope> {
  const fibers = yield* FiberMap.make<string>()
  const workers = new Map<string, Worker>()
  let syncs = 0

  const safeSync = (uid: string): Effect.Effect<SyncOutcome> =>
    sync(uid).pipe(
      Effect.catchCause((cause) =>
        Effect.gen(function* () {
          yield* Effect.logError("pod sync failed", uid, cause)
          const now = yield* Clock.currentTimeMillis
          return { nextSyncAt: now + retryAfterDefectMillis, done: false }
        })
      )
    )

  const loop = (uid: string, worker: Worker) =>
    Effect.gen(function* () {
      let nextSyncAt: number | undefined
      while (true) {
        if (!worker.pending) {
          if (nextSyncAt === undefined) {
            yield* Queue.take(worker.signal)
          } else {
            const now = yield* Clock.currentTimeMillis
            if (nextSyncAt > now) yield* Effect.timeoutOption(Queue.take(worker.signal), nextSyncAt - now)
          }
        }
        worker.pending = false
        yield* Queue.clear(worker.signal)
        worker.syncing = true
        syncs++
        const outcome = yield* safeSync(uid).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              worker.syncing = false
            })
          )
        )
        if (outcome.done && !worker.pending) {
          workers.delete(uid)
          return
        }
        nextSyncAt = outcome.nextSyncAt
      }
    })

  const wake = (uid: string): Effect.Effect<void> =>
    Effect.gen(function* () {
      const existing = workers.get(uid)
      if (existing !== undefined) {
        existing.pending = true
        Queue.offerUnsafe(existing.signal, undefined)
        return
      }
      const worker: Worker = { signal: yield* Queue.sliding<void>(1), pending: true, syncing: false }
      workers.set(uid, worker)
      yield* FiberMap.run(
        fibers,
        uid,
        loop(uid, worker).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              if (workers.get(uid) === worker) workers.delete(uid)
            })
          )
        )
      )
    })

  return {
    wake,
    busy: () => {
      for (const worker of workers.values()) if (worker.pending && !worker.syncing) return true
      return false
    },
    uids: () => [...workers.keys()],
    syncs: () => syncs
  }
})
