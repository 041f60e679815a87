/**
 * A virtual Clock for large simulations: timers in a binary heap (O(log n) per timer, where
 * TestClock's sorted array costs O(n)), and a Scheduler whose one shared task queue tells when the
 * engine is quiescent (no task left to run) in O(1). `advance(d)` fires every timer due in
 * (now, now + d] in time order — all timers of one instant together, in registration order — and
 * runs the tasks they cause to completion before the next instant; it returns once nothing is left
 * to run at now + d. Tests keep using TestClock; the Cluster facade uses this clock when provided.
 *
 * Quiescence assumes the engine's work is all fibers on this scheduler: after each `advance` and
 * `settle` one event-loop turn lets any promise or I/O callback in before it returns. Real work
 * outside it that the engine waits on (a store's writes with a writer thread) is registered with
 * `addExternalWork`: the clock waits for it before it calls the engine quiet or fires a timer.
 */
import type { Fiber } from "effect"
import { Clock, Context, Duration, Effect, Layer, Scheduler } from "effect"

/** Real work the engine waits on outside the clock's scheduler (a write on its way to disk). */
export interface ExternalWork {
  /** true while some of it is not done */
  readonly pending: () => boolean
  /** calls `callback` once what is pending now is done (from any host callback) */
  readonly whenDone: (callback: () => void) => void
}

/** The virtual clock: a Clock plus the controls of virtual time. */
export interface VirtualClock extends Clock.Clock {
  /** fires every timer due in (now, now + d] in time order; returns when the engine is quiescent at now + d */
  advance(duration: Duration.Input): Effect.Effect<void>
  /** moves to `timestamp` (epoch ms) as `advance` does; never backwards */
  setTime(timestamp: number): Effect.Effect<void>
  /** runs every task until none is left, without moving time */
  readonly settle: Effect.Effect<void>
  /** timers waiting (cancelled ones excluded) */
  readonly pendingTimers: () => number
  /** tasks run so far (a measure of the engine's work) */
  readonly tasksRun: () => number
  /** `advance` and `settle` wait for `work` before calling the engine quiet or moving time */
  addExternalWork(work: ExternalWork): void
}

export interface VirtualClockOptions {
  /** epoch ms at start; default 0 (the Cluster facade moves a clock at 0 to its start date) */
  readonly start?: number
  /** tasks one instant may run before the engine is declared busy-looping; default 100 million */
  readonly maxTasksPerInstant?: number
}

/** A sleeping fiber: `resume` is cleared when it fires or is cancelled. */
interface Timer {
  readonly at: number
  readonly seq: number
  resume: (() => void) | undefined
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of timers by (at, seq); cancelled timers are dropped lazily and compacted. */
class TimerHeap {
  items: Array<Timer> = []
  cancelled = 0

  get live(): number {
    return this.items.length - this.cancelled
  }

  push(timer: Timer): void {
    const items = this.items
    let i = items.length
    items.push(timer)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]!
      if (!before(timer, p)) break
      items[i] = p
      i = parent
    }
    items[i] = timer
  }

  /** the earliest live timer, dropping cancelled ones on top */
  peek(): Timer | undefined {
    while (this.items.length > 0) {
      const top = this.items[0]!
      if (top.resume !== undefined) return top
      this.pop()
      this.cancelled--
    }
    return undefined
  }

  pop(): Timer | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    const n = items.length
    let i = 0
    while (true) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && before(items[r]!, items[l]!) ? r : l
      const c = items[child]!
      if (!before(c, last)) break
      items[i] = c
      i = child
    }
    items[i] = last
    return top
  }

  cancel(timer: Timer): void {
    if (timer.resume === undefined) return
    timer.resume = undefined
    this.cancelled++
    if (this.cancelled > 1024 && this.cancelled * 2 > this.items.length) this.compact()
  }

  private compact(): void {
    const live = this.items.filter((t) => t.resume !== undefined)
    this.items = []
    this.cancelled = 0
    for (const t of live) this.push(t)
  }
}

/**
 * The scheduler: one task queue shared by every fiber (by priority, FIFO within one). Outside
 * `advance` it runs batches on the default scheduler's event-loop turns; `advance` drains it
 * synchronously between timer instants.
 */
