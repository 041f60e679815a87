import { describe, expect, it } from "@effect/vitest"
import { goDuration } from "../../src/domain/GoDuration.js"

describe("goDuration", () => {
  it.each([
    [0, "0s"],
    [10_000, "10s"],
    [20_000, "20s"],
    [40_000, "40s"],
    [80_000, "1m20s"],
    [160_000, "2m40s"],
    [300_000, "5m0s"],
    [3_600_000, "1h0m0s"],
    [3_723_000, "1h2m3s"],
    [1_500, "1.5s"],
    [61_250, "1m1.25s"],
    [250, "250ms"],
    [1.5, "1.5ms"],
    [0.002, "2µs"],
    [0.000_5, "500ns"],
    [-10_000, "-10s"]
  ])("%d ms prints %s", (ms, text) => {
    expect(goDuration(ms)).toBe(text)
  })
})
