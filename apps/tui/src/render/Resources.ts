/**
 * Row renderers for the dashboard's list views other than pods: events, nodes, ReplicaSets and
 * Services, with the columns `kubectl get` prints (plus the node view's pod count and requests,
 * as k9s shows them). Pure: snapshot in, TableModel out.
 */
import type { Event, Node, Pod, ReplicaSet, Service } from "@podlet/core"
import { milliValue, quantityOrUndefined } from "@podlet/core/api/Quantity"
import { humanDuration } from "@podlet/core/domain/HumanDuration"
import { fromRfc3339 } from "@podlet/core/domain/Time"
import type { Row, TableModel } from "./Table.js"

const age = (timestamp: string | undefined, now: number): string => {
  const t = fromRfc3339(timestamp)
  return t === undefined ? "<unknown>" : humanDuration(now - t)
}

const keyOf = (meta: { readonly namespace?: string; readonly name?: string }): string =>
  `${meta.namespace ?? ""}/${meta.name ?? ""}`

/** `kubectl get events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE; newest last, like kubectl's sort. */
export const eventTable = (events: ReadonlyArray<Event>, now: number): TableModel => {
  const lastSeen = (e: Event) => fromRfc3339(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) ?? 0
  const sorted = [...events].sort((a, b) => lastSeen(a) - lastSeen(b))
  return {
    header: ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
    rows: sorted.map(
      (e): Row => ({
        key: keyOf(e.metadata),
        cells: [
          humanDuration(now - lastSeen(e)) + ((e.count ?? 1) > 1 ? ` (x${e.count})` : ""),
          e.type ?? "Normal",
          e.reason ?? "",
          `${(e.involvedObject.kind ?? "").toLowerCase()}/${e.involvedObject.name ?? ""}`,
          e.message ?? ""
        ],
        color: e.type === "Warning" ? "yellow" : "default"
      })
    )
  }
}

/** `Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled` when cordoned (kubectl's NodeStatus column). */
export const nodeStatus = (node: Node): string => {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready")
  const base =
    ready === undefined
      ? "Unknown"
      : ready.status === "True"
        ? "Ready"
        : ready.status === "False"
          ? "NotReady"
          : "Unknown"
  return node.spec?.unschedulable === true ? `${base},SchedulingDisabled` : base
}

const sumRequests = (pods: ReadonlyArray<Pod>, resource: string): number =>
  pods.reduce(
    (total, pod) =>
      total +
      pod.spec.containers.reduce((sum, c) => {
        const q = c.resources?.requests?.[resource]
        const parsed = q === undefined ? undefined : quantityOrUndefined(q)
        return parsed === undefined ? sum : sum + milliValue(parsed)
      }, 0),
    0
  )

const percent = (used: number, capacity: string | number | undefined): string => {
  if (capacity === undefined) return "n/a"
  const parsed = quantityOrUndefined(capacity)
  const total = parsed === undefined ? 0 : milliValue(parsed)
  return total > 0 ? `${Math.round((used / total) * 100)}%` : "n/a"
}

/** Nodes: NAME, STATUS, TAINTS, PODS, CPU REQ, MEM REQ, AGE. */
export const nodeTable = (nodes: ReadonlyArray<Node>, pods: ReadonlyArray<Pod>, now: number): TableModel => ({
  header: ["NAME", "STATUS", "TAINTS", "PODS", "CPU REQ", "MEM REQ", "AGE"],
  rows: nodes.map((node): Row => {
    const name = node.metadata.name ?? ""
    const onNode = pods.filter(
      (p) => p.spec.nodeName === name && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed"
    )
    const status = nodeStatus(node)
    return {
      key: keyOf(node.metadata),
      cells: [
        name,
        status,
        String(node.spec?.taints?.length ?? 0),
        `${onNode.length}/${node.status?.allocatable?.pods ?? "?"}`,
        percent(sumRequests(onNode, "cpu"), node.status?.allocatable?.cpu),
        percent(sumRequests(onNode, "memory"), node.status?.allocatable?.memory),
        age(node.metadata.creationTimestamp, now)
      ],
      color: status.startsWith("Ready") ? (status === "Ready" ? "green" : "yellow") : "red"
    }
  })
})

/** `kubectl get rs`: NAME, DESIRED, CURRENT, READY, AGE. */
export const replicaSetTable = (sets: ReadonlyArray<ReplicaSet>, now: number): TableModel => ({
  header: ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
  rows: sets.map((rs): Row => {
    const desired = rs.spec.replicas ?? 1
    const ready = rs.status?.readyReplicas ?? 0
    return {
      key: keyOf(rs.metadata),
      cells: [
        rs.metadata.name ?? "",
        String(desired),
        String(rs.status?.replicas ?? 0),
        String(ready),
        age(rs.metadata.creationTimestamp, now)
      ],
      color: ready === desired ? "green" : "yellow"
    }
  })
})

const servicePorts = (svc: Service): string => {
  const ports = svc.spec?.ports ?? []
  if (ports.length === 0) return "<none>"
  return ports
    .map((p) =>
      p.nodePort === undefined ? `${p.port}/${p.protocol ?? "TCP"}` : `${p.port}:${p.nodePort}/${p.protocol ?? "TCP"}`
    )
    .join(",")
}

/** `kubectl get svc`: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE. */
export const serviceTable = (services: ReadonlyArray<Service>, now: number): TableModel => ({
  header: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
  rows: services.map(
    (svc): Row => ({
      key: keyOf(svc.metadata),
      cells: [
        svc.metadata.name ?? "",
        svc.spec?.type ?? "ClusterIP",
        svc.spec?.clusterIP ?? "<none>",
        svc.spec?.type === "ExternalName" ? (svc.spec.externalName ?? "<none>") : "<none>",
        servicePorts(svc),
        age(svc.metadata.creationTimestamp, now)
      ],
      color: "default"
    })
  )
})
