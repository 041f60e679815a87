/**
 * The simulated container's commands: the busybox-like utilities a Pod script calls (`sleep`,
 * `echo`, `cat`, `test`, `date`, `wget`, `nc`, `stress`, ...). Each is a function of its argv, its
 * I/O and a `BuiltinHost` (the shell running it). A utility that needs no time returns its exit
 * status synchronously; one that waits, or touches the network or memory facades, returns an
 * Effect. Shell-state commands (`cd`, `exit`, `trap`, `kill`, ...) live in `Interpreter.ts`.
 */
import { Clock, Effect } from "effect"
import type { HttpResponse, ProcessContext } from "./Process.js"
import { baseName, type FsError, type FsNode, fsErrorMessage, isFsError, resolvePath } from "./VirtualFs.js"

/** Standard input of a command: the whole text, consumed from `pos`. */
export interface Stdin {
  readonly text: string
  pos: number
}

/** Where a command's output goes; complete lines reach the process sinks on `flush`. */
export interface OutputSink {
  readonly write: (text: string) => void
  readonly flush: Effect.Effect<void>
  /** whether `flush` has lines to emit */
  readonly dirty: boolean
}

export interface CommandIO {
  readonly stdin: Stdin
  readonly out: OutputSink
  readonly err: OutputSink
}

/** What a utility may ask of the shell that runs it. */
export interface BuiltinHost {
  readonly ctx: ProcessContext
  readonly cwd: string
  /** `$$` */
  readonly pid: number
  readonly getVar: (name: string) => string | undefined
  /** The exported environment, in definition order. */
  readonly environment: () => ReadonlyArray<readonly [string, string]>
  /** Runs a utility (not a shell function) by argv, with extra environment entries. */
  readonly exec: (
    argv: ReadonlyArray<string>,
    io: CommandIO,
    env: ReadonlyArray<readonly [string, string]>
  ) => Effect.Effect<number>
}

/** A utility: argv (including its name) to exit status. */
export type Builtin = (argv: ReadonlyArray<string>, io: CommandIO, host: BuiltinHost) => number | Effect.Effect<number>

/** An empty standard input. */
export const emptyStdin = (): Stdin => ({ text: "", pos: 0 })

/** Output discarded (`/dev/null`). */
export const nullSink: OutputSink = { write: () => {}, flush: Effect.void, dirty: false }

/** Collects output in memory (command substitution, pipelines). */
export class CaptureSink implements OutputSink {
  text = ""
  write(text: string): void {
    this.text += text
  }
  readonly flush: Effect.Effect<void> = Effect.void
  readonly dirty = false
}

/** Splits output into lines for a process sink (`ProcessContext.stdout`). */
export class LineSink implements OutputSink {
  private partial = ""
  private pending: Array<string> = []

  constructor(private readonly emit: (line: string) => Effect.Effect<void>) {}

  get dirty(): boolean {
    return this.pending.length > 0
  }

  write(text: string): void {
    const nl = text.indexOf("\n")
    if (nl < 0) {
      this.partial += text
      return
    }
    if (nl === text.length - 1 && this.partial === "" && this.pending.length === 0) {
      this.pending.push(text.slice(0, -1))
      return
    }
    const pieces = (this.partial + text).split("\n")
    this.partial = pieces.pop()!
    for (const line of pieces) this.pending.push(line)
  }

  readonly flush: Effect.Effect<void> = Effect.suspend(() => {
    const lines = this.pending
    if (lines.length === 0) return Effect.void
    this.pending = []
    if (lines.length === 1) return this.emit(lines[0]!)
    return Effect.forEach(lines, this.emit, { discard: true })
  })

  /** Flushes, including a last unterminated line. */
  readonly close: Effect.Effect<void> = Effect.suspend(() => {
    if (this.partial !== "") {
      this.pending.push(this.partial)
      this.partial = ""
    }
    return this.flush
  })
}

/** Writes to a file of the virtual filesystem. */
export const fileSink = (ctx: ProcessContext, path: string): OutputSink => ({
  write: (text) => {
    ctx.fs.writeFile(path, text, true)
  },
  flush: Effect.void,
  dirty: false
})

const println = (sink: OutputSink, line: string): void => sink.write(`${line}\n`)

const readStdin = (io: CommandIO): string => {
  const rest = io.stdin.pos === 0 ? io.stdin.text : io.stdin.text.slice(io.stdin.pos)
  io.stdin.pos = io.stdin.text.length
  return rest
}

/** Reads a file relative to the shell's cwd (`/dev/null` reads empty). */
export const readFileAt = (host: BuiltinHost, path: string): string | FsError => {
  if (path === "/dev/null") return ""
  return host.ctx.fs.readFile(resolvePath(host.cwd, path))
}

const lines = (text: string): Array<string> => {
  if (text === "") return []
  const all = text.split("\n")
  if (all[all.length - 1] === "") all.pop()
  return all
}

/** Reads each operand (or stdin for none or `-`), printing busybox's `can't open` errors. */
const inputs = (cmd: string, files: ReadonlyArray<string>, io: CommandIO, host: BuiltinHost) => {
  const texts: Array<{ name: string; text: string }> = []
  let failed = false
  if (files.length === 0) texts.push({ name: "-", text: readStdin(io) })
  for (const file of files) {
    if (file === "-") {
      texts.push({ name: "-", text: readStdin(io) })
      continue
    }
    const text = readFileAt(host, file)
    if (isFsError(text)) {
      failed = true
      println(
        io.err,
        text === "EISDIR"
          ? `${cmd}: read error: Is a directory`
          : `${cmd}: can't open '${file}': ${fsErrorMessage[text]}`
      )
    } else texts.push({ name: file, text })
  }
  return { texts, failed }
}

/** Splits `-abc` style flags from operands (until `--` or the first operand). */
const parseFlags = (
  argv: ReadonlyArray<string>,
  withValue = ""
): { flags: Map<string, string>; operands: Array<string> } => {
  const flags = new Map<string, string>()
  const operands: Array<string> = []
  let i = 1
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--") {
      i++
      break
    }
    if (!a.startsWith("-") || a === "-" || /^-\d/.test(a)) break
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!
      if (withValue.includes(f)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : (argv[++i] ?? "")
        flags.set(f, value)
        break
      }
      flags.set(f, "")
    }
  }
  for (; i < argv.length; i++) operands.push(argv[i]!)
  return { flags, operands }
}

// ---------------------------------------------------------------------------------------------
// time

const durationSuffix: Readonly<Record<string, number>> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }

/** busybox duration: `1.5`, `10s`, `2m`, `1h`, `1d`, `inf`; seconds, or undefined if invalid. */
export const parseDuration = (text: string): number | undefined => {
  if (/^inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(text)
  if (m === null) return undefined
  return Number(m[1]) * durationSuffix[m[2]!]!
}

const sleepSeconds = (seconds: number): Effect.Effect<void> =>
  seconds === Number.POSITIVE_INFINITY ? Effect.never : Effect.sleep(Math.round(seconds * 1000))

const sleep: Builtin = (argv, io) => {
  if (argv.length < 2) {
    println(io.err, "sleep: missing operand")
    return 1
  }
  let total = 0
  for (const arg of argv.slice(1)) {
    const s = parseDuration(arg)
    if (s === undefined) {
      println(io.err, `sleep: invalid number '${arg}'`)
      return 1
    }
    total += s
  }
  return Effect.as(sleepSeconds(total), 0)
}

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const monthNames = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December"
]
const pad = (n: number, width = 2, fill = "0"): string => String(n).padStart(width, fill)

