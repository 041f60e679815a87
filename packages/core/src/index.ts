/**
 * @podlet/core: Kubernetes Pod lifecycle, faithful to the kubelet. Runtime-agnostic (Node and
 * workerd): no `node:` imports anywhere under `src/` (enforced by biome and `test/NoNodeImports.test.ts`).
 *
 * The root re-exports the object model, the service contracts, the facade and the most used pure
 * decisions; every module is also importable by path (`@podlet/core/domain/Phase`, ...).
 */

export * as Decode from "./api/Decode.js"
// the Kubernetes object model
export * from "./api/Errors.js"
export * as LabelSelector from "./api/LabelSelector.js"
export type * from "./api/Meta.js"
export type * from "./api/Objects.js"
export * from "./api/Pod.js"
export * as Quantity from "./api/Quantity.js"
export * from "./api/Resources.js"
export * as Status from "./api/Status.js"
export * as Validation from "./api/Validation.js"

// the facade
export { type Cluster, type ClusterNode, type ClusterOptions, makeCluster, type NodeOptions } from "./Cluster.js"

// pure decisions most callers want
export { type PodRow, printPod } from "./domain/DisplayStatus.js"
export { goDuration } from "./domain/GoDuration.js"
export { humanDuration } from "./domain/HumanDuration.js"
export { getPhase } from "./domain/Phase.js"
export { BackendMemory } from "./layers/BackendMemory.js"
export { ObjectStoreLive } from "./layers/ObjectStoreLive.js"
export { RegistrySimulated } from "./layers/RegistrySimulated.js"
export { RuntimeSimulated } from "./layers/RuntimeSimulated.js"
export { StoreMemory } from "./layers/StoreMemory.js"
// service contracts and their in-memory / simulated implementations
export * from "./services/ContainerRuntime.js"
export * from "./services/EventRecorder.js"
export * from "./services/Faults.js"
export * from "./services/ImageService.js"
export * from "./services/ObjectStore.js"
export * from "./services/StorageBackend.js"
