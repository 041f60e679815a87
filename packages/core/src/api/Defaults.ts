/**
 * API-server defaulting (`pkg/apis/core/v1/defaults.go`, `pkg/apis/apps/v1/defaults.go`) and the
 * admission defaults podlet applies (default NoExecute tolerations, priority, service account).
 * Pure functions from an object to its defaulted copy; never re-applied to fields already set.
 */

import { copyOf, extend } from "./Extend.js"
import type { KubeObject } from "./Meta.js"
import type { ConfigMap, Namespace, Node, ReplicaSet, Secret, Service } from "./Objects.js"
import type {
  Container,
  HTTPGetAction,
  LifecycleHandler,
  Pod,
  PodSpec,
  Probe,
  PullPolicy,
  ResourceList,
  Toleration,
  Volume
} from "./Pod.js"
import { formatQuantity, quantityOrUndefined } from "./Quantity.js"

// ---------------------------------------------------------------------------------------------
// Images (spec §6.1)

/** An image reference split as `pkg/util/parsers.ParseImageName` does; undefined when malformed. */
export interface ImageName {
  readonly repository: string
  readonly tag: string
  readonly digest: string
}

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`
const referenceRe = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`
)

/** `ParseImageName`: no tag and no digest means tag `latest`. */
export const parseImageName = (image: string): ImageName | undefined => {
  const m = referenceRe.exec(image)
  if (m === null || (m[1] ?? "").length > 255) return undefined
  const digest = m[3] ?? ""
  if (digest.startsWith("sha256:") && digest.length !== "sha256:".length + 64) return undefined
  const tag = m[2] ?? (digest === "" ? "latest" : "")
  return { repository: m[1] ?? "", tag, digest }
}

/** Pull policies by image (bounded): manifests repeat the same few images. */
const pullPolicies = new Map<string, PullPolicy>()

/** `SetDefaults_Container`: `Always` for tag `latest` (explicit or implied), else `IfNotPresent`. */
export const defaultPullPolicy = (image: string | undefined): PullPolicy => {
  const key = image ?? ""
  let policy = pullPolicies.get(key)
  if (policy === undefined) {
    policy = parseImageName(key)?.tag === "latest" ? "Always" : "IfNotPresent"
    if (pullPolicies.size >= 4096) pullPolicies.clear()
    pullPolicies.set(key, policy)
  }
  return policy
}

// ---------------------------------------------------------------------------------------------
// Pods

export const DefaultTerminationGracePeriodSeconds = 30
export const DefaultSchedulerName = "default-scheduler"
export const DefaultTolerationSeconds = 300
export const TaintNodeNotReady = "node.kubernetes.io/not-ready"
export const TaintNodeUnreachable = "node.kubernetes.io/unreachable"

const defaultToleration = (key: string): Toleration =>
  Object.freeze({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: DefaultTolerationSeconds } as const)

/** The default tolerations, frozen and shared (stored objects are never changed in place). */
const notReadyToleration = defaultToleration(TaintNodeNotReady)
const unreachableToleration = defaultToleration(TaintNodeUnreachable)
const bothDefaultTolerations: ReadonlyArray<Toleration> = Object.freeze([notReadyToleration, unreachableToleration])

/** `securityContext: {}`, frozen and shared. */
const emptySecurityContext: NonNullable<PodSpec["securityContext"]> = Object.freeze({})

/** One value of a resource list rounded up to milli-units, written canonically (the input if no quantity). */
const defaultQuantity = (value: string | number): string | number => {
  const q = quantityOrUndefined(value)
  if (q === undefined) return value
  const rem = q.nanos % 1_000_000n
  const nanos = rem === 0n ? q.nanos : q.nanos - rem + (q.nanos > 0n ? 1_000_000n : 0n)
  return formatQuantity({ ...q, nanos })
}

/** Defaulted quantities by input (bounded): manifests repeat the same few values. */
const defaultedQuantities = new Map<string | number, string | number>()

/** One value of a resource list defaulted (remembered). */
const defaultedValue = (value: string | number): string | number => {
  let defaulted = defaultedQuantities.get(value)
  if (defaulted === undefined) {
    defaulted = defaultQuantity(value)
    if (defaultedQuantities.size >= 4096) defaultedQuantities.clear()
    defaultedQuantities.set(value, defaulted)
  }
  return defaulted
}

