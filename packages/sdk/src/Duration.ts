/**
 * Durations as SDK users write them: milliseconds, or `"90s"`, `"1m30s"`, `"500ms"`, `"2h"`,
 * `"5 minutes"`.
 */
import { Duration } from "effect"
import type { DurationInput } from "./Types.js"

const goUnits: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** Milliseconds of `input`; throws a RangeError naming the input when it is not a duration. */
export const toMillis = (input: DurationInput): number => {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new RangeError(`not a duration: ${input}`)
    return input
  }
  const text = input.trim()
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)]
  if (parts.length > 0 && parts.map((p) => p[0]).join("") === text) {
    return parts.reduce((total, p) => total + Number(p[1]) * (goUnits[p[2]!] ?? 0), 0)
  }
  const decoded = Duration.fromInput(text as Duration.Input)
  if (decoded._tag === "Some") return Duration.toMillis(decoded.value)
  throw new RangeError(`not a duration: ${JSON.stringify(input)}`)
}
