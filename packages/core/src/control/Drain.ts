/**
 * Node maintenance as kubectl does it (`kubectl cordon|uncordon|drain`, `k8s.io/kubectl/pkg/drain`):
 * cordoning sets `spec.unschedulable` (the node lifecycle controller adds the matching taint); a
 * drain cordons, refuses pods it must not delete unless told (no controller: `--force`; emptyDir:
 * `--delete-emptydir-data`; DaemonSet pods are skipped), then evicts every other pod through the
 * Eviction API, retrying a 429 every 5 s, and waits until each evicted pod is gone. It prints what
 * kubectl prints. Waiting goes through the caller's `advance`, so a drain moves a test clock itself.
 */
import type { Duration } from "effect"
import { Clock, Effect, Schema } from "effect"
import type { Node } from "../api/Objects.js"
import type { Pod } from "../api/Pod.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import { evictPod } from "./Eviction.js"
import { isDaemonSetPod } from "./NodeHealth.js"

/** A drain that stopped: the pods it may not delete, or its timeout. `lines` is what it printed. */
export class DrainError extends Schema.TaggedError<DrainError>()("DrainError", {
  message: Schema.String,
  lines: Schema.Array(Schema.String)
}) {}

export interface DrainOptions {
  /** also delete pods no controller will replace (`--force`) */
  readonly force?: boolean
  /** also delete pods with emptyDir volumes (`--delete-emptydir-data`) */
  readonly deleteEmptyDirData?: boolean
  /** skip DaemonSet pods (`--ignore-daemonsets`); default true */
  readonly ignoreDaemonSets?: boolean
  /** the evicted pods' grace period (`--grace-period`); default the pods' own */
  readonly gracePeriodSeconds?: number
  /** give up after this long (`--timeout`); default never */
  readonly timeoutSeconds?: number
}

export interface DrainResult {
  /** kubectl's output, line by line */
  readonly lines: ReadonlyArray<string>
  /** `namespace/name` of every evicted pod, in the order they went */
  readonly evicted: ReadonlyArray<string>
}

/** `kubectl drain` retries a refused eviction after this long. */
export const EvictionRetryMillis = 5_000
/** `kubectl drain` polls for the evicted pods' deletion this often. */
export const DeletePollMillis = 1_000

const isTerminal = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed"
const hasController = (pod: Pod): boolean => (pod.metadata.ownerReferences ?? []).some((o) => o.controller === true)
const hasEmptyDir = (pod: Pod): boolean => (pod.spec.volumes ?? []).some((v) => v.emptyDir !== undefined)
const podKey = (pod: Pod): string => `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`

/** The pods a drain deletes, or why it may not (`GetPodsForDeletion`'s filters). */
export const podsForDeletion = (
  pods: ReadonlyArray<Pod>,
  options: DrainOptions
): {
  readonly delete: ReadonlyArray<Pod>
  readonly warnings: ReadonlyArray<string>
  readonly errors: ReadonlyArray<string>
} => {
  const ignoreDaemonSets = options.ignoreDaemonSets ?? true
  const daemonSet: Array<string> = []
  const unreplicated: Array<string> = []
  const local: Array<string> = []
  const selected: Array<Pod> = []
  let blockedDaemonSet = false
  let blockedUnreplicated = false
  let blockedLocal = false
  for (const pod of [...pods].sort((a, b) => (podKey(a) < podKey(b) ? -1 : 1))) {
    if (pod.metadata.annotations?.["kubernetes.io/config.mirror"] !== undefined) continue
    if (isDaemonSetPod(pod)) {
      daemonSet.push(podKey(pod))
      if (!ignoreDaemonSets) blockedDaemonSet = true
      continue
    }
    if (!isTerminal(pod) && hasEmptyDir(pod)) {
      local.push(podKey(pod))
      if (options.deleteEmptyDirData !== true) blockedLocal = true
    }
    if (!isTerminal(pod) && !hasController(pod)) {
      unreplicated.push(podKey(pod))
      if (options.force !== true) blockedUnreplicated = true
    }
    selected.push(pod)
  }
  const errors: Array<string> = []
  const warnings: Array<string> = []
  if (blockedDaemonSet) {
    errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonSet.join(", ")}`)
  } else if (daemonSet.length > 0) warnings.push(`ignoring DaemonSet-managed Pods: ${daemonSet.join(", ")}`)
  if (blockedUnreplicated) {
    errors.push(`cannot delete Pods that declare no controller (use --force to override): ${unreplicated.join(", ")}`)
  } else if (unreplicated.length > 0)
    warnings.push(`deleting Pods that declare no controller: ${unreplicated.join(", ")}`)
  if (blockedLocal) {
    errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${local.join(", ")}`)
  } else if (local.length > 0) warnings.push(`deleting Pods with local storage: ${local.join(", ")}`)
  return { delete: selected, warnings, errors }
}

