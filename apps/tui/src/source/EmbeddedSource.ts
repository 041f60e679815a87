/**
 * The dashboard's default source: an embedded podlet cluster on a virtual clock that a wall-clock
 * ticker drives at 1x to 1000x (or not at all, paused), or on the real clock (the process runtime:
 * no speed or pause). The snapshot is kept by watching the store, so a frame costs nothing when
 * nothing changed.
 */
import { type Cluster, type ClusterOptions, makeCluster } from "@podlet/core/Cluster"
import { updateScale } from "@podlet/core/control/Scale"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { Clock, Context, Effect, Layer, ManagedRuntime, Stream } from "effect"
import type { Capability, ClockState, DashboardSource, LogLine } from "./DashboardSource.js"
import { makeSnapshotStore, type SnapshotResource, snapshotResources } from "./SnapshotStore.js"

class EmbeddedCluster extends Context.Service<EmbeddedCluster, Cluster>()("@podlet/tui/source/EmbeddedCluster") {}

export interface EmbeddedOptions {
  readonly cluster?: ClusterOptions
  /** wall milliseconds between clock ticks (default 100) */
  readonly tickMs?: number
  readonly speed?: number
  readonly paused?: boolean
  /** wall milliseconds between change notifications to the views (default 100: at most 10 frames a second) */
  readonly notifyMs?: number
  /**
   * `virtual` (default): the ticker drives the cluster's virtual clock; `real`: the wall clock, no
   * time control (a process runtime cannot run on a virtual clock)
   */
  readonly clock?: "virtual" | "real"
  /** what the header says after `embedded`, e.g. `process (linux)` */
  readonly runtimeLabel?: string
}

/** the store's resource for each of the snapshot's lists */
const storeResource: Record<SnapshotResource, string> = {
  pods: "pods",
  events: "events",
  nodes: "nodes",
  replicaSets: "replicasets",
  services: "services",
  namespaces: "namespaces"
}

/** Starts an embedded cluster and its ticker; `close()` stops both. */
export interface EmbeddedSource extends DashboardSource {
  readonly cluster: Cluster
  /** advances the virtual clock by `ms` at once (whether or not the ticker is paused) */
  advance(ms: number): Promise<void>
  /** runs an effect on the cluster's runtime (its virtual clock), e.g. a direct store write */
  run<A, E>(effect: Effect.Effect<A, E>): Promise<A>
}

export const makeEmbeddedSource = async (options: EmbeddedOptions = {}): Promise<EmbeddedSource> => {
  const virtual = (options.clock ?? "virtual") === "virtual"
  const clusterLayer = Layer.effect(EmbeddedCluster, makeCluster(options.cluster ?? {}))
  const layer = virtual ? clusterLayer.pipe(Layer.provideMerge(VirtualClock.layer())) : clusterLayer
  const runtime = ManagedRuntime.make(layer)
  const cluster: Cluster = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* EmbeddedCluster
    })
  )
  const readNow = () => runtime.runSync(Clock.currentTimeMillis)

  const state = makeSnapshotStore({
    now: readNow(),
    ...(options.notifyMs === undefined ? {} : { notifyMs: options.notifyMs })
  })

  // Each watch starts with the current objects as ADDED; when it ends (e.g. Expired after falling
  // behind the store's history window) the view is rebuilt from a fresh watch.
  for (const resource of snapshotResources) {
    const watchOnce = Effect.suspend(() => {
      state.reset(resource)
      return Stream.runForEach(cluster.store.watch(storeResource[resource]), (event) =>
        Effect.sync(() => state.apply(resource, event))
      )
    }).pipe(Effect.ignore)
    runtime.runFork(Effect.forever(watchOnce))
  }

  let clock: ClockState = virtual
    ? { mode: "virtual", paused: options.paused ?? false, speed: options.speed ?? 1 }
    : { mode: "real", paused: false, speed: 1 }
  const tickMs = options.tickMs ?? 100
  let ticking = false
  let closed = false
  let inflight: Promise<void> = Promise.resolve()
  // The views show time to the second: a tick that moves the clock within the same second
  // refreshes the snapshot without a frame (at 1x, one frame a second while nothing else changes).
  const advance = (ms: number) => runtime.runPromise(cluster.advance(ms)).then(() => state.setNow(readNow()))
  // On the real clock the ticker only moves the views' second.
  const timer = setInterval(() => {
    if (!virtual) return state.setNow(readNow())
    if (clock.paused || ticking || closed) return
    ticking = true
    inflight = advance(tickMs * clock.speed)
      .catch(() => undefined)
      .finally(() => {
        ticking = false
      })
  }, tickMs)

  const run = <A, E>(effect: Effect.Effect<A, E>) => runtime.runPromise(effect)

  const capabilities = new Set<Capability>([
    "apply",
    "delete",
    "logs",
    ...(virtual ? (["timeControl"] as const) : []),
    "registryOutage",
    "kill",
    "oom",
    "nodeFaults",
    "cordon",
    "drain",
    "scale"
  ])

  return {
    cluster,
    advance,
    run,
    description: `embedded (${options.runtimeLabel === undefined ? "" : `${options.runtimeLabel}, `}${cluster.nodes.length} node${cluster.nodes.length === 1 ? "" : "s"})`,
    capabilities,
    snapshot: state.snapshot,
    subscribe: state.subscribe,
    clock: () => clock,
    async setClock(change) {
      if (!virtual)
        throw new Error("the real clock cannot be paused or sped up (the process runtime runs in real time)")
      clock = { ...clock, ...change }
      state.changed()
    },
    async apply(manifest) {
      const applied = await run(cluster.apply(manifest))
      return applied.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`)
    },
    async delete(kind, namespace, name) {
      await run(cluster.delete(kind, name, namespace === undefined ? {} : { namespace }))
    },
    async logs(namespace, pod, container, previous): Promise<ReadonlyArray<LogLine>> {
      const lines = await run(cluster.logs(namespace, pod, container, { previous }))
      return lines.map((l) => ({ time: l.time, line: l.line }))
    },
    async registryOutage(down) {
      await run(cluster.faults.registryOutage(down))
    },
    async killContainer(namespace, pod, container, exitCode) {
      await run(cluster.faults.containerExit({ namespace, pod, container }, exitCode))
    },
    async oomContainer(namespace, pod, container) {
      await run(cluster.faults.containerOOM({ namespace, pod, container }))
    },
    async nodeFault(node, fault) {
      switch (fault) {
        case "partition":
          return run(cluster.faults.nodePartition(node, true))
        case "resume":
          return run(cluster.faults.nodeRecover(node))
        case "disk-failure":
          return run(cluster.faults.nodeDiskFailure(node))
        case "memory-pressure":
          return run(cluster.faults.nodeMemoryPressure(node))
      }
    },
    async cordon(node, unschedulable) {
      await run(unschedulable ? cluster.cordon(node) : cluster.uncordon(node))
    },
    async drain(node) {
      // drain waits on the cluster clock for evictions to finish: run it in the background of the ticker
      void run(cluster.drain(node)).then(
        () => state.changed(),
        () => state.changed()
      )
    },
    async scale(namespace, replicaSet, replicas) {
      await run(updateScale(cluster.store, namespace, replicaSet, { spec: { replicas } }))
    },
    async close() {
      closed = true
      clearInterval(timer)
      state.close()
      await inflight
      await runtime.dispose()
    }
  }
}
