/**
 * Field selectors (`metadata.name=web,status.phase!=Running`), parsed as
 * `k8s.io/apimachinery/pkg/fields` does, with the selectable fields of each resource (the
 * `GetAttrs`/`ToSelectableFields` of the API server's registries).
 */
import type { KubeObject } from "./Meta.js"

/** One term; an empty list matches everything. */
export interface FieldRequirement {
  readonly field: string
  readonly operator: "=" | "!="
  readonly value: string
}

export type ParsedFieldSelector =
  | { readonly _tag: "Ok"; readonly requirements: ReadonlyArray<FieldRequirement> }
  | { readonly _tag: "Error"; readonly message: string }

type Getter = (object: any) => string | undefined

const str = (value: unknown): string => (value === undefined || value === null ? "" : String(value))

const metadataFields: Record<string, Getter> = {
  "metadata.name": (o) => str(o.metadata?.name),
  "metadata.namespace": (o) => str(o.metadata?.namespace)
}

const podFields: Record<string, Getter> = {
  ...metadataFields,
  "spec.nodeName": (o) => str(o.spec?.nodeName),
  "spec.restartPolicy": (o) => str(o.spec?.restartPolicy),
  "spec.schedulerName": (o) => str(o.spec?.schedulerName),
  "spec.serviceAccountName": (o) => str(o.spec?.serviceAccountName),
  "spec.hostNetwork": (o) => String(o.spec?.hostNetwork === true),
  "status.phase": (o) => str(o.status?.phase),
  "status.podIP": (o) => str(o.status?.podIP),
  "status.nominatedNodeName": (o) => str(o.status?.nominatedNodeName)
}

const eventFields: Record<string, Getter> = {
  ...metadataFields,
  "involvedObject.kind": (o) => str(o.involvedObject?.kind),
  "involvedObject.namespace": (o) => str(o.involvedObject?.namespace),
  "involvedObject.name": (o) => str(o.involvedObject?.name),
  "involvedObject.uid": (o) => str(o.involvedObject?.uid),
  "involvedObject.apiVersion": (o) => str(o.involvedObject?.apiVersion),
  "involvedObject.resourceVersion": (o) => str(o.involvedObject?.resourceVersion),
  "involvedObject.fieldPath": (o) => str(o.involvedObject?.fieldPath),
  reason: (o) => str(o.reason),
  reportingComponent: (o) => str(o.reportingComponent),
  source: (o) => str(o.source?.component),
  type: (o) => str(o.type)
}

const fieldsByResource: Record<string, Record<string, Getter>> = {
  pods: podFields,
  events: eventFields,
  nodes: { ...metadataFields, "spec.unschedulable": (o) => String(o.spec?.unschedulable === true) },
  namespaces: { ...metadataFields, "status.phase": (o) => str(o.status?.phase) },
  secrets: { ...metadataFields, type: (o) => str(o.type) },
  replicasets: { ...metadataFields, "status.replicas": (o) => str(o.status?.replicas) }
}

/** The selectable fields of a resource (plural name). */
export const selectableFields = (resource: string): ReadonlyArray<string> =>
  Object.keys(fieldsByResource[resource] ?? metadataFields)

const getterFor = (resource: string, field: string): Getter | undefined => {
  const fields = fieldsByResource[resource] ?? metadataFields
  return Object.hasOwn(fields, field) ? fields[field] : undefined
}

/** Splits on unescaped `sep`, keeping escapes for the next stage. */
const splitTerms = (s: string): Array<string> => {
  const terms: Array<string> = []
  let start = 0
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++
    else if (s[i] === ",") {
      terms.push(s.slice(start, i))
      start = i + 1
    }
  }
  terms.push(s.slice(start))
  return terms
}

const unescapeValue = (s: string): string | undefined => {
  let out = ""
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (ch === "\\") {
      const next = s[i + 1]
      if (next !== "\\" && next !== "," && next !== "=") return undefined
      out += next
      i++
    } else if (ch === "," || ch === "=") {
      return undefined
    } else out += ch
  }
  return out
}

/** Finds the first unescaped operator in a term. */
const splitTerm = (term: string): { lhs: string; op: "=" | "==" | "!="; rhs: string } | undefined => {
  for (let i = 0; i < term.length; i++) {
    const ch = term[i]
    if (ch === "\\") {
      i++
      continue
    }
    for (const op of ["!=", "==", "="] as const) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) }
    }
  }
  return undefined
}

/** Parses a field selector for a resource; unsupported fields are `field label not supported: x`. */
export const parseFieldSelector = (resource: string, selector: string): ParsedFieldSelector => {
  const requirements: Array<FieldRequirement> = []
  if (selector.trim() === "") return { _tag: "Ok", requirements }
  for (const term of splitTerms(selector)) {
    if (term === "") continue
    const parts = splitTerm(term)
    const rhs = parts === undefined ? undefined : unescapeValue(parts.rhs)
    if (parts === undefined || rhs === undefined) {
      return { _tag: "Error", message: `invalid selector: '${selector}'; can't understand '${term}'` }
    }
    const field = parts.lhs.trim()
    if (getterFor(resource, field) === undefined) {
      return { _tag: "Error", message: `field label not supported: ${field}` }
    }
    requirements.push({ field, operator: parts.op === "!=" ? "!=" : "=", value: rhs })
  }
  return { _tag: "Ok", requirements }
}

/** The value of a selectable field of an object ("" when absent). */
export const fieldValue = (resource: string, object: KubeObject, field: string): string =>
  getterFor(resource, field)?.(object) ?? ""

/** Whether an object satisfies every requirement. */
export const matchesFields = (
  resource: string,
  requirements: ReadonlyArray<FieldRequirement>,
  object: KubeObject
): boolean => {
  for (const r of requirements) {
    const value = fieldValue(resource, object, r.field)
    if (r.operator === "=" ? value !== r.value : value === r.value) return false
  }
  return true
}
