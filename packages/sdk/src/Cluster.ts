/**
 * The one `Cluster` interface of the SDK, whether embedded (`createCluster`) or remote
 * (`connect`). Promise-based; failures are the classes of `Errors.ts`.
 */
import type { Event, KubeObject, Pod, WatchEvent } from "@podlet/core"

/** A duration: milliseconds, or text like `"90s"`, `"5 minutes"`, `"1h"`. */
export type DurationInput = number | string

export interface ObjectRef {
  /** `Pod` (default), `ReplicaSet`, ... */
  readonly kind?: string
  readonly name: string
  readonly namespace?: string
}

export interface ListOptions {
  /** omitted: every namespace */
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
}

export interface DeleteOptions {
  readonly namespace?: string
  readonly gracePeriodSeconds?: number
}

export interface LogOptions {
  readonly namespace?: string
  /** default: the pod's only (or first) container */
  readonly container?: string
  /** the previous instance (`kubectl logs --previous`) */
  readonly previous?: boolean
}

export interface LogLine {
  /** epoch ms */
  readonly time: number
  readonly line: string
}

/**
 * What `waitFor` waits for: a predicate on the object, or a pod `phase`, a condition type that must
 * be `True`, or the kubectl STATUS column (`CrashLoopBackOff`, `Init:1/2`, `Completed`, ...).
 */
export type WaitCondition<T extends KubeObject> =
  | ((object: T) => boolean)
  | { readonly phase: string }
  | { readonly condition: string }
  | { readonly status: string }

export interface WaitOptions {
  /** in cluster time; default 5 minutes */
  readonly timeout?: DurationInput
}

export interface PodsApi {
  get(name: string, namespace?: string): Promise<Pod>
  list(options?: ListOptions): Promise<ReadonlyArray<Pod>>
  delete(name: string, options?: DeleteOptions): Promise<void>
  logs(name: string, options?: LogOptions): Promise<ReadonlyArray<LogLine>>
  /** the kubectl columns of `kubectl get pods`: READY, STATUS, RESTARTS, AGE, ... */
  status(
    name: string,
    namespace?: string
  ): Promise<{ readonly ready: string; readonly status: string; readonly restarts: string }>
}

export interface ClockApi {
  /** the cluster's current time */
  now(): Promise<Date>
  /** virtual clocks only: run every timer due in the next `duration`, return when the cluster is quiet */
  advance(duration: DurationInput): Promise<void>
}

export interface Cluster {
  /** creates or updates each object of a YAML/JSON text, an object or a list; returns the stored objects */
  apply(manifest: string | KubeObject | ReadonlyArray<KubeObject>): Promise<ReadonlyArray<KubeObject>>
  get<T extends KubeObject = KubeObject>(kind: string, name: string, namespace?: string): Promise<T>
  list<T extends KubeObject = KubeObject>(kind: string, options?: ListOptions): Promise<ReadonlyArray<T>>
  delete(kind: string, name: string, options?: DeleteOptions): Promise<void>
  readonly pods: PodsApi
  /** ADDED / MODIFIED / DELETED events from now on (after the current objects as ADDED) */
  watch<T extends KubeObject = KubeObject>(kind: string, options?: ListOptions): AsyncIterableIterator<WatchEvent<T>>
  /** the Events about an object (a pod by default), oldest first; all Events without an argument */
  events(object?: ObjectRef | string): Promise<ReadonlyArray<Event>>
  /** resolves with the object once `condition` holds; rejects with TimeoutError after `timeout` of cluster time */
  waitFor<T extends KubeObject = Pod>(
    ref: ObjectRef | string,
    condition: WaitCondition<T>,
    options?: WaitOptions
  ): Promise<T>
  readonly clock: ClockApi
  close(): Promise<void>
}
