/**
 * The contract scenarios: scripts against the SDK's `Cluster` that return what a user observes
 * (phases, kubectl columns, restart counts, reasons, log lines, cluster times, error classes) as
 * plain data, so the same script can run against `createCluster()` and `connect()` and the two
 * observations be compared whole.
 */
import type { Cluster, KubeObject, Pod, ReplicaSet } from "../../src/index.js"
import { PodletError, toMillis } from "../../src/index.js"

export interface Scenario {
  readonly name: string
  /** node names of the cluster it runs on */
  readonly nodes: ReadonlyArray<string>
  readonly run: (cluster: Cluster) => Promise<unknown>
}

const crashing = `
apiVersion: v1
kind: Pod
metadata: { name: crashy }
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo starting; exit 1"]
`

const sleeper = (name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name } },
    spec: {
      containers: [{ name: "main", image: "busybox:1.36", command: ["sh", "-c", "echo up; sleep 3600"] }],
      ...extra
    }
  }) as KubeObject

const initWaits = `
apiVersion: v1
kind: Pod
metadata: { name: waits-for-mydb }
spec:
  initContainers:
    - name: wait-for-mydb
      image: busybox:1.36
      command: ["sh", "-c", "for i in {1..100}; do sleep 1; if nslookup mydb; then exit 0; fi; done; exit 1"]
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo The app is running! && sleep 3600"]
`

const mydb = `
apiVersion: v1
kind: Service
metadata: { name: mydb }
spec:
  selector: { app: mydb }
  ports: [{ port: 5432, targetPort: 5432 }]
`

const replicaSet = (replicas: number) => `
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
`

/** Advances the clock 10 s at a time until `check` holds; the cluster time it first held at. */
const until = async (cluster: Cluster, timeout: string, check: () => Promise<boolean>): Promise<number> => {
  const deadline = (await cluster.clock.now()).getTime() + toMillis(timeout)
  for (;;) {
    const now = (await cluster.clock.now()).getTime()
    if (await check()) return now
    if (now >= deadline) throw new Error(`not within ${timeout}`)
    await cluster.clock.advance("10s")
  }
}

/** Seconds of cluster time since `start`. */
const since = async (cluster: Cluster, start: number) => ((await cluster.clock.now()).getTime() - start) / 1000

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    if (error instanceof PodletError) {
      return {
        class: error.name,
        tag: error._tag,
        code: error.code,
        reason: error.status.reason,
        message: error.message
      }
    }
    return { thrown: String(error) }
  }
  return "no failure"
}

const reasonsOf = async (cluster: Cluster, ref: Parameters<Cluster["events"]>[0]) =>
  (await cluster.events(ref)).map((e) => e.reason)

const podSummary = (pods: ReadonlyArray<Pod>) =>
  pods
    .map(
      (p) => `${p.spec.nodeName ?? "<none>"} ${p.status?.phase ?? ""}${p.metadata.deletionTimestamp ? " deleting" : ""}`
    )
    .sort()

