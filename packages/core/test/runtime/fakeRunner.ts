// A minimal stand-in for the shell interpreter: argv-level commands that exercise each facade the
// runtime provides (output, fs, network, memory, signals), so runtime mechanics are tested on their own.
import { Effect } from "effect"
import type { ProcessRunner } from "../../src/layers/RuntimeSimulated.js"
import type { ProcessContext } from "../../src/sim/Process.js"

const commands = new Set([
  "sh",
  "bash",
  "exit",
  "echo",
  "sleep",
  "trap",
  "write",
  "cat",
  "listen",
  "connect",
  "alloc",
  "spam",
  "killpid"
])

const run = (argv: ReadonlyArray<string>, ctx: ProcessContext): Effect.Effect<number> =>
  Effect.gen(function* () {
    const [path, ...args] = argv
    const cmd = path?.slice(path.lastIndexOf("/") + 1)
    switch (cmd) {
      case "sh":
      case "bash":
        return 0
      case "exit":
        return Number(args[0] ?? 0)
      case "echo":
        yield* ctx.stdout(args.join(" "))
        return 0
      case "sleep":
        yield* Effect.sleep(Number(args[0]) * 1000)
        return 0
      case "trap": {
        // trap TERM: exit <code> <seconds> after the signal
        if (!ctx.signals.hasPending) yield* ctx.signals.nextDelivery()
        ctx.signals.take()
        yield* Effect.sleep(Number(args[1] ?? 0) * 1000)
        return Number(args[0] ?? 0)
      }
      case "write":
        return ctx.fs.writeFile(args[0]!, args[1] ?? "", false) === undefined ? 0 : 1
      case "cat": {
        const text = ctx.fs.readFile(args[0]!)
        if (!ctx.fs.isFile(args[0]!)) {
          yield* ctx.stderr(`cat: can't open '${args[0]}': No such file or directory`)
          return 1
        }
        for (const line of text.replace(/\n$/, "").split("\n")) yield* ctx.stdout(line)
        return 0
      }
      case "listen": {
        const result = yield* ctx.network.listen(Number(args[0]))
        if (result !== "ok") {
          yield* ctx.stderr(`nc: ${result}`)
          return 1
        }
        return yield* Effect.never
      }
      case "connect": {
        const ip = yield* ctx.network.resolve(args[0]!)
        if (ip === undefined) return 2
        return (yield* ctx.network.connect(ip === "127.0.0.1" ? ip : ip, Number(args[1]))) ? 0 : 1
      }
      case "alloc":
        yield* ctx.memory.allocate(Number(args[0]))
        return yield* Effect.never
      case "spam":
        for (let i = 0; i < Number(args[0]); i++) yield* ctx.stdout(`line ${i}`)
        return 0
      case "killpid":
        return (yield* ctx.signalProcess!(Number(args[0]), "TERM")) ? 0 : 1
      default:
        yield* ctx.stderr(`sh: ${cmd}: not found`)
        return 127
    }
  })

export const fakeRunner: ProcessRunner = {
  runArgv: run,
  isCommand: (argv) => commands.has(argv[0]?.slice(argv[0].lastIndexOf("/") + 1) ?? "")
}
