/**
 * A fast yes/no pass over a pod before the collecting validator (`Validation.ts`): the same rules,
 * no field paths, no messages, no arrays. `true` means `validatePod` would report nothing; `false`
 * means "ask `validatePod`" (an error, or a part this pass does not cover, such as env `valueFrom`),
 * so the causes a client sees (messages, paths, order) are always the collecting validator's.
 */
import type { ObjectMeta } from "./Meta.js"
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  nameIsDNSLabel,
  nameIsDNSSubdomain
} from "./Names.js"
import type { Event } from "./Objects.js"
import type { Container, LifecycleHandler, Pod, PodSpec, Probe, Toleration, Volume } from "./Pod.js"
import { compareQuantity, parseQuantity, type Quantity } from "./Quantity.js"

const MaxInt32 = 2147483647
const TotalAnnotationSizeLimitB = 256 * 1024

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s !== ""

const labelsValid = (labels: Readonly<Record<string, string>> | undefined): boolean => {
  if (labels === undefined) return true
  for (const k in labels) {
    if (!Object.hasOwn(labels, k)) continue
    if (isQualifiedName(k).length > 0 || isValidLabelValue(String(labels[k])).length > 0) return false
  }
  return true
}

const annotationsValid = (annotations: Readonly<Record<string, string>> | undefined): boolean => {
  if (annotations === undefined) return true
  let size = 0
  for (const k in annotations) {
    if (!Object.hasOwn(annotations, k)) continue
    if (isQualifiedName(k.toLowerCase()).length > 0) return false
    size += k.length + String(annotations[k]).length
  }
  return size <= TotalAnnotationSizeLimitB
}

/** `validateObjectMeta` for a namespaced object named as a DNS subdomain (pods, events). */
const podMetaValid = (meta: ObjectMeta): boolean => {
  if (nonEmpty(meta.generateName) && nameIsDNSSubdomain(meta.generateName, true).length > 0) return false
  if (!nonEmpty(meta.name) || nameIsDNSSubdomain(meta.name, false).length > 0) return false
  if (!nonEmpty(meta.namespace) || nameIsDNSLabel(meta.namespace, false).length > 0) return false
  if (meta.generation !== undefined && meta.generation < 0) return false
  if (!labelsValid(meta.labels) || !annotationsValid(meta.annotations)) return false
  const finalizers = meta.finalizers
  if (finalizers !== undefined) for (const f of finalizers) if (isQualifiedName(f).length > 0) return false
  return true
}

/** `validateVolumes` as a yes/no; the volume names are added to `names`. */
const volumesValid = (volumes: ReadonlyArray<Volume>, names: Set<string>): boolean => {
  for (const v of volumes) {
    if (!nonEmpty(v.name) || isDNS1123Label(v.name).length > 0 || names.has(v.name)) return false
    names.add(v.name)
    // at most one known source, and some source (known, or any other member: an opaque one)
    let known = 0
    let opaque = 0
    for (const k in v) {
      if (!Object.hasOwn(v, k) || k === "name") continue
      if (k === "emptyDir" || k === "configMap" || k === "secret" || k === "hostPath") {
        if (v[k] !== undefined) known++
      } else opaque++
    }
    if (known > 1 || known + opaque === 0) return false
    if (v.configMap !== undefined && (!nonEmpty(v.configMap.name) || !itemsValid(v.configMap.items))) return false
    if (v.secret !== undefined && (!nonEmpty(v.secret.secretName) || !itemsValid(v.secret.items))) return false
    if (v.hostPath !== undefined && !nonEmpty(v.hostPath.path)) return false
  }
  return true
}

const itemsValid = (items: ReadonlyArray<{ readonly key?: string; readonly path?: string }> | undefined): boolean => {
  if (items === undefined) return true
  for (const item of items) if (!nonEmpty(item.key) || !nonEmpty(item.path)) return false
  return true
}

const portNumValid = (port: number): boolean => Number.isInteger(port) && port >= 1 && port <= 65535