export const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "a crashing pod reaches CrashLoopBackOff after 3 restarts within 70 virtual seconds",
    nodes: ["node-1"],
    run: async (cluster) => {
      const start = (await cluster.clock.now()).getTime()
      await cluster.apply(crashing)
      const pod = await cluster.waitFor(
        "crashy",
        (p) =>
          p.status?.containerStatuses?.[0]?.restartCount === 3 &&
          p.status.containerStatuses[0].state.waiting?.reason === "CrashLoopBackOff",
        { timeout: "70s" }
      )
      return {
        seconds: await since(cluster, start),
        phase: pod.status?.phase,
        columns: await cluster.pods.status("crashy"),
        previous: (await cluster.pods.logs("crashy", { previous: true })).map((l) => l.line),
        reasons: await reasonsOf(cluster, "crashy"),
        timeout: await failureOf(cluster.waitFor("crashy", { phase: "Succeeded" }, { timeout: "30s" }))
      }
    }
  },
  {
    name: "an init container waits for a Service",
    nodes: ["node-1"],
    run: async (cluster) => {
      const start = (await cluster.clock.now()).getTime()
      await cluster.apply(initWaits)
      await cluster.clock.advance("10s")
      const waiting = await cluster.pods.status("waits-for-mydb")
      const phase = (await cluster.pods.get("waits-for-mydb")).status?.phase
      await cluster.apply(mydb)
      await cluster.waitFor("waits-for-mydb", { status: "Running" }, { timeout: "30s" })
      return {
        waiting,
        phase,
        runningAt: await since(cluster, start),
        app: (await cluster.pods.logs("waits-for-mydb", { container: "app" })).map((l) => l.line),
        ready: await cluster.waitFor("waits-for-mydb", { condition: "Ready" }).then((p) => p.status?.phase)
      }
    }
  },
  {
    name: "typed errors carry the Kubernetes Status",
    nodes: ["node-1"],
    run: async (cluster) => {
      const invalid = await cluster
        .apply({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "x" },
          spec: { containers: [{ name: "c" }] }
        } as KubeObject)
        .catch((e: unknown) => e)
      return {
        notFound: await failureOf(cluster.pods.get("nope")),
        deleteMissing: await failureOf(cluster.pods.delete("nope")),
        invalid: await failureOf(Promise.reject(invalid)),
        causes: (invalid as { causes?: unknown }).causes,
        yaml: await failureOf(cluster.apply("kind: Pod\n  metadata: [")),
        unknownKind: await failureOf(cluster.get("Gizmo", "x")),
        advanceBadly: await failureOf(cluster.clock.advance("soon")).then((f) => (typeof f === "object" ? "thrown" : f))
      }
    }
  },
  {
    name: "apply creates, then updates labels in place; list selects by label and field",
    nodes: ["node-1"],
    run: async (cluster) => {
      const [created] = await cluster.apply([sleeper("a"), sleeper("b")])
      const [updated] = await cluster.apply({
        ...sleeper("a"),
        metadata: { name: "a", labels: { app: "a", tier: "front" } }
      } as KubeObject)
      return {
        sameUid: created?.metadata.uid === updated?.metadata.uid,
        labels: updated?.metadata.labels,
        kinds: [created?.kind, created?.apiVersion],
        byLabel: (await cluster.pods.list({ labelSelector: "tier=front" })).map((p) => p.metadata.name),
        byField: (await cluster.list<Pod>("Pod", { fieldSelector: "metadata.name=b" })).map((p) => [
          p.kind,
          p.metadata.name
        ]),
        all: (await cluster.pods.list()).map((p) => `${p.metadata.name} ${p.status?.phase}`).sort()
      }
    }
  },
  {
    name: "faults: a container exits with a code, then is OOM-killed",
    nodes: ["node-1"],
    run: async (cluster) => {
      await cluster.apply(sleeper("victim"))
      await cluster.waitFor("victim", { phase: "Running" })
      await cluster.faults.containerExit({ pod: "victim", container: "main" }, 3)
      const once = await cluster.waitFor("victim", (p) => p.status?.containerStatuses?.[0]?.restartCount === 1)
      await cluster.waitFor("victim", { status: "Running" })
      await cluster.faults.containerOOM({ pod: "victim", container: "main" })
      const twice = await cluster.waitFor("victim", (p) => p.status?.containerStatuses?.[0]?.restartCount === 2)
      return {
        first: once.status?.containerStatuses?.[0]?.lastState?.terminated,
        second: [
          twice.status?.containerStatuses?.[0]?.lastState?.terminated?.reason,
          twice.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode
        ],
        reasons: await reasonsOf(cluster, "victim"),
        missing: await failureOf(cluster.faults.containerExit({ pod: "ghost", container: "main" }, 1)).then((f) =>
          typeof f === "object" && "tag" in f ? f.tag : f
        )
      }
    }
  },
  {
    name: "nodes: list, cordon keeps new pods off, uncordon",
    nodes: ["node-1", "node-2"],
    run: async (cluster) => {
      const names = (await cluster.nodes.list()).map((n) => n.metadata.name)
      await cluster.nodes.cordon("node-1")
      const cordoned = (await cluster.nodes.get("node-1")).spec?.unschedulable
      await cluster.apply([sleeper("p1"), sleeper("p2"), sleeper("p3")])
      const placed = (await cluster.pods.list()).map((p) => p.spec.nodeName)
      await cluster.nodes.uncordon("node-1")
      return { names, cordoned, placed, after: (await cluster.nodes.get("node-1")).spec?.unschedulable ?? false }
    }
  },
  {
    name: "a ReplicaSet keeps its replicas: a deleted pod is replaced",
    nodes: ["node-1", "node-2"],
    run: async (cluster) => {
      await cluster.apply(replicaSet(3))
      const rs = await cluster.waitFor<ReplicaSet>(
        { kind: "ReplicaSet", name: "web" },
        (r) => r.status?.readyReplicas === 3
      )
      const victim = (await cluster.pods.list({ labelSelector: "app=web" }))[0]!.metadata.name!
      await cluster.pods.delete(victim, { gracePeriodSeconds: 0 })
      await cluster.clock.advance("5s")
      const pods = await cluster.pods.list({ labelSelector: "app=web" })
      return {
        ready: rs.status?.readyReplicas,
        rsEvents: await reasonsOf(cluster, { kind: "ReplicaSet", name: "web" }),
        replaced: !pods.some((p) => p.metadata.name === victim),
        count: pods.length,
        owners: [...new Set(pods.map((p) => p.metadata.ownerReferences?.[0]?.name))]
      }
    }
  },
  {
    name: "the clock: advance, graceful deletion, Terminating",
    nodes: ["node-1"],
    run: async (cluster) => {
      const t0 = (await cluster.clock.now()).getTime()
      await cluster.clock.advance("90s")
      const moved = await since(cluster, t0)
      await cluster.apply(sleeper("slow", { terminationGracePeriodSeconds: 20 }))
      await cluster.waitFor("slow", { phase: "Running" })
      await cluster.pods.delete("slow")
      const terminating = (await cluster.pods.status("slow")).status
      await cluster.clock.advance("25s")
      return { moved, terminating, left: (await cluster.pods.list()).map((p) => p.metadata.name) }
    }
  },
  {
    name: "a watch sees the current pod, then its deletion",
    nodes: ["node-1"],
    run: async (cluster) => {
      await cluster.apply(sleeper("watched", { terminationGracePeriodSeconds: 5 }))
      await cluster.waitFor("watched", { condition: "Ready" })
      const events = cluster.watch<Pod>("Pod", { namespace: "default", labelSelector: "app=watched" })
      const seen: Array<string> = []
      const line = (e: { type: string; object: Pod }) =>
        `${e.type} ${e.object.metadata.name} ${e.object.status?.phase ?? "-"}${e.object.metadata.deletionTimestamp ? " deleting" : ""}`
      const first = await events.next()
      if (first.done !== true) seen.push(line(first.value))
      await cluster.pods.delete("watched")
      await cluster.clock.advance("10s")
      for await (const event of events) {
        seen.push(line(event))
        if (event.type === "DELETED") break
      }
      return { first: seen[0], last: seen[seen.length - 1], deleting: seen.some((s) => s.endsWith("deleting")) }
    }
  },
  {
    name: "drain evicts a node's pods and the ReplicaSet brings them back on the other node",
    nodes: ["node-1", "node-2"],
    run: async (cluster) => {
      await cluster.apply(replicaSet(2))
      await cluster.waitFor<ReplicaSet>({ kind: "ReplicaSet", name: "web" }, (r) => r.status?.readyReplicas === 2)
      const onNode1 = (await cluster.pods.list({ fieldSelector: "spec.nodeName=node-1" })).map((p) => p.metadata.name)
      const result = await cluster.nodes.drain("node-1", { gracePeriodSeconds: 0 })
      await cluster.waitFor<ReplicaSet>({ kind: "ReplicaSet", name: "web" }, (r) => r.status?.readyReplicas === 2)
      const nodes = podSummary(await cluster.pods.list())
      await cluster.apply(sleeper("bare", { nodeName: "node-2" }))
      const refused = await cluster.nodes.drain("node-2").catch((e: unknown) => (e as { lines?: unknown }).lines)
      return {
        lines: result.lines.map((l) =>
          onNode1.reduce<string>((text, name, i) => text.replaceAll(name ?? "", `POD${i}`), l)
        ),
        evicted: result.evicted.length === onNode1.length,
        nodes,
        unschedulable: (await cluster.nodes.get("node-1")).spec?.unschedulable,
        refused
      }
    }
  },
  {
    name: "an eviction honours a PodDisruptionBudget",
    nodes: ["node-1"],
    run: async (cluster) => {
      await cluster.apply(replicaSet(2))
      await cluster.apply({
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "web" },
        spec: { minAvailable: 2, selector: { matchLabels: { app: "web" } } }
      } as KubeObject)
      await cluster.waitFor<ReplicaSet>({ kind: "ReplicaSet", name: "web" }, (r) => r.status?.readyReplicas === 2)
      await cluster.waitFor({ kind: "PodDisruptionBudget", name: "web" }, (p) =>
        Boolean((p as { status?: { currentHealthy?: number } }).status?.currentHealthy === 2)
      )
      const [victim] = await cluster.pods.list({ labelSelector: "app=web" })
      const refused = await failureOf(cluster.pods.evict(victim!.metadata.name!))
      await cluster.delete("PodDisruptionBudget", "web")
      await cluster.pods.evict(victim!.metadata.name!)
      const after = await cluster.pods.get(victim!.metadata.name!).catch(() => undefined)
      return {
        refused:
          typeof refused === "object" && "tag" in refused ? [refused.tag, refused.code, refused.message] : refused,
        gone: after === undefined || after.metadata.deletionTimestamp !== undefined
      }
    }
  },
  {
    name: "a node fails and the ReplicaSet recreates the pod elsewhere",
    nodes: ["node-1", "node-2"],
    run: async (cluster) => {
      await cluster.apply(replicaSet(1))
      const [first] = await cluster.pods.list({ labelSelector: "app=web" })
      await cluster.waitFor(first!.metadata.name!, { phase: "Running" })
      const failed = first!.spec.nodeName!
      const start = (await cluster.clock.now()).getTime()
      await cluster.faults.stopHeartbeat(failed)
      // the pod is evicted 300 s after the node is unreachable (its default toleration), then replaced
      const movedAt = await until(cluster, "10m", async () =>
        (await cluster.pods.list({ labelSelector: "app=web" })).some(
          (p) => p.spec.nodeName !== failed && p.status?.phase === "Running"
        )
      )
      const replacement = await cluster.get<ReplicaSet>("ReplicaSet", "web")
      const pods = await cluster.pods.list({ labelSelector: "app=web" })
      const running = pods.filter((p) => p.status?.phase === "Running" && p.metadata.deletionTimestamp === undefined)
      return {
        ready: replacement.status?.readyReplicas,
        movedAway: running.every((p) => p.spec.nodeName !== failed),
        pods: podSummary(pods).map((s) => s.replace(failed, "FAILED")),
        nodeReady: (await cluster.nodes.get(failed)).status?.conditions?.find((c) => c.type === "Ready")?.status,
        recreatedAfter: (movedAt - start) / 1000
      }
    }
  }
]
