/**
 * The Node entry (`npm run serve`): parses the flags, starts the server (`Serve.ts`: the cluster,
 * the API, the kubeconfig under `.podlet/`), prints the URL and stops on SIGINT/SIGTERM. Wiring only.
 */
import { join, resolve } from "node:path"
import { tuneJitTiering } from "./JitTiering.js"
import { startServe } from "./Serve.js"
import { parseServeFlags } from "./ServeFlags.js"

const parsed = parseServeFlags(process.argv.slice(2))
if (typeof parsed === "string") {
  console.error(parsed)
  process.exit(2)
}

// relative paths in flags mean the user's directory (npm runs scripts from the repository root)
const cwd = process.env["PODLET_CWD"] ?? process.env["INIT_CWD"] ?? process.cwd()
const flags = {
  ...parsed,
  tokenFile: parsed.tokenFile === undefined ? undefined : resolve(cwd, parsed.tokenFile),
  store: parsed.store?.kind === "sqlite" ? { ...parsed.store, path: resolve(cwd, parsed.store.path) } : parsed.store
}
const stateDir = join(cwd, ".podlet")
// this process is the server: V8 tiers its request path up sooner (not in `startServe`, which embedders call too)
tuneJitTiering()
const served = await startServe(flags, stateDir)
if ("_tag" in served) {
  console.error(`podlet: ${served.message}`)
  process.exit(served.exitCode)
}
for (const line of served.banner) console.log(line)

const shutdown = () => {
  void served.close().then(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