/** strftime in UTC (the subset `date +FORMAT` scripts use). */
export const formatDate = (millis: number, format: string): string => {
  const d = new Date(millis)
  const Y = d.getUTCFullYear()
  const mo = d.getUTCMonth()
  const day = d.getUTCDate()
  const H = d.getUTCHours()
  const M = d.getUTCMinutes()
  const S = d.getUTCSeconds()
  const wd = d.getUTCDay()
  const yday = Math.floor((Date.UTC(Y, mo, day) - Date.UTC(Y, 0, 1)) / 86400000) + 1
  let out = ""
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!
    if (c !== "%" || i === format.length - 1) {
      out += c
      continue
    }
    const f = format[++i]!
    switch (f) {
      case "a":
        out += days[wd]
        break
      case "A":
        out += dayNames[wd]
        break
      case "b":
      case "h":
        out += months[mo]
        break
      case "B":
        out += monthNames[mo]
        break
      case "c":
        out += formatDate(millis, "%a %b %e %H:%M:%S %Y")
        break
      case "C":
        out += pad(Math.floor(Y / 100))
        break
      case "d":
        out += pad(day)
        break
      case "D":
        out += formatDate(millis, "%m/%d/%y")
        break
      case "e":
        out += pad(day, 2, " ")
        break
      case "F":
        out += `${Y}-${pad(mo + 1)}-${pad(day)}`
        break
      case "H":
        out += pad(H)
        break
      case "I":
        out += pad(H % 12 === 0 ? 12 : H % 12)
        break
      case "j":
        out += pad(yday, 3)
        break
      case "k":
        out += pad(H, 2, " ")
        break
      case "l":
        out += pad(H % 12 === 0 ? 12 : H % 12, 2, " ")
        break
      case "m":
        out += pad(mo + 1)
        break
      case "M":
        out += pad(M)
        break
      case "n":
        out += "\n"
        break
      case "N":
        out += pad((millis % 1000) * 1000000, 9)
        break
      case "p":
        out += H < 12 ? "AM" : "PM"
        break
      case "R":
        out += `${pad(H)}:${pad(M)}`
        break
      case "s":
        out += String(Math.floor(millis / 1000))
        break
      case "S":
        out += pad(S)
        break
      case "t":
        out += "\t"
        break
      case "T":
        out += `${pad(H)}:${pad(M)}:${pad(S)}`
        break
      case "u":
        out += String(wd === 0 ? 7 : wd)
        break
      case "w":
        out += String(wd)
        break
      case "y":
        out += pad(Y % 100)
        break
      case "Y":
        out += String(Y)
        break
      case "z":
        out += "+0000"
        break
      case "Z":
        out += "UTC"
        break
      case "%":
        out += "%"
        break
      default:
        out += `%${f}`
    }
  }
  return out
}

const date: Builtin = (argv, io) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    let format = "%a %b %e %H:%M:%S %Z %Y"
    for (const arg of argv.slice(1)) {
      if (arg.startsWith("+")) format = arg.slice(1)
      else if (arg === "-R") format = "%a, %d %b %Y %H:%M:%S %z"
      else if (arg === "-I" || arg === "-Idate") format = "%F"
      else if (arg === "-Iseconds") format = "%FT%T+00:00"
      else if (arg === "-u" || arg === "--utc") continue
      else {
        println(io.err, `date: invalid date '${arg}'`)
        return 1
      }
    }
    println(io.out, formatDate(now, format))
    return 0
  })

// ---------------------------------------------------------------------------------------------
// text

const echoEscapes = (text: string): { text: string; stop: boolean } => {
  let out = ""
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== "\\" || i === text.length - 1) {
      out += c
      continue
    }
    const n = text[++i]!
    switch (n) {
      case "n":
        out += "\n"
        break
      case "t":
        out += "\t"
        break
      case "r":
        out += "\r"
        break
      case "a":
        out += "\x07"
        break
      case "b":
        out += "\b"
        break
      case "e":
        out += "\x1b"
        break
      case "f":
        out += "\f"
        break
      case "v":
        out += "\v"
        break
      case "\\":
        out += "\\"
        break
      case "c":
        return { text: out, stop: true }
      case "0": {
        const m = /^[0-7]{0,3}/.exec(text.slice(i + 1))![0]
        out += String.fromCharCode(Number.parseInt(m || "0", 8))
        i += m.length
        break
      }
      case "x": {
        const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1))
        if (m === null) out += "\\x"
        else {
          out += String.fromCharCode(Number.parseInt(m[0], 16))
          i += m[0].length
        }
        break
      }
      default:
        out += `\\${n}`
    }
  }
  return { text: out, stop: false }
}

const echo: Builtin = (argv, io) => {
  let i = 1
  let newline = true
  let escapes = false
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (!/^-[neE]+$/.test(a)) break
    if (a.includes("n")) newline = false
    if (a.includes("e")) escapes = true
    if (a.includes("E")) escapes = false
  }
  let text = argv.length - i === 1 ? argv[i]! : argv.slice(i).join(" ")
  if (escapes) {
    const r = echoEscapes(text)
    text = r.text
    if (r.stop) newline = false
  }
  io.out.write(newline ? `${text}\n` : text)
  return 0
}

const printfNumber = (arg: string | undefined): number => {
  if (arg === undefined || arg === "") return 0
  if (/^['"]/.test(arg)) return arg.charCodeAt(1) || 0
  const n = Number(arg)
  return Number.isNaN(n) ? Number.NaN : n
}

/** printf(1): `%s %d %i %u %x %X %o %c %f %e %g %b %%` with flags, width and precision. */
export const formatPrintf = (
  format: string,
  args: ReadonlyArray<string>
): { text: string; error: string | undefined } => {
  let out = ""
  let argi = 0
  let error: string | undefined
  const spec = /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([sdiuxXocfFeEgGb%])/y
  do {
    let consumed = false
    for (let i = 0; i < format.length; i++) {
      const c = format[i]!
      if (c === "\\") {
        const n = format[i + 1]
        if (n === undefined) out += c
        else if (n === '"') {
          out += n
          i++
        } else {
          const m = /^(0[0-7]{0,3}|x[0-9a-fA-F]{1,2}|.)/s.exec(format.slice(i + 1))!
          out += echoEscapes(`\\${m[0]}`).text
          i += m[0].length
        }
        continue
      }
      if (c !== "%") {
        out += c
        continue
      }
      spec.lastIndex = i
      const m = spec.exec(format)
      if (m === null) {
        out += c
        continue
      }
      i = spec.lastIndex - 1
      const [, flags = "", widthText, precText, conv] = m
      if (conv === "%") {
        out += "%"
        continue
      }
      const width = widthText === "*" ? Number(args[argi++] ?? 0) : widthText === undefined ? 0 : Number(widthText)
      const precision =
        precText === "*" ? Number(args[argi++] ?? 0) : precText === undefined ? undefined : Number(precText)
      const arg = args[argi++]
      consumed = true
      let body: string
      switch (conv) {
        case "s":
          body = arg ?? ""
          if (precision !== undefined) body = body.slice(0, precision)
          break
        case "b":
          body = echoEscapes(arg ?? "").text
          break
        case "c":
          body = (arg ?? "").slice(0, 1)
          break
        case "d":
        case "i":
        case "u":
        case "x":
        case "X":
        case "o": {
          let n = printfNumber(arg)
          if (Number.isNaN(n)) {
            error = `printf: invalid number '${arg}'`
            n = 0
          }
          n = Math.trunc(n)
          const abs = Math.abs(n)
          const digits =
            conv === "x"
              ? abs.toString(16)
              : conv === "X"
                ? abs.toString(16).toUpperCase()
                : conv === "o"
                  ? abs.toString(8)
                  : String(abs)
          const sign = n < 0 ? "-" : flags.includes("+") ? "+" : flags.includes(" ") ? " " : ""
          const padded = precision !== undefined ? digits.padStart(precision, "0") : digits
          if (flags.includes("0") && !flags.includes("-") && precision === undefined) {
            body = sign + padded.padStart(width - sign.length, "0")
          } else body = sign + padded
          break
        }
        default: {
          let n = printfNumber(arg)
          if (Number.isNaN(n)) {
            error = `printf: invalid number '${arg}'`
            n = 0
          }
          const p = precision ?? 6
          body =
            conv === "e" || conv === "E"
              ? n.toExponential(p)
              : conv === "g" || conv === "G"
                ? String(Number(n.toPrecision(p || 1)))
                : n.toFixed(p)
          if (conv === "E" || conv === "G") body = body.toUpperCase()
          if (flags.includes("0") && !flags.includes("-")) body = body.padStart(width, "0")
        }
      }
      out += flags.includes("-") ? body.padEnd(width) : body.padStart(width)
    }
    if (!consumed) break
  } while (argi < args.length)
  return { text: out, error }
}

const printf: Builtin = (argv, io) => {
  if (argv.length < 2) {
    println(io.err, "printf: usage: printf FORMAT [ARGUMENT...]")
    return 2
  }
  const { text, error } = formatPrintf(argv[1]!, argv.slice(2))
  io.out.write(text)
  if (error !== undefined) {
    println(io.err, error)
    return 1
  }
  return 0
}

const cat: Builtin = (argv, io, host) => {
  const { operands } = parseFlags(argv)
  const { texts, failed } = inputs("cat", operands, io, host)
  for (const t of texts) io.out.write(t.text)
  return failed ? 1 : 0
}

const tee: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv)
  const text = readStdin(io)
  let status = 0
  for (const file of operands) {
    const error = host.ctx.fs.writeFile(resolvePath(host.cwd, file), text, flags.has("a"))
    if (error !== undefined) {
      println(io.err, `tee: ${file}: ${fsErrorMessage[error]}`)
      status = 1
    }
  }
  io.out.write(text)
  return status
}

