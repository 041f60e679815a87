/**
 * Time convention of `domain/`: every decision takes and returns epoch milliseconds (`number`); API objects carry
 * RFC 3339 strings with second precision, as Kubernetes' `metav1.Time` serialises them (spec pod-lifecycle §1).
 * These two functions are the only crossing points.
 */

/** Epoch ms → `2006-01-02T15:04:05Z` (truncated to whole seconds, like `metav1.Time`). */
export const toRfc3339 = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** RFC 3339 string → epoch ms; `undefined` for a missing or unparsable time (Go's zero time). */
export const fromRfc3339 = (time: string | null | undefined): number | undefined => {
  if (time === undefined || time === null || time === "") return undefined
  const ms = Date.parse(time)
  return Number.isNaN(ms) ? undefined : ms
}
