/**
 * The `kubectl get pods` row the API server prints (spec pod-lifecycle §11.1, §11.3; K-print `printPod` with the
 * `errorReason` of PR #124766): NAME, READY, STATUS, RESTARTS (with `(5m ago)`), AGE, and the wide columns IP, NODE,
 * NOMINATED NODE, READINESS GATES. `now` is epoch ms; API times are RFC 3339.
 */
import type { Container, Pod, PodCondition } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { humanDuration } from "./HumanDuration.js"
import { fromRfc3339 } from "./Time.js"

/** One row of the pods table, cells as kubectl prints them. */
export interface PodRow {
  readonly name: string
  readonly ready: string
  readonly status: string
  readonly restarts: string
  readonly age: string
  readonly ip: string
  readonly node: string
  readonly nominatedNode: string
  readonly readinessGates: string
}

/** `translateTimestampSince`: `<unknown>` for a missing time, else the human age. */
export const translateTimestampSince = (time: string | undefined, now: number): string => {
  const ms = fromRfc3339(time)
  return ms === undefined ? "<unknown>" : humanDuration(now - ms)
}

const conditionIsTrue = (conditions: ReadonlyArray<PodCondition>, type: string): boolean =>
  conditions.some((c) => c.type === type && c.status === "True")

/** The STATUS, READY and RESTARTS columns: §11.1 steps 1–8. */
const statusColumns = (pod: Pod, now: number) => {
  const status = pod.status ?? {}
  const conditions = status.conditions ?? []
  const initSpecs = new Map<string, Container>((pod.spec.initContainers ?? []).map((c) => [c.name, c]))
  const isSidecarName = (name: string) => {
    const spec = initSpecs.get(name)
    return spec !== undefined && isSidecar(spec)
  }
  let restarts = 0
  let sidecarRestarts = 0
  let ready = 0
  let total = pod.spec.containers.length
  let lastRestart: number | undefined
  let lastSidecarRestart: number | undefined
  const later = (time: string | undefined, than: number | undefined) => {
    const ms = fromRfc3339(time)
    return ms !== undefined && (than === undefined || ms > than) ? ms : than
  }

  let reason: string = status.reason || status.phase || ""
  if (conditions.some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) reason = "SchedulingGated"
  for (const c of pod.spec.initContainers ?? []) if (isSidecar(c)) total++

  let initializing = false
  const initStatuses = status.initContainerStatuses ?? []
  for (const [i, c] of initStatuses.entries()) {
    restarts += c.restartCount
    lastRestart = later(c.lastState.terminated?.finishedAt, lastRestart)
    const sidecar = isSidecarName(c.name)
    if (sidecar) {
      sidecarRestarts += c.restartCount
      lastSidecarRestart = later(c.lastState.terminated?.finishedAt, lastSidecarRestart)
    }
    if (c.state.terminated !== undefined && c.state.terminated.exitCode === 0) continue
    if (sidecar && c.started === true) {
      if (c.ready) ready++
      continue
    }
    const t = c.state.terminated
    if (t !== undefined) {
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`
    } else if (c.state.waiting?.reason && c.state.waiting.reason !== "PodInitializing") {
      reason = `Init:${c.state.waiting.reason}`
    } else {
      reason = `Init:${i}/${(pod.spec.initContainers ?? []).length}`
    }
    initializing = true
    break
  }

  if (!initializing || conditionIsTrue(conditions, "Initialized")) {
    restarts = sidecarRestarts
    lastRestart = lastSidecarRestart
    let hasRunning = false
    let errorReason = ""
    const statuses = status.containerStatuses ?? []
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!
      restarts += c.restartCount
      lastRestart = later(c.lastState.terminated?.finishedAt, lastRestart)
      const t = c.state.terminated
      if (c.state.waiting?.reason) {
        reason = c.state.waiting.reason
      } else if (t !== undefined) {
        reason = t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`)
        if (t.exitCode !== 0) errorReason = reason
      } else if (c.ready && c.state.running !== undefined) {
        hasRunning = true
        ready++
      }
    }
    if (reason === "Completed") {
      if (hasRunning && conditionIsTrue(conditions, "Ready")) reason = "Running"
      else if (errorReason !== "") reason = errorReason
      else if (hasRunning) reason = "NotReady"
    }
  }

  const deleting = pod.metadata.deletionTimestamp !== undefined
  if (deleting && status.reason === "NodeLost") reason = "Unknown"
  else if (deleting && status.phase !== "Succeeded" && status.phase !== "Failed") reason = "Terminating"

  const restartsText =
    restarts !== 0 && lastRestart !== undefined
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : `${restarts}`
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText }
}

/** `printPod`: the full row of `kubectl get pods -o wide` at time `now`. */
export const printPod = (pod: Pod, now: number): PodRow => {
  const status = pod.status ?? {}
  const gates = pod.spec.readinessGates ?? []
  const conditions = status.conditions ?? []
  const trueGates = gates.filter((g) => conditionIsTrue(conditions, g.conditionType)).length
  return {
    name: pod.metadata.name ?? "",
    ...statusColumns(pod, now),
    age: translateTimestampSince(pod.metadata.creationTimestamp, now),
    ip: status.podIPs?.[0]?.ip || status.podIP || "<none>",
    node: pod.spec.nodeName || "<none>",
    nominatedNode: status.nominatedNodeName || "<none>",
    readinessGates: gates.length === 0 ? "<none>" : `${trueGates}/${gates.length}`
  }
}

/** The row's cells in table column order: Name, Ready, Status, Restarts, Age, IP, Node, Nominated Node, Readiness Gates. */
export const podRowCells = (row: PodRow): ReadonlyArray<string> => [
  row.name,
  row.ready,
  row.status,
  row.restarts,
  row.age,
  row.ip,
  row.node,
  row.nominatedNode,
  row.readinessGates
]
