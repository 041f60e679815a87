/**
 * The embedded cluster: core's `makeCluster` in this process, on its own virtual clock (core's
 * VirtualClock: it only moves when advanced, an hour of CrashLoopBackOff in milliseconds, and knows
 * in O(1) when the engine is quiet, so ten thousand pods stay cheap) or on the real clock, seen
 * through the SDK's `Backend`. Its lifetime is the Scope it is made in.
 */
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import { resourceForKind } from "@podlet/core/api/Resources"
import {
  type Cluster as CoreCluster,
  type ClusterOptions as CoreClusterOptions,
  makeCluster
} from "@podlet/core/Cluster"
import type { NodeLifecycleMode } from "@podlet/core/control/NodeHealth"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Clock, Context, Effect, Layer, type Scope, Semaphore, Stream } from "effect"
import { applyPatchOf, splitImageRef } from "./Apply.js"
import type { Backend, KindInfo } from "./Backend.js"
import type { ClusterEffect } from "./ClusterEffect.js"
import { makeClusterOps } from "./ClusterOps.js"
import { BadRequestError, type ClusterError, DrainError, errorFromApi, ServerError, sdkStatus } from "./Errors.js"
import type { ImageEntry, NodeSpec } from "./Types.js"

/** Options of `createCluster`. */
export interface CreateClusterOptions {
  /** a count (nodes `node-1` … `node-N`) or node specs; default 1 */
  readonly nodes?: number | ReadonlyArray<string | NodeSpec>
  /** `virtual` (default with the simulated runtime): time moves only when advanced; `real`: the wall clock */
  readonly clock?: "virtual" | "real"
  /**
   * `simulated` (default): containers run podlet's simulated programs; `process`: containers are
   * processes of this machine (host mode, unisolated; the clock then defaults to `real`)
   */
  readonly runtime?: "simulated" | "process"
  /** `memory` (default) or a SQLite file that keeps the objects */
  readonly store?: "memory" | { readonly sqlite: string }
  /** unreachable nodes as Kubernetes does today (`modern`, default) or before v1.27 (`legacy`: NodeLost) */
  readonly nodeLifecycle?: NodeLifecycleMode
  /** additions to the simulated registry's catalogue */
  readonly images?: ReadonlyArray<ImageEntry>
}

class Embedded extends Context.Service<Embedded, CoreCluster>()("@podlet/sdk/Embedded") {}

const nodeList = (nodes: CreateClusterOptions["nodes"]): ReadonlyArray<string | NodeSpec> =>
  nodes === undefined
    ? ["node-1"]
    : typeof nodes === "number"
      ? Array.from({ length: nodes }, (_, i) => `node-${i + 1}`)
      : nodes

const apiTags = new Set([
  "NotFound",
  "AlreadyExists",
  "Conflict",
  "Invalid",
  "BadRequest",
  "Forbidden",
  "Expired",
  "ApiFailure"
])

/** The SDK error for any failure of core's facade (API errors, drain and fault failures). */
const fromCore = (error: { readonly _tag: string; readonly message?: string }): ClusterError => {
  if (apiTags.has(error._tag)) return errorFromApi(error as Parameters<typeof errorFromApi>[0])
  if (error._tag === "DrainError") {
    const drain = error as unknown as { readonly message: string; readonly lines: ReadonlyArray<string> }
    return new DrainError(sdkStatus(500, "DrainFailed", drain.message), drain.lines)
  }
  if (error._tag === "FaultError") return new BadRequestError(sdkStatus(400, "BadRequest", error.message ?? "fault"))
  return new ServerError(sdkStatus(500, "InternalError", error.message ?? error._tag))
}

const storeLayer = (store: CreateClusterOptions["store"]): Effect.Effect<Layer.Layer<ObjectStore> | undefined> =>
  store === undefined || store === "memory"
    ? Effect.succeed(undefined)
    : Effect.map(
        // loaded only when asked for: the SQLite binding is native
        Effect.promise(() => import("@podlet/platform-node/StoreSqlite")),
        (m) => Layer.orDie(m.StoreSqlite.layer({ path: store.sqlite }))
      )

/**
 * The process runtime's cluster options (platform-node, loaded only when asked for): containers are
 * processes of this machine; without `nodes`, one node that is this machine.
 */
const processOptions = (
  nodes: CreateClusterOptions["nodes"]
): Effect.Effect<Pick<CoreClusterOptions, "nodes" | "runtime" | "imageRegistry">> =>
  Effect.map(
    Effect.promise(() => import("@podlet/platform-node/RuntimeProcess")),
    ({ RuntimeProcess }) => {
      const host = RuntimeProcess.clusterOptions()
      return nodes === undefined ? host : { ...host, nodes: nodeList(nodes) }
    }
  )

const kindInfo = (kind: string): Effect.Effect<KindInfo, ClusterError> => {
  const type = resourceForKind(kind)
  return type === undefined
    ? Effect.fail(errorFromApi({ _tag: "BadRequest", message: `no matches for kind "${kind}"` } as never))
    : Effect.succeed(type)
}