const headTail =
  (which: "head" | "tail"): Builtin =>
  (argv, io, host) => {
    const args = argv
      .slice(1)
      .map((a, i, all) =>
        all[i - 1] === "-n" || all[i - 1] === "-c"
          ? a
          : /^-\d+$/.test(a)
            ? `-n${a.slice(1)}`
            : /^\+\d+$/.test(a)
              ? `-n${a}`
              : a
      )
    const { flags, operands } = parseFlags([argv[0]!, ...args], "nc")
    const countText = flags.get("n") ?? "10"
    const fromStart = countText.startsWith("+")
    const count = Number(countText.replace(/^[+-]/, ""))
    if (!Number.isInteger(count)) {
      println(io.err, `${which}: invalid number '${countText}'`)
      return 1
    }
    const follow = which === "tail" && (flags.has("f") || flags.has("F"))
    const { texts, failed } = inputs(which, operands, io, host)
    const bytes = flags.get("c")
    for (const t of texts) {
      if (texts.length > 1) println(io.out, `==> ${t.name} <==`)
      if (bytes !== undefined) {
        const n = Number(bytes)
        io.out.write(which === "head" ? t.text.slice(0, n) : t.text.slice(Math.max(0, t.text.length - n)))
        continue
      }
      const all = lines(t.text)
      const picked =
        which === "head"
          ? all.slice(0, count)
          : fromStart
            ? all.slice(Math.max(0, count - 1))
            : count === 0
              ? []
              : all.slice(-count)
      for (const line of picked) println(io.out, line)
    }
    if (!follow || (failed && !flags.has("F") && texts.length === 0)) return failed ? 1 : 0
    const file = operands[operands.length - 1]
    if (file === undefined || file === "/dev/null" || file === "-") return Effect.andThen(io.out.flush, Effect.never)
    const path = resolvePath(host.cwd, file)
    return Effect.gen(function* () {
      let seen = texts[texts.length - 1]?.text.length ?? 0
      for (;;) {
        yield* io.out.flush
        yield* Effect.sleep(1000)
        const now = host.ctx.fs.readFile(path)
        if (isFsError(now)) continue
        if (now.length < seen) seen = 0
        if (now.length > seen) {
          io.out.write(now.slice(seen))
          seen = now.length
        }
      }
    })
  }

const wc: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv)
  const { texts, failed } = inputs("wc", operands, io, host)
  const only = flags.has("l") || flags.has("w") || flags.has("c") || flags.has("m")
  const show = (l: number, w: number, c: number, name: string | undefined) => {
    const cols: Array<number> = []
    if (!only || flags.has("l")) cols.push(l)
    if (!only || flags.has("w")) cols.push(w)
    if (!only || flags.has("c") || flags.has("m")) cols.push(c)
    const body = cols.length === 1 ? String(cols[0]) : cols.map((n) => String(n).padStart(7)).join(" ")
    println(io.out, name === undefined ? body : `${body} ${name}`)
  }
  let tl = 0
  let tw = 0
  let tc = 0
  for (const t of texts) {
    const l = (t.text.match(/\n/g) ?? []).length
    const w = t.text.split(/\s+/).filter((s) => s !== "").length
    const c = t.text.length
    tl += l
    tw += w
    tc += c
    show(l, w, c, t.name === "-" ? undefined : t.name)
  }
  if (texts.length > 1) show(tl, tw, tc, "total")
  return failed ? 1 : 0
}

/** Compiles a grep pattern (basic or extended syntax) to a JS RegExp; undefined if invalid. */
export const grepRegExp = (
  pattern: string,
  extended: boolean,
  ignoreCase: boolean,
  fixed: boolean,
  wholeLine: boolean,
  word: boolean
): RegExp | undefined => {
  let source: string
  if (fixed) source = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  else if (extended) source = pattern
  else {
    source = ""
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!
      if (c === "\\" && i + 1 < pattern.length) {
        const n = pattern[++i]!
        source += "(){}|+?".includes(n) ? n : `\\${n}`
      } else source += "(){}|+?".includes(c) ? `\\${c}` : c
    }
  }
  if (word) source = `\\b(?:${source})\\b`
  if (wholeLine) source = `^(?:${source})$`
  try {
    return new RegExp(source, ignoreCase ? "i" : "")
  } catch {
    return undefined
  }
}

const grep: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(
    argv.map((a) => (a === "--quiet" || a === "--silent" ? "-q" : a)),
    "em"
  )
  const pattern = flags.get("e") ?? operands.shift()
  if (pattern === undefined) {
    println(io.err, "grep: no pattern")
    return 2
  }
  const re = grepRegExp(pattern, flags.has("E"), flags.has("i"), flags.has("F"), flags.has("x"), flags.has("w"))
  const test = re === undefined ? (line: string) => line.includes(pattern) : (line: string) => re.test(line)
  const invert = flags.has("v")
  const quiet = flags.has("q")
  const { texts, failed } = inputs("grep", operands, flags.has("s") ? { ...io, err: nullSink } : io, host)
  let matched = false
  for (const t of texts) {
    let count = 0
    const all = lines(t.text)
    for (let n = 0; n < all.length; n++) {
      const line = all[n]!
      if (test(line) === invert) continue
      matched = true
      count++
      if (quiet) return 0
      if (flags.has("c") || flags.has("l")) continue
      const prefix = (texts.length > 1 ? `${t.name}:` : "") + (flags.has("n") ? `${n + 1}:` : "")
      println(io.out, prefix + line)
    }
    if (flags.has("c")) println(io.out, (texts.length > 1 ? `${t.name}:` : "") + String(count))
    if (flags.has("l") && count > 0) println(io.out, t.name === "-" ? "(standard input)" : t.name)
  }
  return failed ? 2 : matched ? 0 : 1
}

const seq: Builtin = (argv, io) => {
  const { flags, operands } = parseFlags(argv, "sf")
  const nums = operands.map(Number)
  if (nums.length === 0 || nums.length > 3 || nums.some((n) => Number.isNaN(n))) {
    println(io.err, `seq: invalid number '${operands.find((o) => Number.isNaN(Number(o))) ?? ""}'`)
    return 1
  }
  const [first, step, last] =
    nums.length === 1 ? [1, 1, nums[0]!] : nums.length === 2 ? [nums[0]!, 1, nums[1]!] : [nums[0]!, nums[1]!, nums[2]!]
  if (step === 0) return 1
  const decimals = Math.max(...operands.map((o) => (o.includes(".") ? o.length - o.indexOf(".") - 1 : 0)))
  const width = flags.has("w") ? Math.max(String(first).length, String(last).length) : 0
  const sep = flags.get("s") ?? "\n"
  const out: Array<string> = []
  for (let v = first; step > 0 ? v <= last + 1e-9 : v >= last - 1e-9; v += step) {
    const s = decimals > 0 ? v.toFixed(decimals) : String(Math.round(v))
    out.push(width > 0 ? s.padStart(width, "0") : s)
  }
  if (out.length > 0) io.out.write(`${out.join(sep)}\n`)
  return 0
}

const sort: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv)
  const { texts, failed } = inputs("sort", operands, io, host)
  let all = texts.flatMap((t) => lines(t.text))
  if (flags.has("n")) all.sort((a, b) => (Number.parseFloat(a) || 0) - (Number.parseFloat(b) || 0))
  else all.sort()
  if (flags.has("r")) all.reverse()
  if (flags.has("u")) all = all.filter((l, i) => i === 0 || l !== all[i - 1])
  for (const l of all) println(io.out, l)
  return failed ? 1 : 0
}

const uniq: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv)
  const { texts } = inputs("uniq", operands.slice(0, 1), io, host)
  const all = texts.flatMap((t) => lines(t.text))
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j < all.length && all[j] === all[i]) j++
    println(io.out, flags.has("c") ? `${String(j - i).padStart(7)} ${all[i]}` : all[i]!)
    i = j
  }
  return 0
}

const expandTrSet = (set: string): string =>
  set
    .replace(/\[:lower:\]/g, "a-z")
    .replace(/\[:upper:\]/g, "A-Z")
    .replace(/\[:digit:\]/g, "0-9")
    .replace(/\[:space:\]/g, " \t\n\r")
    .replace(/\\([nt\\r])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : "\\"))
    .replace(/([^\\])-([^\\])/g, (_, a: string, b: string) => {
      let s = ""
      for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) s += String.fromCharCode(c)
      return s
    })

const tr: Builtin = (argv, io) => {
  const { flags, operands } = parseFlags(argv)
  const from = expandTrSet(operands[0] ?? "")
  const to = expandTrSet(operands[1] ?? "")
  const text = readStdin(io)
  let out = ""
  for (const c of text) {
    const i = from.indexOf(c)
    if (flags.has("d")) {
      if (i < 0) out += c
    } else out += i < 0 ? c : (to[Math.min(i, to.length - 1)] ?? c)
  }
  io.out.write(out)
  return 0
}

