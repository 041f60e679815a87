/**
 * A controller's work queue (client-go `workqueue`): keys are deduplicated while they wait, one
 * worker fiber reconciles them one at a time, a key added during its own reconcile runs again
 * afterwards, and `addAfter` schedules a key on the Clock (a requeue after minReadySeconds, a
 * retry). `busy` is true while a key waits or runs; keys waiting on the clock are quiet.
 */
import type { Scope } from "effect"
import { Clock, Effect, Queue } from "effect"

export interface WorkQueue {
  /** enqueue now */
  add(key: string): void
  /** enqueue at now + `delayMillis` (keeps the earliest time when already scheduled) */
  addAfter(key: string, delayMillis: number): Effect.Effect<void>
  /** a key waits or is being reconciled */
  readonly busy: () => boolean
}

/** Retry delay after a reconcile that failed or died. */
const retryMillis = 1_000

/** Starts a work queue in the current scope; failures are logged and the key is retried after 1 s. */
export const makeWorkQueue = Effect.fnUntraced(function* (
  name: string,
  reconcile: (key: string) => Effect.Effect<void, unknown>
): Effect.fn.Return<WorkQueue, never, Scope.Scope> {
  const ready = new Set<string>()
  /** key → epoch ms it becomes ready */
  const delayed = new Map<string, number>()
  const signal = yield* Queue.sliding<void>(1)
  let running = false

  const add = (key: string): void => {
    const first = ready.size === 0
    ready.add(key)
    if (first) Queue.offerUnsafe(signal, undefined)
  }

  const addAfter = (key: string, delayMillis: number): Effect.Effect<void> =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      if (delayMillis <= 0) return add(key)
      const at = now + delayMillis
      const existing = delayed.get(key)
      if (existing === undefined || at < existing) {
        delayed.set(key, at)
        Queue.offerUnsafe(signal, undefined)
      }
    })

  const promoteDue = (now: number): number | undefined => {
    let next: number | undefined
    for (const [key, at] of delayed) {
      if (at <= now) {
        delayed.delete(key)
        ready.add(key)
      } else if (next === undefined || at < next) next = at
    }
    return next
  }

  const runKey = (key: string) =>
    reconcile(key).pipe(
      Effect.catchCause((cause) =>
        Effect.andThen(Effect.logWarning(`${name}: reconcile ${key} failed`, cause), addAfter(key, retryMillis))
      )
    )

  const loop = Effect.gen(function* () {
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const next = promoteDue(now)
      if (ready.size === 0) {
        if (next === undefined) yield* Queue.take(signal)
        else yield* Effect.timeoutOption(Queue.take(signal), next - now)
        continue
      }
      const key = ready.values().next().value as string
      ready.delete(key)
      running = true
      yield* runKey(key).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            running = false
          })
        )
      )
    }
  })

  yield* Effect.forkScoped(loop, { startImmediately: true })

  return { add, addAfter, busy: () => running || ready.size > 0 }
})
