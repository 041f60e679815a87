// Helpers for the spec §16 scenario tests: a one-node cluster on TestClock, pods bound to n1, and
// readers for the observations the catalogue lists (phase, container states, conditions, kubectl columns).
import { Effect, Stream } from "effect"
import type { Event } from "../../src/api/Objects.js"
import type { Container, ContainerStatus, Pod, PodCondition, PodSpec } from "../../src/api/Pod.js"
import type { Cluster, ClusterOptions } from "../../src/Cluster.js"
import { makeCluster } from "../../src/Cluster.js"
import type { PodRow } from "../../src/domain/DisplayStatus.js"

/** The image every scenario container runs (preloaded on the node: "image present"). */
export const image = "busybox:1.36"

/** A cluster with node n1 that has `busybox:1.36` (and `extraImages`) loaded. */
export const cluster = (options: ClusterOptions & { readonly extraImages?: ReadonlyArray<string> } = {}) =>
  makeCluster({
    nodes: [{ name: "n1", images: [image, ...(options.extraImages ?? [])] }],
    ...options
  })

/** A busybox container running a shell script. */
export const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({
  name,
  image,
  command: ["sh", "-c", script],
  ...extra
})

/** Pod spec fields a scenario sets (undefined ones are left out). */
export type SpecInput = { readonly [K in keyof PodSpec]?: PodSpec[K] | undefined } & {
  readonly containers: PodSpec["containers"]
}

/** Pod `name` in `default`, bound to n1 (unless `nodeName` is given, even as undefined: unscheduled). */
export const pod = (name: string, spec: SpecInput): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    ...("nodeName" in spec ? {} : { nodeName: "n1" }),
    ...(Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as unknown as PodSpec)
  }
})

/** Moves the clock to `t` seconds after the cluster started (never backwards). */
export const at = (c: Cluster, t: number) =>
  Effect.gen(function* () {
    const elapsed = yield* c.elapsed
    const target = t * 1000
    if (target > elapsed) yield* c.advance(target - elapsed)
    else yield* c.settle
  })

/** The pod as stored (fails the test when absent). */
export const getPod = (c: Cluster, name = "p") =>
  Effect.gen(function* () {
    const p = yield* c.pod(name)
    if (p === undefined) return yield* Effect.die(new Error(`pod ${name} not found`))
    return p
  })

/** A container status by name (app or init). */
export const cs = (p: Pod, name: string): ContainerStatus => {
  const found =
    p.status?.containerStatuses?.find((s) => s.name === name) ??
    p.status?.initContainerStatuses?.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no status for container ${name}`)
  return found
}

/** `R`, `W(reason)`, `T(reason,exit)` as the catalogue writes states. */
export const stateOf = (s: ContainerStatus): string => {
  if (s.state.running !== undefined) return "R"
  if (s.state.waiting !== undefined) return `W(${s.state.waiting.reason ?? ""})`
  if (s.state.terminated !== undefined) return `T(${s.state.terminated.reason ?? ""},${s.state.terminated.exitCode})`
  return "?"
}

/** `last=T(reason,exit,@t)` with t in seconds since the cluster start; "" when no last state. */
export const lastOf = (c: Cluster, s: ContainerStatus): string => {
  const t = s.lastState.terminated
  if (t === undefined) return ""
  const at = t.finishedAt === undefined ? "?" : (Date.parse(t.finishedAt) - c.startedAt) / 1000
  return `T(${t.reason ?? ""},${t.exitCode},@${at})`
}

/** A condition as `T`, `F(reason)`, `T(reason)`; "" when absent. */
export const cond = (p: Pod, type: string): string => {
  const c: PodCondition | undefined = p.status?.conditions?.find((x) => x.type === type)
  if (c === undefined) return ""
  const s = c.status === "True" ? "T" : c.status === "False" ? "F" : "U"
  return c.reason !== undefined ? `${s}(${c.reason})` : s
}

export const condMessage = (p: Pod, type: string): string | undefined =>
  p.status?.conditions?.find((x) => x.type === type)?.message

/** The kubectl row of pod `name`. */
export const row = (c: Cluster, name = "p") =>
  Effect.gen(function* () {
    const rows = yield* c.printPods("default")
    const found: PodRow | undefined = rows.find((r) => r.name === name)
    if (found === undefined) return yield* Effect.die(new Error(`no row for pod ${name}`))
    return found
  })

/** The kubectl triple `READY STATUS RESTARTS`. */
export const kubectl = (c: Cluster, name = "p") =>
  Effect.map(row(c, name), (r) => `${r.ready} ${r.status} ${r.restarts}`)

/** `reason message` of each event, with its count. */
export const eventLines = (events: ReadonlyArray<Event>): ReadonlyArray<string> =>
  events.map((e) => `${e.type} ${e.reason} ${e.message}`)

/** `back-off <d> restarting failed container=<c> pod=p_default(<uid>)`. */
export const bo = (p: Pod, d: string, container = "app"): string =>
  `back-off ${d} restarting failed container=${container} pod=${p.metadata.name}_default(${p.metadata.uid})`

/** One observed version of a pod: seconds since the cluster start, watch event type, the object. */
export interface Observed {
  readonly t: number
  readonly type: string
  readonly pod: Pod
}

/** Records every version of pod `name` from now on (a watch in the test's scope). */
export const history = (c: Cluster, name = "p") =>
  Effect.gen(function* () {
    const seen: Array<Observed> = []
    yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.gen(function* () {
          if (event.object.metadata?.name !== name) return
          const elapsed = yield* c.elapsed
          seen.push({ t: elapsed / 1000, type: event.type, pod: event.object })
        })
      ),
      Effect.forkScoped
    )
    yield* c.settle
    return seen
  })

/** The last version of the pod seen before its deletion, and when it was deleted. */
export const finalVersion = (seen: ReadonlyArray<Observed>) => {
  const deleted = seen.find((o) => o.type === "DELETED")
  const beforeDelete = seen.filter((o) => o.type !== "DELETED")
  return { last: beforeDelete[beforeDelete.length - 1], deletedAt: deleted?.t }
}
