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
  value.length <= DNS1123LabelMaxLength && dns1123LabelRe.test(value) ? noErrors : checkDNS1123Label(value)

const checkDNS1123Label = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (value.length > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength))
  if (!dns1123LabelRe.test(value)) errs.push(regexError(dns1123LabelErrorMsg, dns1123LabelFmt, "my-name", "123-abc"))
  return errs
}

/** `IsDNS1123Subdomain`: most object names. */
export const isDNS1123Subdomain = (value: string): ReadonlyArray<string> =>
  value.length <= DNS1123SubdomainMaxLength && dns1123SubdomainRe.test(value) ? noErrors : checkDNS1123Subdomain(value)

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
  value.indexOf("/") < 0 && value.length <= qualifiedNameMaxLength && qualifiedNameRe.test(value)
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
  value.length <= 63 && labelValueRe.test(value) ? noErrors : checkValidLabelValue(value)

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
