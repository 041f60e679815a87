/**
 * Label selectors: the string form of list/watch queries (`app=web,tier!=db,env in (a,b),!legacy`),
 * parsed as `k8s.io/apimachinery/pkg/labels` does (same grammar, same error wording), and the
 * structured form (`matchLabels` / `matchExpressions`) of ReplicaSets, PDBs and Services.
 */
import type { LabelSelector } from "./Meta.js"

/** One parsed requirement; an empty list of requirements matches everything. */
export type LabelRequirement =
  | { readonly key: string; readonly operator: "=" | "!="; readonly value: string }
  | { readonly key: string; readonly operator: "in" | "notin"; readonly values: ReadonlyArray<string> }
  | { readonly key: string; readonly operator: "exists" | "!" }

/** The result of parsing: requirements, or the Kubernetes error message. */
export type ParsedLabelSelector =
  | { readonly _tag: "Ok"; readonly requirements: ReadonlyArray<LabelRequirement> }
  | { readonly _tag: "Error"; readonly message: string }

type Token = "id" | "!" | "=" | "==" | "!=" | "(" | ")" | "," | "in" | "notin" | "end" | "error" | ">" | "<"

interface Scanned {
  readonly tok: Token
  readonly lit: string
}

const specialSymbols = new Set(["=", "!", "(", ")", ",", ">", "<"])
const whitespace = new Set([" ", "\t", "\r", "\n"])
const symbolTokens: Record<string, Token> = {
  "=": "=",
  "==": "==",
  "!=": "!=",
  "!": "!",
  "(": "(",
  ")": ")",
  ",": ",",
  ">": ">",
  "<": "<"
}

const scan = (s: string): Array<Scanned> => {
  const items: Array<Scanned> = []
  let pos = 0
  for (;;) {
    while (pos < s.length && whitespace.has(s[pos]!)) pos++
    if (pos >= s.length) {
      items.push({ tok: "end", lit: "" })
      return items
    }
    const ch = s[pos]!
    if (specialSymbols.has(ch)) {
      let buffer = ""
      let last: Scanned | undefined
      while (pos < s.length && specialSymbols.has(s[pos]!)) {
        const candidate = buffer + s[pos]!
        const tok = symbolTokens[candidate]
        if (tok !== undefined) {
          buffer = candidate
          last = { tok, lit: candidate }
          pos++
        } else if (last !== undefined) {
          break
        } else {
          buffer = candidate
          pos++
        }
      }
      items.push(last ?? { tok: "error", lit: `error expected: keyword found '${buffer}'` })
    } else {
      const start = pos
      while (pos < s.length && !specialSymbols.has(s[pos]!) && !whitespace.has(s[pos]!)) pos++
      const word = s.slice(start, pos)
      items.push({ tok: word === "in" ? "in" : word === "notin" ? "notin" : "id", lit: word })
    }
  }
}

const nameRegex = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const dnsSubdomainRegex = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const labelValueRegex = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

/** `validation.IsQualifiedName`: the problems with a label key (empty when valid). */
export const labelKeyErrors = (key: string): ReadonlyArray<string> => {
  const parts = key.split("/")
  let name = key
  const errors: Array<string> = []
  if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix.length === 0) errors.push("prefix part must be non-empty")
    else if (prefix.length > 253 || !dnsSubdomainRegex.test(prefix))
      errors.push(
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
      )
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    ]
  }
  if (name.length === 0) errors.push("name part must be non-empty")
  else if (name.length > 63) errors.push("name part must be no more than 63 characters")
  else if (!nameRegex.test(name))
    errors.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    )
  return errors
}

/** `validation.IsValidLabelValue`: the problems with a label value (empty when valid). */
export const labelValueErrors = (value: string): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (value.length > 63) errors.push("must be no more than 63 characters")
  if (!labelValueRegex.test(value))
    errors.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    )
  return errors
}

class ParseError {
  constructor(readonly message: string) {}
}

class Parser {
  private position = 0
  constructor(private readonly items: ReadonlyArray<Scanned>) {}

  /** `in`/`notin` read as identifiers where a value is expected */
  private peek(values: boolean): Scanned {
    const item = this.items[this.position]!
    return values && (item.tok === "in" || item.tok === "notin") ? { tok: "id", lit: item.lit } : item
  }

  private next(values: boolean): Scanned {
    const item = this.peek(values)
    this.position++
    return item
  }

