/**
 * Runs parsed shell scripts on the virtual clock. A script is a process: it writes lines to the
 * context's sinks, sleeps with `Effect.sleep`, and handles signals like a shell that is PID 1
 * (SIGTERM is ignored unless trapped; a trap runs when the current foreground command ends, or at
 * once during `wait`). SIGKILL is the runtime interrupting the fiber. `runArgv` runs a container
 * argv that is a shell invocation or a simulated utility; `canRunArgv` tells the runtime which
 * argvs those are (anything else it treats as a long-running server).
 */
import { Effect, Exit, Fiber } from "effect"
import { evaluateArithmetic } from "./Arithmetic.js"
import {
  type BuiltinHost,
  builtins,
  CaptureSink,
  type CommandIO,
  emptyStdin,
  evaluateTest,
  fileSink,
  globMatch,
  globSource,
  isBuiltinArgv,
  LineSink,
  nullSink,
  type OutputSink,
  readFileAt
} from "./Builtins.js"
import { type ProcessContext, parseSignal, type SignalName, signalNumbers } from "./Process.js"
import {
  type AndOr,
  type Command,
  type FunctionDef,
  GLOB_PATTERN,
  type List,
  literalWord,
  type Pipeline,
  parseScript,
  type Redirect,
  type Script,
  type SimpleCommand,
  type Word,
  type WordPart
} from "./Shell.js"
import { baseName, fsErrorMessage, isFsError, resolvePath, type VirtualFs } from "./VirtualFs.js"

enum Flow {
  None = 0,
  Break = 1,
  Continue = 2,
  Return = 3,
  Exit = 4
}

interface Job {
  readonly fiber: Fiber.Fiber<number>
  /** exit status when killed with `kill` */
  killed: number | undefined
}

const shellNames = new Set(["sh", "bash", "ash", "dash", "zsh"])
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** One shell process (or subshell): variables, options, traps, jobs and control flow. */
class Shell implements BuiltinHost {
  vars: Map<string, string> = new Map()
  exported: Set<string> = new Set()
  positional: Array<string> = []
  arg0 = "sh"
  status = 0
  exitCode = 0
  flow: Flow = Flow.None
  flowCount = 0
  condDepth = 0
  loopDepth = 0
  funcDepth = 0
  inTrap = false
  errexit = false
  nounset = false
  xtrace = false
  pipefail = false
  cwd: string
  functions: Map<string, Command> = new Map()
  traps: Map<string, string> = new Map()
  jobs: Map<number, Job> = new Map()
  lastJob: number | undefined = undefined
  locals: Array<Map<string, string | undefined>> = []
  lastSubStatus: number | undefined = undefined
  random: number

  constructor(
    readonly ctx: ProcessContext,
    readonly counter: { next: number },
    /** the container's main shell: the one signals are delivered to */
    readonly main: boolean,
    readonly pid: number,
    cwd: string
  ) {
    this.cwd = cwd
    this.random = pid
  }

  getVar(name: string): string | undefined {
    return this.vars.get(name)
  }

  environment(): ReadonlyArray<readonly [string, string]> {
    const out: Array<readonly [string, string]> = []
    for (const name of this.exported) {
      const v = this.vars.get(name)
      if (v !== undefined) out.push([name, v])
    }
    return out
  }

  exec(
    argv: ReadonlyArray<string>,
    io: CommandIO,
    env: ReadonlyArray<readonly [string, string]>
  ): Effect.Effect<number> {
    return withTempEnv(
      this,
      env,
      Effect.suspend(() => runUtility(argv, this, io))
    )
  }

  setVar(name: string, value: string): void {
    this.vars.set(name, value)
  }

  /** A subshell: a copy of the state, sharing the process's context. */
  fork(): Shell {
    const c = new Shell(this.ctx, this.counter, false, this.pid, this.cwd)
    c.vars = new Map(this.vars)
    c.exported = new Set(this.exported)
    c.positional = this.positional.slice()
    c.arg0 = this.arg0
    c.status = this.status
    c.errexit = this.errexit
    c.nounset = this.nounset
    c.xtrace = this.xtrace
    c.pipefail = this.pipefail
    c.functions = new Map(this.functions)
    for (const [sig, action] of this.traps) if (action === "") c.traps.set(sig, "")
    c.lastJob = this.lastJob
    return c
  }

  /** A new shell process (`sh -c` run by a script), inheriting the exported environment. */
  child(): Shell {
    const c = new Shell(this.ctx, this.counter, false, this.counter.next++, this.cwd)
    for (const [k, v] of this.environment()) {
      c.vars.set(k, v)
      c.exported.add(k)
    }
    return c
  }

  param(name: string): string | undefined {
    const v = this.vars.get(name)
    if (v !== undefined) return v
    switch (name) {
      case "?":
        return String(this.status)
      case "$":
        return String(this.pid)
      case "!":
        return this.lastJob === undefined ? "" : String(this.lastJob)
      case "#":
        return String(this.positional.length)
      case "@":
      case "*":
        return this.positional.join(" ")
      case "0":
        return this.arg0
      case "-":
        return (this.errexit ? "e" : "") + (this.nounset ? "u" : "") + (this.xtrace ? "x" : "")
      case "RANDOM":
        // deterministic per process, like a seeded rand(): the simulation must be reproducible
        this.random = (Math.imul(this.random, 1103515245) + 12345) >>> 0
        return String((this.random >>> 16) & 32767)
      case "PPID":
        return "0"
    }
    const c = name.charCodeAt(0)
    if (c >= 48 && c <= 57) return this.positional[Number(name) - 1]
    return undefined
  }

  readonly arith = {
    get: (name: string) => this.param(name),
    set: (name: string, value: string) => this.setVar(name, value)
  }

  fail(io: CommandIO, message: string, status: number): void {
    io.err.write(`${message}\n`)
    this.flow = Flow.Exit
    this.exitCode = status
    this.status = status
  }
}

const withTempEnv = (sh: Shell, env: ReadonlyArray<readonly [string, string]>, effect: Effect.Effect<number>) => {
  if (env.length === 0) return effect
  return Effect.suspend(() => {
    const saved = env.map(([k]) => [k, sh.vars.get(k), sh.exported.has(k)] as const)
    for (const [k, v] of env) {
      sh.vars.set(k, v)
      sh.exported.add(k)
    }
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        for (const [k, v, wasExported] of saved) {
          if (v === undefined) sh.vars.delete(k)
          else sh.vars.set(k, v)
          if (!wasExported) sh.exported.delete(k)
        }
      })
    )
  })
}

// ---------------------------------------------------------------------------------------------
// expansion

const IFS_DEFAULT = " \t\n"

/** Accumulates the fields of one word (field splitting and pathname expansion). */
class Fields {
  cur = ""
  has = false
  pat = ""
  patGlob = false

  constructor(
    readonly out: Array<string>,
    readonly glob: boolean,
    readonly sh: Shell
  ) {}

  quoted(text: string): void {
    this.cur += text
    this.has = true
    if (this.glob) this.pat += text.replace(/[*?[\]\\]/g, "\\$&")
  }

  literal(text: string): void {
    this.cur += text
    this.has = true
    if (this.glob) {
      this.pat += text
      if (GLOB_PATTERN.test(text)) this.patGlob = true
    }
  }

  split(text: string): void {
    const ifs = this.sh.vars.get("IFS") ?? IFS_DEFAULT
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      if (!ifs.includes(c)) {
        this.cur += c
        this.has = true
        if (this.glob) {
          this.pat += c
          if (c === "*" || c === "?" || c === "[") this.patGlob = true
        }
        continue
      }
      if (c === " " || c === "\t" || c === "\n") {
        if (this.has) this.end()
      } else this.end(true)
    }
  }

  end(force = false): void {
    if (!this.has && !force) return
    if (this.glob && this.patGlob) {
      const matches = globFs(this.pat, this.sh)
      if (matches.length > 0) for (const m of matches) this.out.push(m)
      else this.out.push(this.cur)
    } else this.out.push(this.cur)
    this.cur = ""
    this.pat = ""
    this.has = false
    this.patGlob = false
  }
}

