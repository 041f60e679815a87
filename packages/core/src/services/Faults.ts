/**
 * Fault injection: one service the API, the dashboard and the SDK share to make things go wrong on
 * purpose. Every fault is recorded as an Event (reason `FaultInjected`, or `FaultCleared` when one is
 * turned off) on the object it hits, so `kubectl get events` shows what was injected.
 *
 * Implementation: `layers/FaultsLive.ts`; the node faults (partition, disk failure, memory
 * pressure, recovery) are implemented by `control/NodeFaults.ts` over the nodes' agents.
 */
import type { Effect } from "effect"
import { Context, Schema } from "effect"

/** A fault that could not be injected: the target does not exist or is not in a state to take it. */
export class FaultError extends Schema.TaggedError<FaultError>()("FaultError", {
  message: Schema.String
}) {}

/** A container of a pod (namespace `default` unless given). */
export interface ContainerTarget {
  readonly namespace?: string
  readonly pod: string
  readonly container: string
}

/** Options of a node memory pressure fault. */
export interface MemoryPressureOptions {
  /** the `memory.available` the kubelet observes (under the 100Mi threshold); default `50Mi` */
  readonly available?: string
  /** the node runs out of memory before the kubelet reacts: the kernel OOM-kills one container first */
  readonly oomKill?: boolean
}

export class Faults extends Context.Service<
  Faults,
  {
    /** the container's running process exits now with `exitCode` (reason Completed for 0, Error otherwise) */
    containerExit(target: ContainerTarget, exitCode: number): Effect.Effect<void, FaultError>
    /** the kernel OOM-kills the container's process: exit code 137, reason OOMKilled */
    containerOOM(target: ContainerTarget): Effect.Effect<void, FaultError>
    /** while on, every image pull fails as if the registry were unreachable */
    registryOutage(down: boolean): Effect.Effect<void>
    /** puts an image into a node's image store, as `kind load docker-image` does */
    preloadImage(node: string, image: string): Effect.Effect<void, FaultError>
    /** the node stops (true) or resumes (false) talking to the API server: heartbeats, status, watches */
    nodePartition(node: string, partitioned: boolean): Effect.Effect<void, FaultError>
    /** the node's disk dies: DiskPressure and its taint, every pod evicted (Failed) */
    nodeDiskFailure(node: string): Effect.Effect<void, FaultError>
    /** memory.available under the eviction threshold: MemoryPressure and its taint, a pod evicted every 10 s */
    nodeMemoryPressure(node: string, options?: MemoryPressureOptions): Effect.Effect<void, FaultError>
    /** the disk and memory recover (their conditions clear after 5 minutes) and a partition ends */
    nodeRecover(node: string): Effect.Effect<void, FaultError>
  }
>()("@podlet/core/services/Faults") {}
