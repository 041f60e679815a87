// The pod workers' turns: a new worker's first sync waits for the next engine turn, an idle worker's
// wake runs its sync at once (inside the wake), wakes during a sync coalesce into one more sync,
// timed syncs fire at their time, a done worker is forgotten, and an idle worker holds no fiber.
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Exit, Scope } from "effect"
import { TestClock } from "effect/testing"
import type { SyncOutcome } from "../../src/kubelet/PodWorkers.js"
import { makePodWorkers } from "../../src/kubelet/PodWorkers.js"

/** A sync that records each call and answers what `outcome` says for that uid. */
const recorder = () => {
  const calls: Array<string> = []
  let outcome: (uid: string) => Effect.Effect<SyncOutcome> = () => Effect.succeed({ done: false })
  return {
    calls,
    set: (next: (uid: string) => Effect.Effect<SyncOutcome>) => {
      outcome = next
    },
    sync: (uid: string) =>
      Effect.suspend(() => {
        calls.push(uid)
        return outcome(uid)
      })
  }
}

describe("PodWorkers", () => {
  it.effect("a new worker syncs on the next turn; an idle worker's wake syncs at once, inside the wake", () =>
    Effect.gen(function* () {
      const r = recorder()
      const workers = yield* makePodWorkers(r.sync)
      workers.wakeUnsafe("a")
      expect(r.calls).toEqual([])
      yield* Effect.yieldNow
      expect(r.calls).toEqual(["a"])
      expect(workers.fibers()).toBe(0)
      expect(workers.uids()).toEqual(["a"])
      workers.wakeUnsafe("a")
      // the sync ran before wakeUnsafe returned, as a resumed waiting fiber would have run it
      expect(r.calls).toEqual(["a", "a"])
      expect(workers.fibers()).toBe(0)
      expect(workers.syncs()).toBe(2)
    }).pipe(Effect.scoped)
  )

  it.effect("wakes during a sync coalesce into one more sync, after a turn", () =>
    Effect.gen(function* () {
      const r = recorder()
      const gate = yield* Deferred.make<void>()
      let first = true
      r.set(() => {
        if (!first) return Effect.succeed({ done: false })
        first = false
        return Effect.as(Deferred.await(gate), { done: false })
      })
      const workers = yield* makePodWorkers(r.sync)
      workers.wakeUnsafe("a")
      yield* Effect.yieldNow
      expect(r.calls).toEqual(["a"])
      expect(workers.fibers()).toBe(1)
      workers.wakeUnsafe("a")
      workers.wakeUnsafe("a")
      expect(workers.busy()).toBe(false)
      expect(r.calls).toEqual(["a"])
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.yieldNow
      yield* Effect.yieldNow
      expect(r.calls).toEqual(["a", "a"])
      expect(workers.fibers()).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect("a timed sync fires at its time and no fiber waits meanwhile", () =>
    Effect.gen(function* () {
      const r = recorder()
      r.set(() => Effect.map(Clock.currentTimeMillis, (now) => ({ done: false, nextSyncAt: now + 10_000 })))
      const workers = yield* makePodWorkers(r.sync)
      workers.wakeUnsafe("a")
      yield* Effect.yieldNow
      expect(r.calls).toEqual(["a"])
      expect(workers.fibers()).toBe(0)
      yield* TestClock.adjust(9_999)
      expect(r.calls).toEqual(["a"])
      yield* TestClock.adjust(1)
      expect(r.calls).toEqual(["a", "a"])
      expect(workers.fibers()).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect("a done worker is forgotten; a later wake starts a new one", () =>
    Effect.gen(function* () {
      const r = recorder()
      r.set(() => Effect.succeed({ done: true }))
      const workers = yield* makePodWorkers(r.sync)
      workers.wakeUnsafe("a")
      yield* Effect.yieldNow
      expect(workers.uids()).toEqual([])
      workers.wakeUnsafe("a")
      expect(r.calls).toEqual(["a"])
      yield* Effect.yieldNow
      expect(r.calls).toEqual(["a", "a"])
    }).pipe(Effect.scoped)
  )

  it.effect("closing the scope interrupts a sync in flight; wakes after it do nothing", () =>
    Effect.gen(function* () {
      const r = recorder()
      r.set(() => Effect.as(Effect.never, { done: false }))
      const scope = yield* Scope.make()
      const workers = yield* makePodWorkers(r.sync).pipe(Scope.provide(scope))
      workers.wakeUnsafe("a")
      yield* Effect.yieldNow
      expect(workers.fibers()).toBe(1)
      yield* Scope.close(scope, Exit.void)
      expect(workers.uids()).toEqual([])
      workers.wakeUnsafe("a")
      workers.wakeUnsafe("b")
      yield* Effect.yieldNow
      expect(r.calls).toEqual(["a"])
    })
  )
})
