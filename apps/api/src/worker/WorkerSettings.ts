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
