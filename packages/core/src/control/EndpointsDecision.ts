/**
 * What the Endpoints controller writes for a Service (`pkg/controller/endpoint`): the pods its
 * selector picks that have an IP and are not finished (`ShouldPodBeInEndpoints`), ready ones as
 * `addresses` and the rest as `notReadyAddresses` (all ready with `publishNotReadyAddresses`),
 * each Service port resolved against the pod (`FindPort`: a number, or a named container port),
 * repacked so addresses with the same ports share a subset (`RepackSubsets`).
 */
import type { EndpointAddress, EndpointSubset, Service, ServicePort } from "../api/Objects.js"
import type { Pod, Protocol } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"

/** The pod's Ready condition is True (`podutil.IsPodReady`). */
export const isPodReady = (pod: Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true

/** Does the Service's selector (a `matchLabels`) pick the pod; an absent selector picks nothing. */
export const selectsPod = (service: Service, pod: Pod): boolean => {
  const selector = service.spec?.selector
  if (selector === undefined) return false
  if (pod.metadata.namespace !== service.metadata.namespace) return false
  const labels = pod.metadata.labels ?? {}
  for (const [k, v] of Object.entries(selector)) if (!Object.hasOwn(labels, k) || labels[k] !== v) return false
  return true
}

/** `ShouldPodBeInEndpoints`: an IP, not finished for its restart policy, not terminating (unless kept). */
export const shouldPodBeInEndpoints = (pod: Pod, includeTerminating: boolean): boolean => {
  if ((pod.status?.podIP ?? "") === "" && (pod.status?.podIPs ?? []).length === 0) return false
  if (!includeTerminating && pod.metadata.deletionTimestamp !== undefined) return false
  const phase = pod.status?.phase
  const policy = pod.spec.restartPolicy ?? "Always"
  if (policy === "Never") return phase !== "Failed" && phase !== "Succeeded"
  if (policy === "OnFailure") return phase !== "Succeeded"
  return true
}

/** `FindPort`: the target port number of a Service port on this pod, or undefined. */
export const findPort = (pod: Pod, port: ServicePort): number | undefined => {
  const target = port.targetPort ?? port.port
  if (typeof target === "number") return target
  if (/^\d+$/.test(target)) return Number(target)
  const protocol = port.protocol ?? "TCP"
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter(isSidecar)]
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort
  }
  return undefined
}

interface EndpointPort {
  readonly name?: string
  readonly port: number
  readonly protocol: Protocol
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const ipKey = (ip: string): string =>
  ip
    .split(".")
    .map((p) => p.padStart(3, "0"))
    .join(".")

const sortAddresses = (list: Array<EndpointAddress>): Array<EndpointAddress> =>
  list.sort((a, b) => compare(ipKey(a.ip), ipKey(b.ip)) || compare(a.targetRef?.uid ?? "", b.targetRef?.uid ?? ""))

/** The Endpoints subsets for a Service over candidate pods (any namespace; non-matching ones are skipped). */
export const endpointSubsets = (service: Service, pods: Iterable<Pod>): ReadonlyArray<EndpointSubset> => {
  const ports = service.spec?.ports ?? []
  const publishNotReady = service.spec?.publishNotReadyAddresses === true
  const groups = new Map<
    string,
    { ports: ReadonlyArray<EndpointPort>; ready: Array<EndpointAddress>; notReady: Array<EndpointAddress> }
  >()
  for (const pod of pods) {
    if (!selectsPod(service, pod) || !shouldPodBeInEndpoints(pod, publishNotReady)) continue
    const resolved: Array<EndpointPort> = []
    for (const port of ports) {
      const number = findPort(pod, port)
      if (number === undefined) continue
      resolved.push({
        ...(port.name !== undefined && port.name !== "" ? { name: port.name } : {}),
        port: number,
        protocol: port.protocol ?? "TCP"
      })
    }
    if (ports.length > 0 && resolved.length === 0) continue
    resolved.sort((a, b) => compare(a.name ?? "", b.name ?? "") || a.port - b.port)
    const key = resolved.map((p) => `${p.name ?? ""}/${p.port}/${p.protocol}`).join(",")
    let group = groups.get(key)
    if (group === undefined) {
      group = { ports: resolved, ready: [], notReady: [] }
      groups.set(key, group)
    }
    const hostname =
      (pod.spec.hostname ?? "") !== "" && pod.spec.subdomain === service.metadata.name ? pod.spec.hostname : undefined
    const address: EndpointAddress = {
      ip: pod.status?.podIP ?? pod.status?.podIPs?.[0]?.ip ?? "",
      ...(hostname !== undefined ? { hostname } : {}),
      ...((pod.spec.nodeName ?? "") !== "" ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: {
        kind: "Pod",
        namespace: pod.metadata.namespace ?? "default",
        name: pod.metadata.name ?? "",
        uid: pod.metadata.uid ?? ""
      }
    }
    if (publishNotReady || isPodReady(pod)) group.ready.push(address)
    else group.notReady.push(address)
  }
  const subsets: Array<EndpointSubset> = []
  for (const [, group] of [...groups].sort(([a], [b]) => compare(a, b))) {
    subsets.push({
      ...(group.ready.length > 0 ? { addresses: sortAddresses(group.ready) } : {}),
      ...(group.notReady.length > 0 ? { notReadyAddresses: sortAddresses(group.notReady) } : {}),
      ...(group.ports.length > 0 ? { ports: group.ports } : {})
    })
  }
  return subsets
}

/** A headless Service (`clusterIP: None`). */
export const isHeadless = (service: Service): boolean => service.spec?.clusterIP === "None"

/** The ready backends of a Service port (`ip:targetPort` of the Endpoints' ready addresses), in address order. */
export const readyBackends = (
  port: ServicePort,
  subsets: ReadonlyArray<EndpointSubset>
): ReadonlyArray<{ readonly ip: string; readonly port: number }> => {
  const out: Array<{ ip: string; port: number }> = []
  const name = port.name ?? ""
  for (const subset of subsets) {
    const match = (subset.ports ?? []).find(
      (p) => (p.name ?? "") === name && (p.protocol ?? "TCP") === (port.protocol ?? "TCP")
    )
    if (match === undefined) continue
    for (const address of subset.addresses ?? []) out.push({ ip: address.ip, port: match.port })
  }
  return out
}
