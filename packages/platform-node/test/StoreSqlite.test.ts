/**
 * The ObjectStore contract suite against the SQLite store: each test gets a fresh database file.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "@effect/vitest"
import { storeContract } from "@podlet/core/testing/StoreContract"
import { Effect, Layer } from "effect"
import type { BackendSqliteOptions } from "../src/BackendSqlite.js"
import { StoreSqlite } from "../src/StoreSqlite.js"

const dir = mkdtempSync(join(tmpdir(), "podlet-store-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0

/** A store on a new file at every build (the contract wants an empty store per test). */
const freshStore = (options: Omit<BackendSqliteOptions, "path"> = {}) =>
  Layer.unwrap(Effect.sync(() => StoreSqlite.layer({ path: join(dir, `store-${++files}.db`), ...options }))).pipe(
    Layer.orDie
  )

storeContract("StoreSqlite", freshStore())
storeContract("StoreSqlite, 200-change window", freshStore({ historyWindow: 200 }), { historyWindow: 200 })
