/**
 * The values the SDK's calls take and return, shared by the Promise API (`Cluster`) and the Effect
 * API (`ClusterEffect`), embedded and remote alike.
 */
import type { KubeObject } from "@podlet/core/api/Meta"

/** A duration: milliseconds, or text like `"90s"`, `"1m30s"`, `"5 minutes"`, `"1h"`. */
export type DurationInput = number | string

/** An object by kind, name and namespace. */
export interface ObjectRef {
  /** `Pod` (default), `ReplicaSet`, `Node`, ... */
  readonly kind?: string
  readonly name: string
  /** default `default` (ignored for cluster-scoped kinds) */
  readonly namespace?: string
}

/** What `list` and `watch` select. */
export interface ListOptions {
  /** omitted: every namespace */
  readonly namespace?: string
  /** `app=web,tier!=db` */
  readonly labelSelector?: string
  /** `metadata.name=web,status.phase=Running` */
  readonly fieldSelector?: string
}

/** `kubectl delete` options. */
export interface DeleteOptions {
  /** default `default` */
  readonly namespace?: string
  readonly gracePeriodSeconds?: number
  /** what happens to dependents (`--cascade`); default Background */
  readonly propagationPolicy?: "Background" | "Foreground" | "Orphan"
}

/** `kubectl logs` options. */
export interface LogOptions {
  /** default `default` */
  readonly namespace?: string
  /** default: the pod's first container */
  readonly container?: string
  /** the previous instance (`kubectl logs --previous`) */
  readonly previous?: boolean
}

/** One line of a container's log. */
export interface LogLine {
  /** when it was written, epoch ms of the cluster's clock */
  readonly time: number
  readonly line: string
}

/** The `kubectl get pods` columns of one pod. */
export interface PodColumns {
  /** `1/1` */
  readonly ready: string
  /** the STATUS column: `Running`, `CrashLoopBackOff`, `Init:1/2`, `Completed`, ... */
  readonly status: string
  /** `3`, or `3 (10s ago)` */
  readonly restarts: string
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

/** `waitFor` options. */
export interface WaitOptions {
  /** cluster time on a virtual clock, wall-clock time on a real one; default 5 minutes */
  readonly timeout?: DurationInput
}

/** The container a fault hits. */
export interface ContainerTarget {
  readonly pod: string
  readonly container: string
  /** default `default` */
  readonly namespace?: string
}

/** An image to add to the simulated registry's catalogue. */
export interface ImageEntry {
  /** `local/app` or `local/app:1.0` (a tag in the name, or `tag`, or every tag) */
  readonly name: string
  readonly tag?: string
  /** how long a pull takes, in cluster seconds; default 0 */
  readonly pullSeconds?: number
}

/** One node of an embedded cluster. */
export interface NodeSpec {
  readonly name: string
  /** capacity; defaults 4 CPUs, 8Gi, 110 pods */
  readonly cpu?: string
  readonly memory?: string
  readonly pods?: string
  /** images preloaded on the node (like `kind load`) */
  readonly images?: ReadonlyArray<string>
}

/** `kubectl drain` options. */
export interface DrainOptions {
  /** also delete pods no controller will replace (`--force`) */
  readonly force?: boolean
  /** also delete pods with emptyDir volumes (`--delete-emptydir-data`) */
  readonly deleteEmptyDirData?: boolean
  /** the evicted pods' grace period (`--grace-period`) */
  readonly gracePeriodSeconds?: number
  /** give up after this many seconds (`--timeout`); default never */
  readonly timeoutSeconds?: number
}

/** What a drain did. */
export interface DrainResult {
  /** kubectl's output, line by line */
  readonly lines: ReadonlyArray<string>
  /** `namespace/name` of every evicted pod, in the order they went */
  readonly evicted: ReadonlyArray<string>
}

/** How a cluster keeps time: `virtual` only moves when advanced; `real` is the wall clock. */
export type ClockMode = "virtual" | "real"
