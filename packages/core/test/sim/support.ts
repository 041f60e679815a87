// Test support: a ProcessContext whose output lines are recorded with their virtual time.
import { Clock, Effect } from "effect"
import { TestClock } from "effect/testing"
import { runArgv, runScript } from "../../src/sim/Interpreter.js"
import { makeProcessContext, type ProcessContext } from "../../src/sim/Process.js"

export interface Recorded {
  readonly ctx: ProcessContext
  readonly out: Array<string>
  readonly err: Array<string>
  /** stdout lines with the virtual time (ms) they were written at */
  readonly timed: Array<{ readonly at: number; readonly line: string }>
}

export const recordingProcess = (overrides: Partial<ProcessContext> = {}): Recorded => {
  const out: Array<string> = []
  const err: Array<string> = []
  const timed: Array<{ at: number; line: string }> = []
  const ctx = makeProcessContext({
    hostname: "web-0",
    stdout: (line) =>
      Effect.map(Clock.currentTimeMillis, (at) => {
        out.push(line)
        timed.push({ at, line })
      }),
    stderr: (line) => Effect.sync(() => void err.push(line)),
    ...overrides
  })
  return { ctx, out, err, timed }
}

/** Runs a script to completion; the exit code with everything it printed. */
export const sh = (script: string, overrides: Partial<ProcessContext> = {}) =>
  Effect.gen(function* () {
    const p = recordingProcess(overrides)
    const code = yield* runScript(script, p.ctx)
    return { code, out: p.out, err: p.err, ctx: p.ctx }
  })

/** Runs an argv to completion. */
export const argv = (args: ReadonlyArray<string>, overrides: Partial<ProcessContext> = {}) =>
  Effect.gen(function* () {
    const p = recordingProcess(overrides)
    const code = yield* runArgv(args, p.ctx)
    return { code, out: p.out, err: p.err, ctx: p.ctx }
  })

/** Forks a script; returns the fiber and its recorded output. */
export const start = (script: string, overrides: Partial<ProcessContext> = {}) =>
  Effect.gen(function* () {
    const p = recordingProcess(overrides)
    const fiber = yield* Effect.forkChild(runScript(script, p.ctx))
    yield* Effect.yieldNow
    return { fiber, ...p }
  })

/** Forks an argv; returns the fiber and its recorded output. */
export const startArgv = (args: ReadonlyArray<string>, overrides: Partial<ProcessContext> = {}) =>
  Effect.gen(function* () {
    const p = recordingProcess(overrides)
    const fiber = yield* Effect.forkChild(runArgv(args, p.ctx))
    yield* Effect.yieldNow
    return { fiber, ...p }
  })

/** Moves the TestClock to an absolute virtual time (ms since the test's epoch). */
export const advanceTo = (ms: number) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    if (ms > now) yield* TestClock.adjust(ms - now)
    yield* Effect.yieldNow
  })
