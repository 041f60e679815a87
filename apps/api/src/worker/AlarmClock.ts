/**
 * The real clock of a cluster inside a Durable Object. Timers (backoff expiries, sleeps, probe
 * periods) run on `setTimeout` while the object is in memory, and the object's alarm is kept at
 * the earliest pending deadline: an object that was evicted is woken by its alarm when the next
 * timer is due (it then rebuilds its cluster from storage, as a node reboot would), and the alarm
 * handler fires every timer that is due. The alarm is armed at most `alarmGapMillis` ahead of now
 * at the soonest (1 s by default): a busy cluster's many short timers cost at most one alarm a second,
 * while `setTimeout` keeps them precise in memory. Time itself is the base clock's (the wall clock).
 */
import { Clock, Duration, Effect } from "effect"

/** The real Clock plus the controls the Durable Object's alarm handler needs. */
export interface AlarmClock extends Clock.Clock {
  /** resumes every timer whose deadline has passed; the alarm handler calls it; returns how many */
  readonly fireDue: () => number
  /** the earliest pending deadline (epoch ms), if any timer is waiting */
  readonly nextDeadline: () => number | undefined
  /** timers waiting */
  readonly pendingTimers: () => number
}

/** A sleeping fiber; `resume` is cleared once it fired or was cancelled. */
interface Timer {
  readonly at: number
  readonly seq: number
  resume: (() => void) | undefined
  handle?: ReturnType<typeof setTimeout>
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of timers by (at, seq); fired and cancelled ones are dropped when they reach the top. */
class TimerHeap {
  private items: Array<Timer> = []
  live = 0

  push(timer: Timer): void {
    const items = this.items
    let i = items.length
    items.push(timer)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(timer, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = timer
    this.live++
  }

  /** the earliest live timer */
  peek(): Timer | undefined {
    while (this.items.length > 0 && this.items[0]!.resume === undefined) this.pop()
    return this.items[0]
  }

  private pop(): void {
    const items = this.items
    const last = items.pop()
    if (last === undefined || items.length === 0) return
    const n = items.length
    let i = 0
    while (true) {
      const l = 2 * i + 1
      if (l >= n) break
      const child = l + 1 < n && before(items[l + 1]!, items[l]!) ? l + 1 : l
      if (!before(items[child]!, last)) break
      items[i] = items[child]!
      i = child
    }
    items[i] = last
  }

  /** marks a timer done (fired or cancelled); false when it already was */
  settle(timer: Timer): boolean {
    if (timer.resume === undefined) return false
    timer.resume = undefined
    this.live--
    if (this.items.length > 1024 && this.live * 2 < this.items.length) this.compact()
    return true
  }

  private compact(): void {
    const live = this.items.filter((t) => t.resume !== undefined)
    this.items = []
    this.live = 0
    for (const t of live) this.push(t)
  }
}

const maxTimeoutMillis = 2 ** 31 - 1

/** The soonest an alarm is armed ahead of now. */
export const defaultAlarmGapMillis = 1000

/**
 * An AlarmClock over `base` (the live clock); `setAlarm` arms the object's alarm (e.g.
 * `(at) => ctx.storage.setAlarm(at)`). It is called when a timer is due before the alarm armed.
 */
export const makeAlarmClock = (
  base: Clock.Clock,
  setAlarm: (at: number) => void,
  alarmGapMillis: number = defaultAlarmGapMillis
): AlarmClock => {
  const heap = new TimerHeap()
  let seq = 0
  /** the deadline the alarm is armed at (undefined once it fired) */
  let armed: number | undefined

  const arm = (): void => {
    const next = heap.peek()
    if (next === undefined) return
    const at = Math.max(next.at, base.currentTimeMillisUnsafe() + alarmGapMillis)
    if (armed !== undefined && armed <= at) return
    armed = at
    setAlarm(at)
  }

  const fire = (timer: Timer): void => {
    const resume = timer.resume
    if (resume === undefined || !heap.settle(timer)) return
    if (timer.handle !== undefined) clearTimeout(timer.handle)
    resume()
  }

  /** fires `timer` after `millis` (in steps, past setTimeout's 24.8-day limit) */
  const wake = (timer: Timer, millis: number): void => {
    timer.handle = setTimeout(
      () => {
        const left = timer.at - base.currentTimeMillisUnsafe()
        if (left > 1000) wake(timer, left)
        else fire(timer)
      },
      Math.min(millis, maxTimeoutMillis)
    )
  }

  const sleep = (duration: Duration.Duration): Effect.Effect<void> => {
    const millis = Duration.toMillis(duration)
    if (millis <= 0) return Effect.yieldNow
    if (!Number.isFinite(millis)) return Effect.never
    return Effect.callback<void>((resume) => {
      const timer: Timer = {
        at: base.currentTimeMillisUnsafe() + millis,
        seq: seq++,
        resume: () => resume(Effect.void)
      }
      heap.push(timer)
      arm()
      wake(timer, millis)
      return Effect.sync(() => {
        if (timer.handle !== undefined) clearTimeout(timer.handle)
        heap.settle(timer)
      })
    })
  }

  const fireDue = (): number => {
    armed = undefined
    const now = base.currentTimeMillisUnsafe()
    let fired = 0
    for (let timer = heap.peek(); timer !== undefined && timer.at <= now; timer = heap.peek()) {
      fire(timer)
      fired++
    }
    arm()
    return fired
  }

  return {
    currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe(),
    currentTimeMillis: base.currentTimeMillis,
    currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe(),
    currentTimeNanos: base.currentTimeNanos,
    monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: base.monotonicTimeNanos,
    sleep,
    fireDue,
    nextDeadline: () => heap.peek()?.at,
    pendingTimers: () => heap.live
  }
}

/** The AlarmClock in place of the current Clock, for `Layer`/`Effect` wiring. */
export const alarmClockOver = (setAlarm: (at: number) => void): Effect.Effect<AlarmClock> =>
  Effect.map(Clock.clockWith(Effect.succeed), (base) => makeAlarmClock(base, setAlarm))