/** Pathname expansion against the virtual filesystem; sorted matches (empty if none). */
const globFs = (pattern: string, sh: Shell): Array<string> => {
  const fs = sh.ctx.fs
  const absolute = pattern.startsWith("/")
  const segments = pattern.split("/").filter((s) => s !== "")
  let candidates: Array<{ path: string; shown: string }> = [
    { path: absolute ? "/" : sh.cwd, shown: absolute ? "" : "." }
  ]
  const join = (a: string, b: string) => (a === "/" ? `/${b}` : `${a}/${b}`)
  const show = (shown: string, name: string) => (shown === "." ? name : `${shown}/${name}`)
  for (const segment of segments) {
    const next: Array<{ path: string; shown: string }> = []
    if (/(^|[^\\])[*?[]/.test(segment)) {
      const re = new RegExp(`^${globSource(segment, false)}$`)
      for (const c of candidates) {
        const names = fs.list(c.path)
        if (isFsError(names)) continue
        for (const name of names) {
          if (name.startsWith(".") && !segment.startsWith(".")) continue
          if (re.test(name)) next.push({ path: join(c.path, name), shown: show(c.shown, name) })
        }
      }
    } else {
      const name = segment.replace(/\\(.)/g, "$1")
      for (const c of candidates) {
        const path = join(c.path, name)
        if (fs.exists(path)) next.push({ path, shown: show(c.shown, name) })
      }
    }
    candidates = next
  }
  return candidates.map((c) => (absolute ? `/${c.shown.replace(/^\//, "")}` : c.shown)).sort()
}

type Subs = Map<WordPart, string>

type CmdSubPart = WordPart & { _tag: "CmdSub" }

const collectSubs = (word: Word, out: Array<CmdSubPart>): void => {
  for (const part of word.parts) {
    if (part._tag === "CmdSub") out.push(part)
    else if (part._tag === "Param" && part.arg?.hasCmdSub) collectSubs(part.arg, out)
    else if (part._tag === "Arith" && part.expr.hasCmdSub) collectSubs(part.expr, out)
  }
}

/** Runs command substitutions (in order); their outputs by part. */
const runSubParts = Effect.fnUntraced(function* (parts: ReadonlyArray<CmdSubPart>, sh: Shell, io: CommandIO) {
  const subs: Subs = new Map()
  for (const part of parts) {
    const child = sh.fork()
    const capture = new CaptureSink()
    const status = yield* execList(part.body, child, { stdin: io.stdin, out: capture, err: io.err })
    sh.lastSubStatus = child.flow === Flow.Exit ? child.exitCode : status
    subs.set(part, capture.text.replace(/\n+$/, ""))
  }
  return subs
})

const runSubs = (word: Word, sh: Shell, io: CommandIO): Effect.Effect<Subs> => {
  const parts: Array<CmdSubPart> = []
  collectSubs(word, parts)
  return runSubParts(parts, sh, io)
}

const removePattern = (value: string, pattern: string, op: "%" | "%%" | "#" | "##"): string => {
  const re = new RegExp(`^(?:${globSource(pattern)})$`)
  if (op === "#") {
    for (let i = 0; i <= value.length; i++) if (re.test(value.slice(0, i))) return value.slice(i)
  } else if (op === "##") {
    for (let i = value.length; i >= 0; i--) if (re.test(value.slice(0, i))) return value.slice(i)
  } else if (op === "%") {
    for (let i = value.length; i >= 0; i--) if (re.test(value.slice(i))) return value.slice(0, i)
  } else {
    for (let i = 0; i <= value.length; i++) if (re.test(value.slice(i))) return value.slice(0, i)
  }
  return value
}

/** The value of a parameter expansion; undefined after an error (the shell is then exiting). */
const paramValue = (
  part: WordPart & { _tag: "Param" },
  sh: Shell,
  subs: Subs | undefined,
  io: CommandIO
): string | undefined => {
  const v = sh.param(part.name)
  const arg = () => (part.arg === undefined ? "" : expandString(part.arg, sh, subs, io))
  const unsetOrNull = v === undefined || v === ""
  switch (part.op) {
    case "":
      if (v === undefined && sh.nounset && !"@*#?$!-0".includes(part.name)) {
        sh.fail(io, `sh: ${part.name}: parameter not set`, 2)
        return undefined
      }
      return v ?? ""
    case "length":
      return String((v ?? "").length)
    case ":-":
      return unsetOrNull ? arg() : v
    case "-":
      return v === undefined ? arg() : v
    case ":=":
    case "=": {
      if (part.op === ":=" ? !unsetOrNull : v !== undefined) return v
      const value = arg()
      sh.setVar(part.name, value)
      return value
    }
    case ":+":
      return unsetOrNull ? "" : arg()
    case "+":
      return v === undefined ? "" : arg()
    case ":?":
    case "?": {
      if (part.op === ":?" ? !unsetOrNull : v !== undefined) return v
      const message = arg()
      sh.fail(
        io,
        `sh: ${part.name}: ${message || (part.op === ":?" ? "parameter null or not set" : "parameter not set")}`,
        2
      )
      return undefined
    }
    default:
      return removePattern(v ?? "", arg(), part.op)
  }
}

const arithValue = (word: Word, sh: Shell, subs: Subs | undefined, io: CommandIO): string | undefined => {
  const r = evaluateArithmetic(expandString(word, sh, subs, io), sh.arith)
  if (typeof r === "number") return String(r)
  sh.fail(io, r.message, 2)
  return undefined
}

/** Expands a word to one string: no field splitting, no pathname expansion. */
const expandString = (word: Word, sh: Shell, subs: Subs | undefined, io: CommandIO): string => {
  if (word.literal !== undefined) return word.literal
  let out = ""
  for (const part of word.parts) {
    switch (part._tag) {
      case "Lit":
        out += part.value
        break
      case "Param":
        out += paramValue(part, sh, subs, io) ?? ""
        break
      case "CmdSub":
        out += subs?.get(part) ?? ""
        break
      case "Arith":
        out += arithValue(part.expr, sh, subs, io) ?? ""
        break
    }
  }
  return out
}

const expandFields = (word: Word, sh: Shell, subs: Subs | undefined, io: CommandIO, out: Array<string>): void => {
  const f = new Fields(out, word.glob, sh)
  for (const part of word.parts) {
    switch (part._tag) {
      case "Lit":
        if (part.quoted) f.quoted(part.value)
        else f.literal(part.value)
        break
      case "Param": {
        if (part.op === "" && (part.name === "@" || (part.name === "*" && !part.quoted))) {
          const ps = sh.positional
          for (let i = 0; i < ps.length; i++) {
            if (i > 0) f.end(part.quoted)
            if (part.quoted) f.quoted(ps[i]!)
            else f.split(ps[i]!)
          }
          break
        }
        const v = paramValue(part, sh, subs, io)
        if (v === undefined) return
        if (part.quoted) f.quoted(v)
        else f.split(v)
        break
      }
      case "CmdSub": {
        const v = subs?.get(part) ?? ""
        if (part.quoted) f.quoted(v)
        else f.split(v)
        break
      }
      case "Arith": {
        const v = arithValue(part.expr, sh, subs, io)
        if (v === undefined) return
        if (part.quoted) f.quoted(v)
        else f.split(v)
        break
      }
    }
  }
  f.end()
}

const literalCache = new WeakMap<ReadonlyArray<Word>, ReadonlyArray<string> | null>()

const literalFields = (words: ReadonlyArray<Word>): ReadonlyArray<string> | null => {
  let cached = literalCache.get(words)
  if (cached === undefined) {
    cached = words.every((w) => w.literal !== undefined) ? words.map((w) => w.literal!) : null
    literalCache.set(words, cached)
  }
  return cached
}

/** Expands words to fields (argv). */
const expandWords = Effect.fnUntraced(function* (words: ReadonlyArray<Word>, sh: Shell, io: CommandIO) {
  const out: Array<string> = []
  for (const word of words) {
    if (word.literal !== undefined) {
      out.push(word.literal)
      continue
    }
    const subs = word.hasCmdSub ? yield* runSubs(word, sh, io) : undefined
    expandFields(word, sh, subs, io, out)
    if (sh.flow !== Flow.None) break
  }
  return out as ReadonlyArray<string>
})

/** `expandWords` for words without command substitutions. */
const expandWordsSync = (
  words: ReadonlyArray<Word>,
  sh: Shell,
  io: CommandIO,
  subs?: Subs | undefined
): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const word of words) {
    if (word.literal !== undefined) out.push(word.literal)
    else expandFields(word, sh, subs, io, out)
    if (sh.flow !== Flow.None) break
  }
  return out
}

