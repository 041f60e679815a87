/**
 * Resource quantities (`apimachinery/pkg/api/resource/quantity.go`): parse `500m`, `64Mi`, `1.5Gi`,
 * `2e3`, `1k`, `0.5`; compare; read as milli-units or whole units; format canonically as the API
 * server does (`1.5` -> `1500m`, `1.5Gi` -> `1536Mi`, `2048Ki` -> `2Mi`). Exact: amounts are kept
 * as a bigint count of nano-units (values finer than `1n` round up, as upstream).
 */
import { Result } from "effect"
import type { QuantityValue } from "./Pod.js"

/** How a quantity was written; canonical formatting keeps the family (binary, decimal, exponent). */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent"

export interface Quantity {
  /** the amount in nano-units (10^-9) */
  readonly nanos: bigint
  readonly format: QuantityFormat
}

/** Upstream's `ErrFormatWrong` text. */
export const quantityFormatError =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
/** Upstream's `ErrSuffix` text. */
export const quantitySuffixError = "unable to parse quantity's suffix"

const NANO = 9
const pow10Table: ReadonlyArray<bigint> = Array.from({ length: 64 }, (_, i) => 10n ** BigInt(i))
const pow10 = (n: number): bigint => pow10Table[n] ?? 10n ** BigInt(n)
const decimalSuffixes: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18
}
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }
const numberPattern = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/
const exponentPattern = /^[eE]([+-]?\d+)$/

/** Ceiling division for a positive divisor, rounding away from zero like upstream's RoundUp. */
const divUp = (n: bigint, d: bigint): bigint => {
  const q = n / d
  return n % d === 0n ? q : n > 0n ? q + 1n : q - 1n
}

/** Parsed quantities by input (bounded): manifests and statuses repeat the same few values. */
const parsed = new Map<QuantityValue, Result.Result<Quantity, string>>()

/** Parse a quantity as written in a manifest (a string or a JSON number). */
export const parseQuantity = (input: QuantityValue): Result.Result<Quantity, string> => {
  let result = parsed.get(input)
  if (result === undefined) {
    result = parseUncached(input)
    if (parsed.size >= 4096) parsed.clear()
    parsed.set(input, result)
  }
  return result
}

const parseUncached = (input: QuantityValue): Result.Result<Quantity, string> => {
  // anything else (a JSON boolean reaching here from a bad manifest) fails as Go's ParseQuantity does
  const text = typeof input === "number" ? numberText(input) : typeof input === "string" ? input.trim() : undefined
  if (text === undefined || text.length === 0) return Result.fail(quantityFormatError)
  const m = numberPattern.exec(text)
  if (m === null) return Result.fail(quantityFormatError)
  const sign = m[1] === "-" ? -1n : 1n
  const whole = m[2] ?? ""
  const fraction = m[3] ?? ""
  const suffix = m[4] ?? ""
  if (whole.length === 0 && fraction.length === 0) return Result.fail(quantityFormatError)
  const digits = BigInt(`${whole}${fraction}` || "0")
  // value = digits * 10^-fraction.length * multiplier
  let format: QuantityFormat
  let nanos: bigint
  const decimal = decimalSuffixes[suffix]
  const binary = binarySuffixes[suffix]
  const exponent = exponentPattern.exec(suffix)
  if (decimal !== undefined || exponent !== null) {
    format = decimal !== undefined ? "DecimalSI" : "DecimalExponent"
    const exp = decimal ?? Number(exponent?.[1])
    if (!Number.isSafeInteger(exp) || exp > 1000 || exp < -1000) return Result.fail(quantityFormatError)
    const shift = exp - fraction.length + NANO
    nanos = shift >= 0 ? digits * pow10(shift) : divUp(digits, pow10(-shift))
  } else if (binary !== undefined) {
    format = "BinarySI"
    nanos = divUp(digits * 2n ** BigInt(binary) * pow10(NANO), pow10(fraction.length))
  } else {
    return Result.fail(/^[eEinumkKMGTP]*[-+]?\d*$/.test(suffix) ? quantitySuffixError : quantityFormatError)
  }
  // Upstream: a binary quantity below one is formatted as decimal.
  if (format === "BinarySI" && nanos < pow10(NANO)) format = "DecimalSI"
  return Result.succeed({ nanos: sign * nanos, format })
}

const numberText = (n: number): string | undefined => (Number.isFinite(n) ? String(n) : undefined)

/** Parse, or undefined when the text is not a quantity. */
export const quantityOrUndefined = (input: QuantityValue): Quantity | undefined => {
  const r = parseQuantity(input)
  return Result.isSuccess(r) ? r.success : undefined
}

/** True when the value parses as a quantity. */
export const isQuantity = (input: QuantityValue): boolean => Result.isSuccess(parseQuantity(input))

/** The canonical text of a quantity, as the API server serialises it. */
export const formatQuantity = (q: Quantity): string => {
  if (q.nanos === 0n) return "0"
  const negative = q.nanos < 0n
  const abs = negative ? -q.nanos : q.nanos
  const sign = negative ? "-" : ""
  const one = pow10(NANO)
  if (q.format === "BinarySI" && abs >= 1024n * one && abs % one === 0n) {
    let units = abs / one
    let step = 0
    while (step < 6 && units % 1024n === 0n) {
      units /= 1024n
      step++
    }
    return `${sign}${units}${["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][step]}`
  }
  let mantissa = abs
  let exp = -NANO
  while (mantissa % 10n === 0n) {
    mantissa /= 10n
    exp++
  }
  const aligned = Math.floor(exp / 3) * 3
  mantissa *= pow10(exp - aligned)
  exp = aligned
  if (q.format === "DecimalExponent") return `${sign}${mantissa}${exp === 0 ? "" : `e${exp}`}`
  if (exp > 18) {
    mantissa *= pow10(exp - 18)
    exp = 18
  }
  const suffix = Object.entries(decimalSuffixes).find(([, e]) => e === exp)?.[0] ?? ""
  return `${sign}${mantissa}${suffix}`
}

/** The canonical text of a written quantity (`"1.5"` -> `"1500m"`), or the input when it does not parse. */
export const canonicalQuantity = (input: QuantityValue): string => {
  const q = quantityOrUndefined(input)
  return q === undefined ? String(input) : formatQuantity(q)
}

/** -1, 0 or 1. */
export const compareQuantity = (a: Quantity, b: Quantity): -1 | 0 | 1 =>
  a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0

/** The amount in milli-units, rounded up (upstream `MilliValue`): `500m` -> 500, `1` -> 1000. */
export const milliValue = (q: Quantity): number => Number(divUp(q.nanos, 1_000_000n))

/** The amount in whole units, rounded up (upstream `Value`): `64Mi` -> 67108864 bytes, `500m` -> 1. */
export const unitValue = (q: Quantity): number => Number(divUp(q.nanos, pow10(NANO)))

/** A quantity of `milli` milli-units (cpu), formatted like `resource.NewMilliQuantity(n, DecimalSI)`. */
export const fromMilli = (milli: number): Quantity => ({
  nanos: BigInt(Math.round(milli)) * 1_000_000n,
  format: "DecimalSI"
})

/** A quantity of whole units in the given family (`fromUnits(1024, "BinarySI")` is `1Ki`). */
export const fromUnits = (units: number, format: QuantityFormat = "DecimalSI"): Quantity => ({
  nanos: BigInt(Math.round(units)) * pow10(NANO),
  format
})

/** Sum of quantities; the result takes the first operand's format. */
export const addQuantity = (a: Quantity, b: Quantity): Quantity => ({ nanos: a.nanos + b.nanos, format: a.format })
