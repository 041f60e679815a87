/**
 * `npm run serve:worker`: the Cloudflare Worker entry served locally by `wrangler dev` (offline, on
 * loopback, state under `.podlet/worker-state`), with the same kubeconfig as `npm run serve`
 * (`.podlet/kubeconfig`). Flags: `--port P --clock real|virtual --nodes N --node-lifecycle modern|legacy`.
 * Wiring only.
 */
import { spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { kubeconfigYaml } from "./Kubeconfig.js"
import { parseWorkerDevFlags } from "./worker/WorkerSettings.js"

const flags = parseWorkerDevFlags(process.argv.slice(2))
if (typeof flags === "string") {
  console.error(flags)
  process.exit(2)
}

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const stateDir = join(process.env["PODLET_CWD"] ?? process.env["INIT_CWD"] ?? process.cwd(), ".podlet")
mkdirSync(stateDir, { recursive: true })
const url = `http://127.0.0.1:${flags.port}`
const kubeconfig = join(stateDir, "kubeconfig")
writeFileSync(kubeconfig, kubeconfigYaml(url))

const vars = Object.entries(flags.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`])
const wrangler = spawn(
  join(appDir, "node_modules", ".bin", "wrangler"),
  [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(flags.port),
    "--persist-to",
    join(stateDir, "worker-state"),
    "--show-interactive-dev-session=false",
    ...vars
  ],
  {
    cwd: appDir,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }
  }
)
console.log(`podlet API (Cloudflare Worker, wrangler dev) at ${url}`)
console.log(`kubeconfig: ${kubeconfig}`)

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => wrangler.kill(signal))
wrangler.on("exit", (code) => process.exit(code ?? 1))