const expandOne = Effect.fnUntraced(function* (word: Word, sh: Shell, io: CommandIO) {
  if (word.literal !== undefined) return word.literal
  const subs = word.hasCmdSub ? yield* runSubs(word, sh, io) : undefined
  return expandString(word, sh, subs, io)
})

// ---------------------------------------------------------------------------------------------
// redirections

const openSink = (
  target: string,
  append: boolean,
  sh: Shell,
  io: CommandIO,
  current: { out: OutputSink; err: OutputSink }
): OutputSink | string => {
  switch (target) {
    case "/dev/null":
      return nullSink
    case "/dev/stdout":
    case "/proc/self/fd/1":
      return current.out
    case "/dev/stderr":
    case "/proc/self/fd/2":
      return current.err
    case "/proc/1/fd/1":
      return io.out
    case "/proc/1/fd/2":
      return io.err
  }
  const path = resolvePath(sh.cwd, target)
  const error = sh.ctx.fs.writeFile(path, "", append)
  if (error === undefined) return fileSink(sh.ctx, path)
  return `sh: can't create ${target}: ${error === "ENOENT" ? "nonexistent directory" : fsErrorMessage[error]}`
}

/** Applies redirections; the new I/O, or an exit status after printing the error. */
const applyRedirects = (
  redirects: ReadonlyArray<Redirect>,
  sh: Shell,
  io: CommandIO,
  subs: Subs | undefined
): CommandIO | number => {
  let stdin = io.stdin
  const sinks = { out: io.out, err: io.err }
  for (const r of redirects) {
    const target = expandString(r.target, sh, subs, io)
    if (sh.flow !== Flow.None) return 1
    switch (r.op) {
      case "<<":
        stdin = { text: target, pos: 0 }
        break
      case "<<<":
        stdin = { text: `${target}\n`, pos: 0 }
        break
      case "<":
      case "<>": {
        const text = readFileAt(sh, target)
        if (isFsError(text)) {
          io.err.write(`sh: can't open '${target}': ${fsErrorMessage[text]}\n`)
          return 1
        }
        if (r.fd === 0) stdin = { text, pos: 0 }
        break
      }
      case "<&":
        break
      case ">&": {
        if (/^\d+$/.test(target) || target === "-") {
          const source = target === "1" ? sinks.out : target === "2" ? sinks.err : nullSink
          if (r.fd === 1) sinks.out = source
          else if (r.fd === 2) sinks.err = source
          break
        }
        const sink = openSink(target, false, sh, io, sinks)
        if (typeof sink === "string") {
          io.err.write(`${sink}\n`)
          return 1
        }
        sinks.out = sink
        sinks.err = sink
        break
      }
      case ">":
      case ">>":
      case "&>":
      case "&>>": {
        const sink = openSink(target, r.op === ">>" || r.op === "&>>", sh, io, sinks)
        if (typeof sink === "string") {
          io.err.write(`${sink}\n`)
          return 1
        }
        if (r.op === "&>" || r.op === "&>>") {
          sinks.out = sink
          sinks.err = sink
        } else if (r.fd === 1) sinks.out = sink
        else if (r.fd === 2) sinks.err = sink
        break
      }
    }
  }
  return { stdin, out: sinks.out, err: sinks.err }
}

// ---------------------------------------------------------------------------------------------
// execution

/** Runs trap actions (or default actions) for pending signals; main shell only. */
const runTraps = Effect.fnUntraced(function* (sh: Shell, io: CommandIO) {
  const signals = sh.ctx.signals
  for (let sig = signals.take(); sig !== undefined; sig = signals.take()) {
    if (sig === "KILL") {
      sh.flow = Flow.Exit
      sh.exitCode = 137
      return
    }
    const action = sh.traps.get(sig)
    if (action === undefined) {
      if (sh.pid === 1) continue
      sh.flow = Flow.Exit
      sh.exitCode = 128 + signalNumbers[sig]
      return
    }
    if (action === "") continue
    yield* runTrapAction(action, sh, io)
    if (sh.flow === Flow.Exit) return
  }
})

const runTrapAction = Effect.fnUntraced(function* (action: string, sh: Shell, io: CommandIO) {
  const script = parseScript(action)
  if (script._tag === "ShellSyntaxError") {
    io.err.write(`${script.message}\n`)
    return
  }
  const saved = sh.status
  const wasInTrap = sh.inTrap
  sh.inTrap = true
  yield* execList(script.body, sh, io)
  sh.inTrap = wasInTrap
  if (sh.flow !== Flow.Exit) {
    sh.flow = Flow.None
    sh.status = saved
  }
})

/**
 * Runs a list: synchronously while its commands complete synchronously, continuing as an Effect
 * from the first command that waits.
 */
const runList = (list: List, sh: Shell, io: CommandIO, from: number): number | Effect.Effect<number> => {
  const items = list.items
  for (let i = from; i < items.length; i++) {
    const item = items[i]!
    const andOr = item.andOr
    const pipeline = andOr.first
    let r: number | Effect.Effect<unknown>
    if (item.background) r = startJob(andOr, sh, io)
    else if (andOr.rest.length === 0 && !pipeline.negate && pipeline.commands.length === 1) {
      // the common case, without the and-or and pipeline frames
      const cmd = pipeline.commands[0]!
      const status = cmd._tag === "Simple" ? execSimple(cmd, sh, io) : execCommand(cmd, sh, io)
      if (typeof status === "number") r = endPipeline(sh, status, false) ? runTraps(sh, io) : status
      else r = Effect.flatMap(status, (s) => (endPipeline(sh, s, false) ? runTraps(sh, io) : Effect.void))
    } else r = execAndOr(andOr, sh, io)
    if (typeof r !== "number") {
      const next = i + 1
      return Effect.flatMap(r, () =>
        sh.flow !== Flow.None ? Effect.succeed(sh.status) : listEffect(list, sh, io, next)
      )
    }
    if (sh.flow !== Flow.None) break
  }
  return sh.status
}

const listEffect = (list: List, sh: Shell, io: CommandIO, from: number): Effect.Effect<number> => {
  const r = runList(list, sh, io, from)
  return typeof r === "number" ? Effect.succeed(r) : r
}

/** Runs a list as an Effect. */
const execList = (list: List, sh: Shell, io: CommandIO): Effect.Effect<number> =>
  Effect.suspend(() => listEffect(list, sh, io, 0))

/** Records a pipeline's status and applies `set -e`; true when pending signals need their traps run. */
const endPipeline = (sh: Shell, status: number, negated: boolean): boolean => {
  if (sh.flow === Flow.None || sh.flow === Flow.Exit) sh.status = status
  if (status !== 0 && sh.errexit && sh.condDepth === 0 && !negated && sh.flow === Flow.None) {
    sh.flow = Flow.Exit
    sh.exitCode = status
  }
  return sh.main && !sh.inTrap && sh.ctx.signals.hasPending
}

const startJob = Effect.fnUntraced(function* (andOr: AndOr, sh: Shell, io: CommandIO) {
  const pid = sh.counter.next++
  const child = sh.fork()
  const jobIo: CommandIO = { stdin: emptyStdin(), out: io.out, err: io.err }
  const fiber = yield* Effect.forkChild(
    Effect.map(execAndOr(andOr, child, jobIo), (status) => (child.flow === Flow.Exit ? child.exitCode : status))
  )
  if (sh.jobs.size >= 64) {
    // forget finished jobs nobody waited for (a loop starting `cmd &` must not grow without bound)
    for (const [id, job] of sh.jobs) if (job.fiber.pollUnsafe() !== undefined) sh.jobs.delete(id)
  }
  sh.jobs.set(pid, { fiber, killed: undefined })
  sh.lastJob = pid
  sh.status = 0
})