class VirtualScheduler implements Scheduler.Scheduler {
  readonly executionMode = "async" as const
  /** priority → tasks; priority 0 is by far the most common */
  private buckets = new Map<number, Array<() => void>>()
  private size = 0
  private turnPending = false
  private readonly host: Scheduler.SchedulerDispatcher
  private readonly dispatcher: Scheduler.SchedulerDispatcher
  ran = 0

  constructor(host: Scheduler.Scheduler) {
    this.host = host.makeDispatcher()
    this.dispatcher = {
      scheduleTask: (task, priority) => this.schedule(task, priority),
      flush: () => this.drain(Number.POSITIVE_INFINITY)
    }
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this.dispatcher
  }

  get idle(): boolean {
    return this.size === 0
  }

  private schedule(task: () => void, priority: number): void {
    let bucket = this.buckets.get(priority)
    if (bucket === undefined) {
      bucket = []
      this.buckets.set(priority, bucket)
    }
    bucket.push(task)
    this.size++
    if (!this.turnPending) {
      this.turnPending = true
      this.host.scheduleTask(this.onTurn, 0)
    }
  }

  private readonly onTurn = (): void => {
    this.turnPending = false
    this.runBatch()
    if (this.size > 0 && !this.turnPending) {
      this.turnPending = true
      this.host.scheduleTask(this.onTurn, 0)
    }
  }

  /** runs the tasks queued now (not those they queue), lowest priority number first */
  private runBatch(): number {
    const buckets = this.buckets
    if (buckets.size === 0) return 0
    this.buckets = new Map()
    const priorities = buckets.size === 1 ? [...buckets.keys()] : [...buckets.keys()].sort((a, b) => a - b)
    let count = 0
    for (const priority of priorities) {
      const tasks = buckets.get(priority)!
      this.size -= tasks.length
      for (let i = 0; i < tasks.length; i++) {
        count++
        tasks[i]!()
      }
    }
    this.ran += count
    return count
  }

  /** runs tasks until none is left; false when more than `limit` ran (a busy loop) */
  drain(limit: number): boolean {
    let ran = 0
    while (this.size > 0) {
      ran += this.runBatch()
      if (ran > limit) return false
    }
    return true
  }
}

/** One turn of the host event loop (promises and I/O callbacks run before it ends). */
const hostTurn = (host: Scheduler.SchedulerDispatcher): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    host.scheduleTask(() => resume(Effect.void), 0)
  })

const millisToNanos = (millis: number): bigint => {
  const whole = Math.floor(millis)
  return BigInt(whole) * 1_000_000n + BigInt(Math.floor((millis - whole) * 1_000_000))
}

/** `millisToNanos` remembering its last answer (virtual time stands still while the engine works) */
const makeNanos = (): ((millis: number) => bigint) => {
  let lastMillis = Number.NaN
  let lastNanos = 0n
  return (millis) => {
    if (millis !== lastMillis) {
      lastNanos = millisToNanos(millis)
      lastMillis = millis
    }
    return lastNanos
  }
}

