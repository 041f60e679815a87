/**
 * Object validation as the API server does it (`pkg/apis/core/validation`, `pkg/apis/apps/validation`,
 * `apimachinery/pkg/api/validation`): every problem collected, with Kubernetes' field paths and
 * wording. Runs on defaulted objects, as upstream does. `invalidMessage` renders the 422 Status text.
 */
import type { FieldCause } from "./Errors.js"
import {
  type BadValue,
  causeText,
  child,
  duplicate,
  forbidden,
  goQuote,
  goStringMap,
  index,
  invalid,
  invalidEach,
  key,
  notFound,
  notSupported,
  required,
  tooLong
} from "./FieldErrors.js"
import type { KubeObject, LabelSelector, ObjectMeta } from "./Meta.js"
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSLabel,
  nameIsDNSSubdomain
} from "./Names.js"
import type {
  ConfigMap,
  Endpoints,
  Event,
  Lease,
  Namespace,
  Node,
  PodDisruptionBudget,
  ReplicaSet,
  Secret,
  Service
} from "./Objects.js"
import type {
  Container,
  ContainerPort,
  ContainerStatus,
  EnvVar,
  HTTPGetAction,
  LifecycleHandler,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume
} from "./Pod.js"
import { compareQuantity, formatQuantity, parseQuantity, type Quantity } from "./Quantity.js"
import { resourceForKind } from "./Resources.js"
import { eventLooksValid, podLooksValid } from "./ValidationFast.js"

type Causes = Array<FieldCause>
type NameFn = (name: string, prefix: boolean) => ReadonlyArray<string>

export const isNegativeErrorMsg = "must be greater than or equal to 0"
export const fieldImmutableErrorMsg = "field is immutable"
const MaxInt32 = 2147483647
const TotalAnnotationSizeLimitB = 256 * 1024
const MaxSecretSize = 1024 * 1024

const nonNegative = (value: number | undefined, path: string): Causes =>
  value !== undefined && value < 0 ? [invalid(path, value, isNegativeErrorMsg)] : []

const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  try {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
  } catch {
    // too deep to compare (opaque fields nested beyond the stack): treat as changed
    return false
  }
}

/** Key-sorted copy, so that equality ignores key order; `undefined` members dropped. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k]
      if (v !== undefined) out[k] = canonical(v)
    }
    return out
  }
  return value
}

// ---------------------------------------------------------------------------------------------
// Metadata

/** `ValidateLabels`: keys are qualified names, values label values; the path is the map's. */
export const validateLabels = (labels: Readonly<Record<string, string>> | undefined, path: string): Causes => {
  const errs: Causes = []
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...invalidEach(path, k, isQualifiedName(k)))
    errs.push(...invalidEach(path, v, isValidLabelValue(String(v))))
  }
  return errs
}

/** `ValidateAnnotations`: lower-cased keys are qualified names; total size at most 256 KiB. */
export const validateAnnotations = (
  annotations: Readonly<Record<string, string>> | undefined,
  path: string
): Causes => {
  const errs: Causes = []
  let size = 0
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...invalidEach(path, k, isQualifiedName(k.toLowerCase())))
    size += k.length + String(v).length
  }
  if (size > TotalAnnotationSizeLimitB) errs.push(tooLong(path, TotalAnnotationSizeLimitB))
  return errs
}

/** `ValidateObjectMeta`: name (or generateName), namespace presence, labels, annotations, finalizers. */
export const validateObjectMeta = (
  meta: ObjectMeta,
  namespaced: boolean,
  nameFn: NameFn,
  path = "metadata"
): Causes => {
  const errs: Causes = []
  if (meta.generateName !== undefined && meta.generateName !== "") {
    errs.push(...invalidEach(child(path, "generateName"), meta.generateName, nameFn(meta.generateName, true)))
  }
  if (meta.name === undefined || meta.name === "") {
    errs.push(required(child(path, "name"), "name or generateName is required"))
  } else {
    errs.push(...invalidEach(child(path, "name"), meta.name, nameFn(meta.name, false)))
  }
  if (namespaced) {
    if (meta.namespace === undefined || meta.namespace === "") errs.push(required(child(path, "namespace")))
    else errs.push(...invalidEach(child(path, "namespace"), meta.namespace, nameIsDNSLabel(meta.namespace, false)))
  } else if (meta.namespace !== undefined && meta.namespace !== "") {
    errs.push(forbidden(child(path, "namespace"), "not allowed on this type"))
  }
  errs.push(...nonNegative(meta.generation, child(path, "generation")))
  errs.push(...validateLabels(meta.labels, child(path, "labels")))
  errs.push(...validateAnnotations(meta.annotations, child(path, "annotations")))
  for (const [i, f] of (meta.finalizers ?? []).entries()) {
    errs.push(...invalidEach(index(child(path, "finalizers"), i), f, isQualifiedName(f)))
  }
  return errs
}

/** `ValidateObjectMetaUpdate`: name, namespace, uid and creationTimestamp are immutable. */
export const validateObjectMetaUpdate = (meta: ObjectMeta, old: ObjectMeta, path = "metadata"): Causes => {
  const errs: Causes = []
  for (const field of immutableMetaFields) {
    if ((meta[field] ?? "") !== (old[field] ?? "")) {
      errs.push(invalid(child(path, field), meta[field] ?? "", fieldImmutableErrorMsg))
    }
  }
  return errs
}

const immutableMetaFields = ["name", "namespace", "uid", "creationTimestamp"] as const

// ---------------------------------------------------------------------------------------------
// Label selectors

/** `ValidateLabelSelector`. */
export const validateLabelSelector = (selector: LabelSelector, path: string): Causes => {
  const errs: Causes = []
  for (const [i, req] of (selector.matchExpressions ?? []).entries()) {
    const p = index(child(path, "matchExpressions"), i)
    const values = req.values ?? []
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          errs.push(required(child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        }
        break
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          errs.push(forbidden(child(p, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        }
        break
      default:
        errs.push(invalid(child(p, "operator"), req.operator, "not a valid selector operator"))
    }
    errs.push(...invalidEach(child(p, "key"), req.key, isQualifiedName(req.key)))
  }
  errs.push(...validateLabels(selector.matchLabels, child(path, "matchLabels")))
  return errs
}

/** Whether a structured selector selects a label set (an empty selector selects everything). */
export const matchesLabelSelector = (
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined
): boolean => {
  const set = labels ?? {}
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (set[k] !== v) return false
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(set, req.key)
    const value = set[req.key]
    const values = req.values ?? []
    const ok =
      req.operator === "In"
        ? has && values.includes(value ?? "")
        : req.operator === "NotIn"
          ? !has || !values.includes(value ?? "")
          : req.operator === "Exists"
            ? has
            : !has
    if (!ok) return false
  }
  return true
}

const goLabelSelector = (s: LabelSelector): BadValue => ({
  go: `v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels).go}, MatchExpressions:[]v1.LabelSelectorRequirement(${
    (s.matchExpressions ?? []).length === 0 ? "nil" : `len=${s.matchExpressions?.length}`
  })}`
})

// ---------------------------------------------------------------------------------------------
// Pods

const restartPolicies = ["Always", "OnFailure", "Never"]
const pullPolicies = ["Always", "IfNotPresent", "Never"]
const protocols = ["SCTP", "TCP", "UDP"]
const dnsPolicies = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]
const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"])
const downwardFieldPaths = [
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs"
]