const execAndOr = Effect.fnUntraced(function* (andOr: AndOr, sh: Shell, io: CommandIO) {
  const rest = andOr.rest
  if (rest.length === 0) return yield* execPipeline(andOr.first, sh, io)
  sh.condDepth++
  let status = yield* execPipeline(andOr.first, sh, io)
  sh.condDepth--
  for (let i = 0; i < rest.length; i++) {
    if (sh.flow !== Flow.None) break
    const { op, pipeline } = rest[i]!
    if ((op === "&&") !== (status === 0)) continue
    const last = i === rest.length - 1
    if (!last) sh.condDepth++
    status = yield* execPipeline(pipeline, sh, io)
    if (!last) sh.condDepth--
  }
  return status
})

const execPipeline = Effect.fnUntraced(function* (pipeline: Pipeline, sh: Shell, io: CommandIO) {
  const commands = pipeline.commands
  if (pipeline.negate) sh.condDepth++
  let status: number
  const single = commands.length === 1 ? commands[0]! : undefined
  if (single !== undefined) {
    const r = single._tag === "Simple" ? execSimple(single, sh, io) : execCommand(single, sh, io)
    status = typeof r === "number" ? r : yield* r
  } else {
    let stdin = io.stdin
    let failed = 0
    status = 0
    for (let i = 0; i < commands.length; i++) {
      const last = i === commands.length - 1
      const child = sh.fork()
      const capture = last ? undefined : new CaptureSink()
      const r = execCommand(commands[i]!, child, { stdin, out: capture ?? io.out, err: io.err })
      const s = typeof r === "number" ? r : yield* r
      status = child.flow === Flow.Exit ? child.exitCode : s
      if (status !== 0) failed = status
      if (capture !== undefined) stdin = { text: capture.text, pos: 0 }
    }
    if (sh.pipefail) status = failed
  }
  if (pipeline.negate) {
    sh.condDepth--
    status = status === 0 ? 1 : 0
  }
  if (endPipeline(sh, status, pipeline.negate)) yield* runTraps(sh, io)
  return status
})

const execCommand = (cmd: Command, sh: Shell, io: CommandIO): number | Effect.Effect<number> => {
  if (cmd._tag === "Simple") return execSimple(cmd, sh, io)
  if (cmd._tag === "FunctionDef") {
    sh.functions.set(cmd.name, cmd.body)
    sh.status = 0
    return 0
  }
  const parts: Array<CmdSubPart> = []
  for (const r of cmd.redirects) collectSubs(r.target, parts)
  if (parts.length === 0) return execRedirected(cmd, sh, io, undefined)
  return Effect.flatMap(runSubParts(parts, sh, io), (subs) => execRedirected(cmd, sh, io, subs))
}

const execRedirected = (
  cmd: Exclude<Command, SimpleCommand | FunctionDef>,
  sh: Shell,
  io: CommandIO,
  subs: Subs | undefined
): Effect.Effect<number> => {
  let cio = io
  if (cmd.redirects.length > 0) {
    const r = applyRedirects(cmd.redirects, sh, io, subs)
    if (typeof r === "number") {
      sh.status = r
      return Effect.succeed(r)
    }
    cio = r
  }
  return Effect.map(execCompound(cmd, sh, cio), (status) => {
    sh.status = status
    return status
  })
}

/** After a loop body: whether to leave the loop (consuming break/continue counts). */
const leaveLoop = (sh: Shell): boolean => {
  if (sh.flow === Flow.None) return false
  if (sh.flow === Flow.Break) {
    if (--sh.flowCount <= 0) sh.flow = Flow.None
    return true
  }
  if (sh.flow === Flow.Continue) {
    if (--sh.flowCount <= 0) {
      sh.flow = Flow.None
      return false
    }
    return true
  }
  return true
}

const execCompound = Effect.fnUntraced(function* (
  cmd: Exclude<Command, SimpleCommand | { _tag: "FunctionDef" }>,
  sh: Shell,
  io: CommandIO
) {
  switch (cmd._tag) {
    case "If": {
      for (const clause of cmd.clauses) {
        sh.condDepth++
        let c = runList(clause.cond, sh, io, 0)
        if (typeof c !== "number") c = yield* c
        sh.condDepth--
        if (sh.flow !== Flow.None) return sh.status
        if (c === 0) return yield* listEffect(clause.body, sh, io, 0)
      }
      return cmd.elseBody === undefined ? 0 : yield* listEffect(cmd.elseBody, sh, io, 0)
    }
    case "While": {
      let status = 0
      sh.loopDepth++
      for (;;) {
        sh.condDepth++
        let c = runList(cmd.cond, sh, io, 0)
        if (typeof c !== "number") c = yield* c
        sh.condDepth--
        if (leaveLoop(sh)) break
        if ((c === 0) === cmd.until) break
        const b = runList(cmd.body, sh, io, 0)
        status = typeof b === "number" ? b : yield* b
        if (leaveLoop(sh)) break
      }
      sh.loopDepth--
      return status
    }
    case "For": {
      const values =
        cmd.words === undefined
          ? sh.positional.slice()
          : (literalFields(cmd.words) ?? (yield* expandWords(cmd.words, sh, io)))
      if (sh.flow !== Flow.None) return sh.status
      let status = 0
      sh.loopDepth++
      for (const value of values) {
        sh.setVar(cmd.name, value)
        const b = runList(cmd.body, sh, io, 0)
        status = typeof b === "number" ? b : yield* b
        if (leaveLoop(sh)) break
      }
      sh.loopDepth--
      return status
    }
    case "Case": {
      const subject = yield* expandOne(cmd.subject, sh, io)
      for (const item of cmd.items) {
        for (const pattern of item.patterns) {
          const p = yield* expandOne(pattern, sh, io)
          if (globMatch(p, subject)) return item.body.items.length === 0 ? 0 : yield* execList(item.body, sh, io)
        }
      }
      return 0
    }
    case "Group":
      return yield* listEffect(cmd.body, sh, io, 0)
    case "Subshell": {
      const child = sh.fork()
      const status = yield* listEffect(cmd.body, child, io, 0)
      return child.flow === Flow.Exit ? child.exitCode : status
    }
    case "ArithCmd": {
      const text = yield* expandOne(cmd.expr, sh, io)
      const r = evaluateArithmetic(text, sh.arith)
      if (typeof r !== "number") {
        io.err.write(`${r.message}\n`)
        return 1
      }
      return r === 0 ? 1 : 0
    }
    case "Cond": {
      const args: Array<string> = []
      for (const w of cmd.words) args.push(yield* expandOne(w, sh, io))
      return evaluateTest(args, sh, io, true)
    }
  }
})

const simpleSubParts = new WeakMap<SimpleCommand, ReadonlyArray<CmdSubPart>>()

/** A simple command's command substitutions (words, then redirections, then assignments). */
const subPartsOf = (cmd: SimpleCommand): ReadonlyArray<CmdSubPart> => {
  let parts = simpleSubParts.get(cmd)
  if (parts === undefined) {
    const out: Array<CmdSubPart> = []
    for (const w of cmd.words) collectSubs(w, out)
    for (const r of cmd.redirects) collectSubs(r.target, out)
    for (const a of cmd.assigns) collectSubs(a.value, out)
    parts = out
    simpleSubParts.set(cmd, parts)
  }
  return parts
}

/**
 * Runs a simple command: synchronously (a number) when it has no command substitution, a
 * synchronous utility and no output to flush; otherwise as an Effect.
 */
const execSimple = (cmd: SimpleCommand, sh: Shell, io: CommandIO): number | Effect.Effect<number> => {
  const parts = subPartsOf(cmd)
  if (parts.length === 0) {
    sh.lastSubStatus = undefined
    return simpleWith(cmd, sh, io, undefined)
  }
  return Effect.suspend(() => {
    sh.lastSubStatus = undefined
    return Effect.flatMap(runSubParts(parts, sh, io), (subs) => {
      const r = simpleWith(cmd, sh, io, subs)
      return typeof r === "number" ? Effect.succeed(r) : r
    })
  })
}

