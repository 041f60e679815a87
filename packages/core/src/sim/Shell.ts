/**
 * The parser of the simulated container's shell: the POSIX sh subset that Pod YAML scripts use
 * (lists, and-or, pipelines, if/while/until/for/case, groups, subshells, functions, redirections,
 * here-documents, quoting, parameter/command/arithmetic expansion), plus bash's brace expansion,
 * `[[ ]]` and `(( ))`. Brace expansion happens here, once, so `for i in {1..100}` costs nothing at
 * run time. `parseScript` caches by text: each distinct script is parsed once.
 */
import { Schema } from "effect"

/** A parse failure; `message` is what busybox prints, e.g. `sh: syntax error: unexpected "fi"`. */
export class ShellSyntaxError extends Schema.TaggedError<ShellSyntaxError>()("ShellSyntaxError", {
  message: Schema.String
}) {}

/** Parameter expansion operators: `${X:-w}` is `":-"`, `${#X}` is `"length"`, `$X` is `""`. */
export type ParamOp = "" | "length" | ":-" | "-" | ":=" | "=" | ":+" | "+" | ":?" | "?" | "%" | "%%" | "#" | "##"

export type WordPart =
  | { readonly _tag: "Lit"; readonly value: string; readonly quoted: boolean }
  | {
      readonly _tag: "Param"
      readonly name: string
      readonly op: ParamOp
      readonly arg: Word | undefined
      readonly quoted: boolean
    }
  | { readonly _tag: "CmdSub"; readonly body: List; readonly quoted: boolean }
  | { readonly _tag: "Arith"; readonly expr: Word; readonly quoted: boolean }

/** A shell word as parts; `literal` is set when it always expands to exactly that one field. */
export interface Word {
  readonly parts: ReadonlyArray<WordPart>
  readonly literal: string | undefined
  /** contains `$(...)` or backticks somewhere (expansion must run commands) */
  readonly hasCmdSub: boolean
  /** has unquoted `*`, `?` or `[` (pathname expansion applies) */
  readonly glob: boolean
}

export type RedirectOp = ">" | ">>" | "<" | ">&" | "<&" | "<<" | "<<<" | "<>" | "&>" | "&>>"

/** `fd op target`; for here-documents (`<<`) `target` is the body; `<<<` is a here-string. */
export interface Redirect {
  readonly fd: number
  readonly op: RedirectOp
  readonly target: Word
}

export interface Assignment {
  readonly name: string
  readonly value: Word
}

export interface SimpleCommand {
  readonly _tag: "Simple"
  readonly assigns: ReadonlyArray<Assignment>
  readonly words: ReadonlyArray<Word>
  readonly redirects: ReadonlyArray<Redirect>
}

export interface IfCommand {
  readonly _tag: "If"
  readonly clauses: ReadonlyArray<{ readonly cond: List; readonly body: List }>
  readonly elseBody: List | undefined
  readonly redirects: ReadonlyArray<Redirect>
}

export interface WhileCommand {
  readonly _tag: "While"
  readonly until: boolean
  readonly cond: List
  readonly body: List
  readonly redirects: ReadonlyArray<Redirect>
}

export interface ForCommand {
  readonly _tag: "For"
  readonly name: string
  /** undefined: iterate over `"$@"` */
  readonly words: ReadonlyArray<Word> | undefined
  readonly body: List
  readonly redirects: ReadonlyArray<Redirect>
}

export interface CaseCommand {
  readonly _tag: "Case"
  readonly subject: Word
  readonly items: ReadonlyArray<{ readonly patterns: ReadonlyArray<Word>; readonly body: List }>
  readonly redirects: ReadonlyArray<Redirect>
}

export interface GroupCommand {
  readonly _tag: "Group"
  readonly body: List
  readonly redirects: ReadonlyArray<Redirect>
}

export interface SubshellCommand {
  readonly _tag: "Subshell"
  readonly body: List
  readonly redirects: ReadonlyArray<Redirect>
}

export interface FunctionDef {
  readonly _tag: "FunctionDef"
  readonly name: string
  readonly body: Command
}

/** bash `(( expr ))`: status 0 iff the value is non-zero. */
export interface ArithCommand {
  readonly _tag: "ArithCmd"
  readonly expr: Word
  readonly redirects: ReadonlyArray<Redirect>
}