/** `ValidateVolumes`: returns the causes and the set of volume names the mounts may reference. */
const validateVolumes = (volumes: ReadonlyArray<Volume>, path: string): [Causes, Set<string>] => {
  const errs: Causes = []
  const names = new Set<string>()
  for (const [i, v] of volumes.entries()) {
    const p = index(path, i)
    if (v.name === undefined || v.name === "") errs.push(required(child(p, "name")))
    else {
      const msgs = isDNS1123Label(v.name)
      errs.push(...invalidEach(child(p, "name"), v.name, msgs))
      if (names.has(v.name)) errs.push(duplicate(child(p, "name"), v.name))
      else if (msgs.length === 0) names.add(v.name)
    }
    const sources = (["emptyDir", "configMap", "secret", "hostPath"] as const).filter((s) => v[s] !== undefined)
    const known = new Set(["name", "emptyDir", "configMap", "secret", "hostPath"])
    const opaque = Object.keys(v).filter((k) => !known.has(k))
    if (sources.length + opaque.length === 0) errs.push(required(p, "must specify a volume type"))
    for (const s of sources.slice(1)) errs.push(forbidden(child(p, s), "may not specify more than 1 volume type"))
    if (v.configMap !== undefined && (v.configMap.name ?? "") === "") {
      errs.push(required(child(p, "configMap", "name")))
    }
    if (v.secret !== undefined && (v.secret.secretName ?? "") === "") {
      errs.push(required(child(p, "secret", "secretName")))
    }
    if (v.hostPath !== undefined && (v.hostPath.path ?? "") === "") errs.push(required(child(p, "hostPath", "path")))
    for (const [src, items] of [
      ["configMap", v.configMap?.items],
      ["secret", v.secret?.items]
    ] as const) {
      for (const [j, item] of (items ?? []).entries()) {
        const ip = index(child(p, src, "items"), j)
        if ((item.key ?? "") === "") errs.push(required(child(ip, "key")))
        if ((item.path ?? "") === "") errs.push(required(child(ip, "path")))
      }
    }
  }
  return [errs, names]
}

const validatePortNumOrName = (port: number | string | undefined, path: string): Causes => {
  if (typeof port === "number") return invalidEach(path, port, isValidPortNum(port))
  if (typeof port === "string") {
    if (port === "") return [required(path)]
    return invalidEach(path, port, isValidPortName(port))
  }
  return [required(path)]
}

const validateHTTPGet = (a: HTTPGetAction, path: string): Causes => {
  const errs: Causes = []
  if ((a.path ?? "") === "") errs.push(required(child(path, "path")))
  errs.push(...validatePortNumOrName(a.port, child(path, "port")))
  if (a.scheme !== undefined && a.scheme !== "HTTP" && a.scheme !== "HTTPS") {
    errs.push(notSupported(child(path, "scheme"), a.scheme, ["HTTP", "HTTPS"]))
  }
  return errs
}

type AnyHandler = Probe & LifecycleHandler

/** `validateHandler`: exactly one handler type, each well formed. */
const validateHandler = (
  h: AnyHandler,
  kinds: ReadonlyArray<keyof AnyHandler>,
  grace: number,
  path: string
): Causes => {
  const errs: Causes = []
  let count = 0
  for (const kind of kinds) {
    if (h[kind] === undefined) continue
    const p = child(path, kind)
    if (count > 0) {
      errs.push(forbidden(p, "may not specify more than 1 handler type"))
      continue
    }
    count++
    if (kind === "exec" && (h.exec?.command ?? []).length === 0) errs.push(required(child(p, "command")))
    if (kind === "httpGet" && h.httpGet !== undefined) errs.push(...validateHTTPGet(h.httpGet, p))
    if (kind === "tcpSocket") errs.push(...validatePortNumOrName(h.tcpSocket?.port, child(p, "port")))
    if (kind === "grpc") {
      const port = h.grpc?.port ?? 0
      errs.push(...invalidEach(child(p, "port"), port, isValidPortNum(port)))
    }
    if (kind === "sleep") {
      const seconds = h.sleep?.seconds ?? 0
      if (seconds < 0 || seconds > grace) {
        errs.push(
          invalid(
            child(p, "seconds"),
            seconds,
            `must be non-negative and less than terminationGracePeriodSeconds (${grace})`
          )
        )
      }
    }
  }
  if (count === 0) errs.push(required(path, "must specify a handler type"))
  return errs
}

const probeHandlers = ["exec", "httpGet", "tcpSocket", "grpc"] as const
const lifecycleHandlers = ["exec", "httpGet", "tcpSocket", "sleep"] as const

const validateProbe = (probe: Probe | undefined, grace: number, path: string): Causes => {
  if (probe === undefined) return []
  const errs = validateHandler(probe, probeHandlers, grace, path)
  for (const f of [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold"
  ] as const) {
    errs.push(...nonNegative(probe[f], child(path, f)))
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(
      invalid(
        child(path, "terminationGracePeriodSeconds"),
        probe.terminationGracePeriodSeconds,
        "must be greater than 0"
      )
    )
  }
  return errs
}

const parseOrInvalid = (value: string | number, path: string, errs: Causes): Quantity | undefined => {
  const r = parseQuantity(value)
  if (r._tag === "Success") return r.success
  errs.push(invalid(path, String(value), r.failure))
  return undefined
}

