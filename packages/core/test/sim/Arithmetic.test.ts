import { describe, expect, it } from "@effect/vitest"
import { evaluateArithmetic } from "../../src/sim/Arithmetic.js"

const run = (text: string, vars: Record<string, string> = {}) => {
  const store = new Map(Object.entries(vars))
  const r = evaluateArithmetic(text, { get: (n) => store.get(n), set: (n, v) => void store.set(n, v) })
  return { value: typeof r === "number" ? r : r.message, vars: Object.fromEntries(store) }
}

describe("evaluateArithmetic", () => {
  it.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["7 / 2", 3],
    ["-7 / 2", -3],
    ["7 % 3", 1],
    ["2 ** 3 ** 2", 512],
    ["1 < 2 && 2 < 3", 1],
    ["0 || 0", 0],
    ["!5", 0],
    ["~0", -1],
    ["5 > 3 ? 10 : 20", 10],
    ["0x1f + 010", 39],
    ["1 << 4 | 1", 17],
    ["", 0],
    ["  42  ", 42],
    ["1, 2, 3", 3]
  ])("%j = %j", (text, value) => {
    expect(run(text).value).toBe(value)
  })

  it("reads variables by bare name (unset or empty is 0) and assigns", () => {
    expect(run("n * 2 + missing", { n: "21" }).value).toBe(42)
    expect(run("n += 5", { n: "1" })).toEqual({ value: 6, vars: { n: "6" } })
    expect(run("i++ + i", { i: "1" })).toEqual({ value: 3, vars: { i: "2" } })
    expect(run("--i", { i: "1" })).toEqual({ value: 0, vars: { i: "0" } })
    expect(run("x = y = 4")).toEqual({ value: 4, vars: { x: "4", y: "4" } })
  })

  it.each([
    ["1 / 0", "sh: divide by zero"],
    ["5 % 0", "sh: divide by zero"],
    ["1 +", "sh: arithmetic syntax error"],
    ["(1", "sh: arithmetic syntax error"],
    ["1 2", "sh: arithmetic syntax error"],
    ["$", "sh: arithmetic syntax error"]
  ])("%j fails with %j", (text, message) => {
    expect(run(text).value).toBe(message)
  })
})