const simpleWith = (
  cmd: SimpleCommand,
  sh: Shell,
  io: CommandIO,
  subs: Subs | undefined
): number | Effect.Effect<number> => {
  const argv = literalFields(cmd.words) ?? expandWordsSync(cmd.words, sh, io, subs)
  if (sh.flow !== Flow.None) return sh.status
  let cio = io
  if (cmd.redirects.length > 0) {
    const r = applyRedirects(cmd.redirects, sh, io, subs)
    if (typeof r === "number") {
      sh.status = r
      return r
    }
    cio = r
  }
  if (argv.length === 0) {
    for (const a of cmd.assigns) {
      const value = expandString(a.value, sh, subs, io)
      if (sh.flow !== Flow.None) return sh.status
      sh.setVar(a.name, value)
    }
    const status = sh.lastSubStatus ?? 0
    sh.status = status
    return status
  }
  if (sh.xtrace) cio.err.write(`+ ${argv.join(" ")}\n`)
  let r: number | Effect.Effect<number>
  if (cmd.assigns.length > 0) {
    const env: Array<readonly [string, string]> = []
    for (const a of cmd.assigns) env.push([a.name, expandString(a.value, sh, subs, io)])
    r = withTempEnv(
      sh,
      env,
      Effect.suspend(() => {
        const d = dispatch(argv, sh, cio)
        return typeof d === "number" ? Effect.succeed(d) : d
      })
    )
  } else r = dispatch(argv, sh, cio)
  if (typeof r === "number") {
    if (sh.flow === Flow.None) sh.status = r
    return cio.out.dirty || cio.err.dirty ? Effect.as(flushBoth(cio), r) : r
  }
  return Effect.flatMap(r, (status) => {
    if (sh.flow === Flow.None) sh.status = status
    return cio.out.dirty || cio.err.dirty ? Effect.as(flushBoth(cio), status) : Effect.succeed(status)
  })
}

const flushBoth = (io: CommandIO): Effect.Effect<void> =>
  io.err.dirty ? (io.out.dirty ? Effect.andThen(io.out.flush, io.err.flush) : io.err.flush) : io.out.flush

const dispatch = (argv: ReadonlyArray<string>, sh: Shell, io: CommandIO): number | Effect.Effect<number> => {
  const name = argv[0]!
  const special = specials.get(name)
  if (special !== undefined) return special(argv, sh, io)
  const fn = sh.functions.get(name)
  if (fn !== undefined) return callFunction(fn, argv, sh, io)
  return runUtilityRaw(argv, sh, io)
}

const callFunction: (body: Command, argv: ReadonlyArray<string>, sh: Shell, io: CommandIO) => Effect.Effect<number> =
  Effect.fnUntraced(function* (body: Command, argv: ReadonlyArray<string>, sh: Shell, io: CommandIO) {
    const savedPositional = sh.positional
    sh.positional = argv.slice(1)
    sh.funcDepth++
    sh.locals.push(new Map())
    const r = execCommand(body, sh, io)
    let status = typeof r === "number" ? r : yield* r
    const frame = sh.locals.pop()!
    for (const [k, v] of frame) {
      if (v === undefined) sh.vars.delete(k)
      else sh.vars.set(k, v)
    }
    sh.funcDepth--
    sh.positional = savedPositional
    if (sh.flow === Flow.Return) {
      sh.flow = Flow.None
      status = sh.status
    }
    return status
  })

const shellArgvError = (io: CommandIO, message: string) => {
  io.err.write(`${message}\n`)
  return 2
}

/** Runs a utility by argv (no shell functions): a script file, a nested shell, or a builtin. */
const runUtilityRaw = (argv: ReadonlyArray<string>, sh: Shell, io: CommandIO): number | Effect.Effect<number> => {
  const name = argv[0]!
  const base = name.includes("/") ? baseName(name) : name
  if (name.includes("/")) {
    const path = resolvePath(sh.cwd, name)
    const node = sh.ctx.fs.stat(path)
    if (node?._tag === "File") return runScriptFile(node.content, name, argv.slice(1), sh, io)
    if (node?._tag === "Dir") {
      io.err.write(`sh: ${name}: Permission denied\n`)
      return Effect.succeed(126)
    }
  }
  if (shellNames.has(base)) return runNestedShell(argv, sh, io)
  const builtin = builtins.get(base)
  if (builtin !== undefined) return builtin(argv, io, sh)
  io.err.write(`sh: ${name}: not found\n`)
  return 127
}

const runUtility = (argv: ReadonlyArray<string>, sh: Shell, io: CommandIO): Effect.Effect<number> => {
  const r = runUtilityRaw(argv, sh, io)
  return typeof r === "number" ? Effect.succeed(r) : r
}

/** The parsed options of a shell argv (`sh -ec 'script' name args...`). */
export interface ShellInvocation {
  /** the `-c` script, if any */
  readonly script: string | undefined
  /** the script file operand (without `-c`) */
  readonly file: string | undefined
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly errexit: boolean
  readonly xtrace: boolean
  readonly nounset: boolean
  readonly pipefail: boolean
  /** a usage error (`sh: -c requires an argument`) */
  readonly error: string | undefined
}

/** Parses an argv whose program is a shell (`sh`, `/bin/bash`, ...); undefined for other programs. */
export const parseShellArgv = (argv: ReadonlyArray<string>): ShellInvocation | undefined => {
  const program = argv[0]
  if (program === undefined || !shellNames.has(baseName(program))) return undefined
  let command = false
  let errexit = false
  let xtrace = false
  let nounset = false
  let pipefail = false
  let i = 1
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--") {
      i++
      break
    }
    if (a.length < 2 || (a[0] !== "-" && a[0] !== "+")) break
    const on = a[0] === "-"
    if (a === "-o" || a === "+o") {
      const option = argv[++i]
      if (option === "errexit") errexit = on
      else if (option === "xtrace") xtrace = on
      else if (option === "nounset") nounset = on
      else if (option === "pipefail") pipefail = on
      continue
    }
    for (const f of a.slice(1)) {
      if (f === "c") command = on
      else if (f === "e") errexit = on
      else if (f === "x") xtrace = on
      else if (f === "u") nounset = on
    }
  }
  const base = { errexit, xtrace, nounset, pipefail }
  if (command) {
    const script = argv[i]
    if (script === undefined) {
      return {
        ...base,
        script: undefined,
        file: undefined,
        name: program,
        args: [],
        error: `${baseName(program)}: -c requires an argument`
      }
    }
    return { ...base, script, file: undefined, name: argv[i + 1] ?? program, args: argv.slice(i + 2), error: undefined }
  }
  const file = argv[i]
  return {
    ...base,
    script: undefined,
    file,
    name: file ?? program,
    args: file === undefined ? [] : argv.slice(i + 1),
    error: undefined
  }
}

/** Whether an argv runs a shell script (`sh -c SCRIPT`, `/bin/bash -ec SCRIPT`, ...). */
export const isShellInvocation = (argv: ReadonlyArray<string>): boolean => parseShellArgv(argv)?.script !== undefined

/**
 * Whether `runArgv` simulates this argv: a shell (with `-c`, a script file, or nothing to read),
 * a simulated utility, or an existing script file in `fs`. Anything else is a long-running server.
 */
export const canRunArgv = (argv: ReadonlyArray<string>, fs?: VirtualFs): boolean => {
  if (parseShellArgv(argv) !== undefined) return true
  if (isBuiltinArgv(argv)) return true
  const name = argv[0]
  return name?.startsWith("/") === true && fs?.isFile(name) === true
}

const isShellShebang = (content: string): boolean => {
  if (!content.startsWith("#!")) return true
  const line = content
    .slice(2, content.indexOf("\n") >>> 0)
    .trim()
    .split(/\s+/)
  const program = line[0] === undefined ? "" : baseName(line[0])
  return shellNames.has(program) || (program === "env" && line[1] !== undefined && shellNames.has(line[1]))
}

const runScriptFile = (
  content: string,
  name: string,
  args: ReadonlyArray<string>,
  sh: Shell,
  io: CommandIO
): Effect.Effect<number> => {
  if (!isShellShebang(content)) {
    io.err.write(`sh: ${name}: not found\n`)
    return Effect.succeed(127)
  }
  const child = sh.child()
  child.arg0 = name
  child.positional = args.slice()
  return runShellText(content, child, io)
}

