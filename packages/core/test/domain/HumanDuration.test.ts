import { describe, expect, it } from "@effect/vitest"
import { humanDuration } from "../../src/domain/HumanDuration.js"

const s = 1_000
const m = 60 * s
const h = 60 * m
const d = 24 * h

describe("humanDuration", () => {
  it.each([
    [-2 * s, "<invalid>"],
    [-1 * s, "0s"],
    [-500, "0s"],
    [0, "0s"],
    [5.9 * s, "5s"],
    [95 * s, "95s"],
    [119 * s, "119s"],
    [120 * s, "2m"],
    [125 * s, "2m5s"],
    [303 * s, "5m3s"],
    [600 * s, "10m"],
    [179 * m, "179m"],
    [3 * h, "3h"],
    [12_600 * s, "3h30m"],
    [7 * h + 59 * m, "7h59m"],
    [8 * h, "8h"],
    [47 * h, "47h"],
    [48 * h, "2d"],
    [3 * d + 5 * h, "3d5h"],
    [8 * d, "8d"],
    [729 * d, "729d"],
    [730 * d, "2y"],
    [(365 * 3 + 45) * d, "3y45d"],
    [365 * 8 * d, "8y"]
  ])("%d ms prints %s", (ms, text) => {
    expect(humanDuration(ms)).toBe(text)
  })
})