/** Each member of `list` defaulted into `out` (replaced in place or appended). */
const defaultInto = (out: Record<string, string | number>, list: ResourceList): void => {
  for (const name in list) {
    if (!Object.hasOwn(list, name)) continue
    out[name] = defaultedValue(list[name]!)
  }
}

/** `SetDefaults_ResourceList`: values rounded up to milli-units and written canonically. */
export const defaultResourceList = (list: ResourceList): ResourceList => {
  const out: Record<string, string | number> = {}
  defaultInto(out, list)
  return out
}

const defaultHTTPGet = (a: HTTPGetAction): HTTPGetAction =>
  extend(a, { path: a.path ?? "/", scheme: a.scheme ?? "HTTP" })

const defaultHandler = <H extends LifecycleHandler>(h: H): H =>
  h.httpGet === undefined ? h : (extend(h, { httpGet: defaultHTTPGet(h.httpGet) }) as H)

/** `SetDefaults_Probe` (spec §8.1); `initialDelaySeconds` 0 stays omitted, as upstream serialises it. */
export const defaultProbe = (p: Probe): Probe =>
  extend(defaultHandler(p), {
    timeoutSeconds: p.timeoutSeconds ?? 1,
    periodSeconds: p.periodSeconds ?? 10,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3
  })

const defaultPort = (p: NonNullable<Container["ports"]>[number]): NonNullable<Container["ports"]>[number] =>
  p.protocol === undefined ? extend(p, { protocol: "TCP" as const }) : p

/**
 * `SetDefaults_Container` plus its ports, probes, hooks and resources; `requestsFromLimits` (a pod's
 * containers, not a template's): `SetDefaults_Pod`'s requests defaulted from the limits as well.
 */
export const defaultContainer = (c: Container, requestsFromLimits = false): Container => {
  const out = copyOf(c)
  out.imagePullPolicy = c.imagePullPolicy ?? defaultPullPolicy(c.image)
  out.terminationMessagePath = c.terminationMessagePath ?? "/dev/termination-log"
  out.terminationMessagePolicy = c.terminationMessagePolicy ?? "File"
  if (c.ports !== undefined) out.ports = c.ports.map(defaultPort)
  if (c.livenessProbe !== undefined) out.livenessProbe = defaultProbe(c.livenessProbe)
  if (c.readinessProbe !== undefined) out.readinessProbe = defaultProbe(c.readinessProbe)
  if (c.startupProbe !== undefined) out.startupProbe = defaultProbe(c.startupProbe)
  if (c.lifecycle !== undefined) {
    const { postStart, preStop } = c.lifecycle
    const lifecycle = copyOf(c.lifecycle)
    if (postStart !== undefined) lifecycle.postStart = defaultHandler(postStart)
    if (preStop !== undefined) lifecycle.preStop = defaultHandler(preStop)
    out.lifecycle = lifecycle
  }
  const resources = copyOf(c.resources ?? {})
  const requests = resources.requests
  const limits = resources.limits
  if (requestsFromLimits && limits !== undefined) {
    // requests default to the limits: `extend(limits, requests)` of the defaulted lists, built as one
    // list (set after the limits, as before: in place when given, else appended)
    resources.limits = defaultResourceList(limits)
    const merged: Record<string, string | number> = {}
    defaultInto(merged, limits)
    if (requests !== undefined) defaultInto(merged, requests)
    resources.requests = merged
  } else {
    if (requests !== undefined) resources.requests = defaultResourceList(requests)
    if (limits !== undefined) resources.limits = defaultResourceList(limits)
  }
  out.resources = resources
  if (c.env !== undefined) {
    out.env = c.env.map((e) =>
      e.valueFrom?.fieldRef === undefined
        ? e
        : extend(e, {
            valueFrom: extend(e.valueFrom, { fieldRef: extend({ apiVersion: "v1" }, e.valueFrom.fieldRef) })
          })
    )
  }
  return out
}

/** `SetDefaults_Volume` and its sources: no source means `emptyDir: {}`, file modes 0644 (420). */
export const defaultVolume = (v: Volume): Volume => {
  let sourced = false
  for (const key in v) if (key !== "name") sourced = true
  // `extend`, not spreads: a spread adding a member its base lacks (`defaultMode`) is slow on Node 20
  if (!sourced) return extend(v, { emptyDir: {} })
  const out = copyOf(v)
  if (v.configMap !== undefined) out.configMap = extend(v.configMap, { defaultMode: v.configMap.defaultMode ?? 420 })
  if (v.secret !== undefined) out.secret = extend(v.secret, { defaultMode: v.secret.defaultMode ?? 420 })
  if (v.hostPath !== undefined) out.hostPath = extend(v.hostPath, { type: v.hostPath.type ?? "" })
  return out
}

