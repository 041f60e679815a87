/**
 * Time convention of `domain/`: every decision takes and returns epoch milliseconds (`number`); API objects carry
 * RFC 3339 strings with second precision, as Kubernetes' `metav1.Time` serialises them (spec pod-lifecycle §1).
 * These two functions are the only crossing points.
 */

/** Formatted seconds (epoch s → text), bounded: a simulation formats the same few seconds again and again. */
const formatted = new Map<number, string>()

/** Epoch ms → `2006-01-02T15:04:05Z` (truncated to whole seconds, like `metav1.Time`). */
export const toRfc3339 = (ms: number): string => {
  const second = Math.floor(ms / 1000)
  let text = formatted.get(second)
  if (text === undefined) {
    text = new Date(second * 1000).toISOString().replace(".000Z", "Z")
    if (formatted.size >= 4096) formatted.clear()
    formatted.set(second, text)
  }
  return text
}

/** RFC 3339 string → epoch ms; `undefined` for a missing or unparsable time (Go's zero time). */
export const fromRfc3339 = (time: string | null | undefined): number | undefined => {
  if (time === undefined || time === null || time === "") return undefined
  const ms = Date.parse(time)
  return Number.isNaN(ms) ? undefined : ms
}
