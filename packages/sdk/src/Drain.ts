/**
 * `kubectl drain` from the client side (`k8s.io/kubectl/pkg/drain`), for remote clusters: cordon,
 * choose the pods with core's `podsForDeletion` (kubectl's filters), evict each through the
 * Eviction API, retry a 429 every 5 s, and poll every second until each evicted pod is gone. It
 * prints what kubectl prints, as core's embedded drain does. Waiting goes through `wait`, which
 * advances a virtual clock or sleeps on a real one.
 */
import type { Pod } from "@podlet/core/api/Pod"
import { DeletePollMillis, EvictionRetryMillis, podsForDeletion } from "@podlet/core/control/Drain"
import { Effect } from "effect"
import { type ClusterError, DrainError, NotFoundError, sdkStatus, TooManyRequestsError } from "./Errors.js"
import type { DrainOptions, DrainResult } from "./Types.js"

/** What a drain needs of a cluster. */
export interface DrainContext {
  /** cordons the node; kubectl's line (`node/x cordoned`) */
  readonly cordon: (node: string) => Effect.Effect<string, ClusterError>
  readonly podsOn: (node: string) => Effect.Effect<ReadonlyArray<Pod>, ClusterError>
  readonly evict: (namespace: string, name: string) => Effect.Effect<void, ClusterError>
  /** the pod, or undefined once it is gone */
  readonly find: (namespace: string, name: string) => Effect.Effect<Pod | undefined, ClusterError>
  /** epoch ms */
  readonly now: Effect.Effect<number, ClusterError>
  /** lets `ms` of cluster time pass */
  readonly wait: (ms: number) => Effect.Effect<void, ClusterError>
}

const podKey = (pod: Pod): string => `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`

const drainError = (message: string, lines: ReadonlyArray<string>): DrainError =>
  new DrainError(sdkStatus(500, "DrainFailed", message), lines)

/** Drains `name`. */
export const drainWith = (
  context: DrainContext,
  name: string,
  options: DrainOptions = {}
): Effect.Effect<DrainResult, ClusterError> =>
  Effect.gen(function* () {
    const lines: Array<string> = [yield* context.cordon(name)]
    const plan = podsForDeletion(yield* context.podsOn(name), options)
    if (plan.errors.length > 0) {
      lines.push(`error: unable to drain node "${name}" due to error: ${plan.errors.join(", ")}, continuing command...`)
      lines.push("There are pending nodes to be drained:", ` ${name}`, ...plan.errors)
      return yield* Effect.fail(drainError(plan.errors.join(", "), lines))
    }
    for (const warning of plan.warnings) lines.push(`Warning: ${warning}`)
    const started = yield* context.now
    const deadline = options.timeoutSeconds === undefined ? undefined : started + options.timeoutSeconds * 1000
    const pending = new Map<string, { readonly pod: Pod; nextAttempt: number | undefined }>()
    for (const pod of plan.delete) pending.set(podKey(pod), { pod, nextAttempt: started })
    const evicted: Array<string> = []
    while (pending.size > 0) {
      const now = yield* context.now
      for (const [key, entry] of pending) {
        if (entry.nextAttempt === undefined || entry.nextAttempt > now) continue
        const namespace = entry.pod.metadata.namespace ?? "default"
        const podName = entry.pod.metadata.name ?? ""
        if (entry.nextAttempt === started) lines.push(`evicting pod ${key}`)
        const result = yield* Effect.result(context.evict(namespace, podName))
        if (result._tag === "Success" || result.failure instanceof NotFoundError) entry.nextAttempt = undefined
        else if (result.failure instanceof TooManyRequestsError) {
          lines.push(
            `error when evicting pods/"${podName}" -n "${namespace}" (will retry after 5s): ${result.failure.message}`
          )
          entry.nextAttempt = now + EvictionRetryMillis
        } else {
          lines.push(`error: error when evicting pods/"${podName}" -n "${namespace}": ${result.failure.message}`)
          return yield* Effect.fail(drainError(result.failure.message, lines))
        }
      }
      for (const [key, entry] of pending) {
        if (entry.nextAttempt !== undefined) continue
        const current = yield* context.find(entry.pod.metadata.namespace ?? "default", entry.pod.metadata.name ?? "")
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
        return yield* Effect.fail(drainError(message, lines))
      }
      yield* context.wait(DeletePollMillis)
    }
    lines.push(`node/${name} drained`)
    return { lines, evicted }
  })
