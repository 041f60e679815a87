/**
 * The one `Cluster` interface of the Promise API, whether embedded (`createCluster`) or remote
 * (`connect`). Failures are the classes of `Errors.ts`, each carrying the Kubernetes Status.
 */
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { Event, Node } from "@podlet/core/api/Objects"
import type { Pod } from "@podlet/core/api/Pod"
import type {
  ClockMode,
  ContainerTarget,
  DeleteOptions,
  DrainOptions,
  DrainResult,
  DurationInput,
  ImageEntry,
  ListOptions,
  LogLine,
  LogOptions,
  NodeSpec,
  ObjectRef,
  PodColumns,
  WaitCondition,
  WaitOptions
} from "./Types.js"

/** Pods: the kind most calls are about. */
export interface PodsApi {
  /** the pod (namespace `default` unless given); `NotFoundError` when it does not exist */
  get(name: string, namespace?: string): Promise<Pod>
  /** the pods a namespace and selectors pick (every namespace by default) */
  list(options?: ListOptions): Promise<ReadonlyArray<Pod>>
  /** graceful deletion (`kubectl delete pod`): the pod is Terminating until its containers stop */
  delete(name: string, options?: DeleteOptions): Promise<void>
  /** the Eviction API: a delete that honours PodDisruptionBudgets (`TooManyRequestsError` when refused) */
  evict(name: string, namespace?: string): Promise<void>
  logs(name: string, options?: LogOptions): Promise<ReadonlyArray<LogLine>>
  /** the `kubectl get pods` columns READY, STATUS, RESTARTS */
  status(name: string, namespace?: string): Promise<PodColumns>
}

/** The cluster's clock. */
export interface ClockApi {
  /** `virtual`: moves only when advanced (by `advance` or `waitFor`); `real`: the wall clock */
  readonly mode: ClockMode
  /** the cluster's current time */
  now(): Promise<Date>
  /** virtual clocks only: runs every timer due in the next `duration`, returns when the cluster is quiet */
  advance(duration: DurationInput): Promise<void>
}

/** Making things go wrong on purpose; podlet only (`UnsupportedError` on other clusters). */
export interface FaultsApi {
  /** the container's process exits now with `exitCode` */
  containerExit(target: ContainerTarget, exitCode: number): Promise<void>
  /** the kernel OOM-kills the container: exit code 137, reason OOMKilled */
  containerOOM(target: ContainerTarget): Promise<void>
  /** the node stops talking to the API server (heartbeats, status): it goes NotReady/Unknown */
  stopHeartbeat(node: string): Promise<void>
  /** the node talks to the API server again */
  resumeHeartbeat(node: string): Promise<void>
  /** the node's disk dies: DiskPressure, its taint, every pod evicted */
  diskFailure(node: string): Promise<void>
  /** the node runs short of memory: MemoryPressure, its taint, pods evicted */
  memoryPressure(node: string): Promise<void>
  /** the node's disk and memory recover and a partition ends */
  recover(node: string): Promise<void>
  /** while `down`, every image pull fails as if the registry were unreachable */
  registryOutage(down: boolean): Promise<void>
}

/** The simulated image registry and the nodes' image stores; podlet only. */
export interface ImagesApi {
  /** adds an image to the registry's catalogue */
  add(image: ImageEntry): Promise<void>
  /** puts an image on a node, as `kind load docker-image` does */
  preload(node: string, image: string): Promise<void>
}

/** Nodes and their maintenance. */
export interface NodesApi {
  /** every node */
  list(): Promise<ReadonlyArray<Node>>
  /** a node by name */
  get(name: string): Promise<Node>
  /** `kubectl cordon` */
  cordon(name: string): Promise<void>
  /** `kubectl uncordon` */
  uncordon(name: string): Promise<void>
  /** `kubectl drain`: cordon, evict every pod (retrying PDB refusals every 5 s), wait until they are gone */
  drain(name: string, options?: DrainOptions): Promise<DrainResult>
  /** embedded only: adds a node to the running cluster */
  add(node: string | NodeSpec): Promise<Node>
}

/** A podlet cluster (or any Kubernetes cluster, remotely). Close it with `close()`. */
export interface Cluster {
  /** creates or updates each object of a YAML/JSON text, an object or a list; returns the stored objects */
  apply(manifest: string | KubeObject | ReadonlyArray<KubeObject>): Promise<ReadonlyArray<KubeObject>>
  /** an object by kind (`Pod`, `ReplicaSet`, `Node`, ...) and name */
  get<T extends KubeObject = KubeObject>(kind: string, name: string, namespace?: string): Promise<T>
  /** the objects of a kind a namespace and selectors pick */
  list<T extends KubeObject = KubeObject>(kind: string, options?: ListOptions): Promise<ReadonlyArray<T>>
  /** deletes an object (dependents as `propagationPolicy` says) */
  delete(kind: string, name: string, options?: DeleteOptions): Promise<void>
  readonly pods: PodsApi
  /** the current objects as ADDED, then every change, as an async iterator (`return()` stops it) */
  watch<T extends KubeObject = KubeObject>(kind: string, options?: ListOptions): AsyncIterableIterator<WatchEvent<T>>
  /** the Events about an object (a pod when `object` is a name), oldest first; every Event without one */
  events(object?: ObjectRef | string): Promise<ReadonlyArray<Event>>
  /** resolves with the object once `condition` holds; rejects with TimeoutError after `timeout` */
  waitFor<T extends KubeObject = Pod>(
    ref: ObjectRef | string,
    condition: WaitCondition<T>,
    options?: WaitOptions
  ): Promise<T>
  readonly clock: ClockApi
  readonly faults: FaultsApi
  readonly images: ImagesApi
  readonly nodes: NodesApi
  /** stops the cluster (embedded) or the connection (remote) */
  close(): Promise<void>
}
