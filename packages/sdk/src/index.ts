/**
 * @podlet/sdk: podlet for import. `createCluster()` starts an embedded cluster on a virtual clock;
 * `connect()` drives a remote one (a podlet API or any Kubernetes cluster) through the Kubernetes
 * API. Both give the same `Cluster`; failures are the error classes below. The Effect API is
 * `@podlet/sdk/effect`.
 */
import type { Cluster } from "./Cluster.js"
import { type CreateClusterOptions, makeEmbedded } from "./Embedded.js"
import { promiseCluster } from "./Promises.js"
import { type ConnectOptions, makeRemote } from "./Remote.js"

export type { KubeObject, Status, WatchEvent } from "@podlet/core/api/Meta"
export type { ConfigMap, Event, Namespace, Node, ReplicaSet, Secret, Service } from "@podlet/core/api/Objects"
export type { Container, ContainerStatus, Pod, PodSpec, PodStatus } from "@podlet/core/api/Pod"
export type * from "./Cluster.js"
export { toMillis } from "./Duration.js"
export type { CreateClusterOptions } from "./Embedded.js"
export * from "./Errors.js"
export * from "./Manifests.js"
export type { ConnectOptions } from "./Remote.js"
export type * from "./Types.js"

/** Starts an embedded cluster (virtual clock, one node, in memory, unless told otherwise). Close it with `close()`. */
export const createCluster = (options: CreateClusterOptions = {}): Promise<Cluster> =>
  promiseCluster(makeEmbedded(options))

/** Connects to a cluster's Kubernetes API (`{ server, token }` or `{ kubeconfig, context }`). Close it with `close()`. */
export const connect = (options: ConnectOptions): Promise<Cluster> => promiseCluster(makeRemote(options))
