// The VirtualClock: the virtual-clock contract (timers in time order, quiescent on return), and the
// same cluster observations as under TestClock.
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Queue } from "effect"
import { TestClock } from "effect/testing"
import type { Pod } from "../../src/api/Pod.js"
import type { Cluster } from "../../src/Cluster.js"
import { isVirtualClock, VirtualClock } from "../../src/layers/VirtualClock.js"
import { cluster, cs, eventLines, getPod, kubectl, pod, sh, stateOf } from "../scenarios/support.js"

const virtual = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.provide(effect, VirtualClock.layer({ start: 1_000 }))

const clockOf = Effect.gen(function* () {
  const clock = yield* Clock.Clock
  if (!isVirtualClock(clock)) return yield* Effect.die(new Error("not a VirtualClock"))
  return clock
})

describe("VirtualClock", () => {
  it.effect(
    "nanosecond times follow the millisecond time across advances (the last answer is reused only while it stands)",
    () =>
      virtual(
        Effect.gen(function* () {
          const clock = yield* clockOf
          const seen: Array<readonly [number, bigint, bigint, bigint]> = []
          const look = Effect.gen(function* () {
            seen.push([
              clock.currentTimeMillisUnsafe(),
              clock.currentTimeNanosUnsafe(),
              yield* clock.currentTimeNanos,
              clock.monotonicTimeNanosUnsafe()
            ])
          })
          yield* look
          yield* look
          yield* clock.advance(1)
          yield* look
          yield* clock.advance(0.5)
          yield* look
          yield* clock.setTime(1_000_000)
          yield* look
          for (const [millis, nanos, viaEffect, monotonic] of seen) {
            const expected = BigInt(Math.floor(millis)) * 1_000_000n + BigInt(Math.round((millis % 1) * 1_000_000))
            expect([nanos, viaEffect, monotonic]).toEqual([expected, expected, expected])
          }
          expect(seen.map(([millis]) => millis)).toEqual([1_000, 1_000, 1_001, 1_001.5, 1_000_000])
        })
      )
  )

  it.effect("advance fires due timers in time order, registration order within an instant", () =>
    virtual(
      Effect.gen(function* () {
        const clock = yield* clockOf
        const seen: Array<string> = []
        const sleeper = (name: string, ms: number) =>
          Effect.forkChild(
            Effect.gen(function* () {
              yield* Effect.sleep(ms)
              seen.push(`${name}@${clock.currentTimeMillisUnsafe()}`)
            }),
            { startImmediately: true }
          )
        yield* sleeper("c", 300)
        yield* sleeper("a", 100)
        yield* sleeper("b1", 200)
        yield* sleeper("b2", 200)
        yield* sleeper("late", 1_000)
        expect(clock.pendingTimers()).toBe(5)
        yield* clock.advance(500)
        expect(seen).toEqual(["a@1100", "b1@1200", "b2@1200", "c@1300"])
        expect(clock.currentTimeMillisUnsafe()).toBe(1_500)
        expect(clock.pendingTimers()).toBe(1)
        yield* clock.advance(500)
        expect(seen.at(-1)).toBe("late@2000")
      })
    )
  )

  it.effect("a timer due exactly at now + d fires; the work it causes is done when advance returns", () =>
    virtual(
      Effect.gen(function* () {
        const clock = yield* clockOf
        const queue = yield* Queue.unbounded<number>()
        let consumed = 0
        // a consumer woken by a producer woken by the clock: two hops of work after the timer
        yield* Effect.forkChild(
          Effect.forever(
            Effect.gen(function* () {
              const n = yield* Queue.take(queue)
              yield* Effect.yieldNow
              consumed += n
            })
          ),
          { startImmediately: true }
        )
        yield* Effect.forkChild(
          Effect.gen(function* () {
            for (let i = 1; i <= 3; i++) {
              yield* Effect.sleep(1_000)
              yield* Queue.offer(queue, i)
            }
          }),
          { startImmediately: true }
        )
        yield* clock.advance(2_000)
        expect(consumed).toBe(3)
        yield* clock.advance(1_000)
        expect(consumed).toBe(6)
      })
    )
  )

  it.effect("registered external work (a write on its way to disk) is awaited before time moves on", () =>
    virtual(
      Effect.gen(function* () {
        const clock = yield* clockOf
        // a "disk" that finishes each write after five host turns, as a writer thread answers
        let inFlight = 0
        const waiters: Array<() => void> = []
        const finishLater = (turns: number): void => {
          if (turns > 0) {
            setImmediate(() => finishLater(turns - 1))
            return
          }
          inFlight--
          if (inFlight === 0) for (const waiter of waiters.splice(0)) waiter()
        }
        const write = Effect.callback<void>((resume) => {
          inFlight++
          waiters.push(() => resume(Effect.void))
          finishLater(5)
        })
        clock.addExternalWork({
          pending: () => inFlight > 0,
          whenDone: (done) => (inFlight === 0 ? done() : waiters.push(done))
        })
        const durableAt: Array<number> = []
        yield* Effect.forkChild(
          Effect.gen(function* () {
            for (let i = 0; i < 3; i++) {
              yield* Effect.sleep(1_000)
              yield* write
              durableAt.push(clock.currentTimeMillisUnsafe())
            }
          }),
          { startImmediately: true }
        )
        yield* clock.advance(10_000)
        // each write is acknowledged at the instant it was made; the next sleep starts from there
        expect(durableAt).toEqual([2_000, 3_000, 4_000])
        expect(clock.currentTimeMillisUnsafe()).toBe(11_000)
        expect(inFlight).toBe(0)
      })
    )
  )

  it.effect("an interrupted sleep is cancelled; setTime moves forward only; settle runs pending tasks", () =>
    virtual(
      Effect.gen(function* () {
        const clock = yield* clockOf
        let fired = false
        const fiber = yield* Effect.forkChild(
          Effect.andThen(
            Effect.sleep(100),
            Effect.sync(() => {
              fired = true
            })
          ),
          { startImmediately: true }
        )
        expect(clock.pendingTimers()).toBe(1)
        yield* Fiber.interrupt(fiber)
        expect(clock.pendingTimers()).toBe(0)
        yield* clock.advance(1_000)
        expect(fired).toBe(false)
        yield* clock.setTime(500)
        expect(clock.currentTimeMillisUnsafe()).toBe(2_000)
        yield* clock.setTime(5_000)
        expect(clock.currentTimeMillisUnsafe()).toBe(5_000)
        let ran = false
        yield* Effect.forkChild(
          Effect.sync(() => {
            ran = true
          })
        )
        yield* clock.settle
        expect(ran).toBe(true)
      })
    )
  )

  it.effect("thousands of timers: each fires once, in order", () =>
    virtual(
      Effect.gen(function* () {
        const clock = yield* clockOf
        const fired: Array<number> = []
        for (let i = 0; i < 5_000; i++) {
          const at = (i * 7919) % 5_000
          yield* Effect.forkChild(
            Effect.andThen(
              Effect.sleep(at + 1),
              Effect.sync(() => {
                fired.push(at)
              })
            ),
            { startImmediately: true }
          )
        }
        yield* clock.advance(10_000)
        expect(fired.length).toBe(5_000)
        expect(fired.every((v, i) => i === 0 || fired[i - 1]! <= v)).toBe(true)
      })
    )
  )
})

