/**
 * The Node entry (`npm run serve`): parses the flags, starts the server (`Serve.ts`: the cluster,
 * the API, the kubeconfig under `.podlet/`), prints the URL and stops on SIGINT/SIGTERM. Wiring only.
 */
import { join } from "node:path"
import { startServe } from "./Serve.js"
import { parseServeFlags } from "./ServeFlags.js"

const flags = parseServeFlags(process.argv.slice(2))
if (typeof flags === "string") {
  console.error(flags)
  process.exit(2)
}

const stateDir = join(process.env["PODLET_CWD"] ?? process.env["INIT_CWD"] ?? process.cwd(), ".podlet")
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
