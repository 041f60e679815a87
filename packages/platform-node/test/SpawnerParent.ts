/**
 * A Node process for `Spawner.test.ts`: starts a spawn helper, runs `sleep 60` through it, prints
 * `<helper pid> <sleep pid>`, then waits until it is killed (no runtime, no watchdog: only the helper).
 */
import { Effect } from "effect"
import { startSpawnHelper } from "../src/process/Spawner.js"

const program = Effect.gen(function* () {
  const spawner = yield* startSpawnHelper
  const ignore = { output: () => {}, exit: () => {}, close: () => {} }
  const spawned = yield* spawner.spawn(
    { file: "sleep", args: ["60"], cwd: "/", env: { PATH: process.env["PATH"] ?? "" } },
    ignore
  )
  process.stdout.write(`${spawner.helperPid()} ${spawned.pid}\n`)
  yield* Effect.never
})

Effect.runFork(program)
