/**
 * What a cluster must offer the SDK, embedded (`Embedded.ts`, over core's facade) or remote
 * (`Remote.ts`, over the Kubernetes API): the few primitive calls from which `ClusterOps.ts` builds
 * every operation of `ClusterEffect` the same way for both, so both observe the same.
 */
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { Effect, Stream } from "effect"
import type { FaultsEffect, ImagesEffect } from "./ClusterEffect.js"
import type { ClusterError } from "./Errors.js"
import type { ClockMode, DeleteOptions, DrainOptions, DrainResult, ListOptions, LogLine, NodeSpec } from "./Types.js"

/** A kind as the API serves it. */
export interface KindInfo {
  readonly kind: string
  /** lower-case plural, the URL segment */
  readonly resource: string
  readonly group: string
  readonly version: string
  readonly namespaced: boolean
}

/** The primitive calls of a cluster. Namespaces are resolved: undefined for cluster-scoped kinds. */
export interface Backend {
  readonly clockMode: ClockMode
  /** epoch ms of the cluster's clock */
  readonly now: Effect.Effect<number, ClusterError>
  /** virtual clocks: run the timers of the next `ms`, then settle */
  advance(ms: number): Effect.Effect<void, ClusterError>
  /** wait until the cluster is quiet at the current time (after a write); nothing on a real clock */
  readonly settle: Effect.Effect<void, ClusterError>
  resolve(kind: string, apiVersion?: string): Effect.Effect<KindInfo, ClusterError>
  /** creates the object or replaces the existing one's spec, labels and annotations; does not settle */
  applyOne(info: KindInfo, object: KubeObject): Effect.Effect<KubeObject, ClusterError>
  get(info: KindInfo, name: string, namespace: string | undefined): Effect.Effect<KubeObject, ClusterError>
  list(info: KindInfo, options: ListOptions): Effect.Effect<ReadonlyArray<KubeObject>, ClusterError>
  /** does not settle */
  delete(
    info: KindInfo,
    name: string,
    namespace: string | undefined,
    options: DeleteOptions
  ): Effect.Effect<void, ClusterError>
  /** does not settle */
  evict(namespace: string, name: string): Effect.Effect<void, ClusterError>
  logs(
    namespace: string,
    pod: string,
    container: string,
    previous: boolean
  ): Effect.Effect<ReadonlyArray<LogLine>, ClusterError>
  watch(info: KindInfo, options: ListOptions): Stream.Stream<WatchEvent<KubeObject>, ClusterError>
  /** settles itself */
  cordon(node: string, unschedulable: boolean): Effect.Effect<void, ClusterError>
  /** settles itself */
  drain(node: string, options: DrainOptions): Effect.Effect<DrainResult, ClusterError>
  /** settles itself */
  addNode(node: string | NodeSpec): Effect.Effect<void, ClusterError>
  /** each settles itself */
  readonly faults: FaultsEffect
  readonly images: ImagesEffect
}