/** bash `[[ ... ]]`: words are expanded without field splitting. */
export interface CondCommand {
  readonly _tag: "Cond"
  readonly words: ReadonlyArray<Word>
  readonly redirects: ReadonlyArray<Redirect>
}

export type Command =
  | SimpleCommand
  | IfCommand
  | WhileCommand
  | ForCommand
  | CaseCommand
  | GroupCommand
  | SubshellCommand
  | FunctionDef
  | ArithCommand
  | CondCommand

export interface Pipeline {
  readonly negate: boolean
  readonly commands: ReadonlyArray<Command>
}

export interface AndOr {
  readonly first: Pipeline
  readonly rest: ReadonlyArray<{ readonly op: "&&" | "||"; readonly pipeline: Pipeline }>
}

export interface ListItem {
  readonly andOr: AndOr
  readonly background: boolean
}

/** A command list; a whole script is one. */
export interface List {
  readonly items: ReadonlyArray<ListItem>
}

/** A parsed script. */
export interface Script {
  readonly _tag: "Script"
  readonly source: string
  readonly body: List
}

class SyntaxFailure {
  constructor(readonly detail: string) {}
}

const META = new Set([" ", "\t", "\n", ";", "&", "|", "<", ">", "(", ")"])
const RESERVED =
  /(?:if|then|else|elif|fi|do|done|while|until|for|in|case|esac|function|\{|\}|!|\[\[)(?=[ \t\n;&|<>()]|$)/y
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const NAME_STICKY = /[A-Za-z_][A-Za-z0-9_]*/y
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=/

enum Mode {
  Normal = 0,
  DoubleQuoted = 1,
  HereDoc = 2,
  ParamArg = 3,
  ParamArgQuoted = 4
}

const lit = (value: string, quoted: boolean): WordPart => ({ _tag: "Lit", value, quoted })

/** `*`, `?` or a bracket expression: the text is a pathname pattern (a lone `[` is not). */
export const GLOB_PATTERN = /[*?]|\[[^\]]+\]/
const hasGlobChar = (s: string): boolean => GLOB_PATTERN.test(s)

const partHasCmdSub = (part: WordPart): boolean => {
  switch (part._tag) {
    case "CmdSub":
      return true
    case "Param":
      return part.arg?.hasCmdSub === true
    case "Arith":
      return part.expr.hasCmdSub
    case "Lit":
      return false
  }
}

/** Builds a `Word` from parts, computing its flags (and turning a leading `~` into `$HOME`). */
export const makeWord = (input: ReadonlyArray<WordPart>): Word => {
  let parts = input
  const first = parts[0]
  if (first?._tag === "Lit" && !first.quoted && first.value.startsWith("~")) {
    const rest = first.value.slice(1)
    if (rest === "" || rest.startsWith("/")) {
      const home: WordPart = { _tag: "Param", name: "HOME", op: "", arg: undefined, quoted: true }
      parts = rest === "" ? [home, ...parts.slice(1)] : [home, lit(rest, false), ...parts.slice(1)]
    }
  }
  let literal: string | undefined = ""
  let glob = false
  let hasCmdSub = false
  for (const part of parts) {
    if (part._tag === "Lit") {
      if (!part.quoted && hasGlobChar(part.value)) glob = true
      if (literal !== undefined) literal += part.value
    } else {
      literal = undefined
      if (partHasCmdSub(part)) hasCmdSub = true
    }
  }
  if (glob) literal = undefined
  if (parts.length === 0) literal = undefined
  return { parts, literal, hasCmdSub, glob }
}

/** A word that is exactly this text. */
export const literalWord = (text: string): Word => ({
  parts: [lit(text, true)],
  literal: text,
  hasCmdSub: false,
  glob: false
})

class Parser {
  pos = 0
  private readonly heredocs: Array<{
    readonly redirect: { target: Word }
    readonly delim: string
    readonly strip: boolean
    readonly quoted: boolean
  }> = []

  constructor(readonly src: string) {}

  fail(detail: string): never {
    throw new SyntaxFailure(detail)
  }

  unexpected(): never {
    return this.fail(`unexpected ${this.describeToken()}`)
  }

  describeToken(): string {
    const src = this.src
    const c = src[this.pos]
    if (c === undefined) return "end of file"
    if (c === "\n") return "newline"
    for (const op of [";;", "&&", "||", ";", "|", "&", "(", ")", "<", ">"]) {
      if (src.startsWith(op, this.pos)) return `"${op}"`
    }
    let end = this.pos
    while (end < src.length && !META.has(src[end]!)) end++
    return `"${src.slice(this.pos, end)}"`
  }

  skipBlanks(): void {
    const src = this.src
    for (;;) {
      const c = src[this.pos]
      if (c === " " || c === "\t") this.pos++
      else if (c === "\\" && src[this.pos + 1] === "\n") this.pos += 2
      else if (c === "#") {
        const nl = src.indexOf("\n", this.pos)
        this.pos = nl < 0 ? src.length : nl
      } else return
    }
  }

  skipLinebreaks(): void {
    for (;;) {
      this.skipBlanks()
      if (this.src[this.pos] !== "\n") return
      this.pos++
      if (this.heredocs.length > 0) this.readHeredocs()
    }
  }

  peekReserved(): string | undefined {
    RESERVED.lastIndex = this.pos
    const m = RESERVED.exec(this.src)
    return m === null ? undefined : m[0]
  }

  expectReserved(word: string): void {
    this.skipLinebreaks()
    if (this.peekReserved() === word) {
      this.pos += word.length
      return
    }
    if (this.pos >= this.src.length) this.fail(`unexpected end of file (expecting "${word}")`)
    this.unexpected()
  }

  program(): List {
    const list = this.list(undefined)
    this.skipLinebreaks()
    if (this.pos < this.src.length) this.unexpected()
    return list
  }

  list(terminators: ReadonlySet<string> | undefined): List {
    const items: Array<ListItem> = []
    const src = this.src
    for (;;) {
      this.skipLinebreaks()
      if (this.pos >= src.length) break
      const c = src[this.pos]
      if (c === ")" || (c === ";" && src[this.pos + 1] === ";")) break
      const reserved = this.peekReserved()
      if (reserved !== undefined && terminators?.has(reserved)) break
      const andOr = this.andOr()
      this.skipBlanks()
      const next = src[this.pos]
      if (next === "&" && src[this.pos + 1] !== "&") {
        this.pos++
        items.push({ andOr, background: true })
        continue
      }
      items.push({ andOr, background: false })
      if (next === ";" && src[this.pos + 1] !== ";") {
        this.pos++
        continue
      }
      if (next === "\n" || next === undefined || next === ")" || next === ";") continue
      this.unexpected()
    }
    return { items }
  }

  nonEmpty(list: List): List {
    if (list.items.length === 0) this.unexpected()
    return list
  }

  andOr(): AndOr {
    const first = this.pipeline()
    const rest: Array<{ op: "&&" | "||"; pipeline: Pipeline }> = []
    for (;;) {
      this.skipBlanks()
      const op = this.src.slice(this.pos, this.pos + 2)
      if (op !== "&&" && op !== "||") break
      this.pos += 2
      this.skipLinebreaks()
      rest.push({ op, pipeline: this.pipeline() })
    }
    return { first, rest }
  }

  pipeline(): Pipeline {
    this.skipBlanks()
    let negate = false
    if (this.peekReserved() === "!") {
      negate = true
      this.pos++
    }
    const commands = [this.command()]
    for (;;) {
      this.skipBlanks()
      if (this.src[this.pos] !== "|" || this.src[this.pos + 1] === "|") break
      this.pos++
      this.skipLinebreaks()
      commands.push(this.command())
    }
    return { negate, commands }
  }

  command(): Command {
    this.skipBlanks()
    const src = this.src
    if (this.pos >= src.length) this.fail("unexpected end of file")
    if (src[this.pos] === "(") {
      if (src[this.pos + 1] === "(") {
        const end = this.findArithEnd(this.pos + 2)
        if (end >= 0) {
          const expr = parseHereDocWord(src.slice(this.pos + 2, end))
          this.pos = end + 2
          return { _tag: "ArithCmd", expr, redirects: this.redirectsTail() }
        }
      }
      this.pos++
      const body = this.nonEmpty(this.list(undefined))
      this.skipLinebreaks()
      if (src[this.pos] !== ")")
        this.pos >= src.length ? this.fail(`unexpected end of file (expecting ")")`) : this.unexpected()
      this.pos++
      return { _tag: "Subshell", body, redirects: this.redirectsTail() }
    }
    const reserved = this.peekReserved()
    switch (reserved) {
      case "if":
        return this.ifCommand()
      case "while":
      case "until":
        return this.whileCommand(reserved === "until")
      case "for":
        return this.forCommand()
      case "case":
        return this.caseCommand()
      case "{": {
        this.pos++
        const body = this.nonEmpty(this.list(new Set(["}"])))
        this.expectReserved("}")
        return { _tag: "Group", body, redirects: this.redirectsTail() }
      }
      case "function":
        return this.functionKeyword()
      case "[[":
        return this.condCommand()
      case "then":
      case "else":
      case "elif":
      case "fi":
      case "do":
      case "done":
      case "esac":
      case "}":
      case "!":
        return this.unexpected()
      default:
        return this.simpleCommand()
    }
  }

  ifCommand(): IfCommand {
    this.pos += 2
    const clauses: Array<{ cond: List; body: List }> = []
    const bodyEnd = new Set(["elif", "else", "fi"])
    const cond = this.nonEmpty(this.list(new Set(["then"])))
    this.expectReserved("then")
    clauses.push({ cond, body: this.nonEmpty(this.list(bodyEnd)) })
    let elseBody: List | undefined
    for (;;) {
      this.skipLinebreaks()
      const r = this.peekReserved()
      if (r === "elif") {
        this.pos += 4
        const c = this.nonEmpty(this.list(new Set(["then"])))
        this.expectReserved("then")
        clauses.push({ cond: c, body: this.nonEmpty(this.list(bodyEnd)) })
      } else if (r === "else") {
        this.pos += 4
        elseBody = this.nonEmpty(this.list(new Set(["fi"])))
        this.expectReserved("fi")
        break
      } else {
        this.expectReserved("fi")
        break
      }
    }
    return { _tag: "If", clauses, elseBody, redirects: this.redirectsTail() }
  }

  whileCommand(until: boolean): WhileCommand {
    this.pos += 5 // `while` and `until`
    const cond = this.nonEmpty(this.list(new Set(["do"])))
    this.expectReserved("do")
    const body = this.nonEmpty(this.list(new Set(["done"])))
    this.expectReserved("done")
    return { _tag: "While", until, cond, body, redirects: this.redirectsTail() }
  }

  forCommand(): ForCommand {
    this.pos += 3
    this.skipBlanks()
    NAME_STICKY.lastIndex = this.pos
    const m = NAME_STICKY.exec(this.src)
    if (m === null) return this.fail("bad for loop variable")
    const name = m[0]
    this.pos += name.length
    this.skipBlanks()
    let words: Array<Word> | undefined
    if (this.src[this.pos] === ";") this.pos++
    else {
      this.skipLinebreaks()
      if (this.peekReserved() === "in") {
        this.pos += 2
        words = []
        for (;;) {
          this.skipBlanks()
          const c = this.src[this.pos]
          if (c === ";") {
            this.pos++
            break
          }
          if (c === "\n" || c === undefined) break
          if (META.has(c)) this.unexpected()
          for (const w of braceExpand(this.word(Mode.Normal))) words.push(w)
        }
      }
    }
    this.expectReserved("do")
    const body = this.nonEmpty(this.list(new Set(["done"])))
    this.expectReserved("done")
    return { _tag: "For", name, words, body, redirects: this.redirectsTail() }
  }

  caseCommand(): CaseCommand {
    this.pos += 4
    this.skipBlanks()
    const subject = this.word(Mode.Normal)
    this.expectReserved("in")
    const items: Array<{ patterns: Array<Word>; body: List }> = []
    const esac = new Set(["esac"])
    for (;;) {
      this.skipLinebreaks()
      if (this.peekReserved() === "esac") {
        this.pos += 4
        break
      }
      if (this.pos >= this.src.length) this.fail(`unexpected end of file (expecting "esac")`)
      if (this.src[this.pos] === "(") this.pos++
      const patterns: Array<Word> = []
      for (;;) {
        this.skipBlanks()
        const c = this.src[this.pos]
        if (c === undefined || META.has(c)) this.unexpected()
        patterns.push(this.word(Mode.Normal))
        this.skipBlanks()
        if (this.src[this.pos] === "|") {
          this.pos++
          continue
        }
        if (this.src[this.pos] === ")") {
          this.pos++
          break
        }
        this.unexpected()
      }
      const body = this.list(esac)
      items.push({ patterns, body })
      this.skipLinebreaks()
      if (this.src.startsWith(";;", this.pos)) this.pos += 2
      else if (this.peekReserved() !== "esac") this.unexpected()
    }
    return { _tag: "Case", subject, items, redirects: this.redirectsTail() }
  }

  functionKeyword(): FunctionDef {
    this.pos += 8
    this.skipBlanks()
    NAME_STICKY.lastIndex = this.pos
    const m = NAME_STICKY.exec(this.src)
    if (m === null) return this.unexpected()
    this.pos += m[0].length
    this.skipBlanks()
    if (this.src.startsWith("()", this.pos)) this.pos += 2
    this.skipLinebreaks()
    return { _tag: "FunctionDef", name: m[0], body: this.command() }
  }

  condCommand(): CondCommand {
    this.pos += 2
    const words: Array<Word> = []
    for (;;) {
      this.skipBlanks()
      const src = this.src
      if (this.pos >= src.length || src[this.pos] === "\n")
        this.fail(`unexpected ${this.describeToken()} (expecting "]]")`)
      if (src.startsWith("]]", this.pos) && (this.pos + 2 >= src.length || META.has(src[this.pos + 2]!))) {
        this.pos += 2
        break
      }
      const op = ["&&", "||", "(", ")", "<", ">", "!"].find((o) => src.startsWith(o, this.pos))
      if (op !== undefined && (op !== "!" || META.has(src[this.pos + 1] ?? " "))) {
        this.pos += op.length
        words.push(literalWord(op))
        continue
      }
      words.push(this.word(Mode.Normal))
    }
    return { _tag: "Cond", words, redirects: this.redirectsTail() }
  }

  simpleCommand(): Command {
    const assigns: Array<Assignment> = []
    const words: Array<Word> = []
    const redirects: Array<Redirect> = []
    const src = this.src
    for (;;) {
      this.skipBlanks()
      const c = src[this.pos]
      if (c === undefined || c === "\n" || c === ";" || c === "&" || c === "|" || c === ")") break
      if (c === "(") {
        const name = words.length === 1 && assigns.length === 0 ? words[0]!.literal : undefined
        if (name !== undefined && NAME.test(name) && redirects.length === 0) {
          this.pos++
          this.skipBlanks()
          if (src[this.pos] !== ")") this.unexpected()
          this.pos++
          this.skipLinebreaks()
          return { _tag: "FunctionDef", name, body: this.command() }
        }
        this.unexpected()
      }
      if (this.redirect(redirects)) continue
      const word = this.word(Mode.Normal)
      if (words.length === 0) {
        const assign = asAssignment(word)
        if (assign !== undefined) {
          assigns.push(assign)
          continue
        }
      }
      if (!hasBraceCandidate(word)) words.push(word)
      else for (const w of braceExpand(word)) words.push(w)
    }
    if (assigns.length === 0 && words.length === 0 && redirects.length === 0) this.unexpected()
    return { _tag: "Simple", assigns, words, redirects }
  }

  redirectsTail(): ReadonlyArray<Redirect> {
    const redirects: Array<Redirect> = []
    for (;;) {
      this.skipBlanks()
      if (!this.redirect(redirects)) return redirects
    }
  }

  /** Parses a redirection at the cursor into `out`; false (cursor unchanged) if there is none. */
  redirect(out: Array<Redirect>): boolean {
    const src = this.src
    let i = this.pos
    while (i < src.length && src.charCodeAt(i) >= 48 && src.charCodeAt(i) <= 57) i++
    const hasFd = i > this.pos
    const c = src[i]
    let op: RedirectOp
    let fd: number
    if (c === ">" || c === "<") {
      fd = hasFd ? Number(src.slice(this.pos, i)) : c === ">" ? 1 : 0
      const two = src.slice(i, i + 2)
      if (two === ">>") op = ">>"
      else if (two === ">&") op = ">&"
      else if (two === ">|") op = ">"
      else if (two === "<<") op = "<<"
      else if (two === "<&") op = "<&"
      else if (two === "<>") op = "<>"
      else op = c
      i += op === ">" && two === ">|" ? 2 : op.length
      if (op === "<<" && src[i] === "<") {
        op = "<<<"
        i++
      } else if (op === "<<" && src[i] === "-") {
        i++
        this.pos = i
        return this.heredoc(out, fd, true)
      } else if (op === "<<") {
        this.pos = i
        return this.heredoc(out, fd, false)
      }
    } else if (!hasFd && c === "&" && src[i + 1] === ">") {
      fd = 1
      op = src[i + 2] === ">" ? "&>>" : "&>"
      i += op.length
    } else return false
    this.pos = i
    this.skipBlanks()
    const t = src[this.pos]
    if (t === undefined || META.has(t)) this.unexpected()
    out.push({ fd, op, target: this.word(Mode.Normal) })
    return true
  }

  heredoc(out: Array<Redirect>, fd: number, strip: boolean): boolean {
    this.skipBlanks()
    const src = this.src
    let delim = ""
    let quoted = false
    while (this.pos < src.length && !META.has(src[this.pos]!)) {
      const c = src[this.pos]!
      if (c === "'" || c === '"') {
        quoted = true
        const end = src.indexOf(c, this.pos + 1)
        if (end < 0) this.fail("unterminated quoted string")
        delim += src.slice(this.pos + 1, end)
        this.pos = end + 1
      } else if (c === "\\") {
        quoted = true
        delim += src[this.pos + 1] ?? ""
        this.pos += 2
      } else {
        delim += c
        this.pos++
      }
    }
    if (delim === "") this.unexpected()
    const redirect = { fd, op: "<<" as const, target: literalWord("") }
    out.push(redirect)
    this.heredocs.push({ redirect, delim, strip, quoted })
    return true
  }

  readHeredocs(): void {
    const src = this.src
    for (const h of this.heredocs.splice(0)) {
      let body = ""
      while (this.pos < src.length) {
        const nl = src.indexOf("\n", this.pos)
        const eol = nl < 0 ? src.length : nl
        let line = src.slice(this.pos, eol)
        if (h.strip) line = line.replace(/^\t+/, "")
        this.pos = nl < 0 ? src.length : nl + 1
        if (line === h.delim) break
        body += `${line}\n`
      }
      h.redirect.target = h.quoted ? literalWord(body) : parseHereDocWord(body)
    }
  }

  /** Index of the `))` closing an arithmetic expression starting at `from`, or -1. */
  findArithEnd(from: number): number {
    const src = this.src
    let depth = 0
    for (let i = from; i < src.length; i++) {
      const c = src[i]
      if (c === "(") depth++
      else if (c === ")") {
        if (depth === 0) return src[i + 1] === ")" ? i : -1
        depth--
      }
    }
    return -1
  }

  word(mode: Mode): Word {
    return makeWord(this.parts(mode))
  }

  parts(mode: Mode): Array<WordPart> {
    const src = this.src
    const parts: Array<WordPart> = []
    const dq = mode === Mode.DoubleQuoted || mode === Mode.HereDoc || mode === Mode.ParamArgQuoted
    let text = ""
    const flush = () => {
      if (text !== "") {
        parts.push(lit(text, dq))
        text = ""
      }
    }
    while (this.pos < src.length) {
      const c = src[this.pos]!
      if (mode === Mode.Normal && META.has(c)) break
      if ((mode === Mode.ParamArg || mode === Mode.ParamArgQuoted) && c === "}") break
      if (mode === Mode.DoubleQuoted && c === '"') break
      if (c === "\\") {
        const n = src[this.pos + 1]
        if (n === "\n") {
          this.pos += 2
          continue
        }
        if (n === undefined) {
          text += c
          this.pos++
          continue
        }
        if (dq) {
          if (
            n === "$" ||
            n === "`" ||
            n === "\\" ||
            (n === '"' && mode !== Mode.HereDoc) ||
            (n === "}" && mode === Mode.ParamArgQuoted)
          ) {
            text += n
            this.pos += 2
          } else {
            text += c
            this.pos++
          }
          continue
        }
        flush()
        parts.push(lit(n, true))
        this.pos += 2
        continue
      }
      if (!dq && c === "'") {
        flush()
        const end = src.indexOf("'", this.pos + 1)
        if (end < 0) this.fail("unterminated quoted string")
        parts.push(lit(src.slice(this.pos + 1, end), true))
        this.pos = end + 1
        continue
      }
      if (c === '"' && mode !== Mode.HereDoc) {
        flush()
        this.pos++
        const inner = this.parts(Mode.DoubleQuoted)
        if (src[this.pos] !== '"') this.fail("unterminated quoted string")
        this.pos++
        if (inner.length === 0) parts.push(lit("", true))
        else for (const p of inner) parts.push(p)
        continue
      }
      if (c === "$") {
        const part = this.dollar(dq)
        if (part !== undefined) {
          flush()
          parts.push(part)
        } else {
          text += c
          this.pos++
        }
        continue
      }
      if (c === "`") {
        flush()
        parts.push(this.backquote(dq))
        continue
      }
      text += c
      this.pos++
    }
    flush()
    return parts
  }

  dollar(quoted: boolean): WordPart | undefined {
    const src = this.src
    const n = src[this.pos + 1]
    if (n === "(") {
      if (src[this.pos + 2] === "(") {
        const end = this.findArithEnd(this.pos + 3)
        if (end >= 0) {
          const expr = parseHereDocWord(src.slice(this.pos + 3, end))
          this.pos = end + 2
          return { _tag: "Arith", expr, quoted }
        }
      }
      this.pos += 2
      const body = this.list(undefined)
      this.skipLinebreaks()
      if (src[this.pos] !== ")")
        this.pos >= src.length ? this.fail(`unexpected end of file (expecting ")")`) : this.unexpected()
      this.pos++
      return { _tag: "CmdSub", body, quoted }
    }
    if (n === "{") return this.braceParam(quoted)
    if (n === undefined) return undefined
    NAME_STICKY.lastIndex = this.pos + 1
    const m = NAME_STICKY.exec(src)
    if (m !== null) {
      this.pos += 1 + m[0].length
      return { _tag: "Param", name: m[0], op: "", arg: undefined, quoted }
    }
    if ((n >= "0" && n <= "9") || "?$!#@*-".includes(n)) {
      this.pos += 2
      return { _tag: "Param", name: n, op: "", arg: undefined, quoted }
    }
    return undefined
  }

  braceParam(quoted: boolean): WordPart {
    const src = this.src
    this.pos += 2
    let length = false
    if (src[this.pos] === "#" && src[this.pos + 1] !== "}") {
      length = true
      this.pos++
    }
    let name: string
    NAME_STICKY.lastIndex = this.pos
    const m = NAME_STICKY.exec(src)
    if (m !== null) name = m[0]
    else {
      let end = this.pos
      while (end < src.length && src[end]! >= "0" && src[end]! <= "9") end++
      if (end > this.pos) name = src.slice(this.pos, end)
      else {
        const c = src[this.pos]
        if (c === undefined || !"?$!#@*-".includes(c)) return this.fail("bad substitution")
        name = c
      }
    }
    this.pos += name.length
    if (length) {
      if (src[this.pos] !== "}") this.fail("bad substitution")
      this.pos++
      return { _tag: "Param", name, op: "length", arg: undefined, quoted }
    }
    if (src[this.pos] === "}") {
      this.pos++
      return { _tag: "Param", name, op: "", arg: undefined, quoted }
    }
    const ops: ReadonlyArray<ParamOp> = [":-", ":=", ":+", ":?", "%%", "##", "-", "=", "+", "?", "%", "#"]
    const op = ops.find((o) => src.startsWith(o, this.pos))
    if (op === undefined) return this.fail("bad substitution")
    this.pos += op.length
    const arg = this.word(quoted ? Mode.ParamArgQuoted : Mode.ParamArg)
    if (src[this.pos] !== "}") this.fail(`unexpected end of file (expecting "}")`)
    this.pos++
    return { _tag: "Param", name, op, arg, quoted }
  }

  backquote(quoted: boolean): WordPart {
    const src = this.src
    let inner = ""
    let i = this.pos + 1
    for (;;) {
      const c = src[i]
      if (c === undefined) return this.fail("unterminated quoted string")
      if (c === "`") break
      if (c === "\\" && (src[i + 1] === "`" || src[i + 1] === "\\" || src[i + 1] === "$")) {
        inner += src[i + 1]
        i += 2
        continue
      }
      inner += c
      i++
    }
    this.pos = i + 1
    const sub = new Parser(inner)
    return { _tag: "CmdSub", body: sub.program(), quoted }
  }
}

const parseHereDocWord = (text: string): Word => {
  const p = new Parser(text)
  return makeWord(p.parts(Mode.HereDoc))
}

const asAssignment = (word: Word): Assignment | undefined => {
  const first = word.parts[0]
  if (first?._tag !== "Lit" || first.quoted) return undefined
  const m = ASSIGN.exec(first.value)
  if (m === null) return undefined
  const rest = first.value.slice(m[0].length)
  const parts = rest === "" ? word.parts.slice(1) : [lit(rest, false), ...word.parts.slice(1)]
  return { name: m[1]!, value: parts.length === 0 ? literalWord("") : makeWord(parts) }
}

const BRACE = /\{([^{}]*)\}/g
const RANGE = /^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$/

const hasBraceCandidate = (word: Word): boolean =>
  word.parts.some((p) => p._tag === "Lit" && !p.quoted && p.value.includes("{") && p.value.includes("}"))

const braceAlternatives = (inner: string): ReadonlyArray<string> | undefined => {
  const range = RANGE.exec(inner)
  if (range !== null) {
    const [, a, b, stepText] = range
    const numeric = /^-?\d+$/.test(a!) && /^-?\d+$/.test(b!)
    if (!numeric && (/\d/.test(a!) || /\d/.test(b!))) return undefined
    const from = numeric ? Number(a) : a!.charCodeAt(0)
    const to = numeric ? Number(b) : b!.charCodeAt(0)
    const step = Math.max(1, Math.abs(Number(stepText ?? 1)))
    const width = numeric && (/^-?0\d/.test(a!) || /^-?0\d/.test(b!)) ? Math.max(a!.length, b!.length) : 0
    const out: Array<string> = []
    const dir = from <= to ? 1 : -1
    for (let v = from; dir > 0 ? v <= to : v >= to; v += dir * step) {
      out.push(numeric ? (width > 0 ? String(v).padStart(width, "0") : String(v)) : String.fromCharCode(v))
    }
    return out
  }
  if (!inner.includes(",")) return undefined
  return inner.split(",")
}

/** bash brace expansion (`a{b,c}`, `{1..10}`, `{a..e}`, `{0..10..2}`) of a word's unquoted text. */
export const braceExpand = (word: Word): ReadonlyArray<Word> => {
  for (let i = 0; i < word.parts.length; i++) {
    const part = word.parts[i]!
    if (part._tag !== "Lit" || part.quoted) continue
    BRACE.lastIndex = 0
    for (let m = BRACE.exec(part.value); m !== null; m = BRACE.exec(part.value)) {
      const alternatives = braceAlternatives(m[1]!)
      if (alternatives === undefined) continue
      const before = part.value.slice(0, m.index)
      const after = part.value.slice(m.index + m[0].length)
      const out: Array<Word> = []
      for (const alt of alternatives) {
        const text = before + alt + after
        const parts = [
          ...word.parts.slice(0, i),
          ...(text === "" ? [] : [lit(text, false)]),
          ...word.parts.slice(i + 1)
        ]
        if (parts.length === 0) continue
        for (const w of braceExpand(makeWord(parts))) out.push(w)
      }
      return out
    }
  }
  return [word]
}

const cache = new Map<string, Script | ShellSyntaxError>()
const cacheLimit = 4096

/** Parses a script (cached by text); a syntax error comes back as a value. */
export const parseScript = (source: string): Script | ShellSyntaxError => {
  const hit = cache.get(source)
  if (hit !== undefined) return hit
  let result: Script | ShellSyntaxError
  try {
    result = { _tag: "Script", source, body: new Parser(source).program() }
  } catch (e) {
    if (!(e instanceof SyntaxFailure)) throw e
    result = new ShellSyntaxError({ message: `sh: syntax error: ${e.detail}` })
  }
  if (cache.size >= cacheLimit) cache.clear()
  cache.set(source, result)
  return result
}
