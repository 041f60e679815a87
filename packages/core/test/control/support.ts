// Helpers for the control-plane tests: clusters of busybox-ready nodes on TestClock, unbound pods,
// readers for conditions, events and kubectl columns.
import { Effect } from "effect"
import type { Event, Node } from "../../src/api/Objects.js"
import type { Container, Pod, PodSpec } from "../../src/api/Pod.js"
import type { Cluster, ClusterOptions, NodeOptions } from "../../src/Cluster.js"
import { makeCluster } from "../../src/Cluster.js"

export const image = "busybox:1.36"

/** A node with busybox and nginx loaded. */
export const worker = (name: string, extra: Partial<NodeOptions> = {}): NodeOptions => ({
  name,
  images: [image, "nginx:1.27"],
  ...extra
})

/** A cluster of the given nodes (default one node `n1`). */
export const cluster = (
  nodes: ReadonlyArray<string | NodeOptions> = ["n1"],
  options: Omit<ClusterOptions, "nodes"> = {}
) => makeCluster({ nodes: nodes.map((n) => (typeof n === "string" ? worker(n) : n)), ...options })

/** A busybox container running a shell script. */
export const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({
  name,
  image,
  command: ["sh", "-c", script],
  ...extra
})

/** Pod `name` in `default`, left to the scheduler. */
export const pod = (
  name: string,
  spec: Partial<PodSpec> & Pick<PodSpec, "containers">,
  labels?: Record<string, string>
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", ...(labels !== undefined ? { labels } : {}) },
  spec
})

/** Moves the clock to `t` seconds after the cluster started. */
export const at = (c: Cluster, t: number) =>
  Effect.gen(function* () {
    const elapsed = yield* c.elapsed
    if (t * 1000 > elapsed) yield* c.advance(t * 1000 - elapsed)
    else yield* c.settle
  })

export const getPod = (c: Cluster, name: string, namespace = "default") =>
  Effect.gen(function* () {
    const p = yield* c.pod(name, namespace)
    if (p === undefined) return yield* Effect.die(new Error(`pod ${name} not found`))
    return p
  })

/** A condition as `T`, `F(reason)`; "" when absent. */
export const cond = (p: Pod, type: string): string => {
  const c = p.status?.conditions?.find((x) => x.type === type)
  if (c === undefined) return ""
  const s = c.status === "True" ? "T" : c.status === "False" ? "F" : "U"
  return c.reason !== undefined ? `${s}(${c.reason})` : s
}

export const condMessage = (p: Pod, type: string): string | undefined =>
  p.status?.conditions?.find((x) => x.type === type)?.message

/** `READY STATUS RESTARTS` of a pod. */
export const kubectl = (c: Cluster, name: string, namespace = "default") =>
  Effect.gen(function* () {
    const row = (yield* c.printPods(namespace)).find((r) => r.name === name)
    if (row === undefined) return yield* Effect.die(new Error(`no row for pod ${name}`))
    return `${row.ready} ${row.status} ${row.restarts}`
  })

/** `type reason message (xcount)` of each event of an object. */
export const eventLines = (events: ReadonlyArray<Event>): ReadonlyArray<string> =>
  events.map((e) => `${e.type} ${e.reason} ${e.message}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ""}`)

const order = (e: Event): bigint => BigInt(`0x${e.metadata.name!.slice(e.metadata.name!.lastIndexOf(".") + 1)}`)

/** Every event of a kind/name, oldest first, with its source component. */
export const eventsOf = (c: Cluster, kind: string, name: string, namespace = "default") =>
  Effect.map(c.list<Event>("events", { namespace }), (events) =>
    events
      .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name)
      .sort((a, b) => (order(a) < order(b) ? -1 : 1))
  )

export const nodeOf = (c: Cluster, name: string) => c.get<Node>("nodes", name)
