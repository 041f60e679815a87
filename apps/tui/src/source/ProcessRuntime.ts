/**
 * The process runtime of an embedded cluster: `RuntimeProcess.clusterOptions` of
 * @podlet/platform-node (one node, this machine), loaded only when asked for.
 */
import type { ClusterOptions } from "@podlet/core/Cluster"
import type { Runtime } from "../Args.js"

/** What `makeCluster` takes from the process runtime. */
export type ProcessPlacement = Pick<ClusterOptions, "nodes" | "runtime" | "imageRegistry">

const loadRuntimeProcess = async () => {
  try {
    return await import("@podlet/platform-node/RuntimeProcess")
  } catch (error) {
    throw new Error(
      `--runtime process needs @podlet/platform-node, which could not be loaded: ${error instanceof Error ? error.message : String(error)}`
    )
  }
}

/** The cluster options of `--runtime process`: this machine as the one node, its isolation decided now. */
export const processClusterOptions = async (
  runtime: Extract<Runtime, { readonly _tag: "Process" }>
): Promise<ProcessPlacement> => {
  const { RuntimeProcess } = await loadRuntimeProcess()
  return RuntimeProcess.clusterOptions({
    mode: runtime.isolation,
    ...(runtime.registry === undefined ? {} : { registry: runtime.registry })
  })
}

/** What the header says of a process-runtime cluster: `process (linux)` or `process (host)`, its node's mode. */
export const placementLabel = (placement: ProcessPlacement): string => {
  const node = placement.nodes?.[0]
  return processModeOf(typeof node === "object" ? node.nodeInfo?.containerRuntimeVersion : undefined) ?? "process"
}

/** `process (linux)` / `process (host)` from a node's `containerRuntimeVersion`; undefined for other runtimes. */
export const processModeOf = (containerRuntimeVersion: string | undefined): string | undefined => {
  const version = containerRuntimeVersion ?? ""
  if (!version.startsWith("podlet-process://")) return undefined
  return `process (${version.slice("podlet-process://".length).split("+")[0]})`
}