const cut: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv, "dfc")
  const { texts } = inputs("cut", operands, io, host)
  const delim = flags.get("d") ?? "\t"
  const fields = (flags.get("f") ?? flags.get("c") ?? "1").split(",").flatMap((r) => {
    const [a, b] = r.split("-")
    const from = a === "" || a === undefined ? 1 : Number(a)
    const to = b === undefined ? from : b === "" ? 10000 : Number(b)
    const out: Array<number> = []
    for (let i = from; i <= to; i++) out.push(i)
    return out
  })
  for (const line of texts.flatMap((t) => lines(t.text))) {
    if (flags.has("c")) println(io.out, fields.map((i) => line[i - 1] ?? "").join(""))
    else {
      const parts = line.split(delim)
      println(
        io.out,
        parts.length === 1
          ? line
          : fields
              .filter((i) => i <= parts.length)
              .map((i) => parts[i - 1])
              .join(delim)
      )
    }
  }
  return 0
}

const basename: Builtin = (argv, io) => {
  const name = baseName(argv[1] ?? "")
  const suffix = argv[2]
  println(
    io.out,
    suffix !== undefined && name.endsWith(suffix) && name !== suffix ? name.slice(0, -suffix.length) : name
  )
  return 0
}

const dirname: Builtin = (argv, io) => {
  const p = (argv[1] ?? ".").replace(/\/+$/, "")
  const i = p.lastIndexOf("/")
  println(io.out, i < 0 ? "." : i === 0 ? "/" : p.slice(0, i))
  return 0
}

// ---------------------------------------------------------------------------------------------
// arithmetic and tests

/** Evaluates `expr(1)` arguments; a string result, or an error message. */
export const evaluateExpr = (args: ReadonlyArray<string>): { value: string } | { error: string } => {
  let i = 0
  const isInt = (s: string) => /^-?\d+$/.test(s)
  const fail = (message: string): never => {
    throw new ExprFailure(message)
  }
  const primary = (): string => {
    const t = args[i++]
    if (t === undefined) return fail("expr: syntax error")
    if (t === "(") {
      const v = or()
      if (args[i++] !== ")") fail("expr: syntax error")
      return v
    }
    if (t === "length") return String(primary().length)
    if (t === "substr") {
      const s = primary()
      const p = Number(primary())
      const n = Number(primary())
      return s.substr(p - 1, n)
    }
    if (t === "index") {
      const s = primary()
      const chars = primary()
      const idx = [...s].findIndex((c) => chars.includes(c))
      return String(idx + 1)
    }
    if (t === "match") {
      const s = primary()
      return match(s, primary())
    }
    return t
  }
  const match = (s: string, pattern: string): string => {
    const re = grepRegExp(pattern, false, false, false, false, false)
    if (re === undefined) return fail("expr: invalid regex")
    const m = new RegExp(`^(?:${re.source})`).exec(s)
    if (m === null) return re.source.includes("(") ? "" : "0"
    return m[1] !== undefined ? m[1] : String(m[0].length)
  }
  const colon = (): string => {
    let v = primary()
    while (args[i] === ":") {
      i++
      v = match(v, primary())
    }
    return v
  }
  const mul = (): string => {
    let v = colon()
    for (let op = args[i]; op === "*" || op === "/" || op === "%"; op = args[i]) {
      i++
      const r = colon()
      if (!isInt(v) || !isInt(r)) fail("expr: non-numeric argument")
      if (op !== "*" && Number(r) === 0) fail("expr: division by zero")
      v = String(
        op === "*" ? Number(v) * Number(r) : op === "/" ? Math.trunc(Number(v) / Number(r)) : Number(v) % Number(r)
      )
    }
    return v
  }
  const add = (): string => {
    let v = mul()
    for (let op = args[i]; op === "+" || op === "-"; op = args[i]) {
      i++
      const r = mul()
      if (!isInt(v) || !isInt(r)) fail("expr: non-numeric argument")
      v = String(op === "+" ? Number(v) + Number(r) : Number(v) - Number(r))
    }
    return v
  }
  const cmp = (): string => {
    let v = add()
    for (let op = args[i]; op !== undefined && ["=", "==", "!=", "<", "<=", ">", ">="].includes(op); op = args[i]) {
      i++
      const r = add()
      const c = isInt(v) && isInt(r) ? Number(v) - Number(r) : v < r ? -1 : v > r ? 1 : 0
      const ok =
        op === "=" || op === "=="
          ? c === 0
          : op === "!="
            ? c !== 0
            : op === "<"
              ? c < 0
              : op === "<="
                ? c <= 0
                : op === ">"
                  ? c > 0
                  : c >= 0
      v = ok ? "1" : "0"
    }
    return v
  }
  const isNull = (v: string) => v === "" || v === "0"
  const and = (): string => {
    let v = cmp()
    while (args[i] === "&") {
      i++
      const r = cmp()
      v = isNull(v) || isNull(r) ? "0" : v
    }
    return v
  }
  const or = (): string => {
    let v = and()
    while (args[i] === "|") {
      i++
      const r = and()
      v = isNull(v) ? (isNull(r) ? "0" : r) : v
    }
    return v
  }
  try {
    const value = or()
    if (i < args.length) return { error: "expr: syntax error" }
    return { value }
  } catch (e) {
    if (e instanceof ExprFailure) return { error: e.message }
    throw e
  }
}

class ExprFailure {
  constructor(readonly message: string) {}
}

const expr: Builtin = (argv, io) => {
  if (argv.length < 2) {
    println(io.err, "expr: missing operand")
    return 2
  }
  const r = evaluateExpr(argv.slice(1))
  if ("error" in r) {
    println(io.err, r.error)
    return 2
  }
  println(io.out, r.value)
  return r.value === "" || r.value === "0" ? 1 : 0
}

/** Converts a glob (`*`, `?`, `[...]`, `\x`) to a regular expression source, anchored by the caller. */
export const globSource = (pattern: string, slash = true): string => {
  let out = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "\\" && i + 1 < pattern.length) out += escapeRe(pattern[++i]!)
    else if (c === "*") out += slash ? "[\\s\\S]*" : "[^/]*"
    else if (c === "?") out += slash ? "[\\s\\S]" : "[^/]"
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2)
      if (end < 0) out += "\\["
      else {
        let body = pattern.slice(i + 1, end)
        if (body.startsWith("!")) body = `^${body.slice(1)}`
        out += `[${body.replace(/\\/g, "\\\\")}]`
        i = end
      }
    } else out += escapeRe(c)
  }
  return out
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

const globCache = new Map<string, RegExp>()

/** Whether `text` matches the whole glob `pattern` (case patterns, `[[ == ]]`). */
export const globMatch = (pattern: string, text: string): boolean => {
  let re = globCache.get(pattern)
  if (re === undefined) {
    re = new RegExp(`^(?:${globSource(pattern)})$`)
    if (globCache.size > 1024) globCache.clear()
    globCache.set(pattern, re)
  }
  return re.test(text)
}

const testInt = (s: string): number | undefined => {
  const t = s.trim()
  return /^[-+]?\d+$/.test(t) ? Number(t) : undefined
}

const testUnary = new Set([
  "-f",
  "-d",
  "-e",
  "-s",
  "-r",
  "-w",
  "-x",
  "-z",
  "-n",
  "-L",
  "-h",
  "-p",
  "-S",
  "-b",
  "-c",
  "-t",
  "-g",
  "-u",
  "-k",
  "-O",
  "-G"
])
const testBinary = new Set([
  "=",
  "==",
  "!=",
  "<",
  ">",
  "-eq",
  "-ne",
  "-lt",
  "-le",
  "-gt",
  "-ge",
  "-nt",
  "-ot",
  "-ef",
  "=~"
])

class TestFailure {
  constructor(readonly message: string) {}
}

/**
 * Evaluates `test` / `[` operands (or `[[ ]]`'s, with `&&`, `||`, `==` glob and `=~` regex):
 * 0 true, 1 false, 2 error.
 */
