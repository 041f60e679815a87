// Maintenance: cordon / uncordon (spec.unschedulable and the unschedulable taint), the Eviction API honouring
// PodDisruptionBudgets (429 when a disruption would violate one), the PDB controller's status, and
// `kubectl drain` of a node running a PDB-protected ReplicaSet: 429s retried every 5 s until the replacement is Ready.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ReplicaSet } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import type { Cluster } from "../../src/Cluster.js"
import type { Pdb } from "../../src/control/Disruption.js"
import { at, cluster, cond, condMessage, getPod, nodeOf, pod, sh } from "./support.js"

const web = (replicas: number): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          sh("app", "trap 'exit 143' TERM; sleep 100000 & wait", {
            readinessProbe: { exec: { command: ["true"] }, initialDelaySeconds: 10, periodSeconds: 5 }
          })
        ]
      }
    }
  }
})

const pdb = (spec: Omit<Pdb["spec"], "selector">, name = "web"): Pdb => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name, namespace: "default" },
  spec: { selector: { matchLabels: { app: "web" } }, ...spec }
})

const webPods = (c: Cluster) =>
  Effect.map(c.list<Pod>("pods", { labelSelector: "app=web" }), (pods) =>
    [...pods].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))
  )

const pdbStatus = (c: Cluster, name = "web") =>
  Effect.map(c.get<Pdb>("poddisruptionbudgets", name), (p) => {
    const s = p.status!
    return `healthy ${s.currentHealthy}/${s.desiredHealthy} expected ${s.expectedPods} allowed ${s.disruptionsAllowed}`
  })

/** Two Ready web pods on n1 (n2 cordoned while they are placed), with the PDB `spec`. */
const protectedOnN1 = (spec: Omit<Pdb["spec"], "selector">) =>
  Effect.gen(function* () {
    const c = yield* cluster(["n1", "n2"])
    yield* c.cordon("n2")
    yield* c.apply(web(2))
    yield* c.apply(pdb(spec))
    yield* at(c, 20)
    yield* c.uncordon("n2")
    expect((yield* webPods(c)).map((p) => p.spec.nodeName)).toEqual(["n1", "n1"])
    return c
  })

describe("cordon and uncordon", () => {
  it.effect(
    "cordon sets spec.unschedulable and the controller adds the unschedulable taint; uncordon removes both",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        expect(yield* c.cordon("n1")).toBe("node/n1 cordoned")
        expect(yield* c.cordon("n1")).toBe("node/n1 already cordoned")
        const cordoned = yield* nodeOf(c, "n1")
        expect(cordoned.spec?.unschedulable).toBe(true)
        expect(cordoned.spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual([
          "node.kubernetes.io/unschedulable:NoSchedule"
        ])
        yield* c.apply(pod("p", { containers: [sh("app", "sleep 3600")] }))
        expect(cond(yield* getPod(c, "p"), "PodScheduled")).toBe("F(Unschedulable)")
        expect(yield* c.uncordon("n1")).toBe("node/n1 uncordoned")
        const back = yield* nodeOf(c, "n1")
        expect(back.spec?.unschedulable).toBeUndefined()
        expect(back.spec?.taints ?? []).toEqual([])
        yield* at(c, 1)
        expect((yield* getPod(c, "p")).spec.nodeName).toBe("n1")
      })
  )
})