/** `kubectl cordon` (true) / `uncordon` (false): sets `spec.unschedulable`; returns kubectl's line. */
export const setUnschedulable = (store: ObjectStore["Service"], name: string, unschedulable: boolean) =>
  Effect.gen(function* () {
    const node = yield* store.get<Node>("nodes", undefined, name)
    const verb = unschedulable ? "cordoned" : "uncordoned"
    if ((node.spec?.unschedulable === true) === unschedulable) return `node/${name} already ${verb}`
    const { unschedulable: _u, ...spec } = node.spec ?? {}
    yield* store.update("nodes", { ...node, spec: unschedulable ? { ...spec, unschedulable: true } : spec })
    return `node/${name} ${verb}`
  }).pipe(Effect.retry({ while: (e) => e._tag === "Conflict", times: 5 }))

export interface DrainContext {
  readonly store: ObjectStore["Service"]
  /** lets time pass (the cluster's `advance`) */
  readonly advance: (duration: Duration.Input) => Effect.Effect<void>
  /** lets the engine react at the current time (the cluster's `settle`) */
  readonly settle: Effect.Effect<void>
}

/** `kubectl drain <node>`. */
export const drainNode = Effect.fnUntraced(function* (context: DrainContext, name: string, options: DrainOptions = {}) {
  const { store, advance, settle } = context
  const lines: Array<string> = []
  lines.push(yield* setUnschedulable(store, name, true))
  const listed = yield* store.list<Pod>("pods", { fieldSelector: `spec.nodeName=${name}` })
  const plan = podsForDeletion(listed.items, options)
  if (plan.errors.length > 0) {
    lines.push(`error: unable to drain node "${name}" due to error: ${plan.errors.join(", ")}, continuing command...`)
    lines.push("There are pending nodes to be drained:", ` ${name}`, ...plan.errors)
    return yield* new DrainError({ message: plan.errors.join(", "), lines })
  }
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`)

  const started = yield* Clock.currentTimeMillis
  const deadline = options.timeoutSeconds === undefined ? undefined : started + options.timeoutSeconds * 1000
  /** pod key → uid and when its next eviction attempt is due (undefined once accepted) */
  const pending = new Map<string, { readonly pod: Pod; nextAttempt: number | undefined }>()
  for (const pod of plan.delete) pending.set(podKey(pod), { pod, nextAttempt: started })
  const evicted: Array<string> = []
  const deleteOptions =
    options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}

  while (pending.size > 0) {
    const now = yield* Clock.currentTimeMillis
    for (const [key, entry] of pending) {
      if (entry.nextAttempt === undefined || entry.nextAttempt > now) continue
      const namespace = entry.pod.metadata.namespace ?? "default"
      const podName = entry.pod.metadata.name ?? ""
      if (entry.nextAttempt === started) lines.push(`evicting pod ${key}`)
      const result = yield* Effect.result(evictPod(store, namespace, podName, deleteOptions))
      if (result._tag === "Success" || result.failure._tag === "NotFound") {
        entry.nextAttempt = undefined
      } else if (result.failure._tag === "ApiFailure" && result.failure.code === 429) {
        lines.push(
          `error when evicting pods/"${podName}" -n "${namespace}" (will retry after 5s): ${result.failure.message}`
        )
        entry.nextAttempt = now + EvictionRetryMillis
      } else {
        lines.push(`error: error when evicting pods/"${podName}" -n "${namespace}": ${messageOf(result.failure)}`)
        return yield* new DrainError({ message: messageOf(result.failure), lines })
      }
    }
    yield* settle
    for (const [key, entry] of pending) {
      if (entry.nextAttempt !== undefined) continue
      const current = yield* store
        .get<Pod>("pods", entry.pod.metadata.namespace, entry.pod.metadata.name ?? "")
        .pipe(Effect.orElseSucceed(() => undefined))
      if (current === undefined || current.metadata.uid !== entry.pod.metadata.uid) {
        pending.delete(key)
        evicted.push(key)
        lines.push(`pod/${entry.pod.metadata.name ?? ""} evicted`)
      }
    }
    if (pending.size === 0) break
    if (deadline !== undefined && now >= deadline) {
      const message = `global timeout reached: ${options.timeoutSeconds}s`
      lines.push(`error: unable to drain node "${name}" due to error: ${message}, continuing command...`)
      return yield* new DrainError({ message, lines })
    }
    yield* advance(DeletePollMillis)
  }
  lines.push(`node/${name} drained`)
  return { lines, evicted } satisfies DrainResult
})

const messageOf = (error: { readonly _tag: string; readonly message?: string }): string => error.message ?? error._tag
