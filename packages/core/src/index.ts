/**
 * @podlet/core: Kubernetes Pod lifecycle, faithful to the kubelet. Runtime-agnostic (Node and
 * workerd): no `node:` imports anywhere under `src/` (enforced by biome and `test/NoNodeImports.test.ts`).
 */
export * from "./api/Errors.js"
export type * from "./api/Meta.js"
export * from "./api/Objects.js"
export * from "./api/Pod.js"
export * from "./api/Resources.js"
export * from "./services/ObjectStore.js"
export * from "./services/StorageBackend.js"