/** A pod spec's containers defaulted (on the host network, `hostPort` defaults to `containerPort` first). */
const defaultSpecContainers = (
  containers: ReadonlyArray<Container>,
  hostNetwork: boolean,
  forPod: boolean
): Array<Container> => {
  // what `map` would do with a value no decoder produced (the strategy then leaves the object as it is)
  if (!Array.isArray(containers as unknown)) throw new TypeError("containers is not an array")
  // `map` with a function made once (tsx's keepNames would name a closure on every call): a list of
  // its exact length (a list filled by `push` keeps room for 17, about 130 bytes more per pod)
  if (!hostNetwork) return containers.map(forPod ? defaultPodContainer : defaultTemplateContainer)
  const out: Array<Container> = new Array(containers.length)
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i]!
    out[i] = defaultContainer(
      c.ports !== undefined
        ? extend(c, { ports: c.ports.map((p) => extend(p, { hostPort: p.hostPort ?? p.containerPort })) })
        : c,
      forPod
    )
  }
  return out
}

/** `defaultContainer` of a pod's container (requests defaulted from limits), for `map` */
const defaultPodContainer = (c: Container): Container => defaultContainer(c, true)

/** `defaultContainer` of a template's container, for `map` */
const defaultTemplateContainer = (c: Container): Container => defaultContainer(c, false)

/** `SetDefaults_PodSpec` (used for pods and pod templates; `forPod`: with `SetDefaults_Pod`'s requests). */
export const defaultPodSpec = (given: PodSpec | undefined, forPod = false): PodSpec => {
  const out = copyOf(given ?? ({} as PodSpec))
  const hostNetwork = out.hostNetwork === true
  out.containers = defaultSpecContainers(given?.containers ?? [], hostNetwork, forPod)
  if (out.initContainers !== undefined)
    out.initContainers = defaultSpecContainers(out.initContainers, hostNetwork, forPod)
  if (out.volumes !== undefined) out.volumes = out.volumes.map(defaultVolume)
  out.restartPolicy = out.restartPolicy ?? "Always"
  out.terminationGracePeriodSeconds = out.terminationGracePeriodSeconds ?? DefaultTerminationGracePeriodSeconds
  out.dnsPolicy = out.dnsPolicy ?? "ClusterFirst"
  out.securityContext = out.securityContext ?? emptySecurityContext
  out.schedulerName = out.schedulerName ?? DefaultSchedulerName
  return out
}

/** Whether a toleration in `list` tolerates the NoExecute `taint` (its key, or any key). */
const tolerates = (list: ReadonlyArray<Toleration>, taint: string): boolean =>
  list.some((t) => (t.key === taint || (t.key ?? "") === "") && (t.effect === "NoExecute" || (t.effect ?? "") === ""))

/**
 * The `DefaultTolerationSeconds` admission plugin (spec §10.2): add the not-ready and unreachable
 * NoExecute tolerations of 300 s unless the pod already tolerates those taints.
 */
export const defaultTolerations = (tolerations: ReadonlyArray<Toleration> | undefined): ReadonlyArray<Toleration> => {
  const list = tolerations ?? []
  // the common case (no tolerations given): one frozen list shared by every pod
  if (list.length === 0) return bothDefaultTolerations
  const notReady = !tolerates(list, TaintNodeNotReady)
  const unreachable = !tolerates(list, TaintNodeUnreachable)
  if (!notReady && !unreachable) return list
  const added: Array<Toleration> = [...list]
  if (notReady) added.push(notReadyToleration)
  if (unreachable) added.push(unreachableToleration)
  return added
}

/** Every defaulting a created pod gets: v1 defaults, then the admission defaults. */
export const defaultPod = (pod: Pod): Pod => {
  const spec = defaultPodSpecOfPod(pod.spec)
  // `extend(pod, { spec })` with one copy
  const out = copyOf(pod)
  out.spec = spec
  return out
}