/** `ValidateResourceRequirements` for a container: names, non-negative values, requests <= limits. */
export const validateResources = (resources: ResourceRequirements | undefined, path: string): Causes => {
  const errs: Causes = []
  const limPath = child(path, "limits")
  const reqPath = child(path, "requests")
  const resourceName = (name: string, p: string): void => {
    if (name.includes("/")) errs.push(...invalidEach(p, name, isQualifiedName(name)))
    if (!standardContainerResources.has(name) && !name.startsWith("hugepages-") && !name.includes("/")) {
      errs.push(invalid(p, name, "must be a standard resource for containers"))
    }
  }
  const limits = new Map<string, Quantity>()
  for (const [name, value] of Object.entries(resources?.limits ?? {})) {
    const p = key(limPath, name)
    resourceName(name, p)
    const q = parseOrInvalid(value, p, errs)
    if (q === undefined) continue
    if (q.nanos < 0n) errs.push(invalid(p, formatQuantity(q), isNegativeErrorMsg))
    limits.set(name, q)
  }
  for (const [name, value] of Object.entries(resources?.requests ?? {})) {
    const p = key(reqPath, name)
    resourceName(name, p)
    const q = parseOrInvalid(value, p, errs)
    if (q === undefined) continue
    if (q.nanos < 0n) errs.push(invalid(p, formatQuantity(q), isNegativeErrorMsg))
    const limit = limits.get(name)
    const overcommit = !name.startsWith("hugepages-") && (standardContainerResources.has(name) || !name.includes("/"))
    if (limit !== undefined) {
      if (!overcommit && compareQuantity(q, limit) !== 0) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(limit)}`))
      } else if (compareQuantity(q, limit) > 0) {
        errs.push(
          invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`)
        )
      }
    } else if (!overcommit) {
      errs.push(required(limPath, "Limit must be set for non overcommitable resources"))
    }
  }
  return errs
}

