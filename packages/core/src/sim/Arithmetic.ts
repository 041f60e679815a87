/**
 * Shell arithmetic (`$((...))`, `(( ))`, `let`): integer expressions with C precedence, variables
 * by bare name, assignments and `++`/`--`. Parsed expressions are cached by text.
 */
import { Schema } from "effect"

/** An arithmetic failure; `message` is busybox's, e.g. `sh: arithmetic syntax error`. */
export class ArithmeticError extends Schema.TaggedError<ArithmeticError>()("ArithmeticError", {
  message: Schema.String
}) {}

/** Variable access for evaluation. */
export interface ArithmeticVars {
  readonly get: (name: string) => string | undefined
  readonly set: (name: string, value: string) => void
}

type Node =
  | { readonly t: "num"; readonly v: number }
  | { readonly t: "var"; readonly name: string }
  | { readonly t: "un"; readonly op: string; readonly e: Node }
  | { readonly t: "bin"; readonly op: string; readonly l: Node; readonly r: Node }
  | { readonly t: "tern"; readonly c: Node; readonly a: Node; readonly b: Node }
  | { readonly t: "assign"; readonly op: string; readonly name: string; readonly e: Node }
  | { readonly t: "step"; readonly name: string; readonly delta: number; readonly post: boolean }

class Failure {
  constructor(readonly message: string) {}
}

const TOKEN =
  /\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*|\*\*=?|<<=?|>>=?|\+\+|--|&&|\|\||[<>=!+\-*/%&|^]=|[-+*/%()<>!~?:,=&|^])/y

const tokenize = (text: string): Array<string> => {
  const tokens: Array<string> = []
  TOKEN.lastIndex = 0
  let end = 0
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    tokens.push(m[1]!)
    end = TOKEN.lastIndex
  }
  if (text.slice(end).trim() !== "") throw new Failure("sh: arithmetic syntax error")
  return tokens
}

const binaryPrecedence: Readonly<Record<string, number>> = {
  "||": 4,
  "&&": 5,
  "|": 6,
  "^": 7,
  "&": 8,
  "==": 9,
  "!=": 9,
  "<": 10,
  "<=": 10,
  ">": 10,
  ">=": 10,
  "<<": 11,
  ">>": 11,
  "+": 12,
  "-": 12,
  "*": 13,
  "/": 13,
  "%": 13,
  "**": 14
}

const assignOps = new Set(["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^=", "**="])
const isName = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_]/.test(t)

class ArithParser {
  i = 0
  constructor(readonly tokens: ReadonlyArray<string>) {}

  peek(): string | undefined {
    return this.tokens[this.i]
  }

  next(): string {
    const t = this.tokens[this.i++]
    if (t === undefined) throw new Failure("sh: arithmetic syntax error")
    return t
  }

  comma(): Node {
    let node = this.assignment()
    while (this.peek() === ",") {
      this.i++
      node = { t: "bin", op: ",", l: node, r: this.assignment() }
    }
    return node
  }

  assignment(): Node {
    const t = this.peek()
    const op = this.tokens[this.i + 1]
    if (isName(t) && op !== undefined && assignOps.has(op)) {
      this.i += 2
      return { t: "assign", op, name: t, e: this.assignment() }
    }
    return this.ternary()
  }

  ternary(): Node {
    const c = this.binary(4)
    if (this.peek() !== "?") return c
    this.i++
    const a = this.comma()
    if (this.next() !== ":") throw new Failure("sh: arithmetic syntax error")
    return { t: "tern", c, a, b: this.assignment() }
  }

  binary(min: number): Node {
    let left = this.unary()
    for (;;) {
      const op = this.peek()
      const prec = op === undefined ? undefined : binaryPrecedence[op]
      if (op === undefined || prec === undefined || prec < min) return left
      this.i++
      const right = this.binary(op === "**" ? prec : prec + 1)
      left = { t: "bin", op, l: left, r: right }
    }
  }

