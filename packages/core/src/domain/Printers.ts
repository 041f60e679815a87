/**
 * Server-side printing: the columns and cells `kubectl get` shows for each resource, as the
 * apiserver's printers compute them (`pkg/printers/internalversion/printers.go`, always with the
 * wide columns; kubectl hides priority-1 columns unless `-o wide`). Pure functions of the object
 * and the current time.
 */

import type { KubeObject, LabelSelector, TableColumnDefinition } from "../api/Meta.js"
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
} from "../api/Objects.js"
import type { Pod } from "../api/Pod.js"
import { podRowCells, printPod, translateTimestampSince } from "./DisplayStatus.js"

/** The columns of one resource and the cells of one object (`now` in epoch ms). */
export interface Printer {
  readonly columns: ReadonlyArray<TableColumnDefinition>
  readonly cells: (object: KubeObject, now: number) => ReadonlyArray<unknown>
}

const column = (
  name: string,
  description: string,
  priority = 0,
  type = "string",
  format = ""
): TableColumnDefinition => ({
  name,
  type,
  format,
  description,
  priority
})

const nameColumn = column(
  "Name",
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.",
  0,
  "string",
  "name"
)
const ageColumn = column(
  "Age",
  "CreationTimestamp is a timestamp representing the server time when this object was created."
)

/** `translateTimestampSince`: the age of an RFC 3339 time, `<unknown>` when unset. */
export const since = (time: string | null | undefined, now: number): string =>
  translateTimestampSince(time ?? undefined, now)

const age = (o: KubeObject, now: number) => since(o.metadata.creationTimestamp, now)

/** `k=v,k2=v2` in key order, `<none>` when empty. */
export const formatLabels = (labels: Readonly<Record<string, string>> | undefined): string => {
  const keys = Object.keys(labels ?? {}).sort()
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${labels![k]}`).join(",")
}

/** `metav1.FormatLabelSelector`: `app=web,tier in (a,b),!legacy`, `<none>` when empty. */
export const formatLabelSelector = (selector: LabelSelector | undefined): string => {
  if (selector === undefined) return "<none>"
  const parts: Array<string> = []
  for (const k of Object.keys(selector.matchLabels ?? {}).sort()) parts.push(`${k}=${selector.matchLabels![k]}`)
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(",")
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values})`)
        break
      case "NotIn":
        parts.push(`${e.key} notin (${values})`)
        break
      case "Exists":
        parts.push(e.key)
        break
      case "DoesNotExist":
        parts.push(`!${e.key}`)
        break
    }
  }
  return parts.length === 0 ? "<none>" : parts.join(",")
}

const podPrinter: Printer = {
  columns: [
    nameColumn,
    column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "The aggregate status of the containers in this pod."),
    column(
      "Restarts",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
    ),
    ageColumn,
    column(
      "IP",
      "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
      1
    ),
    column("Node", "NodeName is a request to schedule this pod onto a specific node.", 1),
    column("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
    column("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", 1)
  ],
  cells: (o, now) => podRowCells(printPod(o as Pod, now))
}

/** kubectl's node STATUS: `Ready`, `NotReady` or `Unknown`, plus `,SchedulingDisabled` when cordoned. */
export const nodeStatus = (node: Node): string => {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready")
  const status =
    ready === undefined
      ? "Unknown"
      : ready.status === "True"
        ? "Ready"
        : ready.status === "False"
          ? "NotReady"
          : "Unknown"
  return node.spec?.unschedulable === true ? `${status},SchedulingDisabled` : status
}

const nodeRoles = (node: Node): string => {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length)
      if (role !== "") roles.add(role)
    } else if (k === "kubernetes.io/role" && v !== "") roles.add(v)
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",")
}

const nodeAddress = (node: Node, type: string) =>
  node.status?.addresses?.find((a) => a.type === type)?.address ?? "<none>"

const orUnknown = (s: string | undefined) => (s === undefined || s === "" ? "<unknown>" : s)

