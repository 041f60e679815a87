/**
 * The services the API runs on, from a cluster: core's `makeCluster` (store, nodes, kubelets on the
 * simulated runtime) as a scoped Layer providing the ObjectStore and the PodLogs the log endpoint
 * reads. The Node entry and the end-to-end tests build their runtime from it.
 */
import { type ClusterOptions, makeCluster } from "@podlet/core/Cluster"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Context, Effect, Layer } from "effect"
import { PodLogs } from "./PodLogs.js"
import { PodletCluster } from "./PodletApp.js"

/** A cluster, alive as long as the layer, seen through the API's services. */
export const clusterLayer = (
  options: ClusterOptions = {},
  mode: "virtual" | "real" = "real"
): Layer.Layer<ObjectStore | PodLogs | PodletCluster> =>
  Layer.effectContext(
    Effect.map(makeCluster(options), (cluster) =>
      Context.make(ObjectStore, cluster.store).pipe(
        Context.add(PodLogs, PodLogs.fromCluster(cluster)),
        Context.add(PodletCluster, { cluster, mode })
      )
    )
  )