const runNestedShell = (argv: ReadonlyArray<string>, sh: Shell, io: CommandIO): Effect.Effect<number> => {
  const inv = parseShellArgv(argv)!
  if (inv.error !== undefined) return Effect.succeed(shellArgvError(io, `sh: ${inv.error}`))
  const child = sh.child()
  applyInvocation(child, inv)
  if (inv.script !== undefined) return runShellText(inv.script, child, io)
  if (inv.file === undefined) return Effect.succeed(0)
  const text = readFileAt(sh, inv.file)
  if (isFsError(text))
    return Effect.succeed(shellArgvError(io, `sh: can't open '${inv.file}': ${fsErrorMessage[text]}`))
  return runShellText(text, child, io)
}

const applyInvocation = (sh: Shell, inv: ShellInvocation): void => {
  sh.arg0 = inv.name
  sh.positional = inv.args.slice()
  sh.errexit = inv.errexit
  sh.xtrace = inv.xtrace
  sh.nounset = inv.nounset
  sh.pipefail = inv.pipefail
}

const runShellText = (text: string, sh: Shell, io: CommandIO): Effect.Effect<number> => {
  const script = parseScript(text)
  if (script._tag === "ShellSyntaxError") return Effect.succeed(shellArgvError(io, script.message))
  return runBody(script.body, sh, io)
}

/** Runs a shell's whole script, then its EXIT trap; the process exit status. */
const runBody = Effect.fnUntraced(function* (body: List, sh: Shell, io: CommandIO) {
  let status = yield* execList(body, sh, io)
  if (sh.flow === Flow.Exit) status = sh.exitCode
  const onExit = sh.traps.get("EXIT")
  if (onExit !== undefined && onExit !== "") {
    sh.traps.delete("EXIT")
    sh.flow = Flow.None
    sh.status = status
    yield* runTrapAction(onExit, sh, io)
    if ((sh.flow as Flow) === Flow.Exit) status = sh.exitCode
  }
  yield* io.out.flush
  yield* io.err.flush
  return status & 255
})

// ---------------------------------------------------------------------------------------------
// shell builtins (they change the shell itself)

type Special = (argv: ReadonlyArray<string>, sh: Shell, io: CommandIO) => number | Effect.Effect<number>

const statusArg = (text: string | undefined, sh: Shell, io: CommandIO, name: string): number | undefined => {
  if (text === undefined) return sh.status
  if (!/^\d+$/.test(text)) {
    io.err.write(`sh: ${name}: Illegal number: ${text}\n`)
    return undefined
  }
  return Number(text) & 255
}

const exitBuiltin: Special = (argv, sh, io) => {
  const code = statusArg(argv[1], sh, io, "exit") ?? 2
  sh.flow = Flow.Exit
  sh.exitCode = code
  sh.status = code
  return code
}

const returnBuiltin: Special = (argv, sh, io) => {
  const code = statusArg(argv[1], sh, io, "return") ?? 2
  sh.flow = sh.funcDepth > 0 ? Flow.Return : Flow.Exit
  sh.exitCode = code
  sh.status = code
  return code
}

const loopControl =
  (flow: Flow.Break | Flow.Continue): Special =>
  (argv, sh, io) => {
    const n = argv[1] === undefined ? 1 : Number(argv[1])
    if (!Number.isInteger(n) || n < 1) {
      io.err.write(`sh: ${argv[0]}: Illegal number: ${argv[1]}\n`)
      return 1
    }
    if (sh.loopDepth === 0) return 0
    sh.flow = flow
    sh.flowCount = Math.min(n, sh.loopDepth)
    return 0
  }

const quote = (v: string): string => `'${v.replace(/'/g, `'"'"'`)}'`

const exportBuiltin: Special = (argv, sh, io) => {
  const args = argv.slice(1).filter((a) => a !== "-p")
  const unexport = args[0] === "-n"
  if (args.length === 0) {
    const names = argv[0] === "export" ? [...sh.exported] : [...sh.vars.keys()]
    for (const name of names.sort()) {
      const v = sh.vars.get(name)
      if (v !== undefined) io.out.write(`${argv[0]} ${name}=${quote(v)}\n`)
    }
    return 0
  }
  for (const a of unexport ? args.slice(1) : args) {
    const eq = a.indexOf("=")
    const name = eq < 0 ? a : a.slice(0, eq)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      io.err.write(`sh: ${argv[0]}: bad variable name\n`)
      return 1
    }
    if (eq >= 0) sh.setVar(name, a.slice(eq + 1))
    if (argv[0] !== "export") continue
    if (unexport) sh.exported.delete(name)
    else sh.exported.add(name)
  }
  return 0
}

const localBuiltin: Special = (argv, sh, io) => {
  const frame = sh.locals[sh.locals.length - 1]
  if (frame === undefined || sh.funcDepth === 0) {
    io.err.write("sh: local: not in a function\n")
    return 1
  }
  for (const a of argv.slice(1)) {
    const eq = a.indexOf("=")
    const name = eq < 0 ? a : a.slice(0, eq)
    if (!frame.has(name)) frame.set(name, sh.vars.get(name))
    if (eq >= 0) sh.setVar(name, a.slice(eq + 1))
    else sh.vars.delete(name)
  }
  return 0
}

const unsetBuiltin: Special = (argv, sh) => {
  const functions = argv[1] === "-f"
  for (const name of argv.slice(1).filter((a) => a !== "-f" && a !== "-v")) {
    if (functions) sh.functions.delete(name)
    else {
      sh.vars.delete(name)
      sh.exported.delete(name)
    }
  }
  return 0
}

const setOption = (sh: Shell, letter: string, on: boolean): boolean => {
  switch (letter) {
    case "e":
    case "errexit":
      sh.errexit = on
      return true
    case "u":
    case "nounset":
      sh.nounset = on
      return true
    case "x":
    case "xtrace":
      sh.xtrace = on
      return true
    case "pipefail":
      sh.pipefail = on
      return true
    case "f":
    case "v":
    case "h":
    case "m":
    case "C":
    case "noglob":
    case "noclobber":
    case "posix":
      return true
  }
  return false
}

const setBuiltin: Special = (argv, sh, io) => {
  if (argv.length === 1) {
    for (const name of [...sh.vars.keys()].sort()) io.out.write(`${name}=${quote(sh.vars.get(name)!)}\n`)
    return 0
  }
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--") {
      sh.positional = argv.slice(i + 1)
      return 0
    }
    if (a.length < 2 || (a[0] !== "-" && a[0] !== "+")) {
      sh.positional = argv.slice(i)
      return 0
    }
    const on = a[0] === "-"
    if (a.slice(1) === "o") {
      const option = argv[++i]
      if (option === undefined) continue
      if (!setOption(sh, option, on)) {
        io.err.write(`sh: set: illegal option -o ${option}\n`)
        return 2
      }
      continue
    }
    for (const f of a.slice(1)) {
      if (!setOption(sh, f, on)) {
        io.err.write(`sh: set: illegal option -${f}\n`)
        return 2
      }
    }
  }
  return 0
}

const shiftBuiltin: Special = (argv, sh, io) => {
  const n = argv[1] === undefined ? 1 : Number(argv[1])
  if (!Number.isInteger(n) || n < 0 || n > sh.positional.length) {
    io.err.write("sh: shift: can't shift that many\n")
    return 1
  }
  sh.positional = sh.positional.slice(n)
  return 0
}

const trapBuiltin: Special = (argv, sh, io) => {
  const args = argv.slice(1).filter((a, i) => !(i === 0 && a === "--"))
  if (args.length === 0 || (args.length === 1 && args[0] === "-p")) {
    for (const [sig, action] of sh.traps) io.out.write(`trap -- ${quote(action)} ${sig}\n`)
    return 0
  }
  const reset = args[0] === "-" || args.length === 1 || /^\d+$/.test(args[0]!)
  const action = reset ? undefined : args[0]!
  let status = 0
  for (const spec of reset && args[0] === "-" ? args.slice(1) : reset && args.length === 1 ? args : args.slice(1)) {
    const name =
      spec === "0" || spec.toUpperCase() === "EXIT" || spec.toUpperCase() === "SIGEXIT" ? "EXIT" : parseSignal(spec)
    if (name === undefined) {
      io.err.write(`sh: trap: ${spec}: bad trap\n`)
      status = 1
      continue
    }
    if (action === undefined) sh.traps.delete(name)
    else sh.traps.set(name, action)
  }
  return status
}

