/**
 * One fiber that fires many deadlines on the Clock: a binary heap of (time, callback) and a single
 * sleep until the earliest. The runtime uses it for processes that only wait (`sleep 3600` as a
 * container's command), so a sleeping container costs an entry, not a fiber.
 */
import type { Clock, Scope } from "effect"
import { Deferred, Effect } from "effect"

/** A scheduled callback; `cancel` makes it a no-op. */
export interface TimerEntry {
  readonly at: number
  readonly seq: number
  fire: (() => void) | undefined
}

export interface Timers {
  /** call `fire` at epoch-ms `at` (in scheduling order among equal times) */
  schedule(at: number, fire: () => void): TimerEntry
  cancel(entry: TimerEntry): void
  /** entries not yet fired or cancelled-and-dropped */
  readonly size: () => number
}

const before = (a: TimerEntry, b: TimerEntry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** Starts the timer fiber in `scope`. */
export const makeTimers = (clock: Clock.Clock, scope: Scope.Scope): Effect.Effect<Timers> =>
  Effect.gen(function* () {
    const heap: Array<TimerEntry> = []
    let seq = 0
    let wake: Deferred.Deferred<void> | undefined

    const push = (entry: TimerEntry): void => {
      heap.push(entry)
      let i = heap.length - 1
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (!before(heap[i]!, heap[parent]!)) break
        ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
        i = parent
      }
    }

    const pop = (): TimerEntry | undefined => {
      const top = heap[0]
      const last = heap.pop()
      if (top === undefined || last === undefined || heap.length === 0) return top
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
      return top
    }

    const loop = Effect.gen(function* () {
      for (;;) {
        const now = clock.currentTimeMillisUnsafe()
        while (heap.length > 0 && heap[0]!.at <= now) {
          const entry = pop()!
          const fire = entry.fire
          entry.fire = undefined
          fire?.()
        }
        const signal = Deferred.makeUnsafe<void>()
        wake = signal
        const next = heap[0]
        if (next === undefined) yield* Deferred.await(signal)
        else yield* Effect.raceFirst(Effect.sleep(next.at - now), Deferred.await(signal))
      }
    })
    yield* Effect.forkIn(loop, scope)

    return {
      schedule: (at, fire) => {
        const entry: TimerEntry = { at, seq: ++seq, fire }
        const earliest = heap[0]
        push(entry)
        if (earliest === undefined || before(entry, earliest)) {
          const signal = wake
          wake = undefined
          if (signal !== undefined) Deferred.doneUnsafe(signal, Effect.void)
        }
        return entry
      },
      cancel: (entry) => {
        entry.fire = undefined
      },
      size: () => heap.length
    }
  })
