import { describe, expect, it } from "@effect/vitest"
import { defaultLogLimits, LogBuffer } from "../../src/layers/runtime/LogBuffer.js"

describe("LogBuffer", () => {
  it("keeps the newest lines within the line bound, oldest first, with time and stream", () => {
    const log = new LogBuffer(3, 1024)
    for (let i = 0; i < 5; i++) log.append(i * 1000, i === 3 ? "stderr" : "stdout", `l${i}`)
    expect(log.read()).toEqual([
      { time: 2000, stream: "stdout", line: "l2" },
      { time: 3000, stream: "stderr", line: "l3" },
      { time: 4000, stream: "stdout", line: "l4" }
    ])
  })

  it("keeps the newest lines within the byte bound (a line counts its newline)", () => {
    const log = new LogBuffer(100, 10)
    log.append(0, "stdout", "aaaa")
    log.append(0, "stdout", "bbbb")
    expect(log.read().map((l) => l.line)).toEqual(["aaaa", "bbbb"])
    log.append(0, "stdout", "cc")
    expect(log.read().map((l) => l.line)).toEqual(["bbbb", "cc"])
    // a single line larger than the bound is kept alone
    log.append(0, "stdout", "x".repeat(50))
    expect(log.read().map((l) => l.line.length)).toEqual([50])
  })

  it("stays correct across internal compaction", () => {
    const log = new LogBuffer(10, 1024 * 1024)
    for (let i = 0; i < 5000; i++) log.append(i, i % 7 === 0 ? "stderr" : "stdout", String(i))
    const kept = log.read()
    expect(kept.map((l) => l.line)).toEqual(Array.from({ length: 10 }, (_, k) => String(4990 + k)))
    expect(kept.filter((l) => l.stream === "stderr").map((l) => l.line)).toEqual(["4991", "4998"])
    expect(log.size).toBe(10)
  })

  it("keeps each line's time when lines written at one time are followed by others", () => {
    const log = new LogBuffer(100, 1024)
    for (const [time, line] of [
      [5, "a"],
      [5, "b"],
      [5, "c"],
      [9, "d"],
      [9, "e"],
      [12, "f"]
    ] as const)
      log.append(time, line === "c" ? "stderr" : "stdout", line)
    expect(log.read()).toEqual([
      { time: 5, stream: "stdout", line: "a" },
      { time: 5, stream: "stdout", line: "b" },
      { time: 5, stream: "stderr", line: "c" },
      { time: 9, stream: "stdout", line: "d" },
      { time: 9, stream: "stdout", line: "e" },
      { time: 12, stream: "stdout", line: "f" }
    ])
    // two buffers do not share their lines
    const other = new LogBuffer(100, 1024)
    other.append(1, "stdout", "x")
    expect(log.read()).toHaveLength(6)
    expect(other.read()).toEqual([{ time: 1, stream: "stdout", line: "x" }])
  })

  it("a log of one instant past the exact-length lines keeps its lines and time", () => {
    const log = new LogBuffer(100, 1024 * 1024)
    for (let i = 0; i < 40; i++) log.append(7, "stdout", String(i))
    log.append(8, "stdout", "last")
    const kept = log.read()
    expect(kept.map((l) => l.line)).toEqual([...Array.from({ length: 40 }, (_, i) => String(i)), "last"])
    expect(kept.map((l) => l.time)).toEqual([...Array.from({ length: 40 }, () => 7), 8])
  })

  it("reads times as the owner keeps them, or turned into epoch ms", () => {
    const log = new LogBuffer(100, 1024)
    log.append(0, "stdout", "a")
    log.append(0, "stdout", "b")
    log.append(2_000, "stdout", "c")
    expect(log.read().map((l) => l.time)).toEqual([0, 0, 2_000])
    expect(log.read((t) => 1.7e12 + t).map((l) => l.time)).toEqual([1.7e12, 1.7e12, 1.7e12 + 2_000])
  })

  it("defaults to 10,000 lines and 1 MiB", () => {
    expect(defaultLogLimits).toEqual({ maxLines: 10_000, maxBytes: 1024 * 1024 })
    const log = new LogBuffer()
    for (let i = 0; i < 10_050; i++) log.append(i, "stdout", "x")
    expect(log.size).toBe(10_000)
    expect(log.read()[0]?.time).toBe(50)
  })
})
