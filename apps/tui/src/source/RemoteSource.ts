/**
 * The dashboard over a remote cluster through the SDK's `Cluster` (`connect({ server, token })` or
 * `connect({ kubeconfig, context })`): a podlet API or a real Kubernetes cluster. The snapshot is
 * kept by watches; actions go through the SDK, and what the server does not offer (faults on a real
 * cluster, clock control) comes back as a clear "not available" message.
 */
import type { ReplicaSet } from "@podlet/core"
import type { Cluster } from "@podlet/sdk"
import type { Capability, ClockState, DashboardSource, LogLine, NodeFault } from "./DashboardSource.js"
import { makeSnapshotStore, type SnapshotResource, snapshotResources } from "./SnapshotStore.js"

/** the kind watched for each of the snapshot's lists */
const watchedKind: Record<SnapshotResource, string> = {
  pods: "Pod",
  events: "Event",
  nodes: "Node",
  replicaSets: "ReplicaSet",
  services: "Service",
  namespaces: "Namespace"
}

export interface RemoteOptions {
  /** "https://127.0.0.1:6443", "kind-kind" */
  readonly description: string
  /** wall milliseconds between change notifications (default 100: at most 10 frames a second) */
  readonly notifyMs?: number
  /** wall milliseconds between reads of the cluster's clock (default 1000) */
  readonly clockMs?: number
}

/** A DashboardSource over an SDK cluster; `close()` stops the watches and closes the cluster. */
export const makeRemoteSource = async (cluster: Cluster, options: RemoteOptions): Promise<DashboardSource> => {
  const state = makeSnapshotStore({
    now: (await cluster.clock.now()).getTime(),
    ...(options.notifyMs === undefined ? {} : { notifyMs: options.notifyMs })
  })

  const iterators: Array<AsyncIterableIterator<unknown>> = []
  for (const resource of snapshotResources) {
    const events = cluster.watch(watchedKind[resource])
    iterators.push(events)
    void (async () => {
      try {
        for await (const event of events) state.apply(resource, event)
      } catch {
        // the watch ended (connection closed or a kind the server does not serve): keep what we have
      }
    })()
  }
  const clockTimer = setInterval(() => {
    cluster.clock.now().then(
      (d) => state.setNow(d.getTime()),
      () => undefined
    )
  }, options.clockMs ?? 1_000)

  const clock: ClockState = { mode: "real", paused: false, speed: 1 }
  const capabilities = new Set<Capability>([
    "apply",
    "delete",
    "logs",
    "kill",
    "oom",
    "nodeFaults",
    "cordon",
    "drain",
    "scale",
    "registryOutage"
  ])

  return {
    description: options.description,
    capabilities,
    snapshot: state.snapshot,
    subscribe: state.subscribe,
    clock: () => clock,
    async setClock() {
      throw new Error("the clock of a remote cluster is not controlled from the dashboard")
    },
    async apply(manifest) {
      const applied = await cluster.apply(manifest)
      return applied.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`)
    },
    async delete(kind, namespace, name) {
      await cluster.delete(kind, name, namespace === undefined ? {} : { namespace })
    },
    async logs(namespace, pod, container, previous): Promise<ReadonlyArray<LogLine>> {
      return cluster.pods.logs(pod, { namespace, container, previous })
    },
    killContainer: (namespace, pod, container, exitCode) =>
      cluster.faults.containerExit({ namespace, pod, container }, exitCode),
    oomContainer: (namespace, pod, container) => cluster.faults.containerOOM({ namespace, pod, container }),
    async nodeFault(node: string, fault: NodeFault) {
      switch (fault) {
        case "partition":
          return cluster.faults.stopHeartbeat(node)
        case "resume":
          return cluster.faults.resumeHeartbeat(node)
        case "disk-failure":
          return cluster.faults.diskFailure(node)
        case "memory-pressure":
          return cluster.faults.memoryPressure(node)
      }
    },
    cordon: (node, unschedulable) => (unschedulable ? cluster.nodes.cordon(node) : cluster.nodes.uncordon(node)),
    async drain(node) {
      await cluster.nodes.drain(node)
    },
    async scale(namespace, replicaSet, replicas) {
      const rs = await cluster.get<ReplicaSet>("ReplicaSet", replicaSet, namespace)
      await cluster.apply({ ...rs, spec: { ...rs.spec, replicas } } as ReplicaSet)
    },
    registryOutage: (down) => cluster.faults.registryOutage(down),
    async close() {
      clearInterval(clockTimer)
      state.close()
      await Promise.all(iterators.map((it) => it.return?.()))
      await cluster.close()
    }
  }
}