const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column("Status", "The status of the node"),
    column("Roles", "The roles of the node"),
    ageColumn,
    column("Version", "Kubelet Version reported by the node."),
    column("Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
    column("External-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
    column("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
    column("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    column(
      "Container-Runtime",
      "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
      1
    )
  ],
  cells: (o, now) => {
    const node = o as Node
    const info = node.status?.nodeInfo
    return [
      o.metadata.name,
      nodeStatus(node),
      nodeRoles(node),
      age(o, now),
      info?.kubeletVersion ?? "",
      nodeAddress(node, "InternalIP"),
      nodeAddress(node, "ExternalIP"),
      orUnknown(info?.osImage),
      orUnknown(info?.kernelVersion),
      orUnknown(info?.containerRuntimeVersion)
    ]
  }
}

const namespacePrinter: Printer = {
  columns: [nameColumn, column("Status", "The status of the namespace"), ageColumn],
  cells: (o, now) => [o.metadata.name, (o as Namespace).status?.phase ?? "", age(o, now)]
}

const eventSource = (e: Event): string => {
  const component = e.source?.component || e.reportingComponent || ""
  const host = e.source?.host || e.reportingInstance || ""
  return host === "" ? component : `${component}, ${host}`
}

const eventPrinter: Printer = {
  columns: [
    column("Last Seen", "The last time the event was seen"),
    column("Type", "The type of the event"),
    column("Reason", "The reason of the event"),
    column("Object", "The object the event is about"),
    column("Subobject", "The subobject the event is about", 1),
    column("Source", "The source of the event", 1),
    column("Message", "A human-readable description of the status of this operation."),
    column("First Seen", "The first time the event was seen", 1),
    column("Count", "The number of times the event has occurred", 1, "integer"),
    column("Name", nameColumn.description, 1, "string", "name")
  ],
  cells: (o, now) => {
    const e = o as Event
    const first = e.firstTimestamp ? since(e.firstTimestamp, now) : since(e.eventTime, now)
    const last = e.lastTimestamp ? since(e.lastTimestamp, now) : first
    const ref = e.involvedObject
    const kind = (ref.kind ?? "").toLowerCase()
    const target = ref.name ? `${kind}/${ref.name}` : kind
    return [
      last,
      e.type ?? "",
      e.reason ?? "",
      target,
      ref.fieldPath ?? "",
      eventSource(e),
      (e.message ?? "").trim(),
      first,
      e.count === undefined || e.count === 0 ? 1 : e.count,
      o.metadata.name
    ]
  }
}

const servicePorts = (s: Service): string => {
  const ports = s.spec?.ports ?? []
  if (ports.length === 0) return "<none>"
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",")
}

const serviceExternalIp = (s: Service): string => {
  const type = s.spec?.type ?? "ClusterIP"
  switch (type) {
    case "ExternalName":
      return s.spec?.externalName ?? "<none>"
    case "LoadBalancer": {
      const ingress = (s.status?.loadBalancer as { ingress?: ReadonlyArray<{ ip?: string; hostname?: string }> })
        ?.ingress
      const ips = (ingress ?? []).map((i) => i.ip ?? i.hostname ?? "").filter((x) => x !== "")
      return ips.length === 0 ? "<pending>" : ips.join(",")
    }
    default:
      return "<none>"
  }
}

const servicePrinter: Printer = {
  columns: [
    nameColumn,
    column("Type", "The type of the service"),
    column("Cluster-IP", "The cluster IP of the service"),
    column("External-IP", "The external IP of the service"),
    column("Port(s)", "The ports of the service"),
    ageColumn,
    column("Selector", "The selector of the service", 1)
  ],
  cells: (o, now) => {
    const s = o as Service
    const clusterIp = s.spec?.clusterIP
    return [
      o.metadata.name,
      s.spec?.type ?? "ClusterIP",
      clusterIp === undefined || clusterIp === "" ? "<none>" : clusterIp,
      serviceExternalIp(s),
      servicePorts(s),
      age(o, now),
      formatLabels(s.spec?.selector)
    ]
  }
}

