/**
 * Field errors as `apimachinery/pkg/util/validation/field` builds and renders them: the cause type
 * (`FieldValueRequired`, ...), the body (`Invalid value: "X": detail`) and the path
 * (`spec.containers[0].image`). A `FieldCause` is one `Status.details.causes[]` entry.
 */
import type { FieldCause } from "./Errors.js"

/** `field.Path`: `child` adds `.name`, `index` adds `[i]`, `key` adds `[k]` (unquoted, as upstream). */
export const child = (path: string, ...names: ReadonlyArray<string>): string => {
  let p = path
  for (let i = 0; i < names.length; i++) p = p === "" ? names[i]! : `${p}.${names[i]!}`
  return p
}
export const index = (path: string, i: number): string => `${path}[${i}]`
export const key = (path: string, k: string): string => `${path}[${k}]`

/** A value rendered verbatim (Go's `%#v` of a struct or map), for `invalid`. */
export interface GoLiteral {
  readonly go: string
}
export type BadValue = string | number | boolean | null | undefined | GoLiteral

/** Go's `%q` for the printable strings Kubernetes names hold; JSON escaping is the same there. */
export const goQuote = (s: string): string => JSON.stringify(s)

/** Go's `%#v` of a `map[string]string`: `map[string]string{"a":"b"}` (keys sorted, as fmt does). */
export const goStringMap = (m: Readonly<Record<string, string>> | undefined): GoLiteral => ({
  go:
    m === undefined
      ? "map[string]string(nil)"
      : `map[string]string{${Object.keys(m)
          .sort()
          .map((k) => `${goQuote(k)}:${goQuote(m[k] ?? "")}`)
          .join(", ")}}`
})

const renderValue = (value: BadValue): string => {
  if (value === null || value === undefined) return goQuote("null")
  if (typeof value === "string") return goQuote(value)
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  return value.go
}

const withDetail = (body: string, detail: string | undefined): string =>
  detail === undefined || detail === "" ? body : `${body}: ${detail}`

/** `field.Required`: `Required value`. */
export const required = (field: string, detail?: string): FieldCause => ({
  reason: "FieldValueRequired",
  message: withDetail("Required value", detail),
  field
})

/** `field.Invalid`: `Invalid value: "X": detail`. */
export const invalid = (field: string, value: BadValue, detail?: string): FieldCause => ({
  reason: "FieldValueInvalid",
  message: withDetail(`Invalid value: ${renderValue(value)}`, detail),
  field
})

/** `field.Duplicate`: `Duplicate value: "x"`. */
export const duplicate = (field: string, value: BadValue): FieldCause => ({
  reason: "FieldValueDuplicate",
  message: `Duplicate value: ${renderValue(value)}`,
  field
})

/** `field.NotFound`: `Not found: "x"`. */
export const notFound = (field: string, value: BadValue): FieldCause => ({
  reason: "FieldValueNotFound",
  message: `Not found: ${renderValue(value)}`,
  field
})

/** `field.NotSupported`: `Unsupported value: "x": supported values: "a", "b"`. */
export const notSupported = (field: string, value: BadValue, supported: ReadonlyArray<string>): FieldCause => ({
  reason: "FieldValueNotSupported",
  message: withDetail(
    `Unsupported value: ${renderValue(value)}`,
    supported.length === 0 ? undefined : `supported values: ${supported.map(goQuote).join(", ")}`
  ),
  field
})

/** `field.Forbidden`: `Forbidden: detail`. */
export const forbidden = (field: string, detail: string): FieldCause => ({
  reason: "FieldValueForbidden",
  message: withDetail("Forbidden", detail),
  field
})

/** `field.TooLong`: `Too long: must have at most N bytes`. */
export const tooLong = (field: string, maxLength: number): FieldCause => ({
  reason: "FieldValueTooLong",
  message: `Too long: must have at most ${maxLength} bytes`,
  field
})

/** `field.TooMany`: `Too many: N: must have at most M items`. */
export const tooMany = (field: string, actual: number, max: number): FieldCause => ({
  reason: "FieldValueTooMany",
  message: `Too many: ${actual}: must have at most ${max} items`,
  field
})

/** `field.Error.Error()`: `spec.containers[0].image: Required value`. */
export const causeText = (cause: FieldCause): string =>
  cause.field === "" ? cause.message : `${cause.field}: ${cause.message}`

/** An `invalid` cause per message of a name check (`isDNS1123Label(...)` and friends). */
export const invalidEach = (field: string, value: BadValue, messages: ReadonlyArray<string>): Array<FieldCause> =>
  messages.map((m) => invalid(field, value, m))