const cdBuiltin: Special = (argv, sh, io) => {
  let target = argv[1] ?? sh.vars.get("HOME") ?? "/"
  if (target === "-") target = sh.vars.get("OLDPWD") ?? sh.cwd
  const path = resolvePath(sh.cwd, target)
  if (!sh.ctx.fs.isDir(path)) {
    const why = sh.ctx.fs.exists(path) ? "Not a directory" : "No such file or directory"
    io.err.write(`sh: cd: can't cd to ${target}: ${why}\n`)
    return 2
  }
  sh.setVar("OLDPWD", sh.cwd)
  sh.cwd = path
  sh.setVar("PWD", path)
  return 0
}

const evalBuiltin: Special = (argv, sh, io) => {
  const text = argv.slice(1).join(" ")
  const script = parseScript(text)
  if (script._tag === "ShellSyntaxError") {
    io.err.write(`${script.message}\n`)
    return 2
  }
  return execList(script.body, sh, io)
}

const sourceBuiltin: Special = (argv, sh, io) => {
  const file = argv[1]
  if (file === undefined) {
    io.err.write(`sh: ${argv[0]}: filename argument required\n`)
    return 2
  }
  const text = readFileAt(sh, file)
  if (isFsError(text)) {
    sh.fail(io, `sh: ${argv[0]}: can't open '${file}': ${fsErrorMessage[text]}`, 2)
    return 2
  }
  const script = parseScript(text)
  if (script._tag === "ShellSyntaxError") {
    io.err.write(`${script.message}\n`)
    return 2
  }
  const saved = sh.positional
  if (argv.length > 2) sh.positional = argv.slice(2)
  return Effect.map(execList(script.body, sh, io), (status) => {
    if (argv.length > 2) sh.positional = saved
    return status
  })
}

const execBuiltin: Special = (argv, sh, io) => {
  if (argv.length === 1) return 0
  // the program replaces the shell: its traps are gone
  sh.traps.clear()
  return Effect.map(runUtility(argv.slice(1), sh, io), (status) => {
    sh.flow = Flow.Exit
    sh.exitCode = status
    return status
  })
}

const commandKind = (name: string, sh: Shell): string | undefined => {
  if (specials.has(name)) return "special"
  if (sh.functions.has(name)) return "function"
  if (shellNames.has(name) || builtins.has(name)) return "utility"
  return undefined
}

const commandBuiltin: Special = (argv, sh, io) => {
  if (argv[1] === "-v" || argv[1] === "-V") {
    let status = 0
    for (const name of argv.slice(2)) {
      const kind = commandKind(name, sh)
      if (kind === undefined) status = 1
      else io.out.write(`${kind === "utility" ? `/bin/${name}` : name}\n`)
    }
    return status
  }
  const rest = argv.slice(1)
  if (rest.length === 0) return 0
  const special = specials.get(rest[0]!)
  if (special !== undefined) return special(rest, sh, io)
  return runUtility(rest, sh, io)
}

const typeBuiltin: Special = (argv, sh, io) => {
  let status = 0
  for (const name of argv.slice(1)) {
    const kind = commandKind(name, sh)
    if (kind === undefined) {
      io.err.write(`sh: type: ${name}: not found\n`)
      status = 1
    } else if (kind === "special") io.out.write(`${name} is a shell builtin\n`)
    else if (kind === "function") io.out.write(`${name} is a function\n`)
    else io.out.write(`${name} is /bin/${name}\n`)
  }
  return status
}

const whichBuiltin: Special = (argv, _sh, io) => {
  let status = 0
  for (const name of argv.slice(1)) {
    if (shellNames.has(name) || builtins.has(name) || (name === "kill" && specials.has(name)))
      io.out.write(`/bin/${name}\n`)
    else status = 1
  }
  return status
}

const letBuiltin: Special = (argv, sh, io) => {
  let last = 0
  for (const expr of argv.slice(1)) {
    const r = evaluateArithmetic(expr, sh.arith)
    if (typeof r !== "number") {
      io.err.write(`${r.message}\n`)
      return 1
    }
    last = r
  }
  return last === 0 ? 1 : 0
}

const readBuiltin: Special = (argv, sh, io) => {
  let raw = false
  let i = 1
  for (; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "-r") raw = true
    else if (a === "-p") io.err.write(argv[++i] ?? "")
    else if (a === "-t" || a === "-n" || a === "-u" || a === "-d") i++
    else if (!a.startsWith("-")) break
  }
  const names = argv.length > i ? argv.slice(i) : ["REPLY"]
  const stdin = io.stdin
  if (stdin.pos >= stdin.text.length) {
    for (const n of names) sh.setVar(n, "")
    return 1
  }
  const nl = stdin.text.indexOf("\n", stdin.pos)
  let line = nl < 0 ? stdin.text.slice(stdin.pos) : stdin.text.slice(stdin.pos, nl)
  stdin.pos = nl < 0 ? stdin.text.length : nl + 1
  if (!raw) line = line.replace(/\\(.)/g, "$1")
  if (names.length === 1 && names[0] === "REPLY") {
    sh.setVar("REPLY", line)
    return nl < 0 ? 1 : 0
  }
  const ifs = sh.vars.get("IFS") ?? IFS_DEFAULT
  const trimmed = line.replace(new RegExp(`^[${escapeClass(ifs)}]+|[${escapeClass(ifs)}]+$`, "g"), "")
  const splitter = new RegExp(`[${escapeClass(ifs)}]+`)
  let rest = trimmed
  for (let n = 0; n < names.length; n++) {
    if (n === names.length - 1) {
      sh.setVar(names[n]!, rest)
      break
    }
    const m = splitter.exec(rest)
    if (m === null) {
      sh.setVar(names[n]!, rest)
      rest = ""
      continue
    }
    sh.setVar(names[n]!, rest.slice(0, m.index))
    rest = rest.slice(m.index + m[0].length)
  }
  return nl < 0 ? 1 : 0
}

const escapeClass = (s: string): string =>
  s
    .replace(/[\]\\^-]/g, "\\$&")
    .replace(/\t/g, "\\t")
    .replace(/\n/g, "\\n")

const jobStatus = (job: Job, exit: Exit.Exit<number>): number => job.killed ?? (Exit.isSuccess(exit) ? exit.value : 143)

/** Whether a pending signal has a trap (so `wait` must return for it). */
const trappedPending = (sh: Shell): SignalName | undefined => {
  if (!sh.main) return undefined
  for (const s of sh.ctx.signals.pending()) {
    if (s === "KILL") return s
    const action = sh.traps.get(s)
    if (action !== undefined && action !== "") return s
    if (action === undefined && sh.pid !== 1) return s
  }
  return undefined
}

const waitBuiltin: Special = (argv, sh, io) =>
  Effect.gen(function* () {
    const targets = argv.length > 1 ? argv.slice(1).map((a) => Number(a.replace(/^%/, ""))) : [...sh.jobs.keys()]
    let status = 0
    for (const pid of targets) {
      const job = sh.jobs.get(pid)
      if (job === undefined) {
        io.err.write(`sh: wait: pid ${pid} is not a child of this shell\n`)
        status = 127
        continue
      }
      for (;;) {
        const sig = trappedPending(sh)
        if (sig !== undefined) return 128 + signalNumbers[sig]
        const next = sh.ctx.signals.nextDelivery()
        const done = yield* Effect.raceFirst(
          Effect.map(Fiber.await(job.fiber), (exit) => exit),
          Effect.as(next, undefined)
        )
        if (done === undefined) continue
        status = jobStatus(job, done)
        sh.jobs.delete(pid)
        break
      }
    }
    return argv.length > 1 ? status : 0
  })