/** `formatEndpoints`: `ip:port` pairs, at most 3, then ` + N more...`. */
const formatEndpoints = (e: Endpoints): string => {
  const all: Array<string> = []
  for (const subset of e.subsets ?? []) {
    for (const address of subset.addresses ?? []) {
      const ports = subset.ports ?? []
      if (ports.length === 0) all.push(address.ip)
      else for (const port of ports) all.push(`${address.ip}:${port.port}`)
    }
  }
  if (all.length === 0) return "<none>"
  const shown = all.slice(0, 3).join(",")
  return all.length > 3 ? `${shown} + ${all.length - 3} more...` : shown
}

const endpointsPrinter: Printer = {
  columns: [nameColumn, column("Endpoints", "Endpoints of the service"), ageColumn],
  cells: (o, now) => [o.metadata.name, formatEndpoints(o as Endpoints), age(o, now)]
}

const configMapPrinter: Printer = {
  columns: [nameColumn, column("Data", "The number of entries in the ConfigMap", 0, "integer"), ageColumn],
  cells: (o, now) => {
    const cm = o as ConfigMap
    return [o.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(o, now)]
  }
}

const secretPrinter: Printer = {
  columns: [
    nameColumn,
    column("Type", "The type of the secret"),
    column("Data", "The number of entries in the secret", 0, "integer"),
    ageColumn
  ],
  cells: (o, now) => {
    const s = o as Secret
    return [o.metadata.name, s.type ?? "Opaque", Object.keys(s.data ?? {}).length, age(o, now)]
  }
}

const replicaSetPrinter: Printer = {
  columns: [
    nameColumn,
    column("Desired", "Number of desired pods", 0, "integer"),
    column("Current", "Number of actual replicas", 0, "integer"),
    column("Ready", "Number of ready replicas", 0, "integer"),
    ageColumn,
    column("Containers", "Names of each container in the template.", 1),
    column("Images", "Images referenced by each container in the template.", 1),
    column("Selector", "Label selector used to select pods.", 1)
  ],
  cells: (o, now) => {
    const rs = o as ReplicaSet
    const containers = rs.spec?.template?.spec?.containers ?? []
    return [
      o.metadata.name,
      rs.spec?.replicas ?? 1,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(o, now),
      containers.map((c) => c.name).join(","),
      containers.map((c) => c.image ?? "").join(","),
      formatLabelSelector(rs.spec?.selector)
    ]
  }
}

const pdbPrinter: Printer = {
  columns: [
    nameColumn,
    column("Min Available", "The minimum number of pods that must be available"),
    column("Max Unavailable", "The maximum number of pods that may be unavailable"),
    column("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time", 0, "integer"),
    ageColumn
  ],
  cells: (o, now) => {
    const pdb = o as PodDisruptionBudget
    const str = (v: number | string | undefined) => (v === undefined ? "N/A" : String(v))
    return [
      o.metadata.name,
      str(pdb.spec?.minAvailable),
      str(pdb.spec?.maxUnavailable),
      pdb.status?.disruptionsAllowed ?? 0,
      age(o, now)
    ]
  }
}

const leasePrinter: Printer = {
  columns: [nameColumn, column("Holder", "The holder of the lease"), ageColumn],
  cells: (o, now) => [o.metadata.name, (o as Lease).spec?.holderIdentity ?? "", age(o, now)]
}

const defaultPrinter: Printer = {
  columns: [nameColumn, ageColumn],
  cells: (o, now) => [o.metadata.name, age(o, now)]
}

const printers: Readonly<Record<string, Printer>> = {
  pods: podPrinter,
  nodes: nodePrinter,
  namespaces: namespacePrinter,
  events: eventPrinter,
  services: servicePrinter,
  endpoints: endpointsPrinter,
  configmaps: configMapPrinter,
  secrets: secretPrinter,
  replicasets: replicaSetPrinter,
  poddisruptionbudgets: pdbPrinter,
  leases: leasePrinter
}

/** The printer for a resource (plural name); Name and Age for resources without their own. */
export const printerFor = (resource: string): Printer => printers[resource] ?? defaultPrinter
