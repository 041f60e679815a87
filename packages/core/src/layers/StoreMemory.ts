/**
 * The in-memory ObjectStore: `ObjectStoreLive` over `BackendMemory`. Runs in workerd and in
 * tests; state lives as long as the layer.
 */
import { Layer } from "effect"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { BackendMemoryOptions } from "./BackendMemory.js"
import { BackendMemory } from "./BackendMemory.js"
import type { ObjectStoreOptions } from "./ObjectStoreLive.js"
import { ObjectStoreLive } from "./ObjectStoreLive.js"

/** `ObjectStore` in memory. */
export const StoreMemory = {
  /** default windows (10_000 changes of watch history) */
  layer: ObjectStoreLive.layer.pipe(Layer.provide(BackendMemory.layer)) as Layer.Layer<ObjectStore>,
  /** with one history window for both the backend's change log and the watch hub */
  layerWith: (options: ObjectStoreOptions & BackendMemoryOptions): Layer.Layer<ObjectStore> =>
    ObjectStoreLive.layerWith(options).pipe(Layer.provide(BackendMemory.layerWith(options)))
} as const