const validateEnv = (env: ReadonlyArray<EnvVar>, path: string): Causes => {
  const errs: Causes = []
  for (const [i, e] of env.entries()) {
    const p = index(path, i)
    if ((e.name ?? "") === "") errs.push(required(child(p, "name")))
    else errs.push(...invalidEach(child(p, "name"), e.name, isEnvVarName(e.name)))
    const from = e.valueFrom
    if (from === undefined) continue
    const fp = child(p, "valueFrom")
    const sources = (["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"] as const).filter(
      (s) => from[s] !== undefined
    )
    if (sources.length === 0)
      errs.push(
        invalid(fp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
      )
    else if (sources.length > 1) {
      errs.push(invalid(fp, "", "may not have more than one field specified at a time"))
    }
    if ((e.value ?? "") !== "" && sources.length > 0) {
      errs.push(invalid(fp, "", "may not be specified when `value` is not empty"))
    }
    if (from.fieldRef !== undefined) {
      const fieldPath = from.fieldRef.fieldPath ?? ""
      const base = fieldPath.replace(/\[.*$/, "")
      if (fieldPath === "") errs.push(required(child(fp, "fieldRef", "fieldPath")))
      else if (
        !downwardFieldPaths.includes(base) ||
        (fieldPath !== base && !/^metadata\.(labels|annotations)\['.+'\]$/.test(fieldPath))
      ) {
        errs.push(notSupported(child(fp, "fieldRef", "fieldPath"), fieldPath, downwardFieldPaths))
      }
    }
    for (const ref of ["configMapKeyRef", "secretKeyRef"] as const) {
      const sel = from[ref]
      if (sel === undefined) continue
      if ((sel.key ?? "") === "") errs.push(required(child(fp, ref, "key")))
      else errs.push(...invalidEach(child(fp, ref, "key"), sel.key, isConfigMapKey(sel.key)))
      if ((sel.name ?? "") === "") errs.push(required(child(fp, ref, "name")))
    }
  }
  return errs
}

const validatePorts = (ports: ReadonlyArray<ContainerPort>, path: string): Causes => {
  const errs: Causes = []
  const names = new Set<string>()
  for (const [i, port] of ports.entries()) {
    const p = index(path, i)
    if (port.name !== undefined && port.name !== "") {
      const msgs = isValidPortName(port.name)
      if (msgs.length > 0) errs.push(...invalidEach(child(p, "name"), port.name, msgs))
      else if (names.has(port.name)) errs.push(duplicate(child(p, "name"), port.name))
      else names.add(port.name)
    }
    if ((port.containerPort ?? 0) === 0) errs.push(required(child(p, "containerPort")))
    else errs.push(...invalidEach(child(p, "containerPort"), port.containerPort, isValidPortNum(port.containerPort)))
    if ((port.hostPort ?? 0) !== 0) {
      errs.push(...invalidEach(child(p, "hostPort"), port.hostPort, isValidPortNum(port.hostPort ?? 0)))
    }
    if ((port.protocol ?? "") === "") errs.push(required(child(p, "protocol")))
    else if (!protocols.includes(port.protocol ?? ""))
      errs.push(notSupported(child(p, "protocol"), port.protocol, protocols))
  }
  return errs
}

interface ContainerContext {
  readonly volumes: Set<string>
  readonly grace: number
  readonly init: boolean
}

/** `validateContainerCommon` plus the per-kind rules (probes, restartPolicy, mounts). */
const validateContainer = (c: Container, path: string, ctx: ContainerContext): Causes => {
  const errs: Causes = []
  if ((c.name ?? "") === "") errs.push(required(child(path, "name")))
  else errs.push(...invalidEach(child(path, "name"), c.name, isDNS1123Label(c.name)))
  if ((c.image ?? "") === "") errs.push(required(child(path, "image")))
  else if ((c.image ?? "").trim() !== c.image) {
    errs.push(invalid(child(path, "image"), c.image, "must not have leading or trailing whitespace"))
  }
  if ((c.imagePullPolicy ?? "") === "") errs.push(required(child(path, "imagePullPolicy")))
  else if (!pullPolicies.includes(c.imagePullPolicy ?? "")) {
    errs.push(notSupported(child(path, "imagePullPolicy"), c.imagePullPolicy, pullPolicies))
  }
  if (
    c.terminationMessagePolicy !== undefined &&
    !["File", "FallbackToLogsOnError"].includes(c.terminationMessagePolicy)
  ) {
    errs.push(
      notSupported(child(path, "terminationMessagePolicy"), c.terminationMessagePolicy, [
        "File",
        "FallbackToLogsOnError"
      ])
    )
  }
  errs.push(...validatePorts(c.ports ?? [], child(path, "ports")))
  errs.push(...validateEnv(c.env ?? [], child(path, "env")))
  for (const [i, from] of (c.envFrom ?? []).entries()) {
    const p = index(child(path, "envFrom"), i)
    if ((from.prefix ?? "") !== "")
      errs.push(...invalidEach(child(p, "prefix"), from.prefix, isEnvVarName(from.prefix ?? "")))
    const refs = (["configMapRef", "secretRef"] as const).filter((r) => from[r] !== undefined)
    if (refs.length === 0) errs.push(invalid(p, "", "must specify one of: `configMapRef` or `secretRef`"))
    else if (refs.length > 1) errs.push(invalid(p, "", "may not have more than one field specified at a time"))
    for (const r of refs) if ((from[r]?.name ?? "") === "") errs.push(required(child(p, r, "name")))
  }
  errs.push(...validateResources(c.resources, child(path, "resources")))
  const mountPaths = new Set<string>()
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    const p = index(child(path, "volumeMounts"), i)
    if ((m.name ?? "") === "") errs.push(required(child(p, "name")))
    else if (!ctx.volumes.has(m.name)) errs.push(notFound(child(p, "name"), m.name))
    if ((m.mountPath ?? "") === "") errs.push(required(child(p, "mountPath")))
    else if (mountPaths.has(m.mountPath)) errs.push(invalid(child(p, "mountPath"), m.mountPath, "must be unique"))
    else mountPaths.add(m.mountPath)
    if ((m.subPath ?? "").startsWith("/")) errs.push(invalid(child(p, "subPath"), m.subPath, "must be a relative path"))
  }
  const sidecar = ctx.init && c.restartPolicy === "Always"
  if (ctx.init) {
    if (c.restartPolicy !== undefined && c.restartPolicy !== "Always") {
      errs.push(notSupported(child(path, "restartPolicy"), c.restartPolicy, ["Always"]))
    }
  } else if (c.restartPolicy !== undefined) {
    errs.push(forbidden(child(path, "restartPolicy"), "may not be set for non-init containers"))
  }
  if (ctx.init && !sidecar) {
    const why = "may not be set for init containers without restartPolicy=Always"
    if (c.lifecycle !== undefined) errs.push(forbidden(child(path, "lifecycle"), why))
    if (c.livenessProbe !== undefined) errs.push(forbidden(child(path, "livenessProbe"), why))
    if (c.readinessProbe !== undefined) errs.push(forbidden(child(path, "readinessProbe"), why))
    if (c.startupProbe !== undefined) errs.push(forbidden(child(path, "startupProbe"), why))
  } else {
    errs.push(...validateProbe(c.livenessProbe, ctx.grace, child(path, "livenessProbe")))
    errs.push(...validateProbe(c.readinessProbe, ctx.grace, child(path, "readinessProbe")))
    errs.push(...validateProbe(c.startupProbe, ctx.grace, child(path, "startupProbe")))
    for (const which of ["livenessProbe", "startupProbe"] as const) {
      const t = c[which]?.successThreshold
      if (t !== undefined && t !== 1) errs.push(invalid(child(path, which, "successThreshold"), t, "must be 1"))
    }
    const rt = c.readinessProbe?.terminationGracePeriodSeconds
    if (rt !== undefined) {
      errs.push(
        invalid(
          child(path, "readinessProbe", "terminationGracePeriodSeconds"),
          rt,
          "must not be set for readinessProbes"
        )
      )
    }
    for (const hook of ["postStart", "preStop"] as const) {
      const h = c.lifecycle?.[hook]
      if (h !== undefined)
        errs.push(...validateHandler(h, lifecycleHandlers, ctx.grace, child(path, "lifecycle", hook)))
    }
  }
  return errs
}

/** `validateTolerations`. */
export const validateTolerations = (tolerations: ReadonlyArray<Toleration>, path: string): Causes => {
  const errs: Causes = []
  for (const [i, t] of tolerations.entries()) {
    const p = index(path, i)
    const k = t.key ?? ""
    if (k !== "") errs.push(...invalidEach(child(p, "key"), k, isQualifiedName(k)))
    if (k === "" && t.operator !== "Exists") {
      errs.push(
        invalid(
          child(p, "operator"),
          t.operator ?? "",
          'operator must be Exists when `key` is empty, which means "match all values and all keys"'
        )
      )
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errs.push(
        invalid(child(p, "effect"), t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set")
      )
    }
    switch (t.operator ?? "") {
      case "Equal":
      case "":
        errs.push(...invalidEach(child(p, "operator"), t.value ?? "", isValidLabelValue(t.value ?? "")))
        break
      case "Exists":
        if ((t.value ?? "") !== "") {
          errs.push(invalid(child(p, "operator"), t.value ?? "", "value must be empty when `operator` is 'Exists'"))
        }
        break
      default:
        errs.push(notSupported(child(p, "operator"), t.operator, ["Equal", "Exists"]))
    }
    if ((t.effect ?? "") !== "" && !taintEffects.includes(t.effect ?? "")) {
      errs.push(notSupported(child(p, "effect"), t.effect, taintEffects))
    }
  }
  return errs
}

/** `ValidatePodSpec`. */
export const validatePodSpec = (spec: PodSpec, path = "spec"): Causes => {
  const errs: Causes = []
  const grace = spec.terminationGracePeriodSeconds ?? 30
  const [volErrs, volumes] = validateVolumes(spec.volumes ?? [], child(path, "volumes"))
  errs.push(...volErrs)
  const containers = spec.containers ?? []
  if (containers.length === 0) errs.push(required(child(path, "containers")))
  const names = new Set<string>()
  for (const [i, c] of containers.entries()) {
    const p = index(child(path, "containers"), i)
    errs.push(...validateContainer(c, p, { volumes, grace, init: false }))
    if ((c.name ?? "") !== "") {
      if (names.has(c.name)) errs.push(duplicate(child(p, "name"), c.name))
      else names.add(c.name)
    }
  }
  for (const [i, c] of (spec.initContainers ?? []).entries()) {
    const p = index(child(path, "initContainers"), i)
    errs.push(...validateContainer(c, p, { volumes, grace, init: true }))
    if ((c.name ?? "") !== "") {
      if (names.has(c.name)) errs.push(duplicate(child(p, "name"), c.name))
      else names.add(c.name)
    }
  }
  // host ports must be unique across all containers (AccumulateUniqueHostPorts)
  const hostPorts = new Set<string>()
  for (const [field, list] of [
    ["containers", containers],
    ["initContainers", spec.initContainers ?? []]
  ] as const) {
    for (const [i, c] of list.entries()) {
      for (const [j, port] of (c.ports ?? []).entries()) {
        if ((port.hostPort ?? 0) === 0) continue
        const id = `${port.protocol ?? "TCP"}/${port.hostIP ?? ""}/${port.hostPort}`
        const p = child(index(child(index(child(path, field), i), "ports"), j), "hostPort")
        if (hostPorts.has(id)) errs.push(duplicate(p, id))
        else hostPorts.add(id)
      }
    }
  }
  const restartPolicy = spec.restartPolicy ?? ""
  if (restartPolicy === "") errs.push(required(child(path, "restartPolicy")))
  else if (!restartPolicies.includes(restartPolicy)) {
    errs.push(notSupported(child(path, "restartPolicy"), restartPolicy, restartPolicies))
  }
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(spec.dnsPolicy)) {
    errs.push(notSupported(child(path, "dnsPolicy"), spec.dnsPolicy, dnsPolicies))
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, "nodeSelector")))
  if (spec.serviceAccountName !== undefined && spec.serviceAccountName !== "") {
    errs.push(
      ...invalidEach(
        child(path, "serviceAccountName"),
        spec.serviceAccountName,
        isDNS1123Subdomain(spec.serviceAccountName)
      )
    )
  }
  if (spec.nodeName !== undefined && spec.nodeName !== "") {
    errs.push(...invalidEach(child(path, "nodeName"), spec.nodeName, isDNS1123Subdomain(spec.nodeName)))
  }
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds
    if (v < 1 || v > MaxInt32)
      errs.push(invalid(child(path, "activeDeadlineSeconds"), v, inclusiveRangeError(1, MaxInt32)))
  }
  errs.push(...nonNegative(spec.terminationGracePeriodSeconds, child(path, "terminationGracePeriodSeconds")))
  errs.push(...validateTolerations(spec.tolerations ?? [], child(path, "tolerations")))
  if (spec.hostname !== undefined && spec.hostname !== "") {
    errs.push(...invalidEach(child(path, "hostname"), spec.hostname, isDNS1123Label(spec.hostname)))
  }
  if (spec.subdomain !== undefined && spec.subdomain !== "") {
    errs.push(...invalidEach(child(path, "subdomain"), spec.subdomain, isDNS1123Label(spec.subdomain)))
  }
  for (const [i, gate] of (spec.readinessGates ?? []).entries()) {
    const p = child(index(child(path, "readinessGates"), i), "conditionType")
    errs.push(...invalidEach(p, gate.conditionType, isQualifiedName(gate.conditionType ?? "")))
  }
  const gates = new Set<string>()
  for (const [i, gate] of (spec.schedulingGates ?? []).entries()) {
    const p = index(child(path, "schedulingGates"), i)
    errs.push(...invalidEach(child(p, "name"), gate.name, isQualifiedName(gate.name ?? "")))
    if (gates.has(gate.name)) errs.push(duplicate(p, gate.name))
    gates.add(gate.name)
  }
  return errs
}

