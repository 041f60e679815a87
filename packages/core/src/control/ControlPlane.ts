/**
 * The control plane a cluster runs beside its kubelets: the scheduler, the Services machinery
 * (ClusterIP allocation, Endpoints, cluster DNS and ClusterIP routing) and the ReplicaSet
 * controller, each a fiber over the ObjectStore; and the node controllers (node lifecycle, taint
 * eviction, PodGC, disruption budgets: `NodeControllers.ts`). They share one informer per resource.
 */
import type { Scope } from "effect"
import { Effect } from "effect"
import type { SimNetwork } from "../layers/SimNetwork.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import { makeSharedInformers } from "./Informer.js"
import type { NodeControllers } from "./NodeControllers.js"
import { makeNodeControllers } from "./NodeControllers.js"
import type { NodeLifecycleMode } from "./NodeHealth.js"
import type { ReplicaSetController } from "./ReplicaSetController.js"
import { makeReplicaSetController } from "./ReplicaSetController.js"
import type { Scheduler } from "./Scheduler.js"
import { makeScheduler } from "./Scheduler.js"
import type { Services } from "./Services.js"
import { makeServices } from "./Services.js"

export interface ControlPlaneOptions {
  readonly store: ObjectStore["Service"]
  readonly recorder: EventRecorder["Service"]
  readonly network: SimNetwork
  /** create the `kubernetes` Service in `default` (default true) */
  readonly kubernetesService?: boolean
  /** how unreachable nodes' pods are evicted: `modern` (taints, default) or `legacy` (NodeLost) */
  readonly nodeLifecycle?: NodeLifecycleMode
}

export interface ControlPlane {
  readonly scheduler: Scheduler
  readonly services: Services
  readonly replicaSets: ReplicaSetController
  readonly nodes: NodeControllers
  /** some controller has work waiting or running */
  readonly busy: () => boolean
}

/** Starts every controller in the current scope. */
export const makeControlPlane = Effect.fnUntraced(function* (
  options: ControlPlaneOptions
): Effect.fn.Return<ControlPlane, never, Scope.Scope> {
  const informers = yield* makeSharedInformers(options.store)
  const scheduler = yield* makeScheduler({ store: options.store, recorder: options.recorder, informers })
  const services = yield* makeServices({
    store: options.store,
    informers,
    network: options.network,
    ...(options.kubernetesService !== undefined ? { kubernetesService: options.kubernetesService } : {})
  })
  const replicaSets = yield* makeReplicaSetController({ store: options.store, recorder: options.recorder, informers })
  const nodes = yield* makeNodeControllers({
    store: options.store,
    recorder: options.recorder,
    informers,
    ...(options.nodeLifecycle !== undefined ? { nodeLifecycle: options.nodeLifecycle } : {})
  })
  return {
    scheduler,
    services,
    replicaSets,
    nodes,
    busy: () => scheduler.busy() || services.busy() || replicaSets.busy() || nodes.busy()
  }
})
