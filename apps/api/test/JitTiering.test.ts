/**
 * The server's JIT tiering flags do on this Node what `JitTiering.ts` says: set at run time, a small
 * function called 300 times is optimised by TurboFan, which V8's defaults leave in baseline code.
 * In a child process (the flags are process-wide), tiering synchronous for a deterministic answer.
 */
import { spawnSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { serverJitFlags } from "../src/JitTiering.js"

/** `%GetOptimizationStatus` bit for TurboFan code (v8/src/runtime/runtime.h, OptimizationStatus::kTurboFanned) */
const turboFanned = 1 << 6

const script = `
for (const flag of JSON.parse(process.argv[1])) require("node:v8").setFlagsFromString(flag)
function sum(o) { let s = 0; for (const k in o) s += o[k]; return s }
let total = 0
for (let i = 0; i < 300; i++) total += sum({ a: i, b: 1, c: 2 })
process.stdout.write(String(%GetOptimizationStatus(sum)))
`

const statusAfter300Calls = (flags: ReadonlyArray<string>): number => {
  const child = spawnSync(
    process.execPath,
    [
      "--allow-natives-syntax",
      "--no-concurrent-recompilation",
      "--input-type=commonjs",
      "-e",
      script,
      JSON.stringify(flags)
    ],
    { encoding: "utf8" }
  )
  expect(child.stderr).toBe("")
  return Number(child.stdout)
}

describe("serverJitFlags", () => {
  it("optimise a function after 300 calls, which V8's defaults do not", () => {
    expect(statusAfter300Calls([]) & turboFanned).toBe(0)
    expect(statusAfter300Calls(serverJitFlags) & turboFanned).toBe(turboFanned)
  })
})
