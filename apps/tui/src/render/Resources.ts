/**
 * Row renderers for the dashboard's list views other than pods: events, nodes, ReplicaSets and
 * Services. The kubectl columns come from core's server-side printers (`domain/Printers`, the same
 * cells the API's Tables carry); the dashboard adds its colours and, as k9s does, the node view's
 * pod count and requests. Pure: snapshot in, TableModel out.
 */
import type { Event, KubeObject, Node, Pod, ReplicaSet, Service } from "@podlet/core"
import { milliValue, quantityOrUndefined } from "@podlet/core/api/Quantity"
import { humanDuration } from "@podlet/core/domain/HumanDuration"
import { nodeStatus, printerFor } from "@podlet/core/domain/Printers"
import { fromRfc3339 } from "@podlet/core/domain/Time"
import type { Row, TableModel } from "./Table.js"

export { nodeStatus }

const keyOf = (meta: { readonly namespace?: string; readonly name?: string }): string =>
  `${meta.namespace ?? ""}/${meta.name ?? ""}`

/** The default (priority 0) columns of a resource's kubectl printer: upper-cased header and string cells. */
const kubectlColumns = (resource: string) => {
  const printer = printerFor(resource)
  const shown = printer.columns.flatMap((column, index) => (column.priority === 0 ? [index] : []))
  return {
    header: shown.map((index) => (printer.columns[index]?.name ?? "").toUpperCase()),
    cells: (object: KubeObject, now: number): Array<string> => {
      const all = printer.cells(object, now)
      return shown.map((index) => String(all[index] ?? ""))
    }
  }
}

const events = kubectlColumns("events")
const replicaSets = kubectlColumns("replicasets")
const services = kubectlColumns("services")

const lastSeen = (e: Event): number =>
  fromRfc3339(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp) ?? 0

/** `kubectl get events` (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE), newest last, with `(xN)` for repeats. */
export const eventTable = (list: ReadonlyArray<Event>, now: number): TableModel => {
  // each timestamp parsed once, not once per comparison
  const sorted = list.map((event) => ({ event, at: lastSeen(event) })).sort((a, b) => a.at - b.at)
  return {
    header: events.header,
    rows: sorted.map(({ event }): Row => {
      const cells = events.cells(event, now)
      const count = event.count ?? 1
      if (count > 1) cells[0] = `${cells[0]} (x${count})`
      return { key: keyOf(event.metadata), cells, color: event.type === "Warning" ? "yellow" : "default" }
    })
  }
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

const age = (timestamp: string | undefined, now: number): string => {
  const t = fromRfc3339(timestamp)
  return t === undefined ? "<unknown>" : humanDuration(now - t)
}

/** `kubectl get nodes -o wide`'s CONTAINER-RUNTIME: `containerd://1.7.24`, `podlet-process://linux+runc`. */
const runtimeOf = (node: Node): string => {
  const version = node.status?.nodeInfo?.containerRuntimeVersion
  return version === undefined || version === "" ? "<unknown>" : version
}

/**
 * Nodes, as k9s shows them (NAME, STATUS, TAINTS, PODS, CPU REQ, MEM REQ, AGE), and the
 * CONTAINER-RUNTIME of `kubectl get nodes -o wide`, which says the process runtime's isolation.
 */
export const nodeTable = (nodes: ReadonlyArray<Node>, pods: ReadonlyArray<Pod>, now: number): TableModel => {
  const byNode = new Map<string, Array<Pod>>()
  for (const pod of pods) {
    const name = pod.spec.nodeName
    if (name === undefined || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue
    const list = byNode.get(name)
    if (list === undefined) byNode.set(name, [pod])
    else list.push(pod)
  }
  return {
    header: ["NAME", "STATUS", "TAINTS", "PODS", "CPU REQ", "MEM REQ", "AGE", "CONTAINER-RUNTIME"],
    rows: nodes.map((node): Row => {
      const name = node.metadata.name ?? ""
      const onNode = byNode.get(name) ?? []
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
          age(node.metadata.creationTimestamp, now),
          runtimeOf(node)
        ],
        color: status.startsWith("Ready") ? (status === "Ready" ? "green" : "yellow") : "red"
      }
    })
  }
}

/** `kubectl get rs`: NAME, DESIRED, CURRENT, READY, AGE. */
export const replicaSetTable = (sets: ReadonlyArray<ReplicaSet>, now: number): TableModel => ({
  header: replicaSets.header,
  rows: sets.map(
    (rs): Row => ({
      key: keyOf(rs.metadata),
      cells: replicaSets.cells(rs, now),
      color: (rs.status?.readyReplicas ?? 0) === (rs.spec.replicas ?? 1) ? "green" : "yellow"
    })
  )
})

/** `kubectl get svc`: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE. */
export const serviceTable = (list: ReadonlyArray<Service>, now: number): TableModel => ({
  header: services.header,
  rows: list.map((svc): Row => ({ key: keyOf(svc.metadata), cells: services.cells(svc, now), color: "default" }))
})