/** An embedded cluster as Effects, alive as long as the current Scope. */
export const makeEmbedded = (
  options: CreateClusterOptions = {}
): Effect.Effect<ClusterEffect, ClusterError, Scope.Scope> =>
  Effect.gen(function* () {
    const store = yield* storeLayer(options.store)
    const processRuntime = options.runtime === "process" ? yield* processOptions(options.nodes) : undefined
    const coreOptions: CoreClusterOptions = {
      nodes: nodeList(options.nodes),
      ...processRuntime,
      ...(store !== undefined ? { store } : {}),
      ...(options.nodeLifecycle !== undefined ? { nodeLifecycle: options.nodeLifecycle } : {})
    }
    const virtual = (options.clock ?? (processRuntime !== undefined ? "real" : "virtual")) === "virtual"
    const clusterLayer = Layer.effect(Embedded, makeCluster(coreOptions))
    const context: Context.Context<Embedded> = yield* Layer.build(
      virtual ? clusterLayer.pipe(Layer.provideMerge(VirtualClock.layer())) : clusterLayer
    )
    const core = Context.get(context, Embedded)
    /** runs a call of the facade on the cluster's clock, with SDK errors */
    const within = <A, E extends { readonly _tag: string; readonly message?: string }>(
      effect: Effect.Effect<A, E>
    ): Effect.Effect<A, ClusterError> => effect.pipe(Effect.mapError(fromCore), Effect.provideContext(context))
    /**
     * The VirtualClock runs one advance or settle at a time: calls that move or settle it wait for
     * each other (a controller that applies from its watch loop while a test waits on the clock).
     */
    const clockLock = Semaphore.makeUnsafe(1)
    const driving = <A, E extends { readonly _tag: string; readonly message?: string }>(
      effect: Effect.Effect<A, E>
    ): Effect.Effect<A, ClusterError> => (virtual ? clockLock.withPermit(within(effect)) : within(effect))
    const settle = driving(core.settle)

    const fault = <E extends { readonly _tag: string; readonly message?: string }>(effect: Effect.Effect<void, E>) =>
      driving(Effect.andThen(effect, core.settle))

    const backend: Backend = {
      clockMode: virtual ? "virtual" : "real",
      now: within(Clock.currentTimeMillis),
      advance: (ms) => driving(core.advance(ms)),
      settle,
      resolve: kindInfo,
      applyOne: (info, object) =>
        within(
          Effect.gen(function* () {
            const name = object.metadata.name
            const namespace = info.namespaced ? (object.metadata.namespace ?? "default") : undefined
            const existing =
              name === undefined
                ? undefined
                : yield* core.store.get(info.resource, namespace, name).pipe(Effect.orElseSucceed(() => undefined))
            if (existing === undefined) return (yield* core.store.create(info.resource, object)).object
            const { type, patch } = applyPatchOf(object, true)
            return (yield* core.store.patch(info.resource, namespace, name ?? "", type, patch)).object
          })
        ),
      get: (info, name, namespace) => within(core.store.get(info.resource, namespace, name)),
      list: (info, listOptions) =>
        within(Effect.map(core.store.list(info.resource, listOptions), (r) => r.items as ReadonlyArray<KubeObject>)),
      delete: (info, name, namespace, deleteOptions) =>
        within(
          core.store.delete(info.resource, namespace, name, {
            ...(deleteOptions.gracePeriodSeconds !== undefined
              ? { gracePeriodSeconds: deleteOptions.gracePeriodSeconds }
              : {}),
            ...(deleteOptions.propagationPolicy !== undefined
              ? { propagationPolicy: deleteOptions.propagationPolicy }
              : {})
          })
        ),
      evict: (namespace, name) => driving(core.evict(namespace, name)),
      logs: (namespace, pod, container, previous) =>
        within(
          Effect.map(core.logs(namespace, pod, container, { previous }), (lines) =>
            lines.map((l) => ({ time: l.time, line: l.line }))
          )
        ),
      watch: (info, listOptions) =>
        core.store
          .watch<KubeObject>(info.resource, listOptions)
          .pipe(Stream.mapError(fromCore), Stream.provideContext(context)) as Stream.Stream<
          WatchEvent<KubeObject>,
          ClusterError
        >,
      cordon: (node, unschedulable) => fault(unschedulable ? core.cordon(node) : core.uncordon(node)),
      drain: (node, drainOptions) =>
        driving(Effect.map(core.drain(node, drainOptions), (r) => ({ lines: r.lines, evicted: r.evicted }))),
      addNode: (node) => driving(Effect.asVoid(core.addNode(node))),
      faults: {
        containerExit: (target, exitCode) => fault(core.faults.containerExit(target, exitCode)),
        containerOOM: (target) => fault(core.faults.containerOOM(target)),
        stopHeartbeat: (node) => fault(core.faults.nodePartition(node, true)),
        resumeHeartbeat: (node) => fault(core.faults.nodePartition(node, false)),
        diskFailure: (node) => fault(core.faults.nodeDiskFailure(node)),
        memoryPressure: (node) => fault(core.faults.nodeMemoryPressure(node)),
        recover: (node) => fault(core.faults.nodeRecover(node)),
        registryOutage: (down) => fault(core.faults.registryOutage(down))
      },
      images: {
        add: (image) =>
          fault(
            core.registry.add({
              ...splitImageRef(image.name),
              ...(image.tag !== undefined ? { tag: image.tag } : {}),
              ...(image.pullSeconds !== undefined ? { pullSeconds: image.pullSeconds } : {})
            })
          ),
        preload: (node, image) => fault(core.faults.preloadImage(node, image))
      }
    }
    for (const image of options.images ?? []) yield* backend.images.add(image)
    return makeClusterOps(backend)
  })