const portNumOrNameValid = (port: number | string | undefined): boolean =>
  typeof port === "number" ? portNumValid(port) : nonEmpty(port) && isValidPortName(port).length === 0

type AnyHandler = Probe & LifecycleHandler

/** `validateHandler`: exactly one handler of `kinds`, well formed. */
const handlerValid = (h: AnyHandler, lifecycle: boolean, grace: number): boolean => {
  let count = 0
  if (h.exec !== undefined) {
    count++
    if ((h.exec.command ?? []).length === 0) return false
  }
  if (h.httpGet !== undefined) {
    if (count++ > 0) return false
    const a = h.httpGet
    if (!nonEmpty(a.path) || !portNumOrNameValid(a.port)) return false
    if (a.scheme !== undefined && a.scheme !== "HTTP" && a.scheme !== "HTTPS") return false
  }
  if (h.tcpSocket !== undefined) {
    if (count++ > 0) return false
    if (!portNumOrNameValid(h.tcpSocket.port)) return false
  }
  if (lifecycle) {
    if (h.sleep !== undefined) {
      if (count++ > 0) return false
      const seconds = h.sleep.seconds ?? 0
      if (seconds < 0 || seconds > grace) return false
    }
  } else if (h.grpc !== undefined) {
    if (count++ > 0) return false
    if (!portNumValid(h.grpc.port ?? 0)) return false
  }
  return count === 1
}

const negative = (n: number | undefined): boolean => n !== undefined && n < 0

const probeValid = (probe: Probe | undefined, grace: number): boolean => {
  if (probe === undefined) return true
  if (!handlerValid(probe as AnyHandler, false, grace)) return false
  if (
    negative(probe.initialDelaySeconds) ||
    negative(probe.timeoutSeconds) ||
    negative(probe.periodSeconds) ||
    negative(probe.successThreshold) ||
    negative(probe.failureThreshold)
  )
    return false
  return probe.terminationGracePeriodSeconds === undefined || probe.terminationGracePeriodSeconds > 0
}

const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"])

/** `validateResources` for the usual case: standard resource names only (anything else: ask the full pass). */
const resourcesValid = (resources: Container["resources"]): boolean => {
  if (resources === undefined) return true
  const limits = resources.limits
  const requests = resources.requests
  let limitCpu: Quantity | undefined
  let limitMemory: Quantity | undefined
  let limitStorage: Quantity | undefined
  if (limits !== undefined) {
    for (const name in limits) {
      if (!Object.hasOwn(limits, name)) continue
      if (!standardContainerResources.has(name)) return false
      const q = parseQuantity(limits[name] as string)
      if (q._tag !== "Success" || q.success.nanos < 0n) return false
      if (name === "cpu") limitCpu = q.success
      else if (name === "memory") limitMemory = q.success
      else limitStorage = q.success
    }
  }
  if (requests !== undefined) {
    for (const name in requests) {
      if (!Object.hasOwn(requests, name)) continue
      if (!standardContainerResources.has(name)) return false
      const q = parseQuantity(requests[name] as string)
      if (q._tag !== "Success" || q.success.nanos < 0n) return false
      const limit = name === "cpu" ? limitCpu : name === "memory" ? limitMemory : limitStorage
      if (limit !== undefined && compareQuantity(q.success, limit) > 0) return false
    }
  }
  return true
}

