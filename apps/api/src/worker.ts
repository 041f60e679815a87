/**
 * The Cloudflare Worker entry (`wrangler dev`, wrangler.jsonc): every request goes to the one
 * Durable Object that holds the cluster (`ClusterObject`), whose response, watch streams included,
 * is passed through. Wiring only.
 */
import { type ClusterObject, clusterObjectName } from "./worker/ClusterObject.js"

export { ClusterObject } from "./worker/ClusterObject.js"

/** The Worker's bindings (wrangler.jsonc). */
export interface WorkerEnv {
  readonly CLUSTER: DurableObjectNamespace<ClusterObject>
}

export default {
  fetch: (request, env) => env.CLUSTER.get(env.CLUSTER.idFromName(clusterObjectName)).fetch(request)
} satisfies ExportedHandler<WorkerEnv>