  parse(): Array<LabelRequirement> {
    const requirements: Array<LabelRequirement> = []
    for (;;) {
      const { tok, lit } = this.peek(true)
      if (tok === "end") return requirements
      if (tok !== "id" && tok !== "!")
        throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`)
      try {
        requirements.push(this.requirement())
      } catch (e) {
        if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`)
        throw e
      }
      const after = this.next(true)
      if (after.tok === "end") return requirements
      if (after.tok !== ",") throw new ParseError(`found '${after.lit}', expected: ',' or 'end of string'`)
      const following = this.peek(true)
      if (following.tok !== "id" && following.tok !== "!")
        throw new ParseError(`found '${following.lit}', expected: identifier after ','`)
    }
  }

  private requirement(): LabelRequirement {
    let negated = false
    let item = this.next(true)
    if (item.tok === "!") {
      negated = true
      item = this.next(true)
    }
    if (item.tok !== "id") throw new ParseError(`found '${item.lit}', expected: identifier`)
    const key = item.lit
    const keyErrors = labelKeyErrors(key)
    if (keyErrors.length > 0) throw new ParseError(`Invalid value: "${key}": ${keyErrors.join("; ")}`)
    // `!key` takes no operator: whatever follows is the caller's problem, as upstream
    if (negated) return { key, operator: "!" }
    const following = this.peek(true).tok
    if (following === "end" || following === ",") return { key, operator: "exists" }
    const op = this.next(false)
    switch (op.tok) {
      case "=":
      case "==":
      case "!=": {
        const value = this.exactValue()
        this.checkValue(key, value)
        return { key, operator: op.tok === "!=" ? "!=" : "=", value }
      }
      case "in":
      case "notin": {
        const values = this.values()
        for (const value of values) this.checkValue(key, value)
        return { key, operator: op.tok, values }
      }
      default:
        throw new ParseError(`found '${op.lit}', expected: in, notin, =, ==, !=`)
    }
  }

  private checkValue(key: string, value: string): void {
    const errors = labelValueErrors(value)
    if (errors.length > 0) throw new ParseError(`values[0][${key}]: Invalid value: "${value}": ${errors.join("; ")}`)
  }

  private exactValue(): string {
    const ahead = this.peek(true)
    if (ahead.tok === "end" || ahead.tok === ",") return ""
    const item = this.next(true)
    if (item.tok === "id") return item.lit
    throw new ParseError(`found '${item.lit}', expected: identifier`)
  }

  private values(): Array<string> {
    const open = this.next(true)
    if (open.tok !== "(") throw new ParseError(`found '${open.lit}' expected: '('`)
    const ahead = this.peek(true)
    if (ahead.tok === ")") {
      this.next(true)
      return [""]
    }
    if (ahead.tok !== "id" && ahead.tok !== ",")
      throw new ParseError(`found '${ahead.lit}', expected: ',', ')' or identifier`)
    const values = new Set<string>()
    for (;;) {
      const item = this.next(true)
      if (item.tok === "id") {
        values.add(item.lit)
        const after = this.peek(true)
        if (after.tok === ",") {
          this.next(true)
          if (this.peek(true).tok === ")") {
            values.add("")
            this.next(true)
            return [...values].sort()
          }
          continue
        }
        if (after.tok === ")") {
          this.next(true)
          return [...values].sort()
        }
        throw new ParseError(`found '${after.lit}', expected: ',' or ')'`)
      }
      if (item.tok === ",") {
        values.add("")
        if (this.peek(true).tok === ")") {
          this.next(true)
          return [...values].sort()
        }
        continue
      }
      throw new ParseError(`found '${item.lit}', expected: ',', or identifier`)
    }
  }
}

/** Parses the string form; requirements come back sorted by key, as upstream. */
export const parseLabelSelector = (selector: string): ParsedLabelSelector => {
  try {
    const requirements = new Parser(scan(selector)).parse()
    requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    return { _tag: "Ok", requirements }
  } catch (e) {
    if (e instanceof ParseError) return { _tag: "Error", message: e.message }
    throw e
  }
}

/** Whether labels satisfy every requirement (an empty list matches everything). */
export const matchesRequirements = (
  requirements: ReadonlyArray<LabelRequirement>,
  labels: Readonly<Record<string, string>> | undefined
): boolean => {
  for (const r of requirements) {
    const value = labels !== undefined && Object.hasOwn(labels, r.key) ? labels[r.key] : undefined
    switch (r.operator) {
      case "=":
        if (value !== r.value) return false
        break
      case "!=":
        if (value === r.value) return false
        break
      case "in":
        if (value === undefined || !r.values.includes(value)) return false
        break
      case "notin":
        if (value !== undefined && r.values.includes(value)) return false
        break
      case "exists":
        if (value === undefined) return false
        break
      case "!":
        if (value !== undefined) return false
        break
    }
  }
  return true
}

/**
 * The structured selector of ReplicaSets, PDBs and Services (a Service's `spec.selector` is a
 * `matchLabels`). An empty selector matches everything; an absent one matches nothing.
 */
export const matchesLabelSelector = (
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>> | undefined
): boolean => {
  if (selector === undefined) return false
  if (selector.matchLabels !== undefined) {
    for (const key of Object.keys(selector.matchLabels)) {
      const value = labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined
      if (value !== selector.matchLabels[key]) return false
    }
  }
  for (const expression of selector.matchExpressions ?? []) {
    const value = labels !== undefined && Object.hasOwn(labels, expression.key) ? labels[expression.key] : undefined
    const values = expression.values ?? []
    switch (expression.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false
        break
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false
        break
      case "Exists":
        if (value === undefined) return false
        break
      case "DoesNotExist":
        if (value !== undefined) return false
        break
    }
  }
  return true
}
