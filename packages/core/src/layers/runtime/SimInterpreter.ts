/**
 * The runtime's view of the shell interpreter (`sim/Interpreter.ts`): run a process's argv, and tell
 * which argvs the interpreter runs. `sh -c` scripts are parsed once per argv (a crash-looping
 * container re-runs the same script), in a bounded cache.
 */
import type { Effect } from "effect"
import type { ShellInvocation } from "../../sim/Interpreter.js"
import { canRunArgv, parseShellArgv, runArgv, runScript } from "../../sim/Interpreter.js"
import type { ProcessContext } from "../../sim/Process.js"
import type { Script } from "../../sim/Shell.js"
import { parseScript } from "../../sim/Shell.js"

/** The interpreter the runtime runs scripts with (the default is `sim/Interpreter`). */
export interface ProcessRunner {
  /** run one process to its exit code */
  readonly runArgv: (argv: ReadonlyArray<string>, ctx: ProcessContext) => Effect.Effect<number>
  /** does the interpreter run this argv (a shell invocation or a builtin) */
  readonly isCommand: (argv: ReadonlyArray<string>) => boolean
}

const cacheLimit = 4096

/** A cache key for an argv. */
export const argvKey = (argv: ReadonlyArray<string>): string => (argv.length === 1 ? argv[0]! : argv.join("\u0000"))

/** A parsed `sh -c` invocation, or null for any other argv. */
type ParsedInvocation = { readonly inv: ShellInvocation; readonly script: Script } | null

/** Parsed `sh -c` invocations by argv: a crash-looping container re-runs the same script. Bounded. */
const invocationCache = new Map<string, ParsedInvocation>()
const parsedInvocation = (argv: ReadonlyArray<string>): ParsedInvocation => {
  const key = argvKey(argv)
  let cached = invocationCache.get(key)
  if (cached === undefined) {
    const inv = parseShellArgv(argv)
    const parsed = inv?.script === undefined || inv.error !== undefined ? undefined : parseScript(inv.script)
    cached =
      inv === undefined || parsed === undefined || parsed._tag === "ShellSyntaxError" ? null : { inv, script: parsed }
    if (invocationCache.size >= cacheLimit) invocationCache.clear()
    invocationCache.set(key, cached)
  }
  return cached
}

/** The shell interpreter of `sim/`, with `sh -c` scripts parsed once per argv. */
export const simInterpreter: ProcessRunner = {
  runArgv: (argv, ctx) => {
    const parsed = parsedInvocation(argv)
    return parsed === null ? runArgv(argv, ctx) : runScript(parsed.script, ctx, parsed.inv)
  },
  isCommand: (argv) => parsedInvocation(argv) !== null || canRunArgv(argv)
}