/** The spec `defaultPod` gives a pod whose spec is `given` (for a caller that copies the pod itself). */
export const defaultPodSpecOfPod = (given: PodSpec | undefined): PodSpec => {
  // a fresh copy already, its containers' requests defaulted from their limits (`SetDefaults_Pod`): set in place
  const spec = defaultPodSpec(given, true) as { -readonly [K in keyof PodSpec]: PodSpec[K] }
  const serviceAccount = spec.serviceAccountName ?? spec.serviceAccount ?? "default"
  spec.enableServiceLinks = spec.enableServiceLinks ?? true
  spec.tolerations = defaultTolerations(spec.tolerations)
  spec.serviceAccountName = serviceAccount
  spec.serviceAccount = serviceAccount
  spec.priority = spec.priority ?? 0
  spec.preemptionPolicy = spec.preemptionPolicy ?? "PreemptLowerPriority"
  return spec
}

// ---------------------------------------------------------------------------------------------
// Other kinds

const encoder = new TextEncoder()

/** Standard base64 of a string's UTF-8 bytes (no Buffer: core runs in workerd). */
export const base64Encode = (text: string): string => {
  let binary = ""
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Secret defaults: `type: Opaque`, `stringData` merged into `data` (base64) and dropped. */
export const defaultSecret = (secret: Secret): Secret => {
  const { stringData, ...rest } = secret
  const data: Record<string, string> = { ...secret.data }
  for (const [k, v] of Object.entries(stringData ?? {})) data[k] = base64Encode(v)
  return {
    ...rest,
    type: secret.type === undefined || secret.type === "" ? "Opaque" : secret.type,
    ...(secret.data === undefined && stringData === undefined ? {} : { data })
  }
}

/** Service port defaults (protocol TCP, targetPort = port); clusterIP and type are not set here. */
export const defaultService = (service: Service): Service =>
  service.spec?.ports === undefined
    ? service
    : {
        ...service,
        spec: {
          ...service.spec,
          ports: service.spec.ports.map((p) => ({
            ...p,
            protocol: p.protocol ?? "TCP",
            // Go's zero value when port is missing too: validation then words both as `Invalid value: 0`
            targetPort: p.targetPort ?? p.port ?? 0
          }))
        }
      }

/** ReplicaSet defaults: `replicas: 1` and the template's pod-spec defaults. */
export const defaultReplicaSet = (rs: ReplicaSet): ReplicaSet => {
  const spec = (rs.spec ?? {}) as Partial<ReplicaSet["spec"]>
  const template = spec.template ?? ({} as Partial<ReplicaSet["spec"]["template"]>)
  return {
    ...rs,
    spec: {
      ...(spec as ReplicaSet["spec"]),
      replicas: spec.replicas ?? 1,
      template: { ...template, spec: defaultPodSpec(template.spec) }
    }
  }
}

/** Node defaults: `allocatable` defaults to `capacity`; resource lists written canonically. */
export const defaultNode = (node: Node): Node => {
  const status = node.status
  if (status === undefined) return node
  const capacity = status.capacity === undefined ? undefined : defaultResourceList(status.capacity)
  const allocatable = status.allocatable === undefined ? capacity : defaultResourceList(status.allocatable)
  return {
    ...node,
    status: {
      ...status,
      ...(capacity === undefined ? {} : { capacity }),
      ...(allocatable === undefined ? {} : { allocatable })
    }
  }
}

/** The label every namespace carries (`kubernetes.io/metadata.name`). */
export const NamespaceNameLabel = "kubernetes.io/metadata.name"

/** Namespace defaults: the `kubernetes` finalizer and the name label. */
export const defaultNamespace = (ns: Namespace): Namespace => {
  const finalizers = ns.spec?.finalizers ?? []
  const name = ns.metadata.name ?? ""
  return {
    ...ns,
    metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, [NamespaceNameLabel]: name } },
    spec: { ...ns.spec, finalizers: finalizers.includes("kubernetes") ? finalizers : [...finalizers, "kubernetes"] }
  }
}

/** ConfigMaps have no defaults; kept for symmetry with the strategy table. */
export const defaultConfigMap = (cm: ConfigMap): ConfigMap => cm

/** The defaulting for any object by kind (unknown kinds are returned unchanged). */
export const defaultObject = (object: KubeObject): KubeObject => {
  switch (object.kind) {
    case "Pod":
      return defaultPod(object as Pod)
    case "Secret":
      return defaultSecret(object as Secret)
    case "Service":
      return defaultService(object as Service)
    case "ReplicaSet":
      return defaultReplicaSet(object as ReplicaSet)
    case "Node":
      return defaultNode(object as Node)
    case "Namespace":
      return defaultNamespace(object as Namespace)
    default:
      return object
  }
}
