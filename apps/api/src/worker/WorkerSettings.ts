/**
 * The Worker's cluster settings, read from its `vars` (wrangler.jsonc, or `wrangler dev --var`):
 * `PODLET_CLOCK` (real | virtual), `PODLET_NODES` (a count, 0 to 100) and `PODLET_NODE_LIFECYCLE`
 * (modern | legacy). The same choices as `npm run serve`'s flags.
 */
import type { NodeLifecycleMode } from "@podlet/core/control/NodeHealth"

export interface WorkerSettings {
  readonly clock: "real" | "virtual"
  /** node names, `node-1` … `node-N` as on Node */
  readonly nodes: ReadonlyArray<string>
  readonly nodeLifecycle: NodeLifecycleMode
}

/** The vars the settings come from (each optional: the defaults are real, 3, modern). */
export interface WorkerVars {
  readonly PODLET_CLOCK?: string
  readonly PODLET_NODES?: string
  readonly PODLET_NODE_LIFECYCLE?: string
}

/** Parses the vars; a message naming the bad var when one is unusable. */
export const parseWorkerSettings = (vars: WorkerVars): WorkerSettings | string => {
  const clock = vars.PODLET_CLOCK ?? "real"
  if (clock !== "real" && clock !== "virtual") return `PODLET_CLOCK: must be "real" or "virtual", not ${clock}`
  const nodesText = vars.PODLET_NODES ?? "3"
  const count = /^\d+$/.test(nodesText) ? Number(nodesText) : Number.NaN
  if (!(count >= 0 && count <= 100)) return `PODLET_NODES: must be a whole number from 0 to 100, not ${nodesText}`
  const nodeLifecycle = vars.PODLET_NODE_LIFECYCLE ?? "modern"
  if (nodeLifecycle !== "modern" && nodeLifecycle !== "legacy") {
    return `PODLET_NODE_LIFECYCLE: must be "modern" or "legacy", not ${nodeLifecycle}`
  }
  return { clock, nodes: Array.from({ length: count }, (_, i) => `node-${i + 1}`), nodeLifecycle }
}

/** `npm run serve:worker` flags: the port `wrangler dev` listens on (loopback), and the Worker's vars. */
export interface WorkerDevFlags {
  readonly port: number
  readonly vars: WorkerVars
}

const flagVars: Readonly<Record<string, keyof WorkerVars>> = {
  "--clock": "PODLET_CLOCK",
  "--nodes": "PODLET_NODES",
  "--node-lifecycle": "PODLET_NODE_LIFECYCLE"
}

/**
 * Parses `--port P --clock real|virtual --nodes N --node-lifecycle modern|legacy` (also `--flag=value`);
 * a message for a flag it does not know or a value that is unusable.
 */
export const parseWorkerDevFlags = (argv: ReadonlyArray<string>): WorkerDevFlags | string => {
  let port = 8787
  const vars: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf("=")
    const flag = eq < 0 ? arg : arg.slice(0, eq)
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1)
    if (flag !== "--port" && flagVars[flag] === undefined) {
      return `unknown flag ${flag} (--port, --clock, --nodes, --node-lifecycle)`
    }
    if (value === undefined) return `${flag} needs a value`
    if (flag === "--port") {
      port = /^\d+$/.test(value) ? Number(value) : Number.NaN
      if (!(port >= 1 && port <= 65535)) return `--port: must be a port number from 1 to 65535, not ${value}`
    } else vars[flagVars[flag]!] = value
  }
  const settings = parseWorkerSettings(vars)
  return typeof settings === "string" ? settings : { port, vars }
}