/** `ValidatePod` (a valid pod is recognised by the yes/no pass, without building causes). */
export const validatePod = (pod: Pod): Causes =>
  looksValid(pod)
    ? []
    : [...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain), ...validatePodSpec(pod.spec ?? ({} as PodSpec))]

const looksValid = (pod: Pod): boolean => {
  try {
    return podLooksValid(pod)
  } catch {
    return false // a shape no decoder produced: the collecting pass reports it
  }
}

const updatablePodSpecFields = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
]

/** The Forbidden text of a disallowed pod spec change (upstream appends a Go diff, omitted here). */
export const podUpdateForbiddenMessage = `pod updates may not change fields other than ${updatablePodSpecFields.join(",")}`

const validateContainerUpdates = (
  next: ReadonlyArray<Container>,
  old: ReadonlyArray<Container>,
  path: string
): [Causes, boolean] => {
  if (next.length !== old.length) return [[forbidden(path, "pod updates may not add or remove containers")], true]
  const errs: Causes = []
  for (const [i, c] of next.entries()) {
    if ((c.image ?? "") === "") errs.push(required(child(index(path, i), "image")))
  }
  return [errs, false]
}

/** `ValidatePodUpdate`: full validation plus the few spec changes a pod allows. */
export const validatePodUpdate = (pod: Pod, old: Pod): Causes => {
  const errs: Causes = [...validateObjectMetaUpdate(pod.metadata, old.metadata), ...validatePod(pod)]
  const spec = pod.spec ?? ({} as PodSpec)
  const oldSpec = old.spec ?? ({} as PodSpec)
  const [cErrs, stop] = validateContainerUpdates(spec.containers ?? [], oldSpec.containers ?? [], "spec.containers")
  errs.push(...cErrs)
  if (stop) return errs
  const [iErrs, stopInit] = validateContainerUpdates(
    spec.initContainers ?? [],
    oldSpec.initContainers ?? [],
    "spec.initContainers"
  )
  errs.push(...iErrs)
  if (stopInit) return errs
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds
    if (v < 0 || v > MaxInt32) {
      errs.push(invalid("spec.activeDeadlineSeconds", v, inclusiveRangeError(0, MaxInt32)))
      return errs
    }
    if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds < v) {
      errs.push(invalid("spec.activeDeadlineSeconds", v, "must be less than or equal to previous value"))
      return errs
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined) {
    errs.push(invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"))
  }
  // tolerations: existing ones may change only their tolerationSeconds
  for (const t of oldSpec.tolerations ?? []) {
    const found = (spec.tolerations ?? []).some((n) => sameJson({ ...t, tolerationSeconds: n.tolerationSeconds }, n))
    if (!found) {
      errs.push(forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"))
      break
    }
  }
  // scheduling gates: only deletions
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name))
  for (const [i, g] of (spec.schedulingGates ?? []).entries()) {
    if (!oldGates.has(g.name)) {
      errs.push(
        forbidden(
          child(index("spec.schedulingGates", i), "name"),
          `only deletion is allowed, but found new scheduling gate '${g.name}'`
        )
      )
    }
  }
  if (sameJson(spec, oldSpec)) return errs
  const munge = (s: PodSpec): PodSpec => {
    const { activeDeadlineSeconds: _a, schedulingGates: _g, tolerations: _t, ...rest } = s
    const images = (cs: ReadonlyArray<Container> | undefined): Array<Container> | undefined =>
      cs?.map(({ image: _i, ...c }) => c)
    let tgps = rest.terminationGracePeriodSeconds
    if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && tgps === 1) tgps = oldSpec.terminationGracePeriodSeconds
    return {
      ...rest,
      containers: images(rest.containers) ?? [],
      ...(rest.initContainers === undefined ? {} : { initContainers: images(rest.initContainers) ?? [] }),
      ...(tgps === undefined ? {} : { terminationGracePeriodSeconds: tgps })
    }
  }
  let mungedNew = munge(spec)
  const mungedOld = munge(oldSpec)
  // gated pods may add node selectors and set node affinity
  if ((oldSpec.schedulingGates ?? []).length > 0) {
    const sel = { ...spec.nodeSelector }
    const oldSel = oldSpec.nodeSelector ?? {}
    const onlyAdded = Object.entries(oldSel).every(([k, v]) => sel[k] === v)
    if (onlyAdded) {
      const { nodeSelector: _n, affinity: _af, ...rest } = mungedNew
      mungedNew = {
        ...rest,
        ...(oldSpec.nodeSelector === undefined ? {} : { nodeSelector: oldSpec.nodeSelector }),
        ...(oldSpec.affinity === undefined ? {} : { affinity: oldSpec.affinity })
      }
    }
  }
  if (!sameJson(mungedNew, mungedOld)) errs.push(forbidden("spec", podUpdateForbiddenMessage))
  return errs
}

