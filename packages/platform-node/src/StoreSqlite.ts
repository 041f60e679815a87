/**
 * The durable ObjectStore: `ObjectStoreLive` over `BackendSqlite`. One history window serves both
 * the backend's change log and the watch hub, as in `StoreMemory.layerWith`.
 */
import { ObjectStoreLive, type ObjectStoreOptions } from "@podlet/core/layers/ObjectStoreLive"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Layer } from "effect"
import { BackendSqlite, type BackendSqliteOptions } from "./BackendSqlite.js"
import type { StorageOpenError } from "./Errors.js"

/** `ObjectStore` on a SQLite file; the database is closed when the layer is released. */
export const StoreSqlite = {
  layer: (options: BackendSqliteOptions & ObjectStoreOptions): Layer.Layer<ObjectStore, StorageOpenError> =>
    ObjectStoreLive.layerWith(options).pipe(Layer.provide(BackendSqlite.layer(options)))
} as const
