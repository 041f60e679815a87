/**
 * The pod columns of `kubectl get pods` (spec pod-lifecycle §11: READY, STATUS, RESTARTS and the
 * wide IP, NODE, NOMINATED NODE, READINESS GATES), computed from the pod and the time.
 * Stand-in until core's `domain/DisplayStatus` `printPod` lands; same algorithm (upstream printPod
 * with PR #124766).
 */

import type { Container, ContainerStatus, Pod } from "@podlet/core/api/Pod"
import { humanDuration } from "@podlet/core/domain/HumanDuration"

export interface PodColumns {
  readonly ready: string
  readonly status: string
  readonly restarts: string
  readonly ip: string
  readonly node: string
  readonly nominatedNode: string
  readonly readinessGates: string
}

const time = (t: string | undefined): number | undefined => {
  if (t === undefined || t === "") return undefined
  const ms = Date.parse(t)
  return Number.isNaN(ms) ? undefined : ms
}

const later = (candidate: string | undefined, current: number | undefined): number | undefined => {
  const t = time(candidate)
  return t !== undefined && (current === undefined || t > current) ? t : current
}

const isSidecar = (c: Container | undefined) => c?.restartPolicy === "Always"

/** The §11 columns of one pod at `now` (epoch ms). */
export const podColumns = (pod: Pod, now: number): PodColumns => {
  const spec = pod.spec ?? { containers: [] }
  const status = pod.status ?? {}
  const conditionTrue = (type: string) =>
    status.conditions?.some((c) => c.type === type && c.status === "True") === true
  const initContainers = spec.initContainers ?? []
  const initSpec = new Map(initContainers.map((c) => [c.name, c]))
  let restarts = 0
  let sidecarRestarts = 0
  let ready = 0
  const total = (spec.containers ?? []).length + initContainers.filter(isSidecar).length
  let lastRestart: number | undefined
  let lastSidecarRestart: number | undefined
  let reason: string = status.reason || status.phase || ""
  if (status.conditions?.some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) {
    reason = "SchedulingGated"
  }

  let initializing = false
  const initStatuses: ReadonlyArray<ContainerStatus> = status.initContainerStatuses ?? []
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!
    restarts += c.restartCount ?? 0
    lastRestart = later(c.lastState?.terminated?.finishedAt, lastRestart)
    const sidecar = isSidecar(initSpec.get(c.name))
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0
      lastSidecarRestart = later(c.lastState?.terminated?.finishedAt, lastSidecarRestart)
    }
    const terminated = c.state?.terminated
    const waiting = c.state?.waiting
    if (terminated !== undefined && terminated.exitCode === 0) continue
    if (sidecar && c.started === true) {
      if (c.ready) ready++
      continue
    }
    if (terminated !== undefined) {
      reason = terminated.reason
        ? `Init:${terminated.reason}`
        : terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode}`
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`
    } else {
      reason = `Init:${i}/${initContainers.length}`
    }
    initializing = true
    break
  }

  if (!initializing || conditionTrue("Initialized")) {
    restarts = sidecarRestarts
    lastRestart = lastSidecarRestart
    let hasRunning = false
    let errorReason = ""
    const statuses = status.containerStatuses ?? []
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!
      restarts += c.restartCount ?? 0
      lastRestart = later(c.lastState?.terminated?.finishedAt, lastRestart)
      const terminated = c.state?.terminated
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason
      else if (terminated !== undefined) {
        reason =
          terminated.reason || (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`)
        if (terminated.exitCode !== 0) errorReason = reason
      } else if (c.ready && c.state?.running !== undefined) {
        hasRunning = true
        ready++
      }
    }
    if (reason === "Completed") {
      if (hasRunning && conditionTrue("Ready")) reason = "Running"
      else if (errorReason !== "") reason = errorReason
      else if (hasRunning) reason = "NotReady"
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown"
  else if (pod.metadata.deletionTimestamp && status.phase !== "Succeeded" && status.phase !== "Failed") {
    reason = "Terminating"
  }

  const gates = spec.readinessGates ?? []
  const gatesTrue = gates.filter((g) => conditionTrue(g.conditionType)).length
  return {
    ready: `${ready}/${total}`,
    status: reason,
    restarts:
      restarts !== 0 && lastRestart !== undefined
        ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
        : `${restarts}`,
    ip: status.podIPs?.[0]?.ip || status.podIP || "<none>",
    node: spec.nodeName || "<none>",
    nominatedNode: status.nominatedNodeName || "<none>",
    readinessGates: gates.length === 0 ? "<none>" : `${gatesTrue}/${gates.length}`
  }
}
