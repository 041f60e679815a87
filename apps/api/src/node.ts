/**
 * The Node entry (`npm run serve`): builds a cluster (core's `makeCluster`: store, nodes, kubelets
 * on the simulated runtime, real clock) over the chosen store, serves the API on loopback with
 * @hono/node-server, writes `.podlet/kubeconfig` and prints the URL. Wiring only.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { BackendSqlite } from "@podlet/platform-node/BackendSqlite"
import { Effect, Layer, ManagedRuntime } from "effect"
import { makeApp } from "./app.js"
import { clusterLayer } from "./ClusterLayer.js"
import { kubeconfigYaml } from "./Kubeconfig.js"
import { listen } from "./NodeServer.js"
import { PodletCluster } from "./PodletApp.js"
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
// the embedded default: SQLite under .podlet/, so state survives restarts and kill -9
const store: StoreChoice = flags.store ?? { kind: "sqlite", path: join(stateDir, "cluster.db") }
const storeLayer: Layer.Layer<ObjectStore> =
  store.kind === "memory"
    ? StoreMemory.layer
    : ObjectStoreLive.layer.pipe(Layer.provide(BackendSqlite.layer({ path: store.path })), Layer.orDie)
const nodes = Array.from({ length: flags.nodes }, (_, i) => `node-${i + 1}`)
const runtime = ManagedRuntime.make(clusterLayer({ store: storeLayer, nodes }))
try {
  await runtime.context()
} catch (error) {
  console.error(`podlet: cannot start the cluster: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}

const podlet = await runtime.runPromise(Effect.service(PodletCluster))
const server = await listen(makeApp({ runtime, podlet }), flags.host, flags.port).catch(
  (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === "EADDRINUSE" ? `podlet: ${flags.host}:${flags.port} is already in use` : `podlet: ${error.message}`
    )
    return process.exit(1)
  }
)
const kubeconfig = join(stateDir, "kubeconfig")
writeFileSync(kubeconfig, kubeconfigYaml(server.url))
const storeText = store.kind === "memory" ? "memory" : `sqlite ${store.path}`
console.log(`podlet API at ${server.url} (store: ${storeText}, nodes: ${nodes.join(", ") || "none"})`)
console.log(`kubeconfig: ${kubeconfig}`)

const shutdown = () => {
  void server
    .close()
    .then(() => runtime.dispose())
    .then(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
