/**
 * Name and key checks of `apimachinery/pkg/util/validation/validation.go`, with upstream's exact
 * messages. Each returns the list of problems (empty when valid), as the Go functions do.
 */

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`
const qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
const labelValueFmt = `(${qualifiedNameFmt})?`
const configMapKeyFmt = "[-._a-zA-Z0-9]+"

const anchored = (fmt: string): RegExp => new RegExp(`^${fmt}$`)
const dns1123LabelRe = anchored(dns1123LabelFmt)
const dns1123SubdomainRe = anchored(dns1123SubdomainFmt)
const qualifiedNameRe = anchored(qualifiedNameFmt)
const labelValueRe = anchored(labelValueFmt)
const configMapKeyRe = anchored(configMapKeyFmt)

// Scanners equal to the anchored regexes above on strings (a property test holds them to it), for
// the valid case every object takes; the regexes stay the reference, word the errors and take
// whatever is not a string (as `test` coerces it).

/** a-z or 0-9 */
const isLowerAlnum = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57)

/** A-Z, a-z or 0-9 */
const isAlnum = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90)

/** `dns1123LabelRe.test(value)` */
export const matchesDNS1123Label = (value: string): boolean => {
  const n = value.length
  if (n === 0 || !isLowerAlnum(value.charCodeAt(0)) || !isLowerAlnum(value.charCodeAt(n - 1))) return false
  for (let i = 1; i < n - 1; i++) {
    const c = value.charCodeAt(i)
    if (c !== 45 && !isLowerAlnum(c)) return false
  }
  return true
}

/** `dns1123SubdomainRe.test(value)`: labels joined by dots (each dot between two alphanumerics). */
export const matchesDNS1123Subdomain = (value: string): boolean => {
  const n = value.length
  if (n === 0 || !isLowerAlnum(value.charCodeAt(0)) || !isLowerAlnum(value.charCodeAt(n - 1))) return false
  for (let i = 1; i < n - 1; i++) {
    const c = value.charCodeAt(i)
    if (c === 46) {
      if (!isLowerAlnum(value.charCodeAt(i - 1)) || !isLowerAlnum(value.charCodeAt(i + 1))) return false
    } else if (c !== 45 && !isLowerAlnum(c)) return false
  }
  return true
}

/** `qualifiedNameRe.test(value)` */
export const matchesQualifiedName = (value: string): boolean => {
  const n = value.length
  if (n === 0 || !isAlnum(value.charCodeAt(0)) || !isAlnum(value.charCodeAt(n - 1))) return false
  for (let i = 1; i < n - 1; i++) {
    const c = value.charCodeAt(i)
    // '-' '_' '.'
    if (c !== 45 && c !== 95 && c !== 46 && !isAlnum(c)) return false
  }
  return true
}

/** `labelValueRe.test(value)` */
export const matchesLabelValue = (value: string): boolean => value.length === 0 || matchesQualifiedName(value)

/** The regexes the scanners stand for (for their property test). */
export const nameRegexes = {
  dns1123Label: dns1123LabelRe,
  dns1123Subdomain: dns1123SubdomainRe,
  qualifiedName: qualifiedNameRe,
  labelValue: labelValueRe
} as const

/** Upstream `RegexError`: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')`. */
const regexError = (msg: string, fmt: string, ...examples: ReadonlyArray<string>): string => {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`
  return `${msg} (e.g. ${examples.map((e) => `'${e}'`).join(",  or ")}, regex used for validation is '${fmt}')`
}

const noErrors: ReadonlyArray<string> = []

/** `check(value)`, remembering valid values (bounded): objects repeat the same prefixed keys. */
const validOrCheck = (
  valid: Set<string>,
  value: string,
  check: (value: string) => ReadonlyArray<string>
): ReadonlyArray<string> => {
  if (valid.has(value)) return noErrors
  const errors = check(value)
  if (errors.length === 0) {
    if (valid.size >= 4096) valid.clear()
    valid.add(value)
  }
  return errors
}

/** Upstream `MaxLenError`. */
export const maxLenError = (length: number): string => `must be no more than ${length} characters`

export const DNS1123LabelMaxLength = 63
export const DNS1123SubdomainMaxLength = 253

export const dns1123LabelErrorMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
export const dns1123SubdomainErrorMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"

/** `IsDNS1123Label`: container, port-less names, namespaces. */
export const isDNS1123Label = (value: string): ReadonlyArray<string> =>
  value.length <= DNS1123LabelMaxLength &&
  (typeof value === "string" ? matchesDNS1123Label(value) : dns1123LabelRe.test(value))
    ? noErrors
    : checkDNS1123Label(value)

const checkDNS1123Label = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (value.length > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength))
  if (!dns1123LabelRe.test(value)) errs.push(regexError(dns1123LabelErrorMsg, dns1123LabelFmt, "my-name", "123-abc"))
  return errs
}

/** `IsDNS1123Subdomain`: most object names. */
export const isDNS1123Subdomain = (value: string): ReadonlyArray<string> =>
  value.length <= DNS1123SubdomainMaxLength &&
  (typeof value === "string" ? matchesDNS1123Subdomain(value) : dns1123SubdomainRe.test(value))
    ? noErrors
    : checkDNS1123Subdomain(value)

const checkDNS1123Subdomain = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (value.length > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength))
  if (!dns1123SubdomainRe.test(value))
    errs.push(regexError(dns1123SubdomainErrorMsg, dns1123SubdomainFmt, "example.com"))
  return errs
}

const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const qualifiedNameMaxLength = 63

const validQualifiedName = new Set<string>()

/** `IsQualifiedName`: label and annotation keys, `[prefix/]name` (a plain name is checked at once). */
export const isQualifiedName = (value: string): ReadonlyArray<string> =>
  value.indexOf("/") < 0 &&
  value.length <= qualifiedNameMaxLength &&
  (typeof value === "string" ? matchesQualifiedName(value) : qualifiedNameRe.test(value))
    ? noErrors
    : validOrCheck(validQualifiedName, value, checkQualifiedName)

const checkQualifiedName = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  const parts = value.split("/")
  let name: string
  if (parts.length === 1) {
    name = parts[0] ?? ""
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? ""
    name = parts[1] ?? ""
    if (prefix.length === 0) errs.push("prefix part must be non-empty")
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`)
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`
    ]
  }
  if (name.length === 0) errs.push("name part must be non-empty")
  else if (name.length > qualifiedNameMaxLength) errs.push(`name part ${maxLenError(qualifiedNameMaxLength)}`)
  if (!qualifiedNameRe.test(name)) {
    errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")}`)
  }
  return errs
}

