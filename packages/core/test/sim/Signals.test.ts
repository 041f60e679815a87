import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { SignalName } from "../../src/sim/Process.js"
import { parseSignal } from "../../src/sim/Process.js"
import { advanceTo, type Recorded, sh, start } from "./support.js"

const deliver = (r: Recorded, signal: SignalName) =>
  Effect.gen(function* () {
    yield* r.ctx.signals.deliver(signal)
    yield* Effect.yieldNow
  })

describe("signals", () => {
  it.each([
    ["TERM", "TERM"],
    ["SIGTERM", "TERM"],
    ["sigterm", "TERM"],
    ["15", "TERM"],
    ["9", "KILL"],
    ["INT", "INT"],
    ["bogus", undefined]
  ])("parseSignal(%j) = %j", (text, name) => {
    expect(parseSignal(text)).toBe(name)
  })

  it.effect("PID 1 ignores an untrapped SIGTERM: sleep 600 runs to its end", () =>
    Effect.gen(function* () {
      const r = yield* start("sleep 600; echo done")
      yield* advanceTo(10_000)
      yield* deliver(r, "TERM")
      yield* advanceTo(599_999)
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(600_000)
      expect(r.out).toEqual(["done"])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )

  it.effect("a TERM trap runs only after the foreground sleep finishes", () =>
    Effect.gen(function* () {
      const r = yield* start("trap 'echo caught; exit 0' TERM; echo started; sleep 600; echo not reached")
      yield* advanceTo(10_000)
      yield* deliver(r, "TERM")
      yield* advanceTo(599_000)
      expect(r.out).toEqual(["started"])
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(600_000)
      expect(r.timed).toEqual([
        { at: 0, line: "started" },
        { at: 600_000, line: "caught" }
      ])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )

  it.effect.each(["TERM", "SIGTERM", "15"])("trap 'exit 3' %s ends a sleep loop after the current sleep", (spec) =>
    Effect.gen(function* () {
      const r = yield* start(`trap 'exit 3' ${spec}; while true; do sleep 1; done`)
      yield* advanceTo(10_500)
      yield* deliver(r, "TERM")
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(11_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(3))
    })
  )

  it.effect("a trap without exit lets the script go on", () =>
    Effect.gen(function* () {
      const r = yield* start("trap 'echo term' TERM; sleep 5; echo after; sleep 5; exit 4")
      yield* advanceTo(1_000)
      yield* deliver(r, "TERM")
      yield* advanceTo(5_000)
      expect(r.out).toEqual(["term", "after"])
      yield* advanceTo(10_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(4))
    })
  )

  it.effect("`wait` returns at once for a trapped signal (sleep & wait pattern)", () =>
    Effect.gen(function* () {
      const r = yield* start("trap 'echo bye; exit 0' TERM\nsleep 600 &\nwait")
      yield* advanceTo(10_000)
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* deliver(r, "TERM")
      expect(r.timed).toEqual([{ at: 10_000, line: "bye" }])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )

  it.effect("`wait` keeps waiting through an untrapped SIGTERM at PID 1", () =>
    Effect.gen(function* () {
      const r = yield* start("sleep 20 & wait; echo waited")
      yield* advanceTo(5_000)
      yield* deliver(r, "TERM")
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(20_000)
      expect(r.out).toEqual(["waited"])
    })
  )

  it.effect("SIGKILL: interrupting the fiber stops the script at once", () =>
    Effect.gen(function* () {
      const r = yield* start("echo -n partial; sleep 600; echo never")
      yield* advanceTo(10_000)
      const exit = yield* Fiber.interrupt(r.fiber).pipe(Effect.andThen(Fiber.await(r.fiber)))
      expect(Exit.hasInterrupts(exit)).toBe(true)
      expect(r.out).toEqual(["partial"])
    })
  )

  it.effect("an EXIT trap runs when the script exits and may change the code", () =>
    Effect.gen(function* () {
      expect(yield* sh("trap 'echo cleanup' EXIT; echo work; exit 2")).toMatchObject({
        code: 2,
        out: ["work", "cleanup"]
      })
      expect(yield* sh("trap 'exit 9' 0; true")).toMatchObject({ code: 9 })
    })
  )

  it.effect("a process that is not PID 1 dies of an untrapped SIGTERM at once (143)", () =>
    Effect.gen(function* () {
      const r = yield* start("sleep 600", { pid: 42 })
      yield* advanceTo(10_000)
      yield* deliver(r, "TERM")
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(143))
    })
  )

  it.effect("trap '' ignores a signal and trap - restores the default", () =>
    Effect.gen(function* () {
      const r = yield* start("trap '' TERM; sleep 10; echo survived; trap - TERM; sleep 10; echo end", { pid: 7 })
      yield* deliver(r, "TERM")
      yield* advanceTo(10_000)
      expect(r.out).toEqual(["survived"])
      yield* deliver(r, "TERM")
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(143))
    })
  )

  it.effect("`exit` inside a trap ends the script with that code, after the EXIT trap", () =>
    Effect.gen(function* () {
      const r = yield* start("trap 'echo bye' EXIT; trap 'exit 130' INT; while :; do sleep 1; done")
      yield* advanceTo(2_500)
      yield* deliver(r, "INT")
      yield* TestClock.adjust(500)
      expect(r.out).toEqual(["bye"])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(130))
    })
  )

  it.effect("`trap` lists the traps", () =>
    Effect.gen(function* () {
      expect((yield* sh("trap 'echo x' TERM INT; trap")).out).toEqual(["trap -- 'echo x' TERM", "trap -- 'echo x' INT"])
    })
  )
})
