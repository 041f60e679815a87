/**
 * @podlet/platform-node: Node-only adapters (the SQLite store).
 */
export * as BackendSqlite from "./BackendSqlite.js"
export * from "./Errors.js"
