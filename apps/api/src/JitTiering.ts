/**
 * The Node server's JIT tiering. V8 (Node 20) optimises a function once it has run about 67 KB of
 * its own bytecode and 500 calls have passed since its last inline-cache change; a request path made
 * of many small functions, each run about once per request, so stays in baseline code for its first
 * ~2,000 requests, at 2-4x the optimised cost per request. The server lowers both thresholds for
 * its own process when it starts: the same code, optimised after ~100 calls instead of ~1,000.
 */
import { setFlagsFromString } from "node:v8"

/** The V8 flags the server sets on itself (V8's defaults: 67584 and 500). */
export const serverJitFlags: ReadonlyArray<string> = [
  "--interrupt-budget=8192",
  "--minimum-invocations-after-ic-update=100"
]

/** Applies `serverJitFlags` to this process (V8 reads both as it runs, so setting them after start works). */
export const tuneJitTiering = (): void => {
  for (const flag of serverJitFlags) setFlagsFromString(flag)
}
