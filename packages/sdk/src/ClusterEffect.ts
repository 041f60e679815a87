/**
 * The `Cluster` of the Effect API (`@podlet/sdk/effect`): the same operations as the Promise API,
 * as Effects whose error channel is `ClusterError` (tagged classes carrying the Kubernetes Status).
 * Its lifetime is the Scope it was created in.
 */
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { Event, Node } from "@podlet/core/api/Objects"
import type { Pod } from "@podlet/core/api/Pod"
import type { Effect, Stream } from "effect"
import type { ClusterError } from "./Errors.js"
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
export interface PodsEffect {
  /** the pod (namespace `default` unless given); `NotFoundError` when it does not exist */
  get(name: string, namespace?: string): Effect.Effect<Pod, ClusterError>
  /** the pods a namespace and selectors pick (every namespace by default) */
  list(options?: ListOptions): Effect.Effect<ReadonlyArray<Pod>, ClusterError>
  /** graceful deletion (`kubectl delete pod`): the pod is Terminating until its containers stop */
  delete(name: string, options?: DeleteOptions): Effect.Effect<void, ClusterError>
  /** the Eviction API: a delete that honours PodDisruptionBudgets (`TooManyRequestsError` when refused) */
  evict(name: string, namespace?: string): Effect.Effect<void, ClusterError>
  logs(name: string, options?: LogOptions): Effect.Effect<ReadonlyArray<LogLine>, ClusterError>
  /** the `kubectl get pods` columns READY, STATUS, RESTARTS */
  status(name: string, namespace?: string): Effect.Effect<PodColumns, ClusterError>
}

/** The cluster's clock. */
export interface ClockEffect {
  readonly mode: ClockMode
  /** the cluster's current time */
  readonly now: Effect.Effect<Date, ClusterError>
  /** virtual clocks only: runs every timer due in the next `duration`, returns when the cluster is quiet */
  advance(duration: DurationInput): Effect.Effect<void, ClusterError>
}

/** Making things go wrong on purpose; podlet only (`UnsupportedError` on other clusters). */
export interface FaultsEffect {
  /** the container's process exits now with `exitCode` */
  containerExit(target: ContainerTarget, exitCode: number): Effect.Effect<void, ClusterError>
  /** the kernel OOM-kills the container: exit code 137, reason OOMKilled */
  containerOOM(target: ContainerTarget): Effect.Effect<void, ClusterError>
  /** the node stops talking to the API server (heartbeats, status): it goes NotReady/Unknown */
  stopHeartbeat(node: string): Effect.Effect<void, ClusterError>
  /** the node talks to the API server again */
  resumeHeartbeat(node: string): Effect.Effect<void, ClusterError>
  /** the node's disk dies: DiskPressure, its taint, every pod evicted */
  diskFailure(node: string): Effect.Effect<void, ClusterError>
  /** the node runs short of memory: MemoryPressure, its taint, pods evicted */
  memoryPressure(node: string): Effect.Effect<void, ClusterError>
  /** the node's disk and memory recover and a partition ends */
  recover(node: string): Effect.Effect<void, ClusterError>
  /** while `down`, every image pull fails as if the registry were unreachable */
  registryOutage(down: boolean): Effect.Effect<void, ClusterError>
}

/** The simulated image registry and the nodes' image stores; podlet only. */
export interface ImagesEffect {
  /** adds an image to the registry's catalogue */
  add(image: ImageEntry): Effect.Effect<void, ClusterError>
  /** puts an image on a node, as `kind load docker-image` does */
  preload(node: string, image: string): Effect.Effect<void, ClusterError>
}

/** Nodes and their maintenance. */
export interface NodesEffect {
  /** every node */
  list(): Effect.Effect<ReadonlyArray<Node>, ClusterError>
  /** a node by name */
  get(name: string): Effect.Effect<Node, ClusterError>
  /** `kubectl cordon` */
  cordon(name: string): Effect.Effect<void, ClusterError>
  /** `kubectl uncordon` */
  uncordon(name: string): Effect.Effect<void, ClusterError>
  /** `kubectl drain`: cordon, evict every pod (retrying PDB refusals every 5 s), wait until they are gone */
  drain(name: string, options?: DrainOptions): Effect.Effect<DrainResult, ClusterError>
  /** embedded only: adds a node to the running cluster */
  add(node: string | NodeSpec): Effect.Effect<Node, ClusterError>
}

/** A podlet cluster (or any Kubernetes cluster, remotely) as Effects. */
export interface ClusterEffect {
  /** creates or updates each object of a YAML/JSON text, an object or a list; returns the stored objects */
  apply(
    manifest: string | KubeObject | ReadonlyArray<KubeObject>
  ): Effect.Effect<ReadonlyArray<KubeObject>, ClusterError>
  /** an object by kind (`Pod`, `ReplicaSet`, `Node`, ...) and name */
  get<T extends KubeObject = KubeObject>(kind: string, name: string, namespace?: string): Effect.Effect<T, ClusterError>
  /** the objects of a kind a namespace and selectors pick */
  list<T extends KubeObject = KubeObject>(
    kind: string,
    options?: ListOptions
  ): Effect.Effect<ReadonlyArray<T>, ClusterError>
  /** deletes an object (dependents as `propagationPolicy` says) */
  delete(kind: string, name: string, options?: DeleteOptions): Effect.Effect<void, ClusterError>
  readonly pods: PodsEffect
  /** the current objects as ADDED, then every change; ends only when interrupted */
  watch<T extends KubeObject = KubeObject>(
    kind: string,
    options?: ListOptions
  ): Stream.Stream<WatchEvent<T>, ClusterError>
  /** the Events about an object (a pod when `object` is a name), oldest first; every Event without one */
  events(object?: ObjectRef | string): Effect.Effect<ReadonlyArray<Event>, ClusterError>
  /** the object once `condition` holds; `TimeoutError` after `timeout` (advancing a virtual clock itself) */
  waitFor<T extends KubeObject = Pod>(
    ref: ObjectRef | string,
    condition: WaitCondition<T>,
    options?: WaitOptions
  ): Effect.Effect<T, ClusterError>
  readonly clock: ClockEffect
  readonly faults: FaultsEffect
  readonly images: ImagesEffect
  readonly nodes: NodesEffect
}
