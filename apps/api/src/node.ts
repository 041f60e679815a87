/**
 * The Node entry (`npm run serve`): builds the cluster's runtime from the chosen store, serves the
 * API on loopback with @hono/node-server, writes `.podlet/kubeconfig` and prints the URL. Wiring only.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { BackendSqlite } from "@podlet/platform-node/BackendSqlite"
import { Layer, ManagedRuntime } from "effect"
import { makeApp } from "./app.js"
import { kubeconfigYaml } from "./Kubeconfig.js"
import { listen } from "./NodeServer.js"
import { isLoopback, parseServeFlags, type StoreChoice } from "./ServeFlags.js"

const flags = parseServeFlags(process.argv.slice(2))
if (typeof flags === "string") {
  console.error(flags)
  process.exit(2)
}
if (!isLoopback(flags.host)) {
  console.error(`refusing to listen on ${flags.host}: without authentication podlet serves loopback only`)
  process.exit(2)
}

const stateDir = join(process.env["INIT_CWD"] ?? process.cwd(), ".podlet")
mkdirSync(stateDir, { recursive: true })
const store: StoreChoice = flags.store ?? { kind: "sqlite", path: join(stateDir, "cluster.db") }
const storeLayer: Layer.Layer<ObjectStore, unknown> =
  store.kind === "memory"
    ? StoreMemory.layer
    : ObjectStoreLive.layer.pipe(Layer.provide(BackendSqlite.layer({ path: store.path })))

const runtime = ManagedRuntime.make(storeLayer)
try {
  await runtime.context()
} catch (error) {
  console.error(`podlet: cannot open the store: ${String(error)}`)
  process.exit(1)
}

const server = await listen(makeApp({ runtime }), flags.host, flags.port).catch((error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE" ? `podlet: ${flags.host}:${flags.port} is already in use` : `podlet: ${error.message}`
  )
  return process.exit(1)
})
const kubeconfig = join(stateDir, "kubeconfig")
writeFileSync(kubeconfig, kubeconfigYaml(server.url))
console.log(`podlet API at ${server.url} (store: ${store.kind === "memory" ? "memory" : `sqlite ${store.path}`})`)
console.log(`kubeconfig: ${kubeconfig}`)

const shutdown = () => {
  void server
    .close()
    .then(() => runtime.dispose())
    .then(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