/** `ValidateContainerStateTransition`: without restarts, a terminated container stays terminated. */
const containerStateTransitions = (
  next: ReadonlyArray<ContainerStatus>,
  old: ReadonlyArray<ContainerStatus>,
  path: string,
  restartPolicy: string
): Causes => {
  if (restartPolicy === "Always") return []
  const errs: Causes = []
  for (const [i, o] of old.entries()) {
    const t = o.state?.terminated
    if (t === undefined) continue
    if (t.exitCode !== 0 && restartPolicy === "OnFailure") continue
    for (const n of next) {
      if (n.name === o.name && n.state?.terminated === undefined) {
        errs.push(forbidden(child(index(path, i), "state"), "may not be transitioned to non-terminated state"))
      }
    }
  }
  return errs
}

/**
 * `ValidatePodStatusUpdate` (status subresource): qosClass is immutable, nodeName is not changed
 * through status, terminated containers of a non-restarting pod stay terminated.
 */
export const validatePodStatusUpdate = (pod: Pod, old: Pod): Causes => {
  // the stored metadata itself (a status write's) has nothing immutable changed
  const errs: Causes = pod.metadata === old.metadata ? [] : [...validateObjectMetaUpdate(pod.metadata, old.metadata)]
  const qos = pod.status?.qosClass
  const oldQos = old.status?.qosClass
  if (oldQos !== undefined && qos !== oldQos) errs.push(invalid("status.qosClass", qos ?? "", fieldImmutableErrorMsg))
  if ((pod.spec?.nodeName ?? "") !== (old.spec?.nodeName ?? "")) {
    errs.push(forbidden("status.nodeName", "may not be changed directly"))
  }
  const restartPolicy = old.spec?.restartPolicy ?? "Always"
  if (restartPolicy !== "Always") {
    const transitions = containerStateTransitions(
      pod.status?.containerStatuses ?? [],
      old.status?.containerStatuses ?? [],
      "status.containerStatuses",
      restartPolicy
    )
    for (const cause of transitions) errs.push(cause)
  }
  if ((pod.spec?.nodeName ?? "") !== "" && pod.status?.nominatedNodeName !== undefined) {
    errs.push(
      ...invalidEach(
        "status.nominatedNodeName",
        pod.status.nominatedNodeName,
        isDNS1123Subdomain(pod.status.nominatedNodeName)
      )
    )
  }
  return errs
}

// ---------------------------------------------------------------------------------------------
// Other kinds

/** `ValidatePodTemplateSpecForReplicaSet` and `ValidateReplicaSetSpec`. */
export const validateReplicaSet = (rs: ReplicaSet): Causes => {
  const errs: Causes = [...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain)]
  const spec = (rs.spec ?? {}) as Partial<ReplicaSet["spec"]>
  errs.push(...nonNegative(spec.replicas, "spec.replicas"))
  errs.push(...nonNegative(spec.minReadySeconds, "spec.minReadySeconds"))
  const selector = spec.selector
  if (selector === undefined) errs.push(required("spec.selector"))
  else {
    errs.push(...validateLabelSelector(selector, "spec.selector"))
    if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
      errs.push(invalid("spec.selector", goLabelSelector(selector), "empty selector is invalid for deployment"))
    }
  }
  errs.push(...validateTemplate(spec.template, selector, "spec.template"))
  return errs
}

const validateTemplate = (
  template: PodTemplateSpec | undefined,
  selector: LabelSelector | undefined,
  path: string
): Causes => {
  if (template === undefined) return [required(path)]
  const errs: Causes = []
  const labels = template.metadata?.labels
  // LabelSelectorAsSelector: no selector selects nothing (so no template matches), an empty one everything
  const empty =
    selector !== undefined &&
    Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0
  if (!empty && (selector === undefined || !matchesLabelSelector(selector, labels))) {
    errs.push(
      invalid(child(path, "metadata", "labels"), goStringMap(labels), "`selector` does not match template `labels`")
    )
  }
  errs.push(...validateLabels(labels, child(path, "metadata", "labels")))
  errs.push(...validateAnnotations(template.metadata?.annotations, child(path, "metadata", "annotations")))
  errs.push(...validatePodSpec(template.spec ?? ({} as PodSpec), child(path, "spec")))
  const restartPolicy = template.spec?.restartPolicy
  if (restartPolicy !== "Always") {
    errs.push(notSupported(child(path, "spec", "restartPolicy"), restartPolicy ?? "", ["Always"]))
  }
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(
        child(path, "spec", "activeDeadlineSeconds"),
        template.spec.activeDeadlineSeconds,
        "activeDeadlineSeconds in ReplicaSet is not Supported"
      )
    )
  }
  return errs
}

/** `ValidateReplicaSetUpdate`: the selector is immutable in apps/v1. */
export const validateReplicaSetUpdate = (rs: ReplicaSet, old: ReplicaSet): Causes => {
  const errs: Causes = [...validateObjectMetaUpdate(rs.metadata, old.metadata), ...validateReplicaSet(rs)]
  if (!sameJson(rs.spec?.selector, old.spec?.selector)) {
    errs.push(invalid("spec.selector", goLabelSelector(rs.spec?.selector ?? {}), fieldImmutableErrorMsg))
  }
  return errs
}