export const evaluateTest = (
  args: ReadonlyArray<string>,
  host: BuiltinHost,
  io: CommandIO,
  extended: boolean
): number => {
  let i = 0
  const fs = host.ctx.fs
  const path = (p: string) => resolvePath(host.cwd, p)
  const orOp = extended ? "||" : "-o"
  const andOp = extended ? "&&" : "-a"
  const int = (s: string): number => {
    const n = testInt(s)
    if (n === undefined) throw new TestFailure(`sh: ${s === "" ? "''" : s}: bad number`)
    return n
  }
  const primary = (): boolean => {
    const t = args[i]
    if (t === undefined) throw new TestFailure("sh: test: syntax error")
    if (t === "!" && i + 1 < args.length) {
      i++
      return !primary()
    }
    if (
      t === "(" &&
      i + 1 < args.length &&
      !(testBinary.has(args[i + 1]!) && i + 2 < args.length && args[i + 3] !== ")")
    ) {
      i++
      const v = or()
      if (args[i++] !== ")") throw new TestFailure("sh: test: syntax error")
      return v
    }
    const op = args[i + 1]
    if (op !== undefined && testBinary.has(op) && i + 2 < args.length) {
      const l = t
      const r = args[i + 2]!
      i += 3
      switch (op) {
        case "=":
        case "==":
          return extended ? globMatch(r, l) : l === r
        case "!=":
          return extended ? !globMatch(r, l) : l !== r
        case "<":
          return l < r
        case ">":
          return l > r
        case "-eq":
          return int(l) === int(r)
        case "-ne":
          return int(l) !== int(r)
        case "-lt":
          return int(l) < int(r)
        case "-le":
          return int(l) <= int(r)
        case "-gt":
          return int(l) > int(r)
        case "-ge":
          return int(l) >= int(r)
        case "=~":
          try {
            return new RegExp(r).test(l)
          } catch {
            throw new TestFailure(`sh: invalid regex '${r}'`)
          }
        default:
          return false
      }
    }
    if (testUnary.has(t) && i + 1 < args.length) {
      const a = args[i + 1]!
      i += 2
      switch (t) {
        case "-z":
          return a === ""
        case "-n":
          return a !== ""
        case "-f":
          return fs.isFile(path(a))
        case "-d":
          return fs.isDir(path(a))
        case "-e":
        case "-r":
        case "-w":
        case "-x":
          return a === "/dev/null" || fs.exists(path(a))
        case "-s": {
          const node = fs.stat(path(a))
          return node !== undefined && (node._tag === "Dir" || node.content.length > 0)
        }
        case "-c":
          return a === "/dev/null"
        default:
          return false
      }
    }
    i++
    return t !== ""
  }
  const and = (): boolean => {
    let v = primary()
    while (args[i] === andOp) {
      i++
      const r = primary()
      v = v && r
    }
    return v
  }
  const or = (): boolean => {
    let v = and()
    while (args[i] === orOp) {
      i++
      const r = and()
      v = v || r
    }
    return v
  }
  try {
    if (args.length === 0) return 1
    const v = or()
    if (i < args.length) throw new TestFailure(`sh: ${args[i]}: unknown operand`)
    return v ? 0 : 1
  } catch (e) {
    if (!(e instanceof TestFailure)) throw e
    println(io.err, e.message)
    return 2
  }
}

const test: Builtin = (argv, io, host) => evaluateTest(argv.slice(1), host, io, false)

const bracket: Builtin = (argv, io, host) => {
  if (argv[argv.length - 1] !== "]") {
    println(io.err, "sh: [: missing ]")
    return 2
  }
  return evaluateTest(argv.slice(1, -1), host, io, false)
}

// ---------------------------------------------------------------------------------------------
// files

const fsFail = (io: CommandIO, message: string): number => {
  println(io.err, message)
  return 1
}

const touch: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv, "dtr")
  let status = 0
  for (const file of operands) {
    const p = resolvePath(host.cwd, file)
    if (host.ctx.fs.exists(p) || flags.has("c")) continue
    const error = host.ctx.fs.writeFile(p, "", true)
    if (error !== undefined) status = fsFail(io, `touch: ${file}: ${fsErrorMessage[error]}`)
  }
  return status
}

const rm: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv)
  const force = flags.has("f")
  const recursive = flags.has("r") || flags.has("R")
  let status = 0
  for (const file of operands) {
    const p = resolvePath(host.cwd, file)
    const node = host.ctx.fs.stat(p)
    if (node === undefined) {
      if (!force) status = fsFail(io, `rm: can't remove '${file}': No such file or directory`)
      continue
    }
    if (node._tag === "Dir" && !recursive) {
      status = fsFail(io, `rm: '${file}' is a directory`)
      continue
    }
    const error = host.ctx.fs.remove(p, true)
    if (error !== undefined) status = fsFail(io, `rm: can't remove '${file}': ${fsErrorMessage[error]}`)
  }
  return status
}

const rmdir: Builtin = (argv, io, host) => {
  let status = 0
  for (const file of parseFlags(argv).operands) {
    const p = resolvePath(host.cwd, file)
    const error = host.ctx.fs.isDir(p) ? host.ctx.fs.remove(p, false) : host.ctx.fs.exists(p) ? "ENOTDIR" : "ENOENT"
    if (error !== undefined) status = fsFail(io, `rmdir: '${file}': ${fsErrorMessage[error]}`)
  }
  return status
}

const mkdir: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv, "m")
  let status = 0
  for (const dir of operands) {
    const error = host.ctx.fs.mkdir(resolvePath(host.cwd, dir), flags.has("p"))
    if (error !== undefined) status = fsFail(io, `mkdir: can't create directory '${dir}': ${fsErrorMessage[error]}`)
  }
  return status
}

const copyNode = (node: FsNode): FsNode =>
  node._tag === "File"
    ? { _tag: "File", content: node.content }
    : { _tag: "Dir", entries: new Map([...node.entries].map(([k, v]) => [k, copyNode(v)])) }

const copyTree = (host: BuiltinHost, from: string, to: string): FsError | undefined => {
  const fs = host.ctx.fs
  const node = fs.stat(from)
  if (node === undefined) return "ENOENT"
  if (node._tag === "File") return fs.writeFile(to, node.content, false)
  const error = fs.mkdir(to, false)
  if (error !== undefined && error !== "EEXIST") return error
  const copy = copyNode(node)
  if (copy._tag !== "Dir") return undefined
  for (const [name, child] of copy.entries) {
    const r =
      child._tag === "File"
        ? fs.writeFile(`${to}/${name}`, child.content, false)
        : copyTree(host, `${from}/${name}`, `${to}/${name}`)
    if (r !== undefined) return r
  }
  return undefined
}

const cpMv =
  (which: "cp" | "mv"): Builtin =>
  (argv, io, host) => {
    const { flags, operands } = parseFlags(argv)
    if (operands.length < 2) return fsFail(io, `${which}: missing destination file operand`)
    const target = resolvePath(host.cwd, operands[operands.length - 1]!)
    const fs = host.ctx.fs
    let status = 0
    for (const src of operands.slice(0, -1)) {
      const from = resolvePath(host.cwd, src)
      const node = fs.stat(from)
      if (node === undefined) {
        status = fsFail(io, `${which}: can't stat '${src}': No such file or directory`)
        continue
      }
      if (node._tag === "Dir" && which === "cp" && !flags.has("r") && !flags.has("R") && !flags.has("a")) {
        status = fsFail(io, `cp: omitting directory '${src}'`)
        continue
      }
      const to = fs.isDir(target) ? `${target === "/" ? "" : target}/${baseName(from)}` : target
      const error = copyTree(host, from, to) ?? (which === "mv" ? fs.remove(from, true) : undefined)
      if (error !== undefined) status = fsFail(io, `${which}: can't create '${to}': ${fsErrorMessage[error]}`)
    }
    return status
  }

const chmodLike =
  (which: string): Builtin =>
  (argv, io, host) => {
    const { operands } = parseFlags(argv)
    let status = 0
    for (const file of operands.slice(1)) {
      if (!host.ctx.fs.exists(resolvePath(host.cwd, file)))
        status = fsFail(io, `${which}: ${file}: No such file or directory`)
    }
    return status
  }

const ls: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv)
  const fs = host.ctx.fs
  const long = flags.has("l")
  const all = flags.has("a") || flags.has("A")
  const entry = (name: string, full: string) => {
    if (!long) return name
    const node = fs.stat(full)
    const isDir = node?._tag === "Dir"
    const size = node === undefined ? 0 : node._tag === "Dir" ? 4096 : node.content.length
    return `${isDir ? "drwxr-xr-x" : "-rw-r--r--"}    ${isDir ? 2 : 1} root     root     ${String(size).padStart(9)} Jan  1 00:00 ${name}`
  }
  const targets = operands.length === 0 ? ["."] : operands
  let status = 0
  const dirs: Array<string> = []
  for (const t of targets) {
    const p = resolvePath(host.cwd, t)
    const node = fs.stat(p)
    if (node === undefined) status = fsFail(io, `ls: ${t}: No such file or directory`)
    else if (node._tag === "File" || flags.has("d")) println(io.out, entry(t, p))
    else dirs.push(t)
  }
  for (const t of dirs) {
    const p = resolvePath(host.cwd, t)
    if (targets.length > 1) println(io.out, `${t}:`)
    const names = fs.list(p)
    if (isFsError(names)) continue
    if (long) println(io.out, `total ${names.length}`)
    for (const name of names)
      if (all || !name.startsWith(".")) println(io.out, entry(name, `${p === "/" ? "" : p}/${name}`))
  }
  return status
}

// ---------------------------------------------------------------------------------------------
// system

const hostname: Builtin = (argv, io, host) => {
  const flag = argv[1]
  if (flag === "-i" || flag === "-f" || flag === "-I") {
    const hosts = readFileAt(host, "/etc/hosts")
    const line = isFsError(hosts)
      ? undefined
      : lines(hosts).find((l) => !l.startsWith("#") && l.split(/\s+/).slice(1).includes(host.ctx.hostname))
    const fields = line?.split(/\s+/) ?? []
    if (flag === "-f")
      println(
        io.out,
        fields.slice(1).reduce((a, b) => (b.length > a.length ? b : a), host.ctx.hostname)
      )
    else if (fields[0] !== undefined) println(io.out, fields[0])
    else return fsFail(io, `hostname: ${host.ctx.hostname}: Unknown host`)
    return 0
  }
  println(io.out, host.ctx.hostname)
  return 0
}

