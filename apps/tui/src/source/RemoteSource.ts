/**
 * The dashboard over a remote cluster through the SDK's `Cluster` (`connect({ server, token })` or
 * `connect({ kubeconfig, context })`): a podlet API or a real Kubernetes cluster. The snapshot is
 * kept by watches; actions go through the SDK, and what the server does not offer (faults on a real
 * cluster, clock control) comes back as a clear "not available" message.
 */
import type { Event, KubeObject, Node, Pod, ReplicaSet, Service } from "@podlet/core"
import type { Cluster } from "@podlet/sdk"
import type { Capability, ClockState, ClusterSnapshot, DashboardSource, LogLine, NodeFault } from "./DashboardSource.js"

const watched = {
  pods: "Pod",
  events: "Event",
  nodes: "Node",
  replicaSets: "ReplicaSet",
  services: "Service",
  namespaces: "Namespace"
} as const
type Watched = keyof typeof watched

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`

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
  const objects = new Map<Watched, Map<string, KubeObject>>(
    (Object.keys(watched) as Array<Watched>).map((w) => [w, new Map()])
  )
  const listeners = new Set<() => void>()
  let cached: ClusterSnapshot | undefined
  // each resource's array is rebuilt only when that resource changed: views keep their work per array
  const arrays = new Map<Watched, ReadonlyArray<KubeObject>>()
  let now = (await cluster.clock.now()).getTime()
  let closed = false
  const notifyMs = options.notifyMs ?? 100
  let lastNotify = 0
  let pending: ReturnType<typeof setTimeout> | undefined
  const notify = () => {
    pending = undefined
    lastNotify = Date.now()
    for (const listener of listeners) listener()
  }
  const changed = (name?: Watched) => {
    cached = undefined
    if (name !== undefined) arrays.delete(name)
    if (pending !== undefined || closed) return
    const wait = lastNotify + notifyMs - Date.now()
    if (wait <= 0) notify()
    else pending = setTimeout(notify, wait)
  }

  const iterators: Array<AsyncIterableIterator<unknown>> = []
  for (const [name, kind] of Object.entries(watched) as Array<[Watched, string]>) {
    const events = cluster.watch(kind)
    iterators.push(events)
    void (async () => {
      try {
        for await (const event of events) {
          const map = objects.get(name)!
          if (event.type === "DELETED") map.delete(keyOf(event.object))
          else if (event.type === "ADDED" || event.type === "MODIFIED") map.set(keyOf(event.object), event.object)
          changed(name)
        }
      } catch {
        // the watch ended (connection closed or a kind the server does not serve): keep what we have
      }
    })()
  }
  const clockTimer = setInterval(() => {
    cluster.clock.now().then(
      (d) => {
        now = d.getTime()
        changed()
      },
      () => undefined
    )
  }, options.clockMs ?? 1_000)

  const values = <T>(name: Watched): ReadonlyArray<T> => {
    let array = arrays.get(name)
    if (array === undefined) {
      array = [...objects.get(name)!.values()]
      arrays.set(name, array)
    }
    return array as unknown as ReadonlyArray<T>
  }
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
    snapshot() {
      if (cached === undefined) {
        cached = {
          now,
          pods: values<Pod>("pods"),
          events: values<Event>("events"),
          nodes: values<Node>("nodes"),
          replicaSets: values<ReplicaSet>("replicaSets"),
          services: values<Service>("services"),
          namespaces: values<KubeObject>("namespaces").map((n) => n.metadata.name ?? "")
        }
      }
      return cached
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
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
      closed = true
      clearInterval(clockTimer)
      if (pending !== undefined) clearTimeout(pending)
      await Promise.all(iterators.map((it) => it.return?.()))
      await cluster.close()
    }
  }
}