describe("the Eviction API and PodDisruptionBudgets", () => {
  it.effect("the PDB controller counts expected, desired and healthy pods for minAvailable and maxUnavailable", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* c.apply(web(3))
      yield* c.apply(pdb({ minAvailable: 2 }, "min"))
      yield* c.apply(pdb({ maxUnavailable: "50%" }, "max"))
      expect(yield* pdbStatus(c, "min")).toBe("healthy 0/2 expected 3 allowed 0")
      expect(yield* pdbStatus(c, "max")).toBe("healthy 0/1 expected 3 allowed 0")
      yield* at(c, 10)
      expect(yield* pdbStatus(c, "min")).toBe("healthy 3/2 expected 3 allowed 1")
      expect(yield* pdbStatus(c, "max")).toBe("healthy 3/1 expected 3 allowed 2")
      const status = (yield* c.get<Pdb>("poddisruptionbudgets", "min")).status!
      expect(status.conditions?.find((x) => x.type === "DisruptionAllowed")).toMatchObject({
        status: "True",
        reason: "SufficientPods"
      })
      expect(status.observedGeneration).toBe(1)
    })
  )

  it.effect("an eviction takes a disruption; the next one gets 429 while the budget has none left", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* c.apply(web(2))
      yield* c.apply(pdb({ minAvailable: 1 }))
      yield* at(c, 10)
      const [a, b] = yield* webPods(c)
      yield* c.evict("default", a!.metadata.name!)
      expect(yield* c.pod(a!.metadata.name!)).toBeUndefined()
      const refused = yield* Effect.flip(c.evict("default", b!.metadata.name!))
      expect(refused).toMatchObject({
        _tag: "ApiFailure",
        code: 429,
        reason: "TooManyRequests",
        message: "Cannot evict pod as it would violate the pod's disruption budget."
      })
      expect((yield* getPod(c, b!.metadata.name!)).metadata.deletionTimestamp).toBeUndefined()
      // the replacement becomes Ready 10 s later: the budget allows one disruption again
      yield* at(c, 20)
      expect(yield* pdbStatus(c)).toBe("healthy 2/1 expected 2 allowed 1")
      yield* c.evict("default", b!.metadata.name!)
      expect(yield* c.pod(b!.metadata.name!)).toBeUndefined()
    })
  )

  it.effect("the evicted pod gets DisruptionTarget=T(EvictionByEvictionAPI); pods without a budget go at once", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 100000")], terminationGracePeriodSeconds: 60 }))
      yield* at(c, 5)
      yield* c.evict("default", "p")
      const p = yield* getPod(c, "p")
      expect(cond(p, "DisruptionTarget")).toBe("T(EvictionByEvictionAPI)")
      expect(condMessage(p, "DisruptionTarget")).toBe("Eviction API: evicting")
      expect(p.metadata.deletionGracePeriodSeconds).toBe(60)
      const missing = yield* Effect.flip(c.evict("default", "nope"))
      expect(missing._tag).toBe("NotFound")
    })
  )

  it.effect(
    "a pod selected by two budgets cannot be evicted (500); an unready pod may go while the budget is met",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1", "n2"])
        yield* c.apply(web(3))
        yield* c.apply(pdb({ minAvailable: 1 }, "one"))
        yield* c.apply(pdb({ minAvailable: 1 }, "two"))
        yield* at(c, 10)
        const [a] = yield* webPods(c)
        const refused = yield* Effect.flip(c.evict("default", a!.metadata.name!))
        expect(refused).toMatchObject({
          code: 500,
          message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        })
        yield* c.delete("poddisruptionbudgets", "two")
        yield* c.apply(pdb({ minAvailable: 3 }, "one"))
        // a new pod is Running but not yet Ready: evictable without touching the (exhausted) budget
        yield* c.apply(web(4))
        const fresh = (yield* webPods(c)).find((p) => cond(p, "Ready") === "F(ContainersNotReady)")!
        expect(yield* pdbStatus(c, "one")).toBe("healthy 3/3 expected 4 allowed 0")
        yield* c.evict("default", fresh.metadata.name!)
        expect(yield* c.pod(fresh.metadata.name!)).toBeUndefined()
      })
  )
})

describe("kubectl drain", () => {
  it.effect("drains a node of a PDB-protected ReplicaSet: one eviction at a time, 429s retried every 5 s", () =>
    Effect.gen(function* () {
      const c = yield* protectedOnN1({ minAvailable: 1 })
      yield* at(c, 100)
      expect(yield* pdbStatus(c)).toBe("healthy 2/1 expected 2 allowed 1")
      const [a, b] = (yield* webPods(c)).map((p) => p.metadata.name!)
      const result = yield* c.drain("n1")
      expect(yield* c.elapsed).toBe(110_000)
      const refusal = `error when evicting pods/"${b}" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`
      expect(result.lines).toEqual([
        "node/n1 cordoned",
        `evicting pod default/${a}`,
        `evicting pod default/${b}`,
        refusal,
        `pod/${a} evicted`,
        refusal,
        `pod/${b} evicted`,
        "node/n1 drained"
      ])
      expect(result.evicted).toEqual([`default/${a}`, `default/${b}`])
      const after = yield* webPods(c)
      expect(after.map((p) => p.spec.nodeName)).toEqual(["n2", "n2"])
      expect((yield* nodeOf(c, "n1")).spec?.unschedulable).toBe(true)
      yield* at(c, 130)
      expect(yield* pdbStatus(c)).toBe("healthy 2/1 expected 2 allowed 1")
    })
  )

  it.effect("refuses pods without a controller unless forced; skips DaemonSet pods; times out on a stuck budget", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* c.cordon("n2")
      yield* c.apply(pod("bare", { containers: [sh("app", "sleep 100000")] }))
      const daemon = pod("agent", { containers: [sh("app", "sleep 100000")] })
      yield* c.apply({
        ...daemon,
        metadata: {
          ...daemon.metadata,
          ownerReferences: [
            { apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "ds-uid", controller: true }
          ]
        }
      })
      const refused = yield* Effect.flip(c.drain("n1"))
      expect(refused._tag).toBe("DrainError")
      expect(refused.message).toBe(
        "cannot delete Pods that declare no controller (use --force to override): default/bare"
      )
      const forced = yield* c.drain("n1", { force: true })
      expect(forced.lines).toContain("Warning: ignoring DaemonSet-managed Pods: default/agent")
      expect(forced.lines).toContain("Warning: deleting Pods that declare no controller: default/bare")
      expect(yield* c.pod("bare")).toBeUndefined()
      expect((yield* getPod(c, "agent")).metadata.deletionTimestamp).toBeUndefined()
      expect(forced.lines[forced.lines.length - 1]).toBe("node/n1 drained")

      yield* c.uncordon("n1")
      yield* c.apply(web(1))
      yield* c.apply(pdb({ minAvailable: 1 }))
      yield* at(c, 200)
      const stuck = yield* Effect.flip(c.drain("n1", { timeoutSeconds: 20 }))
      expect(stuck.message).toBe("global timeout reached: 20s")
      expect(yield* c.elapsed).toBe(220_000)
      expect((yield* webPods(c)).length).toBe(1)
    })
  )
})
