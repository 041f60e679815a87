/**
 * Pod workers (`pkg/kubelet/pod_workers.go`): one worker per pod UID, so a pod's syncs never overlap.
 * A worker sleeps until it is woken (pod update, container event, probe result) or until the time
 * its last sync asked for (backoff expiry, retry, resync, active deadline), then runs one sync.
 * Wakes that arrive during a sync coalesce into one more sync. A timed sync may be done without a
 * worker turn when the kubelet says it is only a crash-loop retry (`BackoffFastPath`).
 * A worker has a fiber only while it has work: an idle worker is a record, and its wake starts a
 * fiber that runs the sync at once, where the wake happens (as resuming a waiting fiber would), so
 * a node's thousands of Running pods hold no suspended fiber each.
 */

import { Clock, Effect, Fiber, Scope } from "effect"

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
  /** `wake` done synchronously (from an informer's or a runtime event's handler) */
  wakeUnsafe(uid: string): void
  /**
   * a wake not yet picked up by an idle worker: the engine is not quiescent while this is true (a
   * worker inside a sync picks its wake up when the sync ends; a sync blocked on the clock is quiet)
   */
  readonly busy: () => boolean
  /** UIDs with a live worker */
  readonly uids: () => ReadonlyArray<string>
  /** syncs run so far, retries included (benchmarks) */
  readonly syncs: () => number
  /** timed syncs done by `retry` without a worker turn (benchmarks) */
  readonly fastSyncs: () => number
  /** workers with a live fiber: inside a sync, or with a turn due (an idle worker has none) */
  readonly fibers: () => number
}

interface Worker {
  pending: boolean
  /** inside a sync (possibly blocked on the clock: a pull, a grace period) */
  syncing: boolean
  /** the time of the sync its last sync asked for, while that timer is armed */
  nextSyncAt: number | undefined
  /** it has a fiber running its turns (false while idle) */
  active: boolean
  /** that fiber, once its first synchronous run returned (interrupted when the workers' scope closes) */
  fiber: Fiber.Fiber<void> | undefined
}

/** Retry delay after a sync that died (K-workers `backOffPeriod`). */
const retryAfterDefectMillis = 10_000

/**
 * Starts the workers; each runs `sync(uid)` serially. Timed syncs go through one delay queue (the
 * kubelet's `workQueue`): one sleeping fiber per distinct due time, however many pods are due then.
 * `retry(uid, now)`, if given, may do a timed sync of an idle worker synchronously instead (it
 * returns the next sync time; undefined: the worker runs `sync`).
 */
