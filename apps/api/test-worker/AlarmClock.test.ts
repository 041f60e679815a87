/**
 * The AlarmClock's timers against a clock the test moves: the alarm is armed at the earliest
 * pending deadline, and `fireDue` (the alarm handler) resumes exactly the timers that are due.
 */
import { Clock, Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { makeAlarmClock } from "../src/worker/AlarmClock.js"

const start = Date.parse("2026-01-01T00:00:00Z")

/** A base clock whose time the test sets. */
const movableClock = () => {
  let now = start
  const base: Clock.Clock = {
    currentTimeMillisUnsafe: () => now,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanosUnsafe: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => BigInt(now) * 1_000_000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: () => Effect.die("the base clock's sleep is not used")
  }
  return { base, set: (millis: number) => (now = start + millis) }
}

describe("AlarmClock", () => {
  it("arms the alarm at the earliest deadline and fires only the timers that are due", async () => {
    const { base, set } = movableClock()
    const alarms: Array<number> = []
    const clock = makeAlarmClock(base, (at) => alarms.push(at - start))
    const fired: Array<string> = []
    const sleeper = (name: string, seconds: number) =>
      Effect.runFork(
        Effect.sleep(seconds * 1000).pipe(
          Effect.tap(() => Effect.sync(() => fired.push(name))),
          Effect.provideService(Clock.Clock, clock)
        )
      )
    const ten = sleeper("ten", 10)
    const five = sleeper("five", 5)
    const twenty = sleeper("twenty", 20)
    await Effect.runPromise(Effect.yieldNow)
    // armed for 10 s, then earlier for 5 s; 20 s is later than the alarm armed
    expect(alarms).toEqual([10_000, 5_000])
    expect(clock.pendingTimers()).toBe(3)
    expect(clock.nextDeadline()).toBe(start + 5_000)

    set(4_000)
    expect(clock.fireDue()).toBe(0)
    expect(alarms.at(-1)).toBe(5_000)

    set(5_000)
    expect(clock.fireDue()).toBe(1)
    await Effect.runPromise(Fiber.join(five))
    expect(fired).toEqual(["five"])
    expect(alarms.at(-1)).toBe(10_000)

    // a cancelled timer never fires; the alarm moves on to the next live one
    await Effect.runPromise(Fiber.interrupt(ten))
    set(10_000)
    expect(clock.fireDue()).toBe(0)
    expect(alarms.at(-1)).toBe(20_000)
    expect(clock.pendingTimers()).toBe(1)

    set(25_000)
    expect(clock.fireDue()).toBe(1)
    await Effect.runPromise(Fiber.join(twenty))
    expect(fired).toEqual(["five", "twenty"])
    expect(clock.pendingTimers()).toBe(0)
    expect(clock.nextDeadline()).toBeUndefined()
  })

  it("arms the alarm no sooner than the gap ahead of now, however short the timers", async () => {
    const { base, set } = movableClock()
    const alarms: Array<number> = []
    const clock = makeAlarmClock(base, (at) => alarms.push(at - start), 1000)
    const short = Effect.runFork(Effect.sleep(100).pipe(Effect.provideService(Clock.Clock, clock)))
    const shorter = Effect.runFork(Effect.sleep(50).pipe(Effect.provideService(Clock.Clock, clock)))
    await Effect.runPromise(Effect.yieldNow)
    // both timers are due within the gap: one alarm, 1 s ahead
    expect(alarms).toEqual([1000])
    set(1000)
    expect(clock.fireDue()).toBe(2)
    await Effect.runPromise(Fiber.join(short))
    await Effect.runPromise(Fiber.join(shorter))
    expect(alarms).toEqual([1000])
  })

  it("reads time from its base clock and does not arm the alarm for zero or infinite sleeps", async () => {
    const { base, set } = movableClock()
    const alarms: Array<number> = []
    const clock = makeAlarmClock(base, (at) => alarms.push(at))
    set(1_234)
    expect(clock.currentTimeMillisUnsafe()).toBe(start + 1_234)
    await Effect.runPromise(Effect.sleep(0).pipe(Effect.provideService(Clock.Clock, clock)))
    const forever = Effect.runFork(Effect.sleep("Infinity").pipe(Effect.provideService(Clock.Clock, clock)))
    await Effect.runPromise(Effect.yieldNow)
    expect(alarms).toEqual([])
    await Effect.runPromise(Fiber.interrupt(forever))
  })
})
