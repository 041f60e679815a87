import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { makeTimers } from "../../src/layers/runtime/Timers.js"

describe("Timers", () => {
  it.effect("fires each deadline at its time, in order, including ones scheduled earlier than the current wait", () =>
    Effect.gen(function* () {
      const clock = yield* Clock.Clock
      const timers = yield* makeTimers(clock, yield* Effect.scope)
      const fired: Array<string> = []
      const at = (label: string) => () => void fired.push(`${label}@${clock.currentTimeMillisUnsafe()}`)
      timers.schedule(10_000, at("c"))
      yield* TestClock.adjust(1_000)
      timers.schedule(5_000, at("b"))
      timers.schedule(5_000, at("b2"))
      timers.schedule(2_000, at("a"))
      const cancelled = timers.schedule(7_000, at("x"))
      timers.cancel(cancelled)
      yield* TestClock.adjust(4_000)
      expect(fired).toEqual(["a@2000", "b@5000", "b2@5000"])
      yield* TestClock.adjust(5_000)
      expect(fired).toEqual(["a@2000", "b@5000", "b2@5000", "c@10000"])
      expect(timers.size()).toBe(0)
    }).pipe(Effect.scoped)
  )
})