const containerValid = (c: Container, volumes: ReadonlySet<string>, grace: number, init: boolean): boolean => {
  if (!nonEmpty(c.name) || isDNS1123Label(c.name).length > 0) return false
  if (!nonEmpty(c.image) || c.image.trim() !== c.image) return false
  const pull = c.imagePullPolicy
  if (pull !== "Always" && pull !== "IfNotPresent" && pull !== "Never") return false
  const tmp = c.terminationMessagePolicy
  if (tmp !== undefined && tmp !== "File" && tmp !== "FallbackToLogsOnError") return false
  const ports = c.ports
  if (ports !== undefined && ports.length > 0) {
    let portNames: Set<string> | undefined
    for (let i = 0; i < ports.length; i++) {
      const port = ports[i]!
      if (nonEmpty(port.name)) {
        if (isValidPortName(port.name).length > 0) return false
        portNames ??= new Set()
        if (portNames.has(port.name)) return false
        portNames.add(port.name)
      }
      if ((port.containerPort ?? 0) === 0 || !portNumValid(port.containerPort)) return false
      if ((port.hostPort ?? 0) !== 0 && !portNumValid(port.hostPort ?? 0)) return false
      const protocol = port.protocol
      if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP") return false
    }
  }
  const env = c.env
  if (env !== undefined) {
    for (let i = 0; i < env.length; i++) {
      const e = env[i]!
      // a valueFrom has several rules of its own: the full pass decides
      if (e.valueFrom !== undefined || !nonEmpty(e.name) || isEnvVarName(e.name).length > 0) return false
    }
  }
  if (c.envFrom !== undefined && c.envFrom.length > 0) return false
  if (!resourcesValid(c.resources)) return false
  const mounts = c.volumeMounts
  if (mounts !== undefined && mounts.length > 0) {
    const paths = new Set<string>()
    for (const m of mounts) {
      if (!nonEmpty(m.name) || !volumes.has(m.name)) return false
      if (!nonEmpty(m.mountPath) || paths.has(m.mountPath)) return false
      paths.add(m.mountPath)
      if ((m.subPath ?? "").startsWith("/")) return false
    }
  }
  const sidecar = init && c.restartPolicy === "Always"
  if (init) {
    if (c.restartPolicy !== undefined && c.restartPolicy !== "Always") return false
  } else if (c.restartPolicy !== undefined) return false
  if (init && !sidecar) {
    return (
      c.lifecycle === undefined &&
      c.livenessProbe === undefined &&
      c.readinessProbe === undefined &&
      c.startupProbe === undefined
    )
  }
  if (!probeValid(c.livenessProbe, grace) || !probeValid(c.readinessProbe, grace) || !probeValid(c.startupProbe, grace))
    return false
  const liveness = c.livenessProbe?.successThreshold
  const startup = c.startupProbe?.successThreshold
  if ((liveness !== undefined && liveness !== 1) || (startup !== undefined && startup !== 1)) return false
  if (c.readinessProbe?.terminationGracePeriodSeconds !== undefined) return false
  const lifecycle = c.lifecycle
  if (lifecycle !== undefined) {
    if (lifecycle.postStart !== undefined && !handlerValid(lifecycle.postStart as AnyHandler, true, grace)) return false
    if (lifecycle.preStop !== undefined && !handlerValid(lifecycle.preStop as AnyHandler, true, grace)) return false
  }
  return true
}

const tolerationValid = (t: Toleration): boolean => {
  const k = t.key ?? ""
  if (k !== "" && isQualifiedName(k).length > 0) return false
  if (k === "" && t.operator !== "Exists") return false
  if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") return false
  const operator = t.operator ?? ""
  if (operator === "Equal" || operator === "") {
    if (isValidLabelValue(t.value ?? "").length > 0) return false
  } else if (operator === "Exists") {
    if ((t.value ?? "") !== "") return false
  } else return false
  const effect = t.effect ?? ""
  return effect === "" || effect === "NoSchedule" || effect === "PreferNoSchedule" || effect === "NoExecute"
}

/** What the containers of a spec share: their names and host ports so far (each made on first need). */
interface Seen {
  names: Set<string> | undefined
  hostPorts: Set<string> | undefined
}