const env: Builtin = (argv, io, host) => {
  let i = 1
  let clear = false
  const extra: Array<readonly [string, string]> = []
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "-i" || a === "-") clear = true
    else if (a === "-u") i++
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
      const eq = a.indexOf("=")
      extra.push([a.slice(0, eq), a.slice(eq + 1)])
    } else break
  }
  if (i < argv.length) return host.exec(argv.slice(i), io, extra)
  const merged = new Map(clear ? [] : host.environment())
  for (const [k, v] of extra) merged.set(k, v)
  for (const [k, v] of merged) println(io.out, `${k}=${v}`)
  return 0
}

const printenv: Builtin = (argv, io, host) => {
  const envMap = new Map(host.environment())
  if (argv.length === 1) {
    for (const [k, v] of envMap) println(io.out, `${k}=${v}`)
    return 0
  }
  let status = 0
  for (const name of argv.slice(1)) {
    const v = envMap.get(name)
    if (v === undefined) status = 1
    else println(io.out, v)
  }
  return status
}

const rootGroups = "0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),20(dialout),26(tape),27(video)"

const id: Builtin = (argv, io, host) => {
  const user = host.ctx.user ?? { uid: 0, gid: 0 }
  const name = (uid: number) => (uid === 0 ? "(root)" : "")
  const { flags } = parseFlags(argv)
  if (flags.has("u")) println(io.out, flags.has("n") && user.uid === 0 ? "root" : String(user.uid))
  else if (flags.has("g")) println(io.out, flags.has("n") && user.gid === 0 ? "root" : String(user.gid))
  else {
    const groups =
      user.uid === 0 && user.gid === 0 && user.groups === undefined
        ? rootGroups
        : (user.groups ?? [user.gid]).map((g) => `${g}${g === 0 ? "(root)" : ""}`).join(",")
    println(
      io.out,
      `uid=${user.uid}${name(user.uid)} gid=${user.gid}${user.gid === 0 ? "(root)" : ""} groups=${groups}`
    )
  }
  return 0
}

const whoami: Builtin = (_argv, io, host) => {
  const uid = host.ctx.user?.uid ?? 0
  if (uid !== 0) return fsFail(io, `whoami: unknown uid ${uid}`)
  println(io.out, "root")
  return 0
}

const uname: Builtin = (argv, io, host) => {
  const { flags } = parseFlags(argv)
  const fields: Array<string> = []
  const all = flags.has("a")
  if (all || flags.has("s") || flags.size === 0) fields.push("Linux")
  if (all || flags.has("n")) fields.push(host.ctx.hostname)
  if (all || flags.has("r")) fields.push("6.8.0-podlet")
  if (all || flags.has("v")) fields.push("#1 SMP PREEMPT_DYNAMIC")
  if (all || flags.has("m") || flags.has("p")) fields.push("x86_64")
  if (all || flags.has("o")) fields.push("GNU/Linux")
  println(io.out, fields.join(" "))
  return 0
}

// ---------------------------------------------------------------------------------------------
// network

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

const nameserver = (host: BuiltinHost): string => {
  const conf = readFileAt(host, "/etc/resolv.conf")
  const m = isFsError(conf) ? null : /^nameserver\s+(\S+)/m.exec(conf)
  return m?.[1] ?? "10.96.0.10"
}

/** An IP literal as is, `localhost` as 127.0.0.1, anything else through `NetworkFacade.resolve`. */
const resolveHost = (host: BuiltinHost, name: string): Effect.Effect<string | undefined> =>
  IPV4.test(name)
    ? Effect.succeed(name)
    : name === "localhost"
      ? Effect.succeed("127.0.0.1")
      : host.ctx.network.resolve(name)

const lookupName = (argv: ReadonlyArray<string>): string | undefined =>
  argv.slice(1).find((a) => !a.startsWith("-") && !a.startsWith("+") && !a.startsWith("@"))

const nslookup: Builtin = (argv, io, host) => {
  const name = lookupName(argv)
  if (name === undefined) return fsFail(io, "Usage: nslookup [HOST] [SERVER]")
  return Effect.map(resolveHost(host, name), (ip) => {
    const server = nameserver(host)
    println(io.out, `Server:\t\t${server}`)
    println(io.out, `Address:\t${server}:53`)
    println(io.out, "")
    if (ip === undefined) {
      println(io.out, `** server can't find ${name}: NXDOMAIN`)
      println(io.out, "")
      return 1
    }
    println(io.out, `Name:\t${name}`)
    println(io.out, `Address: ${ip}`)
    println(io.out, "")
    return 0
  })
}

const dig: Builtin = (argv, io, host) => {
  const name = lookupName(argv)
  if (name === undefined) return fsFail(io, "dig: no name given")
  const short = argv.includes("+short")
  return Effect.gen(function* () {
    const ip = yield* resolveHost(host, name)
    if (short) {
      if (ip !== undefined) println(io.out, ip)
      return ip === undefined ? 1 : 0
    }
    const now = yield* Clock.currentTimeMillis
    const server = nameserver(host)
    const fqdn = name.endsWith(".") ? name : `${name}.`
    const out = [
      "",
      `; <<>> DiG 9.18.24 <<>> ${name}`,
      ";; global options: +cmd",
      ";; Got answer:",
      `;; ->>HEADER<<- opcode: QUERY, status: ${ip === undefined ? "NXDOMAIN" : "NOERROR"}, id: 4242`,
      `;; flags: qr aa rd; QUERY: 1, ANSWER: ${ip === undefined ? 0 : 1}, AUTHORITY: 0, ADDITIONAL: 0`,
      "",
      ";; QUESTION SECTION:",
      `;${fqdn}\t\t\tIN\tA`,
      ""
    ]
    if (ip !== undefined) out.push(";; ANSWER SECTION:", `${fqdn}\t\t30\tIN\tA\t${ip}`, "")
    out.push(
      ";; Query time: 0 msec",
      `;; SERVER: ${server}#53(${server}) (UDP)`,
      `;; WHEN: ${formatDate(now, "%a %b %d %H:%M:%S %Z %Y")}`,
      `;; MSG SIZE  rcvd: ${ip === undefined ? 40 : 80}`,
      ""
    )
    for (const line of out) println(io.out, line)
    return ip === undefined ? 1 : 0
  })
}

const hostCmd: Builtin = (argv, io, host) => {
  const name = lookupName(argv)
  if (name === undefined) return fsFail(io, "Usage: host [-v] name [server]")
  return Effect.map(resolveHost(host, name), (ip) => {
    if (ip === undefined) {
      println(io.out, `Host ${name} not found: 3(NXDOMAIN)`)
      return 1
    }
    println(io.out, `${name} has address ${ip}`)
    return 0
  })
}

const getent: Builtin = (argv, io, host) => {
  const db = argv[1]
  const name = argv[2]
  if ((db !== "hosts" && db !== "ahosts" && db !== "ahostsv4") || name === undefined) return 2
  return Effect.map(resolveHost(host, name), (ip) => {
    if (ip === undefined) return 2
    println(io.out, `${ip.padEnd(15)} ${name}`)
    return 0
  })
}

const ping: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv, "cWwis")
  const name = operands[0]
  if (name === undefined) return fsFail(io, "ping: usage error: Destination address required")
  const count = flags.has("c") ? Number(flags.get("c")) : Number.POSITIVE_INFINITY
  return Effect.gen(function* () {
    const ip = yield* resolveHost(host, name)
    if (ip === undefined) {
      println(io.err, `ping: bad address '${name}'`)
      return 1
    }
    println(io.out, `PING ${name} (${ip}): 56 data bytes`)
    for (let seqNo = 0; seqNo < count; seqNo++) {
      if (seqNo > 0) yield* Effect.sleep(1000)
      println(io.out, `64 bytes from ${ip}: seq=${seqNo} ttl=64 time=0.100 ms`)
      yield* io.out.flush
    }
    println(io.out, "")
    println(io.out, `--- ${name} ping statistics ---`)
    println(io.out, `${count} packets transmitted, ${count} packets received, 0% packet loss`)
    println(io.out, "round-trip min/avg/max = 0.100/0.100/0.100 ms")
    return 0
  })
}