const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

/** `IsValidLabelValue`. */
export const isValidLabelValue = (value: string): ReadonlyArray<string> =>
  value.length <= 63 && (typeof value === "string" ? matchesLabelValue(value) : labelValueRe.test(value))
    ? noErrors
    : checkValidLabelValue(value)

const checkValidLabelValue = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (value.length > 63) errs.push(maxLenError(63))
  if (!labelValueRe.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
  return errs
}

const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"

/** `IsConfigMapKey`: keys of ConfigMap and Secret data. */
export const isConfigMapKey = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (value.length > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength))
  if (!configMapKeyRe.test(value)) {
    errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
  }
  if (value === ".") errs.push("must not be '.'")
  else if (value === "..") errs.push("must not be '..'")
  else if (value.startsWith("..")) errs.push("must not start with '..'")
  return errs
}

/** `IsValidPortName` (IANA_SVC_NAME): container and service port names. */
export const isValidPortName = (port: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (port.length > 15) errs.push(maxLenError(15))
  if (!/^[-a-z0-9]+$/.test(port)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)")
  if (port.includes("--")) errs.push("must not contain consecutive hyphens")
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) errs.push("must not begin or end with a hyphen")
  return errs
}

/** `IsValidPortNum`. */
export const isValidPortNum = (port: number): ReadonlyArray<string> =>
  Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)]

/** Upstream `InclusiveRangeError`. */
export const inclusiveRangeError = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`

/** Environment variable names (RelaxedEnvironmentVariableValidation, on by default since v1.32). */
export const isEnvVarName = (value: string): ReadonlyArray<string> =>
  value.length > 0 && /^[\x20-\x7e]+$/.test(value) && !value.includes("=")
    ? []
    : ["a valid environment variable name must consist only of printable ASCII characters other than '='"]

/** `NameIsDNSSubdomain` with the generateName prefix rule (a trailing `-` is allowed for a prefix). */
export const nameIsDNSSubdomain = (name: string, prefix: boolean): ReadonlyArray<string> =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)

/** `NameIsDNSLabel` (namespaces), with the same prefix rule. */
export const nameIsDNSLabel = (name: string, prefix: boolean): ReadonlyArray<string> =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name)

const maskTrailingDash = (name: string): string =>
  name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name

const dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?"
const dns1035LabelRe = anchored(dns1035LabelFmt)
export const dns1035LabelErrorMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"

/** `IsDNS1035Label`: Service names. */
export const isDNS1035Label = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (value.length > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength))
  if (!dns1035LabelRe.test(value)) errs.push(regexError(dns1035LabelErrorMsg, dns1035LabelFmt, "my-name", "abc-123"))
  return errs
}
