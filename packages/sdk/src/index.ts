/**
 * @podlet/sdk: podlet for import. An embedded cluster on a virtual clock (`createCluster`), with the
 * Kubernetes objects and errors it speaks.
 */

export type {
  ConfigMap,
  Container,
  ContainerStatus,
  Event,
  KubeObject,
  Namespace,
  Node,
  Pod,
  PodSpec,
  PodStatus,
  ReplicaSet,
  Secret,
  Service,
  Status,
  WatchEvent
} from "@podlet/core"
export type * from "./Cluster.js"
export { toMillis } from "./Duration.js"
export { type CreateClusterOptions, createCluster, type NodeSpec } from "./Embedded.js"
export * from "./Errors.js"
export * from "./Manifests.js"
