/**
 * What `podlet run` prints: one line per change of a pod's kubectl STATUS, with the why
 * (`+12s  web-0  Running -> CrashLoopBackOff  app exited 1, back-off 10s`). Pure: two successive
 * views of the pods in, transitions out.
 */
import type { ContainerStatus, Pod } from "@podlet/core"
import { printPod } from "@podlet/core/domain/DisplayStatus"

export interface Transition {
  /** virtual seconds since the run started */
  readonly t: number
  readonly pod: string
  readonly from: string
  readonly to: string
  readonly detail: string
}

const statusesOf = (pod: Pod | undefined): ReadonlyArray<ContainerStatus> => [
  ...(pod?.status?.initContainerStatuses ?? []),
  ...(pod?.status?.containerStatuses ?? [])
]

const backoffOf = (message: string | undefined): string | undefined => /^back-off (\S+) /.exec(message ?? "")?.[1]

/** Why a pod's containers look different now: exits, back-offs, waiting reasons, starts. */
export const explain = (before: Pod | undefined, after: Pod): string => {
  const previous = new Map(statusesOf(before).map((s) => [s.name, s]))
  const parts: Array<string> = []
  for (const s of statusesOf(after)) {
    const old = previous.get(s.name)
    const exited = s.state.terminated ?? s.lastState.terminated
    const oldExit = old?.state.terminated ?? old?.lastState.terminated
    const newExit =
      exited !== undefined &&
      (oldExit === undefined || oldExit.finishedAt !== exited.finishedAt || oldExit.exitCode !== exited.exitCode)
    if (newExit && exited !== undefined) {
      parts.push(
        `${s.name} ${exited.reason === "OOMKilled" ? "was OOMKilled" : exited.reason === "StartError" ? "failed to start" : `exited ${exited.exitCode}`}`
      )
    }
    const waiting = s.state.waiting
    if (waiting !== undefined && waiting.reason !== old?.state.waiting?.reason) {
      const backoff = waiting.reason === "CrashLoopBackOff" ? backoffOf(waiting.message) : undefined
      if (backoff !== undefined) parts.push(`back-off ${backoff}`)
      else if (
        waiting.reason !== undefined &&
        waiting.reason !== "ContainerCreating" &&
        waiting.reason !== "PodInitializing"
      ) {
        parts.push(`${s.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`)
      }
    }
    if (s.state.running !== undefined && old?.state.running === undefined) {
      parts.push(`${s.name} started${s.restartCount > 0 ? ` (restart ${s.restartCount})` : ""}`)
    }
  }
  if (after.status?.reason !== undefined && after.status.reason !== before?.status?.reason) {
    parts.push(after.status.message ?? after.status.reason)
  }
  return parts.join(", ")
}

const key = (pod: Pod) => `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`

/**
 * The transitions between two views of the pods (`before` may miss pods that are new: they start
 * from `-`; pods gone from `after` end in `deleted`).
 */
export const transitions = (
  before: ReadonlyMap<string, Pod>,
  after: ReadonlyArray<Pod>,
  t: number,
  now: number
): Array<Transition> => {
  const out: Array<Transition> = []
  const seen = new Set<string>()
  for (const pod of after) {
    seen.add(key(pod))
    const old = before.get(key(pod))
    const from = old === undefined ? "-" : printPod(old, now).status
    const to = printPod(pod, now).status
    if (from !== to) out.push({ t, pod: pod.metadata.name ?? "", from, to, detail: explain(old, pod) })
  }
  for (const [k, old] of before) {
    if (!seen.has(k))
      out.push({ t, pod: old.metadata.name ?? "", from: printPod(old, now).status, to: "deleted", detail: "" })
  }
  return out
}

/** `+12s  web-0  Running -> CrashLoopBackOff  app exited 1, back-off 10s` */
export const formatTransition = (tr: Transition): string =>
  `+${tr.t}s  ${tr.pod}  ${tr.from} -> ${tr.to}${tr.detail === "" ? "" : `  ${tr.detail}`}`
