/**
 * @podlet/sdk/effect: the SDK for Effect users. `createCluster` and `connect` are scoped Effects
 * giving a `ClusterEffect` whose operations are Effects failing with `ClusterError` (tagged classes
 * carrying the Kubernetes Status, for `Effect.catchTag`); the cluster lives as long as the Scope.
 */
import type { Effect, Scope } from "effect"
import type { ClusterEffect } from "./ClusterEffect.js"
import { type CreateClusterOptions, makeEmbedded } from "./Embedded.js"
import type { ClusterError } from "./Errors.js"
import { type ConnectOptions, makeRemote } from "./Remote.js"

export type { KubeObject, Status, WatchEvent } from "@podlet/core/api/Meta"
export type { ConfigMap, Event, Namespace, Node, ReplicaSet, Secret, Service } from "@podlet/core/api/Objects"
export type { Container, ContainerStatus, Pod, PodSpec, PodStatus } from "@podlet/core/api/Pod"
export type * from "./ClusterEffect.js"
export { toMillis } from "./Duration.js"
export type { CreateClusterOptions } from "./Embedded.js"
export * from "./Errors.js"
export type { ConnectOptions } from "./Remote.js"
export type * from "./Types.js"

/** An embedded cluster (virtual clock, one node, in memory, unless told otherwise), stopped when the Scope closes. */
export const createCluster = (
  options: CreateClusterOptions = {}
): Effect.Effect<ClusterEffect, ClusterError, Scope.Scope> => makeEmbedded(options)

/** A connection to a cluster's Kubernetes API (`{ server, token }` or `{ kubeconfig, context }`), for the Scope. */
export const connect = (options: ConnectOptions): Effect.Effect<ClusterEffect, ClusterError, Scope.Scope> =>
  makeRemote(options)
