/**
 * The control plane's node-side controllers, started together: the node lifecycle controller, the
 * taint eviction controller (modern mode only: legacy clusters evict through the NodeLost path),
 * the pod garbage collector and the disruption (PDB) controller.
 */
import type { Scope } from "effect"
import { Effect } from "effect"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { DisruptionController } from "./Disruption.js"
import { makeDisruptionController } from "./Disruption.js"
import type { SharedInformers } from "./Informer.js"
import { makeSharedInformers } from "./Informer.js"
import type { NodeLifecycleMode } from "./NodeHealth.js"
import type { NodeLifecycle } from "./NodeLifecycle.js"
import { makeNodeLifecycle } from "./NodeLifecycle.js"
import { makeNodePodIndex } from "./NodePodIndex.js"
import type { PodGC } from "./PodGC.js"
import { makePodGC } from "./PodGC.js"
import type { TaintEviction } from "./TaintEviction.js"
import { makeTaintEviction } from "./TaintEviction.js"

export interface NodeControllersOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly recorder: EventRecorder["Service"]
  /** default `modern` */
  readonly nodeLifecycle?: NodeLifecycleMode
}

export interface NodeControllers {
  readonly mode: NodeLifecycleMode
  readonly lifecycle: NodeLifecycle
  readonly taintEviction: TaintEviction | undefined
  readonly podGC: PodGC
  readonly disruption: DisruptionController
  /** some controller has work waiting or running */
  readonly busy: () => boolean
}

/** Starts the node controllers in the current scope. */
export const makeNodeControllers = Effect.fnUntraced(function* (
  options: NodeControllersOptions
): Effect.fn.Return<NodeControllers, never, Scope.Scope> {
  const mode = options.nodeLifecycle ?? "modern"
  const { store, recorder } = options
  const informers = options.informers ?? (yield* makeSharedInformers(store))
  // one pods-by-node index for the three controllers that keep one
  const podsByNode = makeNodePodIndex()
  const lifecycle = yield* makeNodeLifecycle({ store, recorder, informers, mode, podsByNode })
  const taintEviction =
    mode === "modern" ? yield* makeTaintEviction({ store, recorder, informers, podsByNode }) : undefined
  const podGC = yield* makePodGC({ store, informers, podsByNode })
  const disruption = yield* makeDisruptionController({ store, recorder, informers })
  return {
    mode,
    lifecycle,
    taintEviction,
    podGC,
    disruption,
    busy: () => lifecycle.busy() || (taintEviction?.busy() ?? false) || podGC.busy() || disruption.busy()
  }
})
