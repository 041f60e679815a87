/**
 * The crash-loop retry without a pod-worker turn. Most syncs of a crash-looping pod are retries every
 * 10 s (`backOffPeriod`) that only find the container still in CrashLoopBackOff: they record a
 * `BackOff` occurrence and ask for the next retry. When the last sync was exactly that and nothing
 * it depended on has changed since (informer copy, runtime state, generated status, backoff window,
 * active deadline, eviction), the timer does the same without a fiber: counts the occurrence in the
 * recorder when the spam filter drops it, and re-arms. Anything else runs the full sync.
 */
import { Context } from "effect"
import type { Pod, PodStatus } from "../api/Pod.js"
import type { FilteredEventCounter, PreparedEvent } from "../services/EventRecorder.js"

/**
 * Whether kubelets take the fast path (default true). Provide `false` around `makeCluster` (or pass
 * `KubeletOptions.backoffFastPath`) to run every retry as a full sync, e.g. to compare both.
 */
export const BackoffFastPath = Context.Reference<boolean>("@podlet/core/kubelet/BackoffFastPath", {
  defaultValue: () => true
})

/** A sync that only met crash-loop backoffs, and what the same sync would depend on. */
export interface BackoffOnlySync {
  /** the informer's copy of the pod at that sync */
  readonly pod: Pod
  /** the status generated then, confirmed in the store */
  readonly status: PodStatus
  /** the pod's runtime revision then */
  readonly revision: number
  /** one `BackOff` occurrence per refused container, in start order */
  readonly events: ReadonlyArray<PreparedEvent>
  /** the earliest backoff expiry of the refused containers (epoch ms): a retry then starts one */
  readonly expiresAt: number
  /** the active deadline, if any */
  readonly deadlineAt: number | undefined
}

/** Retry after a refused start (K-workers `backOffPeriod`). */
export const backoffRetryMillis = 10_000

/**
 * The next sync time when a retry at `now` is the same as `last` (then the occurrences are counted);
 * undefined when the full sync must run (nothing was done).
 */
export const retryWithoutSync = (
  last: BackoffOnlySync,
  /** the informer's copy, the kubelet's generated status and the runtime revision now */
  pod: Pod | undefined,
  status: PodStatus | undefined,
  revision: number,
  now: number,
  events: FilteredEventCounter
): number | undefined => {
  if (pod !== last.pod || status !== last.status || revision !== last.revision) return undefined
  if (now >= last.expiresAt || (last.deadlineAt !== undefined && now >= last.deadlineAt)) return undefined
  if (!events.countFilteredUnsafe(last.events, now)) return undefined
  const next = Math.min(now + backoffRetryMillis, last.expiresAt)
  return last.deadlineAt === undefined ? next : Math.min(next, last.deadlineAt)
}
