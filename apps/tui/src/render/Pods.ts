/**
 * The pods list: kubectl's columns (NAME, READY, STATUS, RESTARTS, AGE, IP, NODE; NAMESPACE first
 * across namespaces) from core's `printPod`, sorted by namespace and name, coloured by status as
 * k9s does (green running and ready, yellow on the way, red failing, gray completed).
 */
import type { Pod } from "@podlet/core"
import { type PodRow, printPod } from "@podlet/core/domain/DisplayStatus"
import type { Row, RowColor, TableModel } from "./Table.js"

const failing =
  /Err|BackOff|Error|OOMKilled|Failed|Evicted|Unknown|NodeLost|ContainerCannotRun|StartError|DeadlineExceeded/

/** The colour of a pod row, from its STATUS and READY columns. */
export const podColor = (row: PodRow): RowColor => {
  if (failing.test(row.status)) return "red"
  if (row.status === "Completed" || row.status === "Succeeded") return "gray"
  if (row.status === "Terminating") return "cyan"
  if (row.status === "Running") {
    const [ready, total] = row.ready.split("/")
    return ready === total ? "green" : "yellow"
  }
  return "yellow"
}

/** kubectl's pod columns, NAMESPACE first. */
export const podHeader: ReadonlyArray<string> = [
  "NAMESPACE",
  "NAME",
  "READY",
  "STATUS",
  "RESTARTS",
  "AGE",
  "IP",
  "NODE"
]

/** One pod's row at cluster time `now`: its cells in `podHeader`'s order (NAMESPACE first) and colour. */
export const podRow = (pod: Pod, now: number): Row => {
  const row = printPod(pod, now)
  const namespace = pod.metadata.namespace ?? ""
  return {
    key: `${namespace}/${pod.metadata.name ?? ""}`,
    cells: [namespace, row.name, row.ready, row.status, row.restarts, row.age, row.ip, row.node],
    color: podColor(row)
  }
}

/** The pods table at cluster time `now`; with `namespace: true` a NAMESPACE column comes first (like `-A`). */
export const podTable = (
  pods: ReadonlyArray<Pod>,
  now: number,
  options: { readonly namespace: boolean }
): TableModel => {
  const sorted = [...pods].sort(
    (a, b) =>
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "")
  )
  return {
    header: options.namespace ? podHeader : podHeader.slice(1),
    rows: sorted.map((pod): Row => {
      const row = podRow(pod, now)
      return options.namespace ? row : { ...row, cells: row.cells.slice(1) }
    })
  }
}