/** Binds `port`, then holds it until interrupted (or forever), releasing it at the end. */
const listenForever = (
  host: BuiltinHost,
  io: CommandIO,
  port: number,
  who: string,
  bindError: string
): Effect.Effect<number> =>
  Effect.flatMap(host.ctx.network.listen(port), (result) => {
    if (result !== "ok") {
      println(io.err, bindError || `${who}: ${result}`)
      return Effect.succeed(1)
    }
    return io.out.flush.pipe(
      Effect.andThen(io.err.flush),
      Effect.andThen(Effect.never),
      Effect.ensuring(host.ctx.network.close(port))
    )
  })

const parsePort = (text: string | undefined): number | undefined => {
  const p = Number(text?.includes(":") ? text.slice(text.lastIndexOf(":") + 1) : text)
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : undefined
}

const nc: Builtin = (argv, io, host) => {
  const { flags, operands } = parseFlags(argv, "pwesqi")
  if (flags.has("l")) {
    const port = parsePort(flags.get("p") ?? operands[operands.length - 1])
    if (port === undefined) return fsFail(io, "nc: bad port")
    return listenForever(host, io, port, "nc", "")
  }
  const name = operands[0]
  const port = parsePort(operands[1] ?? flags.get("p"))
  if (name === undefined || port === undefined) return fsFail(io, "nc: usage: nc [OPTIONS] HOST PORT")
  return Effect.gen(function* () {
    const ip = yield* resolveHost(host, name)
    if (ip === undefined) {
      println(io.err, `nc: bad address '${name}'`)
      return 1
    }
    const open = yield* host.ctx.network.connect(ip, port)
    if (flags.has("v")) println(io.err, `${name} (${ip}:${port}) ${open ? "open" : "Connection refused"}`)
    if (!open) {
      if (!flags.has("z") && !flags.has("v"))
        println(io.err, `nc: can't connect to remote host (${ip}): Connection refused`)
      return 1
    }
    readStdin(io)
    return 0
  })
}

const httpd: Builtin = (argv, io, host) => {
  const { flags } = parseFlags(argv, "phcurmeid")
  const port = parsePort(flags.get("p") ?? "80")
  if (port === undefined) return fsFail(io, "httpd: bad port")
  if (flags.has("f")) return listenForever(host, io, port, "httpd", "")
  return Effect.map(host.ctx.network.listen(port), (result) => {
    if (result === "ok") return 0
    println(io.err, `httpd: ${result}`)
    return 1
  })
}

const python: Builtin = (argv, io, host) => {
  if (argv[1] !== "-m" || argv[2] !== "http.server") {
    println(io.err, `${argv[0]}: only 'python3 -m http.server' is simulated`)
    return 127
  }
  const { flags, operands } = parseFlags(["http.server", ...argv.slice(3)], "bd")
  const port = parsePort(operands[0] ?? "8000")
  if (port === undefined) return fsFail(io, `${argv[0]}: error: argument port: invalid int value`)
  const bind = flags.get("b") ?? "0.0.0.0"
  println(io.out, `Serving HTTP on ${bind} port ${port} (http://${bind}:${port}/) ...`)
  return listenForever(host, io, port, "python3", "OSError: [Errno 98] Address already in use")
}

/** A parsed `http://host:port/path` URL. */
export interface HttpUrl {
  readonly host: string
  readonly port: number
  readonly path: string
}

/** Parses an http(s) URL (scheme optional, as curl allows). */
export const parseUrl = (url: string): HttpUrl | undefined => {
  const m = /^(?:(https?):\/\/)?([^/:?#]+)(?::(\d+))?([^#]*)/i.exec(url)
  if (m === null) return undefined
  const port = m[3] !== undefined ? Number(m[3]) : m[1]?.toLowerCase() === "https" ? 443 : 80
  return { host: m[2]!, port, path: m[4] === "" || m[4] === undefined ? "/" : m[4] }
}

const defaultBody = "<html><body><h1>It works!</h1></body></html>\n"

type Fetched =
  | { readonly _tag: "BadAddress" }
  | { readonly _tag: "Refused"; readonly ip: string }
  | { readonly _tag: "Response"; readonly ip: string; readonly response: HttpResponse }

const fetch = (host: BuiltinHost, url: HttpUrl): Effect.Effect<Fetched> =>
  Effect.gen(function* () {
    const ip = yield* resolveHost(host, url.host)
    if (ip === undefined) return { _tag: "BadAddress" } as const
    const open = yield* host.ctx.network.connect(ip, url.port)
    if (!open) return { _tag: "Refused", ip } as const
    const custom =
      host.ctx.network.http === undefined ? undefined : yield* host.ctx.network.http(ip, url.port, url.path)
    return { _tag: "Response", ip, response: custom ?? { status: 200, body: defaultBody } } as const
  })

const reasons: Readonly<Record<number, string>> = {
  200: "OK",
  301: "Moved Permanently",
  302: "Found",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  503: "Service Unavailable"
}

const wget: Builtin = (argv, io, host) => {
  const args = argv.map((a) => (a.startsWith("--output-document=") ? `-O${a.slice(18)}` : a === "--quiet" ? "-q" : a))
  let quiet = false
  let spider = false
  let output: string | undefined
  let urlText: string | undefined
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!
    if (a === "--spider") spider = true
    else if (a.startsWith("--")) {
      if (!a.includes("=") && ["--timeout", "--header", "--user-agent", "--tries"].includes(a)) i++
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j]!
        if (f === "q") quiet = true
        else if (f === "O" || f === "T" || f === "U" || f === "Y" || f === "P" || f === "t") {
          const value = j + 1 < a.length ? a.slice(j + 1) : (args[++i] ?? "")
          if (f === "O") output = value
          break
        }
      }
    } else urlText = a
  }
  const url = urlText === undefined ? undefined : parseUrl(urlText)
  if (url === undefined) return fsFail(io, "wget: bad address ''")
  return Effect.gen(function* () {
    const r = yield* fetch(host, url)
    if (r._tag === "BadAddress") {
      println(io.err, `wget: bad address '${url.host}'`)
      return 1
    }
    if (!quiet)
      println(io.err, `Connecting to ${url.host}${url.port === 80 ? "" : `:${url.port}`} (${r.ip}:${url.port})`)
    if (r._tag === "Refused") {
      println(io.err, `wget: can't connect to remote host (${r.ip}): Connection refused`)
      return 1
    }
    const { status, body } = r.response
    if (status >= 400) {
      println(io.err, `wget: server returned error: HTTP/1.1 ${status} ${reasons[status] ?? ""}`.trimEnd())
      return 8
    }
    if (spider) {
      if (!quiet) println(io.err, "remote file exists")
      return 0
    }
    if (output === "-") {
      if (!quiet) println(io.err, "writing to stdout")
      io.out.write(body)
      if (!quiet) println(io.err, "written to stdout")
      return 0
    }
    const file = output ?? (url.path.endsWith("/") ? "index.html" : baseName(url.path.split("?")[0]!))
    if (!quiet) println(io.err, `saving to '${file}'`)
    const error = host.ctx.fs.writeFile(resolvePath(host.cwd, file), body, false)
    if (error !== undefined) {
      println(io.err, `wget: can't open '${file}': ${fsErrorMessage[error]}`)
      return 1
    }
    if (!quiet) println(io.err, `'${file}' saved`)
    return 0
  })
}

const curlValueFlags = new Set([
  "o",
  "w",
  "m",
  "X",
  "H",
  "d",
  "u",
  "A",
  "e",
  "T",
  "x",
  "b",
  "c",
  "r",
  "E",
  "F",
  "K",
  "Y",
  "y",
  "z"
])
const curlLongValue = new Set([
  "--output",
  "--write-out",
  "--max-time",
  "--connect-timeout",
  "--request",
  "--header",
  "--data",
  "--data-raw",
  "--data-binary",
  "--user",
  "--user-agent",
  "--retry",
  "--retry-delay",
  "--retry-max-time",
  "--cacert",
  "--resolve"
])

