/**
 * @podlet/platform-node: Node-only adapters (the SQLite store).
 */
export { BackendSqlite, type BackendSqliteOptions, makeBackendSqlite } from "./BackendSqlite.js"
export { StorageOpenError } from "./Errors.js"
export { StoreSqlite } from "./StoreSqlite.js"