export const makePodWorkers = Effect.fnUntraced(function* (
  sync: (uid: string) => Effect.Effect<SyncOutcome>,
  retry?: (uid: string, now: number) => number | undefined
): Effect.fn.Return<PodWorkers, never, Scope.Scope> {
  const scope = yield* Effect.scope
  const clock = yield* Clock.Clock
  /** forks a worker as a root fiber with the kubelet's services (interrupted when the scope closes) */
  const fork = Effect.runForkWith(yield* Effect.context<never>())
  let closed = false
  const workers = new Map<string, Worker>()
  yield* Scope.addFinalizer(
    scope,
    Effect.suspend(() => {
      closed = true
      const live: Array<Fiber.Fiber<void>> = []
      for (const worker of workers.values()) if (worker.fiber !== undefined) live.push(worker.fiber)
      return Fiber.interruptAll(live)
    })
  )
  /** due time → the pods whose worker asked for a sync then */
  const due = new Map<number, Array<string>>()
  let syncs = 0
  let fastSyncs = 0

  /** what a sync that died asks for: a retry after `retryAfterDefectMillis` */
  const afterDefect = (uid: string, cause: unknown): Effect.Effect<SyncOutcome> =>
    Effect.as(Effect.logError("pod sync failed", uid, cause), {
      nextSyncAt: clock.currentTimeMillisUnsafe() + retryAfterDefectMillis,
      done: false
    } satisfies SyncOutcome)

  /** marks a wake; an idle worker's sync starts at once, here (`start` with no yield first) */
  const signal = (uid: string, worker: Worker): void => {
    worker.pending = true
    if (!worker.active && !closed) start(uid, worker, false)
  }

  /** a sleeping fiber that fires the due time `at` */
  const arm = (at: number, now: number): Effect.Effect<void> =>
    Effect.asVoid(
      Effect.forkIn(
        Effect.andThen(
          Effect.sleep(at - now),
          Effect.suspend(() => fire(at))
        ),
        scope
      )
    )

  /** wakes the pods due at `at` that still want that sync (or retries them without a turn) */
  const fire = (at: number): Effect.Effect<void> => {
    const uids = due.get(at)
    due.delete(at)
    if (uids === undefined) return Effect.void
    const now = clock.currentTimeMillisUnsafe()
    /** due times this fire created, each needing its sleeping fiber */
    let armed: Array<number> | undefined
    for (const uid of uids) {
      const worker = workers.get(uid)
      if (worker === undefined || worker.nextSyncAt !== at) continue
      worker.nextSyncAt = undefined
      const next = retry !== undefined && !worker.pending && !worker.syncing ? retry(uid, now) : undefined
      if (next === undefined || next <= now) {
        signal(uid, worker)
        continue
      }
      syncs++
      fastSyncs++
      worker.nextSyncAt = next
      const list = due.get(next)
      if (list !== undefined) list.push(uid)
      else {
        due.set(next, [uid])
        ;(armed ??= []).push(next)
      }
    }
    if (armed === undefined) return Effect.void
    return Effect.forEach(armed, (next) => arm(next, now), { discard: true })
  }

  /** arms the worker's timer for `at` */
  const schedule = (uid: string, worker: Worker, at: number, now: number): Effect.Effect<void> => {
    if (at <= now) {
      worker.pending = true
      return Effect.void
    }
    worker.nextSyncAt = at
    const uids = due.get(at)
    if (uids !== undefined) {
      uids.push(uid)
      return Effect.void
    }
    due.set(at, [uid])
    return arm(at, now)
  }

  /**
   * The worker's turns until it is idle (the fiber then ends) or done. `yieldFirst`: a new worker's
   * first sync waits for the engine's next turn (its wake came from inside a write); an idle
   * worker's wake runs its sync at once.
   */
  const loop = (uid: string, worker: Worker, yieldFirst: boolean) =>
    Effect.gen(function* () {
      let yieldNext = yieldFirst
      while (true) {
        if (yieldNext) yield* Effect.yieldNow
        yieldNext = true
        worker.pending = false
        worker.nextSyncAt = undefined
        worker.syncing = true
        syncs++
        const exit = yield* Effect.exit(sync(uid))
        worker.syncing = false
        const outcome = exit._tag === "Success" ? exit.value : yield* afterDefect(uid, exit.cause)
        if (outcome.done && !worker.pending) {
          worker.active = false
          workers.delete(uid)
          return
        }
        if (outcome.nextSyncAt !== undefined && !worker.pending) {
          yield* schedule(uid, worker, outcome.nextSyncAt, clock.currentTimeMillisUnsafe())
        }
        // a wake that came during the last sync: what caused it (an informer update, a status write's echo) lands first
        if (!worker.pending) {
          worker.active = false
          return
        }
      }
    })

  /** starts the worker's fiber (it runs until the worker is idle) */
  const start = (uid: string, worker: Worker, yieldFirst: boolean): void => {
    worker.active = true
    const fiber = fork(loop(uid, worker, yieldFirst))
    // a fiber that ran to idle (or done) synchronously has already let go of the worker
    if (fiber.pollUnsafe() !== undefined) return
    worker.fiber = fiber
    fiber.addObserver((exit) => {
      if (worker.fiber === fiber) worker.fiber = undefined
      // interrupted (the scope closed) or died: the worker is forgotten
      if (exit._tag === "Failure" && workers.get(uid) === worker) workers.delete(uid)
    })
  }

  const wakeUnsafe = (uid: string): void => {
    const existing = workers.get(uid)
    if (existing !== undefined) {
      signal(uid, existing)
      return
    }
    if (closed) return
    const worker: Worker = { pending: true, syncing: false, nextSyncAt: undefined, active: false, fiber: undefined }
    workers.set(uid, worker)
    start(uid, worker, true)
  }

  return {
    wake: (uid) =>
      Effect.sync(() => {
        wakeUnsafe(uid)
      }),
    wakeUnsafe,
    busy: () => {
      for (const worker of workers.values()) if (worker.pending && !worker.syncing) return true
      return false
    },
    uids: () => [...workers.keys()],
    syncs: () => syncs,
    fastSyncs: () => fastSyncs,
    fibers: () => {
      let live = 0
      for (const worker of workers.values()) if (worker.active) live++
      return live
    }
  }
})
