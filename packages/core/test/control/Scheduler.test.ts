// The scheduler in a cluster (spec §10.1, §16.H H1 and H2): binding, Unschedulable with the
// kube-scheduler's message, retries when nodes or pods change, gates, spreading, pod IPs.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Node } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import { at, cluster, cond, condMessage, eventLines, getPod, kubectl, nodeOf, pod, sh, worker } from "./support.js"

const h1Message =
  "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."

describe("§16.H scheduling", () => {
  it.effect("H1: unschedulable until a node with capacity joins at t=60", () =>
    Effect.gen(function* () {
      const c = yield* cluster([worker("n1", { cpu: "4" })])
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 3600", { resources: { requests: { cpu: "64" } } })] }))
      for (const t of [0, 30, 59]) {
        yield* at(c, t)
        const p = yield* getPod(c, "p")
        expect(p.status?.phase, `t=${t}`).toBe("Pending")
        expect(cond(p, "PodScheduled")).toBe("F(Unschedulable)")
        expect(condMessage(p, "PodScheduled")).toBe(h1Message)
        expect(p.status?.containerStatuses).toBeUndefined()
        expect(p.spec.nodeName).toBeUndefined()
        expect(yield* kubectl(c, "p")).toBe("0/1 Pending 0")
      }
      expect(eventLines(yield* c.events("p"))).toEqual([`Warning FailedScheduling ${h1Message}`])
      yield* at(c, 60)
      yield* c.addNode(worker("big", { cpu: "128", memory: "256Gi" }))
      const p = yield* getPod(c, "p")
      expect(p.spec.nodeName).toBe("big")
      expect(cond(p, "PodScheduled")).toBe("T")
      expect(p.status?.conditions?.find((x) => x.type === "PodScheduled")?.lastTransitionTime).toBe(
        new Date(c.startedAt + 60_000).toISOString().replace(".000Z", "Z")
      )
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
      const events = yield* c.events("p")
      expect(eventLines(events).slice(0, 2)).toEqual([
        `Warning FailedScheduling ${h1Message}`,
        "Normal Scheduled Successfully assigned default/p to big"
      ])
      expect(events[1]?.source?.component).toBe("default-scheduler")
    })
  )

  it.effect("H2: a gated pod waits with SchedulingGated until the gate is removed at t=30", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { schedulingGates: [{ name: "example.com/gate" }], containers: [sh("app", "sleep 3600")] })
      )
      for (const t of [0, 29]) {
        yield* at(c, t)
        const p = yield* getPod(c, "p")
        expect(p.status?.phase).toBe("Pending")
        expect(cond(p, "PodScheduled")).toBe("F(SchedulingGated)")
        expect(condMessage(p, "PodScheduled")).toBe("Scheduling is blocked due to non-empty scheduling gates")
        expect(yield* kubectl(c, "p")).toBe("0/1 SchedulingGated 0")
      }
      expect(yield* c.events("p")).toEqual([])
      yield* at(c, 30)
      const gated = yield* getPod(c, "p")
      const { schedulingGates: _gates, ...spec } = gated.spec
      yield* c.store.update("pods", { ...gated, spec })
      yield* c.settle
      const p = yield* getPod(c, "p")
      expect(p.spec.nodeName).toBe("n1")
      expect(cond(p, "PodScheduled")).toBe("T")
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
    })
  )

  it.effect("a pod already bound is left alone; a new pod binds with PodScheduled=True and a Scheduled event", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* c.apply(pod("pinned", { nodeName: "n2", containers: [sh("app", "sleep 3600")] }))
      yield* c.apply(pod("free", { containers: [sh("app", "sleep 3600")] }))
      const pinned = yield* getPod(c, "pinned")
      expect(pinned.spec.nodeName).toBe("n2")
      expect(eventLines(yield* c.events("pinned")).some((l) => l.includes("Scheduled"))).toBe(false)
      const free = yield* getPod(c, "free")
      expect(free.spec.nodeName).toBe("n1")
      expect(eventLines(yield* c.events("free"))[0]).toBe("Normal Scheduled Successfully assigned default/free to n1")
    })
  )

  it.effect("an unschedulable pod is retried when a bound pod goes away", () =>
    Effect.gen(function* () {
      const c = yield* cluster([worker("n1", { cpu: "1" })])
      const cpu = { resources: { requests: { cpu: "800m" } } }
      yield* c.apply(pod("a", { containers: [sh("app", "sleep 3600", cpu)], terminationGracePeriodSeconds: 0 }))
      yield* c.apply(pod("b", { containers: [sh("app", "sleep 3600", cpu)] }))
      expect(cond(yield* getPod(c, "b"), "PodScheduled")).toBe("F(Unschedulable)")
      yield* at(c, 10)
      yield* c.delete("pods", "a", { gracePeriodSeconds: 0, force: true })
      yield* at(c, 12)
      const b = yield* getPod(c, "b")
      expect(b.spec.nodeName).toBe("n1")
      expect(yield* kubectl(c, "b")).toBe("1/1 Running 0")
    })
  )

  it.effect("a cordoned node: 'were unschedulable', scheduled when uncordoned", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const n1 = yield* nodeOf(c, "n1")
      yield* c.store.update<Node>("nodes", { ...n1, spec: { ...n1.spec, unschedulable: true } })
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 3600")] }))
      expect(condMessage(yield* getPod(c, "p"), "PodScheduled")).toBe(
        "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
      )
      yield* at(c, 5)
      const cordoned = yield* nodeOf(c, "n1")
      yield* c.store.update<Node>("nodes", { ...cordoned, spec: { ...cordoned.spec, unschedulable: false } })
      yield* c.settle
      expect((yield* getPod(c, "p")).spec.nodeName).toBe("n1")
    })
  )

  it.effect("an unschedulable pod is retried every 5 minutes (the FailedScheduling event counts up)", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { nodeSelector: { disk: "ssd" }, containers: [sh("app", "sleep 3600")] }))
      yield* at(c, 299)
      expect((yield* c.events("p"))[0]?.count).toBe(1)
      yield* at(c, 300)
      expect((yield* c.events("p"))[0]?.count).toBe(2)
      const n1 = yield* nodeOf(c, "n1")
      yield* c.store.update<Node>("nodes", {
        ...n1,
        metadata: { ...n1.metadata, labels: { ...n1.metadata.labels, disk: "ssd" } }
      })
      yield* c.settle
      expect((yield* getPod(c, "p")).spec.nodeName).toBe("n1")
    })
  )

  it.effect("identical pods spread over nodes; pod IPs are unique, from each node's podCIDR, and released", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2", "n3"])
      for (let i = 0; i < 6; i++) yield* c.apply(pod(`p${i}`, { containers: [sh("app", "sleep 3600")] }))
      const pods = yield* c.list<Pod>("pods")
      const perNode = new Map<string, number>()
      for (const p of pods) perNode.set(p.spec.nodeName ?? "", (perNode.get(p.spec.nodeName ?? "") ?? 0) + 1)
      expect([...perNode].sort()).toEqual([
        ["n1", 2],
        ["n2", 2],
        ["n3", 2]
      ])
      const ips = pods.map((p) => p.status?.podIP ?? "")
      expect(new Set(ips).size).toBe(6)
      for (const p of pods) {
        const index = Number((p.spec.nodeName ?? "n0").slice(1)) - 1
        expect(p.status?.podIP?.startsWith(`10.244.${index}.`), p.metadata.name).toBe(true)
      }
      const first = pods.find((p) => p.spec.nodeName === "n1")!
      yield* c.delete("pods", first.metadata.name!, { gracePeriodSeconds: 0, force: true })
      yield* at(c, 5)
      expect(c.network.ipOf("missing")).toBeUndefined()
      yield* c.apply(pod("again", { nodeName: "n1", containers: [sh("app", "sleep 3600")] }))
      const again = yield* getPod(c, "again")
      expect(again.status?.podIP?.startsWith("10.244.0.")).toBe(true)
      expect(ips.filter((ip) => ip === again.status?.podIP)).toEqual([])
    })
  )
})