/** Builds a virtual clock and its scheduler over `host` (the scheduler in place). */
const make = (host: Scheduler.Scheduler, options: VirtualClockOptions = {}) => {
  const heap = new TimerHeap()
  const scheduler = new VirtualScheduler(host)
  const hostDispatcher = host.makeDispatcher()
  const limit = options.maxTasksPerInstant ?? 100_000_000
  let now = options.start ?? 0
  let seq = 0
  let advancing = false

  const sleep = (duration: Duration.Duration): Effect.Effect<void> => {
    const millis = Duration.toMillis(duration)
    if (millis <= 0) return Effect.yieldNow
    if (!Number.isFinite(millis)) return Effect.never
    return Effect.callback<void>((resume) => {
      const timer: Timer = { at: now + millis, seq: seq++, resume: () => resume(Effect.void) }
      heap.push(timer)
      return Effect.sync(() => heap.cancel(timer))
    })
  }

  const externals: Array<ExternalWork> = []
  /** the first registered work still pending */
  const pendingExternal = (): ExternalWork | undefined => {
    for (let i = 0; i < externals.length; i++) if (externals[i]!.pending()) return externals[i]
    return undefined
  }
  /** waits (in real time) until `work` is done */
  const awaitExternal = (work: ExternalWork | undefined): Effect.Effect<void> =>
    work === undefined
      ? Effect.void
      : Effect.callback<void>((resume) => {
          work.whenDone(() => hostDispatcher.scheduleTask(() => resume(Effect.void), 0))
        })

  /**
   * fires the timers due up to `end` instant by instant, draining the tasks after each; stops before
   * an instant (time not moved) while registered external work is pending
   */
  const runUntil = (end: number): "done" | "busy" | "external" => {
    if (!scheduler.drain(limit)) return "busy"
    while (true) {
      if (externals.length > 0 && pendingExternal() !== undefined) return "external"
      const next = heap.peek()
      if (next === undefined || next.at > end) break
      now = next.at
      while (true) {
        const timer = heap.peek()
        if (timer === undefined || timer.at !== now) break
        heap.pop()
        const resume = timer.resume!
        timer.resume = undefined
        resume()
      }
      if (!scheduler.drain(limit)) return "busy"
    }
    if (end > now) now = end
    return "done"
  }

  const busyLoop = () =>
    Effect.die(new Error(`VirtualClock: more than ${limit} tasks at one instant (a fiber that never waits?)`))

  /** runs to `end`, then lets the host event loop turn until nothing new arrived */
  const runTo = (end: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (advancing) return Effect.die(new Error("VirtualClock: advance inside advance"))
      advancing = true
      return loopTo(end).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            advancing = false
          })
        )
      )
    })

  const loopTo = (end: number): Effect.Effect<void> =>
    Effect.gen(function* () {
      while (true) {
        const outcome = runUntil(end)
        if (outcome === "busy") return yield* busyLoop()
        if (outcome === "external") {
          yield* awaitExternal(pendingExternal())
          continue
        }
        yield* hostTurn(hostDispatcher)
        const next = heap.peek()
        if (scheduler.idle && (next === undefined || next.at > end) && pendingExternal() === undefined) return
      }
    })

  const nanos = makeNanos()
  const clock: VirtualClock = {
    currentTimeMillisUnsafe: () => now,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanosUnsafe: () => nanos(now),
    currentTimeNanos: Effect.sync(() => nanos(now)),
    monotonicTimeNanosUnsafe: () => nanos(now),
    monotonicTimeNanos: Effect.sync(() => nanos(now)),
    sleep,
    advance: (duration) =>
      Effect.suspend(() => {
        const millis = Duration.toMillis(Duration.fromInputUnsafe(duration))
        return runTo(now + Math.max(0, millis))
      }),
    setTime: (timestamp) => Effect.suspend(() => runTo(Math.max(now, timestamp))),
    settle: Effect.suspend(() => runTo(now)),
    pendingTimers: () => heap.live,
    tasksRun: () => scheduler.ran,
    addExternalWork: (work) => {
      externals.push(work)
    }
  }
  return { clock, scheduler }
}

/** Whether a Clock is a VirtualClock. */
export const isVirtualClock = (clock: Clock.Clock): clock is VirtualClock =>
  typeof (clock as Partial<VirtualClock>).advance === "function" &&
  typeof (clock as Partial<VirtualClock>).settle === "object" &&
  typeof (clock as Partial<VirtualClock>).pendingTimers === "function"

export const VirtualClock = {
  /** provides the virtual Clock and its Scheduler */
  layer: (options?: VirtualClockOptions): Layer.Layer<never> =>
    Layer.effectContext(
      Effect.gen(function* () {
        const { clock, scheduler } = make(yield* Scheduler.Scheduler, options)
        return Context.make(Clock.Clock, clock as Clock.Clock).pipe(
          Context.add(Scheduler.Scheduler, scheduler as Scheduler.Scheduler)
        )
      })
    ),
  /** the VirtualClock in place, if the current Clock is one */
  get: Effect.map(Clock.clockWith(Effect.succeed), (clock) => (isVirtualClock(clock) ? clock : undefined))
} as const