  unary(): Node {
    const t = this.next()
    if (t === "-" || t === "+" || t === "!" || t === "~") return { t: "un", op: t, e: this.unary() }
    if (t === "++" || t === "--") {
      const name = this.next()
      if (!isName(name)) throw new Failure("sh: arithmetic syntax error")
      return { t: "step", name, delta: t === "++" ? 1 : -1, post: false }
    }
    if (t === "(") {
      const e = this.comma()
      if (this.next() !== ")") throw new Failure("sh: arithmetic syntax error")
      return e
    }
    if (/^\d/.test(t)) {
      const v = /^0[xX]/.test(t) ? Number.parseInt(t.slice(2), 16) : /^0\d/.test(t) ? Number.parseInt(t, 8) : Number(t)
      if (Number.isNaN(v)) throw new Failure("sh: arithmetic syntax error")
      return { t: "num", v }
    }
    if (isName(t)) {
      const after = this.peek()
      if (after === "++" || after === "--") {
        this.i++
        return { t: "step", name: t, delta: after === "++" ? 1 : -1, post: true }
      }
      return { t: "var", name: t }
    }
    throw new Failure("sh: arithmetic syntax error")
  }
}

const toInt = (n: number): number => (Number.isFinite(n) ? Math.trunc(n) : 0)

const readVar = (vars: ArithmeticVars, name: string): number => {
  const raw = vars.get(name)
  if (raw === undefined || raw.trim() === "") return 0
  const n = Number(raw.trim())
  return Number.isNaN(n) ? 0 : toInt(n)
}

const apply = (op: string, l: number, r: number): number => {
  switch (op) {
    case "+":
      return l + r
    case "-":
      return l - r
    case "*":
      return l * r
    case "/":
    case "%":
      if (r === 0) throw new Failure("sh: divide by zero")
      return op === "/" ? Math.trunc(l / r) : l % r
    case "**":
      return toInt(l ** r)
    case "<<":
      return l << r
    case ">>":
      return l >> r
    case "&":
      return l & r
    case "|":
      return l | r
    case "^":
      return l ^ r
    case "<":
      return l < r ? 1 : 0
    case "<=":
      return l <= r ? 1 : 0
    case ">":
      return l > r ? 1 : 0
    case ">=":
      return l >= r ? 1 : 0
    case "==":
      return l === r ? 1 : 0
    case "!=":
      return l !== r ? 1 : 0
    case ",":
      return r
  }
  throw new Failure("sh: arithmetic syntax error")
}

const evaluate = (node: Node, vars: ArithmeticVars): number => {
  switch (node.t) {
    case "num":
      return node.v
    case "var":
      return readVar(vars, node.name)
    case "un": {
      const v = evaluate(node.e, vars)
      return node.op === "-" ? -v : node.op === "+" ? v : node.op === "!" ? (v === 0 ? 1 : 0) : ~v
    }
    case "bin":
      if (node.op === "&&") return evaluate(node.l, vars) !== 0 && evaluate(node.r, vars) !== 0 ? 1 : 0
      if (node.op === "||") return evaluate(node.l, vars) !== 0 || evaluate(node.r, vars) !== 0 ? 1 : 0
      return apply(node.op, evaluate(node.l, vars), evaluate(node.r, vars))
    case "tern":
      return evaluate(node.c, vars) !== 0 ? evaluate(node.a, vars) : evaluate(node.b, vars)
    case "assign": {
      const rhs = evaluate(node.e, vars)
      const v = node.op === "=" ? rhs : apply(node.op.slice(0, -1), readVar(vars, node.name), rhs)
      vars.set(node.name, String(v))
      return v
    }
    case "step": {
      const old = readVar(vars, node.name)
      vars.set(node.name, String(old + node.delta))
      return node.post ? old : old + node.delta
    }
  }
}

const cache = new Map<string, Node | Failure>()

const parse = (text: string): Node | Failure => {
  const hit = cache.get(text)
  if (hit !== undefined) return hit
  let result: Node | Failure
  try {
    const tokens = tokenize(text)
    if (tokens.length === 0) result = { t: "num", v: 0 }
    else {
      const p = new ArithParser(tokens)
      result = p.comma()
      if (p.i < tokens.length) result = new Failure("sh: arithmetic syntax error")
    }
  } catch (e) {
    if (!(e instanceof Failure)) throw e
    result = e
  }
  if (cache.size >= 4096) cache.clear()
  cache.set(text, result)
  return result
}

/** Evaluates an arithmetic expression (after parameter expansion) against shell variables. */
export const evaluateArithmetic = (text: string, vars: ArithmeticVars): number | ArithmeticError => {
  const node = parse(text)
  if (node instanceof Failure) return new ArithmeticError({ message: node.message })
  try {
    return evaluate(node, vars)
  } catch (e) {
    if (!(e instanceof Failure)) throw e
    return new ArithmeticError({ message: e.message })
  }
}