const containersValid = (
  containers: ReadonlyArray<Container>,
  seen: Seen,
  /** more than one container in the spec (else no name can repeat) */
  several: boolean,
  volumes: ReadonlySet<string>,
  grace: number,
  init: boolean
): boolean => {
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i]!
    if (!containerValid(c, volumes, grace, init)) return false
    if (several) {
      seen.names ??= new Set()
      if (seen.names.has(c.name)) return false
      seen.names.add(c.name)
    }
    const ports = c.ports
    if (ports === undefined) continue
    for (let j = 0; j < ports.length; j++) {
      const port = ports[j]!
      if ((port.hostPort ?? 0) === 0) continue
      const id = `${port.protocol ?? "TCP"}/${port.hostIP ?? ""}/${port.hostPort}`
      seen.hostPorts ??= new Set()
      if (seen.hostPorts.has(id)) return false
      seen.hostPorts.add(id)
    }
  }
  return true
}

/** the volumes of a spec without any */
const noVolumes: ReadonlySet<string> = new Set()

/** `validatePodSpec` as a yes/no. */
const podSpecValid = (spec: PodSpec): boolean => {
  const grace = spec.terminationGracePeriodSeconds ?? 30
  let volumes = noVolumes
  if (spec.volumes !== undefined) {
    const names = new Set<string>()
    if (!volumesValid(spec.volumes, names)) return false
    volumes = names
  }
  const containers = spec.containers ?? []
  if (containers.length === 0) return false
  const init = spec.initContainers
  const several = containers.length + (init?.length ?? 0) > 1
  const seen: Seen = { names: undefined, hostPorts: undefined }
  if (!containersValid(containers, seen, several, volumes, grace, false)) return false
  if (init !== undefined && !containersValid(init, seen, several, volumes, grace, true)) return false
  const restartPolicy = spec.restartPolicy
  if (restartPolicy !== "Always" && restartPolicy !== "OnFailure" && restartPolicy !== "Never") return false
  const dns = spec.dnsPolicy
  if (
    dns !== undefined &&
    dns !== "ClusterFirst" &&
    dns !== "ClusterFirstWithHostNet" &&
    dns !== "Default" &&
    dns !== "None"
  )
    return false
  if (!labelsValid(spec.nodeSelector)) return false
  if (nonEmpty(spec.serviceAccountName) && isDNS1123Subdomain(spec.serviceAccountName).length > 0) return false
  if (nonEmpty(spec.nodeName) && isDNS1123Subdomain(spec.nodeName).length > 0) return false
  const deadline = spec.activeDeadlineSeconds
  if (deadline !== undefined && (deadline < 1 || deadline > MaxInt32)) return false
  if (negative(spec.terminationGracePeriodSeconds)) return false
  const tolerations = spec.tolerations
  if (tolerations !== undefined)
    for (let i = 0; i < tolerations.length; i++) if (!tolerationValid(tolerations[i]!)) return false
  if (nonEmpty(spec.hostname) && isDNS1123Label(spec.hostname).length > 0) return false
  if (nonEmpty(spec.subdomain) && isDNS1123Label(spec.subdomain).length > 0) return false
  if (spec.readinessGates !== undefined) {
    for (const gate of spec.readinessGates) if (isQualifiedName(gate.conditionType ?? "").length > 0) return false
  }
  const gates = spec.schedulingGates
  if (gates !== undefined && gates.length > 0) {
    const seen = new Set<string>()
    for (const gate of gates) {
      if (isQualifiedName(gate.name ?? "").length > 0 || seen.has(gate.name)) return false
      seen.add(gate.name)
    }
  }
  return true
}

/** `validatePod(pod).length === 0`, decided without building causes (`false` may also mean "not covered"). */
export const podLooksValid = (pod: Pod): boolean => podMetaValid(pod.metadata) && podSpecValid(pod.spec ?? {})

/** `validateEvent` as a yes/no: `true` means it would report nothing (as `podLooksValid`). */
export const eventLooksValid = (event: Event): boolean => {
  if (!podMetaValid(event.metadata)) return false
  const ns = event.involvedObject?.namespace ?? ""
  if (ns !== "" && ns !== (event.metadata.namespace ?? "")) return false
  const type = event.type
  return type === undefined || type === "Normal" || type === "Warning"
}