/** What a test sees of a crash-looping pod with an init container over 20 minutes. */
const crashLoopObservations = (c: Cluster) =>
  Effect.gen(function* () {
    yield* c.apply(
      pod("p", {
        initContainers: [sh("init", "echo init")],
        containers: [sh("app", "sleep 5; exit 1"), { name: "web", image: "busybox:1.36", command: ["sleep", "3600"] }]
      })
    )
    const seen: Array<string> = []
    for (const t of [1, 15, 60, 300, 1_200]) {
      const elapsed = yield* c.elapsed
      yield* c.advance(t * 1000 - elapsed)
      const p: Pod = yield* getPod(c)
      seen.push(`${t}: ${stateOf(cs(p, "app"))} ${cs(p, "app").restartCount} ${yield* kubectl(c)}`)
    }
    const events = (yield* c.events("p")).map(
      (e, i) => `${e.count ?? 1}x ${eventLines([e])[0]?.replace(/\([0-9a-f-]{36}\)/, "(uid)") ?? i}`
    )
    return { seen, events }
  })

describe("VirtualClock under the Cluster facade", () => {
  it.effect("a crash loop is observed exactly as under TestClock", () =>
    Effect.gen(function* () {
      const underTest = yield* Effect.scoped(Effect.flatMap(cluster(), crashLoopObservations)).pipe(
        Effect.provide(TestClock.layer())
      )
      const underVirtual = yield* Effect.scoped(Effect.flatMap(cluster(), crashLoopObservations)).pipe(
        Effect.provide(Layer.fresh(VirtualClock.layer()))
      )
      expect(underVirtual.seen).toEqual(underTest.seen)
      expect(underVirtual.events).toEqual(underTest.events)
      expect(underVirtual.seen.at(-1)).toMatch(/^1200: (R|T\(Error,1\)|W\(CrashLoopBackOff\)) \d+ /)
    })
  )
})