const curl: Builtin = (argv, io, host) => {
  let silent = false
  let showError = false
  let fail = false
  let head = false
  let include = false
  let output: string | undefined
  let writeOut: string | undefined
  let urlText: string | undefined
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith("--")) {
      const [name, inline] = a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined]
      const value = curlLongValue.has(name!) ? (inline ?? argv[++i] ?? "") : undefined
      if (name === "--silent") silent = true
      else if (name === "--show-error") showError = true
      else if (name === "--fail" || name === "--fail-with-body") fail = true
      else if (name === "--head") head = true
      else if (name === "--include") include = true
      else if (name === "--output") output = value
      else if (name === "--write-out") writeOut = value
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j]!
        if (curlValueFlags.has(f)) {
          const value = j + 1 < a.length ? a.slice(j + 1) : (argv[++i] ?? "")
          if (f === "o") output = value
          if (f === "w") writeOut = value
          break
        }
        if (f === "s") silent = true
        else if (f === "S") showError = true
        else if (f === "f") fail = true
        else if (f === "I") head = true
        else if (f === "i") include = true
      }
    } else urlText = a
  }
  const report = (code: number, message: string): number => {
    if (!silent || showError) println(io.err, `curl: (${code}) ${message}`)
    return code
  }
  if (urlText === undefined) return report(2, "no URL specified")
  const url = parseUrl(urlText)
  if (url === undefined) return report(3, "URL rejected: Malformed input to a URL function")
  return Effect.gen(function* () {
    const r = yield* fetch(host, url)
    if (r._tag === "BadAddress") return report(6, `Could not resolve host: ${url.host}`)
    if (r._tag === "Refused") {
      if (writeOut !== undefined) io.out.write(writeOut.replace(/%\{http_code\}/g, "000").replace(/\\n/g, "\n"))
      return report(7, `Failed to connect to ${url.host} port ${url.port} after 0 ms: Couldn't connect to server`)
    }
    const { status, body } = r.response
    if (fail && status >= 400) {
      if (writeOut !== undefined)
        io.out.write(writeOut.replace(/%\{http_code\}/g, String(status)).replace(/\\n/g, "\n"))
      return report(22, `The requested URL returned error: ${status}`)
    }
    const headers = `HTTP/1.1 ${status} ${reasons[status] ?? ""}\r\nContent-Length: ${body.length}\r\n\r\n`
    const payload = head ? headers : include ? headers + body : body
    if (output !== undefined && output !== "-") {
      if (output !== "/dev/null") host.ctx.fs.writeFile(resolvePath(host.cwd, output), payload, false)
    } else io.out.write(payload)
    if (writeOut !== undefined) io.out.write(writeOut.replace(/%\{http_code\}/g, String(status)).replace(/\\n/g, "\n"))
    return 0
  })
}

// ---------------------------------------------------------------------------------------------
// memory

const sizeUnits: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** stress(1) sizes: `256M`, `1G`, `512k`, bytes (powers of 1024); undefined if invalid. */
export const parseStressBytes = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)([bkmgBKMG]?)$/.exec(text)
  if (m === null) return undefined
  return Math.floor(Number(m[1]) * sizeUnits[m[2]!.toLowerCase()]!)
}

const stressTimeUnits: Readonly<Record<string, number>> = { "": 1, s: 1, m: 60, h: 3600, d: 86400, y: 31536000 }

/**
 * `stress --vm N --vm-bytes SIZE [--vm-hang S] [--timeout T]`: allocates N×SIZE through the
 * memory facade and holds it (until `--timeout`, then exits 0). `--cpu`/`--io`/`--hdd` workers
 * only take time.
 */
const stress: Builtin = (argv, io, host) => {
  let vm = 0
  let cpu = 0
  let ioWorkers = 0
  let hdd = 0
  let bytes = 256 * 1024 ** 2
  let timeout: number | undefined
  const long: Readonly<Record<string, string>> = {
    "-m": "--vm",
    "-c": "--cpu",
    "-i": "--io",
    "-d": "--hdd",
    "-t": "--timeout"
  }
  for (let i = 1; i < argv.length; i++) {
    const a = long[argv[i]!] ?? argv[i]!
    const value = argv[i + 1]
    const count = Number(value)
    switch (a) {
      case "--vm":
        vm = count
        i++
        break
      case "--cpu":
        cpu = count
        i++
        break
      case "--io":
        ioWorkers = count
        i++
        break
      case "--hdd":
        hdd = count
        i++
        break
      case "--vm-bytes": {
        const b = parseStressBytes(value ?? "")
        if (b === undefined) return fsFail(io, `stress: FAIL: [${host.pid}] (244) invalid number: ${value}`)
        bytes = b
        i++
        break
      }
      case "--timeout": {
        const m = /^(\d+)([smhdy]?)$/.exec(value ?? "")
        if (m === null) return fsFail(io, `stress: FAIL: [${host.pid}] (244) invalid time: ${value}`)
        timeout = Number(m[1]) * stressTimeUnits[m[2]!]!
        i++
        break
      }
      case "--vm-hang":
      case "--vm-stride":
      case "--hdd-bytes":
      case "--backoff":
        i++
        break
      case "-v":
      case "--verbose":
      case "-q":
      case "--quiet":
      case "-n":
      case "--dry-run":
      case "--vm-keep":
        break
      default:
        return fsFail(io, `stress: FAIL: [${host.pid}] (244) unrecognized option: ${argv[i]}`)
    }
    if (a !== argv[i - 1] && Number.isNaN(count) && ["--vm", "--cpu", "--io", "--hdd"].includes(a)) {
      return fsFail(io, `stress: FAIL: [${host.pid}] (244) invalid number: ${value}`)
    }
  }
  println(io.out, `stress: info: [${host.pid}] dispatching hogs: ${cpu} cpu, ${ioWorkers} io, ${vm} vm, ${hdd} hdd`)
  const total = vm * bytes
  const hold = timeout === undefined ? Effect.never : Effect.sleep(timeout * 1000)
  return Effect.gen(function* () {
    yield* io.out.flush
    if (total > 0) {
      yield* host.ctx.memory.allocate(total)
      yield* Effect.ensuring(hold, host.ctx.memory.release(total))
    } else yield* hold
    println(io.out, `stress: info: [${host.pid}] successful run completed in ${timeout ?? 0}s`)
    return 0
  })
}

// ---------------------------------------------------------------------------------------------
// process control

const timeoutCmd: Builtin = (argv, io, host) => {
  let i = 1
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "-s" || a === "-k") i++
    else if (!a.startsWith("-") || /^-\d/.test(a)) break
  }
  const seconds = parseDuration(argv[i] ?? "")
  if (seconds === undefined || i + 1 >= argv.length)
    return fsFail(io, "timeout: usage: timeout [-s SIG] SECS PROG ARGS")
  return Effect.map(
    Effect.timeoutOption(
      Effect.suspend(() => host.exec(argv.slice(i + 1), io, [])),
      Math.round(seconds * 1000)
    ),
    (r) => (r._tag === "Some" ? r.value : 143)
  )
}

const nohup: Builtin = (argv, io, host) => host.exec(argv.slice(1), io, [])

const yes: Builtin = (argv, io) =>
  Effect.gen(function* () {
    const text = `${argv.length > 1 ? argv.slice(1).join(" ") : "y"}\n`
    for (;;) {
      for (let i = 0; i < 100; i++) io.out.write(text)
      yield* io.out.flush
      yield* Effect.yieldNow
    }
  })

const constant =
  (status: number): Builtin =>
  () =>
    status

/** The utilities by name (argv[0] is looked up by its base name, so `/bin/sleep` works). */
export const builtins: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["true", constant(0)],
  ["false", constant(1)],
  [":", constant(0)],
  ["sleep", sleep],
  [
    "usleep",
    (argv, io) =>
      argv[1] === undefined ? fsFail(io, "usleep: missing operand") : Effect.as(Effect.sleep(Number(argv[1]) / 1000), 0)
  ],
  ["echo", echo],
  ["printf", printf],
  ["cat", cat],
  ["tee", tee],
  ["head", headTail("head")],
  ["tail", headTail("tail")],
  ["wc", wc],
  ["grep", grep],
  ["egrep", (argv, io, host) => grep(["grep", "-E", ...argv.slice(1)], io, host)],
  ["fgrep", (argv, io, host) => grep(["grep", "-F", ...argv.slice(1)], io, host)],
  ["seq", seq],
  ["sort", sort],
  ["uniq", uniq],
  ["tr", tr],
  ["cut", cut],
  ["basename", basename],
  ["dirname", dirname],
  ["expr", expr],
  ["test", test],
  ["[", bracket],
  ["touch", touch],
  ["rm", rm],
  ["rmdir", rmdir],
  ["mkdir", mkdir],
  ["cp", cpMv("cp")],
  ["mv", cpMv("mv")],
  ["chmod", chmodLike("chmod")],
  ["chown", chmodLike("chown")],
  ["chgrp", chmodLike("chgrp")],
  ["ls", ls],
  ["sync", constant(0)],
  ["hostname", hostname],
  ["env", env],
  ["printenv", printenv],
  ["date", date],
  ["id", id],
  ["whoami", whoami],
  ["uname", uname],
  ["nslookup", nslookup],
  ["dig", dig],
  ["host", hostCmd],
  ["getent", getent],
  ["ping", ping],
  ["nc", nc],
  ["netcat", nc],
  ["httpd", httpd],
  ["python3", python],
  ["python", python],
  ["wget", wget],
  ["curl", curl],
  ["stress", stress],
  ["timeout", timeoutCmd],
  ["nohup", nohup],
  ["yes", yes]
])

/** Whether a plain argv names a simulated utility (python only as `python3 -m http.server`). */
export const isBuiltinArgv = (argv: ReadonlyArray<string>): boolean => {
  const name = argv[0] === undefined ? undefined : baseName(argv[0])
  if (name === undefined || !builtins.has(name)) return false
  if (name === "python" || name === "python3") return argv[1] === "-m" && argv[2] === "http.server"
  return true
}