const killBuiltin: Special = (argv, sh, io) => {
  let signal: SignalName = "TERM"
  let i = 1
  const first = argv[1]
  if (first === "-l" || first === "-L") {
    io.out.write(`${Object.keys(signalNumbers).join(" ")}\n`)
    return 0
  }
  if (first === "-s" || first === "-n") {
    const s = parseSignal(argv[2] ?? "")
    if (s === undefined) {
      io.err.write(`sh: kill: bad signal name '${argv[2]}'\n`)
      return 1
    }
    signal = s
    i = 3
  } else if (first?.startsWith("-") && first.length > 1 && first !== "--") {
    const s = parseSignal(first.slice(1))
    if (s === undefined) {
      io.err.write(`sh: kill: bad signal name '${first.slice(1)}'\n`)
      return 1
    }
    signal = s
    i = 2
  } else if (first === "--") i = 2
  const targets = argv.slice(i)
  if (targets.length === 0) {
    io.err.write("sh: kill: usage: kill [-s SIGNAL | -SIGNAL] PID...\n")
    return 1
  }
  return Effect.gen(function* () {
    let status = 0
    for (const target of targets) {
      const jobIndex = target.startsWith("%") ? Number(target.slice(1)) : undefined
      const pid = jobIndex !== undefined ? [...sh.jobs.keys()][jobIndex - 1] : Number(target)
      if (pid === undefined || !Number.isInteger(pid)) {
        io.err.write(`sh: kill: illegal number: ${target}\n`)
        status = 1
        continue
      }
      if (pid === sh.pid || pid === 0 || pid === -1) {
        sh.ctx.signals.deliverUnsafe(signal)
        continue
      }
      const job = sh.jobs.get(pid)
      if (job !== undefined) {
        job.killed = 128 + signalNumbers[signal]
        yield* Fiber.interrupt(job.fiber)
        continue
      }
      const delivered = sh.ctx.signalProcess === undefined ? false : yield* sh.ctx.signalProcess(pid, signal)
      if (!delivered) {
        io.err.write(`sh: kill: can't kill pid ${pid}: No such process\n`)
        status = 1
      }
    }
    return status
  })
}

const printStatus = (io: CommandIO, line: string): number => {
  io.out.write(`${line}\n`)
  return 0
}

const pwdBuiltin: Special = (_argv, sh, io) => {
  io.out.write(`${sh.cwd}\n`)
  return 0
}

const specials: ReadonlyMap<string, Special> = new Map<string, Special>([
  ["exit", exitBuiltin],
  ["return", returnBuiltin],
  ["break", loopControl(Flow.Break)],
  ["continue", loopControl(Flow.Continue)],
  ["export", exportBuiltin],
  ["readonly", exportBuiltin],
  ["local", localBuiltin],
  ["unset", unsetBuiltin],
  ["set", setBuiltin],
  ["shift", shiftBuiltin],
  ["trap", trapBuiltin],
  ["cd", cdBuiltin],
  ["pwd", pwdBuiltin],
  ["eval", evalBuiltin],
  [".", sourceBuiltin],
  ["source", sourceBuiltin],
  ["exec", execBuiltin],
  ["command", commandBuiltin],
  ["type", typeBuiltin],
  ["which", whichBuiltin],
  ["let", letBuiltin],
  ["read", readBuiltin],
  ["wait", waitBuiltin],
  ["kill", killBuiltin],
  ["ulimit", (_argv, _sh, io) => printStatus(io, "unlimited")],
  ["umask", (_argv, _sh, io) => printStatus(io, "0022")],
  ["hash", () => 0],
  ["alias", () => 0],
  ["jobs", () => 0]
])

// ---------------------------------------------------------------------------------------------
// entry points

/** Options of `runScript`. */
export interface RunOptions {
  /** `$0`; default `sh` */
  readonly name?: string | undefined
  /** positional parameters `$1`... */
  readonly args?: ReadonlyArray<string> | undefined
  /** `sh -e` */
  readonly errexit?: boolean | undefined
  readonly xtrace?: boolean | undefined
  readonly nounset?: boolean | undefined
  readonly pipefail?: boolean | undefined
}

const mainShell = (ctx: ProcessContext): Shell => {
  const pid = ctx.pid ?? 1
  const cwd = ctx.cwd ?? "/"
  const sh = new Shell(ctx, { next: pid + 1 }, true, pid, cwd)
  const defaults: ReadonlyArray<readonly [string, string]> = [
    ["PATH", defaultPath],
    ["HOSTNAME", ctx.hostname],
    ["HOME", (ctx.user?.uid ?? 0) === 0 ? "/root" : "/"]
  ]
  for (const [k, v] of defaults) {
    sh.vars.set(k, v)
    sh.exported.add(k)
  }
  for (const [k, v] of Object.entries(ctx.env)) {
    sh.vars.set(k, v)
    sh.exported.add(k)
  }
  sh.vars.set("PWD", cwd)
  sh.exported.add("PWD")
  return sh
}

/** Ends the script when a signal it does not trap arrives and it is not PID 1. */
const fatalSignals = (sh: Shell): Effect.Effect<number> =>
  Effect.gen(function* () {
    const signals = sh.ctx.signals
    for (;;) {
      const next = signals.nextDelivery()
      for (const s of signals.pending()) {
        if (s === "KILL") return 137
        if (!sh.traps.has(s)) return 128 + signalNumbers[s]
      }
      yield* next
    }
  })

const runMain = (body: List, sh: Shell): Effect.Effect<number> => {
  const out = new LineSink(sh.ctx.stdout)
  const err = new LineSink(sh.ctx.stderr)
  const io: CommandIO = { stdin: emptyStdin(), out, err }
  const run = sh.pid === 1 ? runBody(body, sh, io) : Effect.raceFirst(runBody(body, sh, io), fatalSignals(sh))
  return Effect.ensuring(run, Effect.andThen(out.close, err.close))
}

/**
 * Runs a script (text or parsed) as a process of `ctx`; succeeds with its exit status (a syntax
 * error prints `sh: syntax error: ...` and exits 2). Interrupt the fiber for SIGKILL.
 */
export const runScript = (script: Script | string, ctx: ProcessContext, options?: RunOptions): Effect.Effect<number> =>
  Effect.suspend(() => {
    const parsed = typeof script === "string" ? parseScript(script) : script
    if (parsed._tag === "ShellSyntaxError") return Effect.as(ctx.stderr(parsed.message), 2)
    const sh = mainShell(ctx)
    if (options?.name !== undefined) sh.arg0 = options.name
    if (options?.args !== undefined) sh.positional = options.args.slice()
    sh.errexit = options?.errexit === true
    sh.xtrace = options?.xtrace === true
    sh.nounset = options?.nounset === true
    sh.pipefail = options?.pipefail === true
    return runMain(parsed.body, sh)
  })

const commandScript = (argv: ReadonlyArray<string>): List => ({
  items: [
    {
      background: false,
      andOr: {
        first: {
          negate: false,
          commands: [{ _tag: "Simple", assigns: [], words: argv.map(literalWord), redirects: [] }]
        },
        rest: []
      }
    }
  ]
})

/**
 * Runs a container argv (or an exec probe/hook command): `sh -c SCRIPT [name args...]` and
 * friends, `sh FILE`, a script file, or a simulated utility such as `["sleep", "3600"]`.
 * Other programs print `sh: NAME: not found` and exit 127 (check `canRunArgv` first).
 */
export const runArgv = (argv: ReadonlyArray<string>, ctx: ProcessContext): Effect.Effect<number> =>
  Effect.suspend(() => {
    if (argv.length === 0) return Effect.succeed(0)
    const inv = parseShellArgv(argv)
    if (inv !== undefined) {
      if (inv.error !== undefined) return Effect.as(ctx.stderr(`sh: ${inv.error}`), 2)
      const options: RunOptions = inv
      if (inv.script !== undefined) return runScript(inv.script, ctx, options)
      if (inv.file === undefined) return Effect.succeed(0)
      const text = ctx.fs.readFile(resolvePath(ctx.cwd ?? "/", inv.file))
      if (isFsError(text)) return Effect.as(ctx.stderr(`sh: can't open '${inv.file}': ${fsErrorMessage[text]}`), 2)
      return runScript(text, ctx, options)
    }
    return runMain(commandScript(argv), mainShell(ctx))
  })
