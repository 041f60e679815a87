/**
 * The Cloudflare Worker entry (`wrangler dev`, wrangler.jsonc): every request goes to the one
 * Durable Object that holds the cluster (`ClusterObject`), whose response is passed through;
 * streamed ones (watches, followed logs) are marked so that no one compresses them. Wiring only.
 */
import { type ClusterObject, clusterObjectName } from "./worker/ClusterObject.js"
import { isStreamed, uncompressed } from "./worker/Streaming.js"

export { ClusterObject } from "./worker/ClusterObject.js"

/** The Worker's bindings (wrangler.jsonc). */
export interface WorkerEnv {
  readonly CLUSTER: DurableObjectNamespace<ClusterObject>
}

export default {
  fetch: async (request, env) => {
    const response = await env.CLUSTER.get(env.CLUSTER.idFromName(clusterObjectName)).fetch(request)
    return isStreamed(new URL(request.url)) ? uncompressed(response) : response
  }
} satisfies ExportedHandler<WorkerEnv>