const goServicePort = (p: NonNullable<NonNullable<Service["spec"]>["ports"]>[number]): BadValue => {
  const target = p.targetPort ?? 0
  const intstr =
    typeof target === "number"
      ? `intstr.IntOrString{Type:0, IntVal:${target}, StrVal:""}`
      : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(target)}}`
  return {
    go: `core.ServicePort{Name:${goQuote(p.name ?? "")}, Protocol:${goQuote(p.protocol ?? "")}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:${intstr}, NodePort:${p.nodePort ?? 0}}`
  }
}

/** `ValidateService` (ports, selector, type); clusterIP allocation is not checked here. */
export const validateService = (svc: Service): Causes => {
  const errs: Causes = [...validateObjectMeta(svc.metadata, true, (n) => isDNS1035Label(n))]
  const spec = svc.spec ?? {}
  const type = spec.type ?? "ClusterIP"
  const types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
  if (!types.includes(type)) errs.push(notSupported("spec.type", type, types))
  const ports = spec.ports ?? []
  if (type === "ExternalName") {
    if ((spec.externalName ?? "") === "") errs.push(required("spec.externalName"))
  } else if (spec.clusterIP !== "None" && ports.length === 0) {
    errs.push(required("spec.ports"))
  }
  const names = new Set<string>()
  const seen = new Set<string>()
  for (const [i, p] of ports.entries()) {
    const path = index("spec.ports", i)
    if (ports.length > 1 && (p.name ?? "") === "") errs.push(required(child(path, "name")))
    else if ((p.name ?? "") !== "") {
      const name = p.name ?? ""
      errs.push(...invalidEach(child(path, "name"), name, isDNS1123Label(name)))
      if (names.has(name)) errs.push(duplicate(child(path, "name"), name))
      else names.add(name)
    }
    errs.push(...invalidEach(child(path, "port"), p.port ?? 0, isValidPortNum(p.port ?? 0)))
    if ((p.protocol ?? "") === "") errs.push(required(child(path, "protocol")))
    else if (!protocols.includes(p.protocol ?? ""))
      errs.push(notSupported(child(path, "protocol"), p.protocol, protocols))
    if (p.targetPort !== undefined) errs.push(...validatePortNumOrName(p.targetPort, child(path, "targetPort")))
    const id = `${p.port}/${p.protocol ?? ""}`
    if (seen.has(id)) errs.push(duplicate(path, goServicePort(p)))
    seen.add(id)
    if (p.nodePort !== undefined && p.nodePort !== 0 && type === "ClusterIP") {
      errs.push(forbidden(child(path, "nodePort"), "may not be used when `type` is 'ClusterIP'"))
    }
  }
  errs.push(...validateLabels(spec.selector, "spec.selector"))
  return errs
}

/** `ValidateConfigMap`: keys, no key in both data and binaryData, total size at most 1 MiB. */
export const validateConfigMap = (cm: ConfigMap): Causes => {
  const errs: Causes = [...validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain)]
  let size = 0
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    errs.push(...invalidEach(key("data", k), k, isConfigMapKey(k)))
    size += String(v).length
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    errs.push(...invalidEach(key("binaryData", k), k, isConfigMapKey(k)))
    if (cm.data !== undefined && Object.hasOwn(cm.data, k)) {
      errs.push(invalid("binaryData", k, "duplicate of key present in data"))
    }
    size += Math.floor((String(v).length * 3) / 4)
  }
  if (size > MaxSecretSize) errs.push(tooLong("", MaxSecretSize))
  return errs
}

const immutableData = (immutable: boolean | undefined, old: boolean | undefined): Causes =>
  old === true && immutable !== true ? [forbidden("immutable", "field is immutable when `immutable` is set")] : []

/** `ValidateConfigMapUpdate`. */
export const validateConfigMapUpdate = (cm: ConfigMap, old: ConfigMap): Causes => {
  const errs: Causes = [...validateObjectMetaUpdate(cm.metadata, old.metadata), ...validateConfigMap(cm)]
  if (old.immutable === true) {
    errs.push(...immutableData(cm.immutable, old.immutable))
    if (!sameJson(cm.data, old.data)) errs.push(forbidden("data", "field is immutable when `immutable` is set"))
    if (!sameJson(cm.binaryData, old.binaryData)) {
      errs.push(forbidden("binaryData", "field is immutable when `immutable` is set"))
    }
  }
  return errs
}

/** `ValidateSecret`: keys, size, and the data a typed secret needs. */
export const validateSecret = (secret: Secret): Causes => {
  const errs: Causes = [...validateObjectMeta(secret.metadata, true, nameIsDNSSubdomain)]
  let size = 0
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    errs.push(...invalidEach(key("data", k), k, isConfigMapKey(k)))
    size += Math.floor((String(v).length * 3) / 4)
  }
  if (size > MaxSecretSize) errs.push(tooLong("data", MaxSecretSize))
  const data = secret.data ?? {}
  const needs = (k: string): void => {
    if (!Object.hasOwn(data, k)) errs.push(required(key("data", k)))
  }
  switch (secret.type) {
    case "kubernetes.io/tls":
      needs("tls.crt")
      needs("tls.key")
      break
    case "kubernetes.io/dockerconfigjson":
      needs(".dockerconfigjson")
      break
    case "kubernetes.io/dockercfg":
      needs(".dockercfg")
      break
    case "kubernetes.io/ssh-auth":
      needs("ssh-privatekey")
      break
  }
  return errs
}

/** `ValidateSecretUpdate`: type immutable; data immutable once `immutable` is set. */
export const validateSecretUpdate = (secret: Secret, old: Secret): Causes => {
  const errs: Causes = [...validateObjectMetaUpdate(secret.metadata, old.metadata), ...validateSecret(secret)]
  if ((secret.type ?? "") !== (old.type ?? "")) errs.push(invalid("type", secret.type ?? "", fieldImmutableErrorMsg))
  if (old.immutable === true) {
    errs.push(...immutableData(secret.immutable, old.immutable))
    if (!sameJson(secret.data, old.data)) errs.push(forbidden("data", "field is immutable when `immutable` is set"))
  }
  return errs
}

/** `ValidateNamespace`: a DNS-1123 label name. */
export const validateNamespace = (ns: Namespace): Causes => {
  const errs: Causes = [...validateObjectMeta(ns.metadata, false, nameIsDNSLabel)]
  for (const [i, f] of (ns.spec?.finalizers ?? []).entries()) {
    errs.push(...invalidEach(index("spec.finalizers", i), f, isQualifiedName(f)))
  }
  return errs
}

/** `ValidateNode`: name, taints, resource lists. */
export const validateNode = (node: Node): Causes => {
  const errs: Causes = [...validateObjectMeta(node.metadata, false, nameIsDNSSubdomain)]
  for (const [i, t] of (node.spec?.taints ?? []).entries()) {
    const p = index("spec.taints", i)
    errs.push(...invalidEach(child(p, "key"), t.key ?? "", isQualifiedName(t.key ?? "")))
    if ((t.value ?? "") !== "") errs.push(...invalidEach(child(p, "value"), t.value, isValidLabelValue(t.value ?? "")))
    if (String(t.effect ?? "") === "") errs.push(required(child(p, "effect")))
    else if (!taintEffects.includes(t.effect)) errs.push(notSupported(child(p, "effect"), t.effect, taintEffects))
  }
  for (const list of ["capacity", "allocatable"] as const) {
    for (const [name, value] of Object.entries(node.status?.[list] ?? {})) {
      const p = key(child("status", list), name)
      const q = parseOrInvalid(value, p, errs)
      if (q !== undefined && q.nanos < 0n) errs.push(invalid(p, formatQuantity(q), isNegativeErrorMsg))
    }
  }
  return errs
}

/**
 * `ValidateEvent` (core/v1): the involved object must live in the event's namespace (a valid
 * event is recognised by the yes/no pass, without building causes).
 */
export const validateEvent = (event: Event): Causes => (eventLooks(event) ? [] : collectEventCauses(event))

const eventLooks = (event: Event): boolean => {
  try {
    return eventLooksValid(event)
  } catch {
    return false // a shape no decoder produced: the collecting pass reports it
  }
}

/** `ValidateEvent`'s collecting pass (every cause, with paths and messages). */
export const collectEventCauses = (event: Event): Causes => {
  const errs: Causes = [...validateObjectMeta(event.metadata, true, nameIsDNSSubdomain)]
  const ns = event.involvedObject?.namespace ?? ""
  if (ns !== "" && ns !== (event.metadata.namespace ?? "")) {
    errs.push(invalid("involvedObject.namespace", ns, "does not match event.namespace"))
  }
  if (event.type !== undefined && !["Normal", "Warning"].includes(event.type)) {
    errs.push(notSupported("type", event.type, ["Normal", "Warning"]))
  }
  return errs
}

/** `ValidateEndpoints`: addresses carry an IP, ports are valid. */
export const validateEndpoints = (ep: Endpoints): Causes => {
  const errs: Causes = [...validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain)]
  for (const [i, subset] of (ep.subsets ?? []).entries()) {
    const p = index("subsets", i)
    for (const list of ["addresses", "notReadyAddresses"] as const) {
      for (const [j, a] of (subset[list] ?? []).entries()) {
        if ((a.ip ?? "") === "") errs.push(required(child(index(child(p, list), j), "ip")))
      }
    }
    for (const [j, port] of (subset.ports ?? []).entries()) {
      errs.push(...invalidEach(child(index(child(p, "ports"), j), "port"), port.port, isValidPortNum(port.port ?? 0)))
    }
  }
  return errs
}

const intOrPercent = (value: number | string | undefined, path: string): Causes => {
  if (value === undefined) return []
  if (typeof value === "number") return nonNegative(value, path)
  const m = /^(\d+)%$/.exec(value)
  if (m === null) return [invalid(path, value, "must be an integer or percentage (e.g '5%')")]
  return Number(m[1]) > 100 ? [invalid(path, value, "must not be greater than 100%")] : []
}

/** `ValidatePodDisruptionBudget`. */
export const validatePodDisruptionBudget = (pdb: PodDisruptionBudget): Causes => {
  const errs: Causes = [...validateObjectMeta(pdb.metadata, true, nameIsDNSSubdomain)]
  const spec = pdb.spec ?? {}
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(
      invalid(
        "spec",
        { go: "policy.PodDisruptionBudgetSpec{...}" },
        "minAvailable and maxUnavailable cannot be both set"
      )
    )
  }
  errs.push(...intOrPercent(spec.minAvailable, "spec.minAvailable"))
  errs.push(...intOrPercent(spec.maxUnavailable, "spec.maxUnavailable"))
  if (spec.selector !== undefined) errs.push(...validateLabelSelector(spec.selector, "spec.selector"))
  return errs
}

/** `ValidateLease`. */
export const validateLease = (lease: Lease): Causes => {
  const errs: Causes = [...validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain)]
  const d = lease.spec?.leaseDurationSeconds
  if (d !== undefined && d <= 0) errs.push(invalid("spec.leaseDurationSeconds", d, "must be greater than 0"))
  return errs
}

/** Create-time validation for any served kind (unknown kinds: metadata only). */
export const validateObject = (object: KubeObject): Causes => {
  switch (object.kind) {
    case "Pod":
      return validatePod(object as Pod)
    case "ReplicaSet":
      return validateReplicaSet(object as ReplicaSet)
    case "Service":
      return validateService(object as Service)
    case "ConfigMap":
      return validateConfigMap(object as ConfigMap)
    case "Secret":
      return validateSecret(object as Secret)
    case "Namespace":
      return validateNamespace(object as Namespace)
    case "Node":
      return validateNode(object as Node)
    case "Event":
      return validateEvent(object as Event)
    case "Endpoints":
      return validateEndpoints(object as Endpoints)
    case "PodDisruptionBudget":
      return validatePodDisruptionBudget(object as PodDisruptionBudget)
    case "Lease":
      return validateLease(object as Lease)
    default:
      return validateObjectMeta(
        object.metadata ?? {},
        resourceForKind(object.kind)?.namespaced ?? true,
        nameIsDNSSubdomain
      )
  }
}

/** Update-time validation for any served kind. */
export const validateObjectUpdate = (object: KubeObject, old: KubeObject): Causes => {
  switch (object.kind) {
    case "Pod":
      return validatePodUpdate(object as Pod, old as Pod)
    case "ReplicaSet":
      return validateReplicaSetUpdate(object as ReplicaSet, old as ReplicaSet)
    case "ConfigMap":
      return validateConfigMapUpdate(object as ConfigMap, old as ConfigMap)
    case "Secret":
      return validateSecretUpdate(object as Secret, old as Secret)
    default: {
      const meta = validateObjectMetaUpdate(object.metadata ?? {}, old.metadata ?? {})
      const causes = validateObject(object)
      return meta.length === 0 ? causes : [...meta, ...causes]
    }
  }
}

/** Drops repeated causes (same field and message), as `ErrorList.ToAggregate` does. */
export const dedupeCauses = (causes: ReadonlyArray<FieldCause>): ReadonlyArray<FieldCause> => {
  const seen = new Set<string>()
  return causes.filter((c) => {
    const t = causeText(c)
    if (seen.has(t)) return false
    seen.add(t)
    return true
  })
}

/**
 * The 422 Status message: `Pod "web" is invalid: spec.containers[0].image: Required value`, or with
 * several causes `Pod "web" is invalid: [a: x, b: y]`. Non-core kinds read `ReplicaSet.apps "rs"`.
 */
export const invalidMessage = (
  kind: string,
  name: string,
  causes: ReadonlyArray<FieldCause>,
  group?: string
): string => {
  const g = group ?? resourceForKind(kind)?.group ?? ""
  const qualified = g === "" ? kind : `${kind}.${g}`
  const texts = dedupeCauses(causes).map(causeText)
  const aggregate = texts.length === 1 ? (texts[0] ?? "") : `[${texts.join(", ")}]`
  return `${qualified} ${goQuote(name)} is invalid: ${aggregate}`
}
