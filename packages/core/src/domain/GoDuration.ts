/**
 * Go `time.Duration.String()` formatting (`10s`, `1m20s`, `2m40s`, `5m0s`, `1.5s`, `250ms`), as the kubelet
 * prints durations in messages (spec pod-lifecycle §0.3, §4.3). Input: milliseconds (may be fractional).
 */

const NANOS_PER_SECOND = 1_000_000_000

/** `v / 10**prec` fraction digits without trailing zeros (Go `fmtFrac`); "" when the fraction is zero. */
const fraction = (v: number, prec: number): string => {
  const digits = String(v % 10 ** prec)
    .padStart(prec, "0")
    .replace(/0+$/, "")
  return digits === "" ? "" : `.${digits}`
}

/** Formats a duration given in milliseconds exactly like Go's `time.Duration.String()`. */
export const goDuration = (ms: number): string => {
  const negative = ms < 0
  const ns = Math.round(Math.abs(ms) * 1_000_000)
  let text: string
  if (ns === 0) {
    text = "0s"
  } else if (ns < 1_000) {
    text = `${ns}ns`
  } else if (ns < 1_000_000) {
    text = `${Math.floor(ns / 1_000)}${fraction(ns, 3)}µs`
  } else if (ns < NANOS_PER_SECOND) {
    text = `${Math.floor(ns / 1_000_000)}${fraction(ns, 6)}ms`
  } else {
    const totalSeconds = Math.floor(ns / NANOS_PER_SECOND)
    const seconds = `${totalSeconds % 60}${fraction(ns, 9)}s`
    const totalMinutes = Math.floor(totalSeconds / 60)
    const hours = Math.floor(totalMinutes / 60)
    text =
      totalMinutes === 0
        ? seconds
        : hours === 0
          ? `${totalMinutes}m${seconds}`
          : `${hours}h${totalMinutes % 60}m${seconds}`
  }
  return negative ? `-${text}` : text
}
