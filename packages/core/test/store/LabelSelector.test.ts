// Label selector parsing and matching, as k8s.io/apimachinery/pkg/labels does it.
import { describe, expect, it } from "@effect/vitest"
import {
  labelKeyErrors,
  matchesLabelSelector,
  matchesRequirements,
  parseLabelSelector
} from "../../src/api/LabelSelector.js"
import type { LabelSelector } from "../../src/api/Meta.js"

const matches = (selector: string, labels: Record<string, string> | undefined): boolean => {
  const parsed = parseLabelSelector(selector)
  if (parsed._tag === "Error") throw new Error(parsed.message)
  return matchesRequirements(parsed.requirements, labels)
}

describe("parseLabelSelector", () => {
  it.each([
    ["", []],
    ["app=web", [{ key: "app", operator: "=", value: "web" }]],
    ["app==web", [{ key: "app", operator: "=", value: "web" }]],
    ["app!=web", [{ key: "app", operator: "!=", value: "web" }]],
    ["app=", [{ key: "app", operator: "=", value: "" }]],
    ["env in (b, a)", [{ key: "env", operator: "in", values: ["a", "b"] }]],
    ["env notin (a)", [{ key: "env", operator: "notin", values: ["a"] }]],
    ["env in ()", [{ key: "env", operator: "in", values: [""] }]],
    ["legacy", [{ key: "legacy", operator: "exists" }]],
    ["!legacy", [{ key: "legacy", operator: "!" }]],
    [
      " tier != db , app = web ",
      [
        { key: "app", operator: "=", value: "web" },
        { key: "tier", operator: "!=", value: "db" }
      ]
    ],
    ["example.com/role=x", [{ key: "example.com/role", operator: "=", value: "x" }]],
    ["x in (in)", [{ key: "x", operator: "in", values: ["in"] }]]
  ] as const)("%j parses", (selector, requirements) => {
    expect(parseLabelSelector(selector)).toEqual({ _tag: "Ok", requirements })
  })

  it.each([
    ["app in web", "unable to parse requirement: found 'web' expected: '('"],
    ["app=web,", "found '', expected: identifier after ','"],
    [",app", "found ',', expected: !, identifier, or 'end of string'"],
    ["app=web tier", "found 'tier', expected: ',' or 'end of string'"],
    ["app in (a", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["!app=x", "found '=', expected: ',' or 'end of string'"],
    ["app=(x)", "unable to parse requirement: found '(', expected: identifier"],
    ["-app=x", 'unable to parse requirement: Invalid value: "-app": name part must consist of alphanumeric characters'],
    [
      "app=-x",
      'unable to parse requirement: values[0][app]: Invalid value: "-x": a valid label must be an empty string'
    ]
  ])("%j is an error", (selector, message) => {
    const parsed = parseLabelSelector(selector)
    expect(parsed._tag).toBe("Error")
    if (parsed._tag === "Error") expect(parsed.message.startsWith(message)).toBe(true)
  })
})

describe("matchesRequirements", () => {
  const labels = { app: "web", tier: "front", env: "prod" }
  it.each([
    ["", labels, true],
    ["", undefined, true],
    ["app=web", labels, true],
    ["app=db", labels, false],
    ["app!=db", labels, true],
    ["missing!=x", labels, true],
    ["env in (prod,staging)", labels, true],
    ["env in (staging)", labels, false],
    ["missing in (x)", labels, false],
    ["env notin (staging)", labels, true],
    ["env notin (prod)", labels, false],
    ["missing notin (x)", labels, true],
    ["tier", labels, true],
    ["missing", labels, false],
    ["!missing", labels, true],
    ["!tier", labels, false],
    ["app=web,tier=back", labels, false],
    ["app=", { app: "" }, true],
    ["app", undefined, false]
  ] as const)("%j on %j is %s", (selector, l, expected) => {
    expect(matches(selector, l)).toBe(expected)
  })
})

describe("matchesLabelSelector", () => {
  const labels = { app: "web", tier: "front" }
  it.each<[string, LabelSelector | undefined, Record<string, string> | undefined, boolean]>([
    ["absent selector matches nothing", undefined, labels, false],
    ["empty selector matches everything", {}, labels, true],
    ["matchLabels subset", { matchLabels: { app: "web" } }, labels, true],
    ["matchLabels mismatch", { matchLabels: { app: "db" } }, labels, false],
    ["In", { matchExpressions: [{ key: "tier", operator: "In", values: ["front", "back"] }] }, labels, true],
    ["NotIn", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["front"] }] }, labels, false],
    ["Exists", { matchExpressions: [{ key: "tier", operator: "Exists" }] }, labels, true],
    ["DoesNotExist", { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, labels, false],
    [
      "labels and expressions are ANDed",
      { matchLabels: { app: "web" }, matchExpressions: [{ key: "x", operator: "Exists" }] },
      labels,
      false
    ],
    ["no labels", { matchLabels: { app: "web" } }, undefined, false]
  ])("%s", (_, selector, l, expected) => {
    expect(matchesLabelSelector(selector, l)).toBe(expected)
  })
})

describe("labelKeyErrors", () => {
  it.each([
    ["app", 0],
    ["example.com/app", 0],
    ["a".repeat(63), 0],
    ["a".repeat(64), 1],
    ["/app", 1],
    ["Example.com/app", 1],
    ["a/b/c", 1],
    ["_app", 1]
  ] as const)("%s has %i problems", (key, count) => {
    expect(labelKeyErrors(key).length).toBe(count)
  })
})
