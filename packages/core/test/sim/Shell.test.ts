import { describe, expect, it } from "@effect/vitest"
import { braceExpand, literalWord, parseScript, type Script, type SimpleCommand } from "../../src/sim/Shell.js"

const script = (text: string): Script => {
  const r = parseScript(text)
  if (r._tag === "ShellSyntaxError") throw new Error(r.message)
  return r
}

const firstSimple = (text: string): SimpleCommand => {
  const cmd = script(text).body.items[0]!.andOr.first.commands[0]!
  if (cmd._tag !== "Simple") throw new Error(`not simple: ${cmd._tag}`)
  return cmd
}

describe("parseScript", () => {
  it("caches by text: the same script parses to the same object", () => {
    const text = "while true; do sleep 5; done"
    expect(parseScript(text)).toBe(parseScript(text))
  })

  it.each([
    ["if true; then echo x", 'sh: syntax error: unexpected end of file (expecting "fi")'],
    ['echo "abc', "sh: syntax error: unterminated quoted string"],
    ["echo 'abc", "sh: syntax error: unterminated quoted string"],
    ["fi", 'sh: syntax error: unexpected "fi"'],
    ["echo a; done", 'sh: syntax error: unexpected "done"'],
    ["while true; do echo", 'sh: syntax error: unexpected end of file (expecting "done")'],
    ["(echo a", 'sh: syntax error: unexpected end of file (expecting ")")'],
    ["echo a )", 'sh: syntax error: unexpected ")"'],
    ["for 1 in a; do :; done", "sh: syntax error: bad for loop variable"],
    ["echo ${", "sh: syntax error: bad substitution"],
    ["if; then :; fi", 'sh: syntax error: unexpected ";"'],
    ["echo a &&", "sh: syntax error: unexpected end of file"],
    ["echo >", "sh: syntax error: unexpected end of file"]
  ])("reports %j as %j", (text, message) => {
    const r = parseScript(text)
    expect(r._tag).toBe("ShellSyntaxError")
    expect(r._tag === "ShellSyntaxError" && r.message).toBe(message)
  })

  it("expands braces at parse time (ranges, lists, letters, padding, steps, reverse)", () => {
    const words = firstSimple("echo {1..3} a{b,c}d {a..c} {01..03} {0..6..3} {3..1} {x} {}").words
    expect(words.map((w) => w.literal)).toEqual([
      "echo",
      "1",
      "2",
      "3",
      "abd",
      "acd",
      "a",
      "b",
      "c",
      "01",
      "02",
      "03",
      "0",
      "3",
      "6",
      "3",
      "2",
      "1",
      "{x}",
      "{}"
    ])
  })

  it("does not brace-expand quoted text or assignments", () => {
    const cmd = firstSimple(`X={1..3} echo "{1..3}" '{a,b}'`)
    expect(cmd.assigns[0]!.value.literal).toBe("{1..3}")
    expect(cmd.words.map((w) => w.literal)).toEqual(["echo", "{1..3}", "{a,b}"])
  })

  it("expands a for loop's brace range into literal words", () => {
    const loop = script("for i in {1..100}; do sleep 1; done").body.items[0]!.andOr.first.commands[0]!
    expect(loop._tag).toBe("For")
    expect(loop._tag === "For" && loop.words?.length).toBe(100)
  })

  it("marks literal, glob and command-substitution words", () => {
    const words = firstSimple(`cat /tmp/healthy *.log "a b" $(date) $X`).words
    expect(words.map((w) => [w.literal, w.glob, w.hasCmdSub])).toEqual([
      ["cat", false, false],
      ["/tmp/healthy", false, false],
      [undefined, true, false],
      ["a b", false, false],
      [undefined, false, true],
      [undefined, false, false]
    ])
  })

  it("parses redirections with file descriptors", () => {
    const cmd = firstSimple("echo hi >/dev/null 2>&1 >> log < in")
    expect(cmd.redirects.map((r) => [r.fd, r.op, r.target.literal])).toEqual([
      [1, ">", "/dev/null"],
      [2, ">&", "1"],
      [1, ">>", "log"],
      [0, "<", "in"]
    ])
  })

  it("reads here-documents after the line, quoted delimiters keep the body literal", () => {
    const s = script("cat <<EOF\nhello $NAME\nEOF\ncat <<'EOF'\nraw $NAME\nEOF\necho after")
    expect(s.body.items).toHaveLength(3)
    const first = s.body.items[0]!.andOr.first.commands[0] as SimpleCommand
    const second = s.body.items[1]!.andOr.first.commands[0] as SimpleCommand
    expect(first.redirects[0]!.target.literal).toBeUndefined()
    expect(second.redirects[0]!.target.literal).toBe("raw $NAME\n")
  })

  it("parses functions, case, until, subshells and groups", () => {
    const s = script(
      "f() { echo $1; }\ncase $x in a|b) echo ab;; *) echo other;; esac\nuntil false; do break; done\n(echo sub)\n{ echo g; }"
    )
    expect(s.body.items.map((i) => i.andOr.first.commands[0]!._tag)).toEqual([
      "FunctionDef",
      "Case",
      "While",
      "Subshell",
      "Group"
    ])
  })

  it("keeps reserved words as ordinary arguments", () => {
    expect(firstSimple("echo if then fi done }").words.map((w) => w.literal)).toEqual([
      "echo",
      "if",
      "then",
      "fi",
      "done",
      "}"
    ])
  })

  it("braceExpand leaves words without braces alone", () => {
    const w = literalWord("plain")
    expect(braceExpand(w)).toEqual([w])
  })
})
