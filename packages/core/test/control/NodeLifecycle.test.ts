// Nodes as living objects: Lease renewals every 10 s, node status reported on change or every 5 minutes,
// the controller's events, recovery from a partition (within and after the grace period, both modes), the
// scheduler keeping away from an unreachable node, and PodGC of terminating pods on an out-of-service node.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Lease, Node } from "../../src/api/Objects.js"
import { toRfc3339 } from "../../src/domain/Time.js"
import { at, cluster, cond, eventLines, eventsOf, getPod, kubectl, nodeOf, pod, sh } from "./support.js"

const ready = (node: Node) => node.status?.conditions?.find((c) => c.type === "Ready")
const taintsOf = (node: Node) => (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`)
const sigterm = "trap 'exit 143' TERM; sleep 100000 & wait"

describe("node heartbeats", () => {
  it.effect("the kubelet renews kube-node-lease/<node> every 10 s and reports unchanged status every 5 minutes", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* at(c, 25)
      const lease = yield* c.get<Lease>("leases", "n1", "kube-node-lease")
      const node = yield* nodeOf(c, "n1")
      expect(lease.spec).toEqual({
        holderIdentity: "n1",
        leaseDurationSeconds: 40,
        renewTime: new Date(c.startedAt + 20_000).toISOString().replace("Z", "000Z")
      })
      expect(lease.metadata.ownerReferences).toEqual([
        { apiVersion: "v1", kind: "Node", name: "n1", uid: node.metadata.uid }
      ])
      expect(ready(node)?.lastHeartbeatTime).toBe(toRfc3339(c.startedAt))
      yield* at(c, 299)
      expect(ready(yield* nodeOf(c, "n1"))?.lastHeartbeatTime).toBe(toRfc3339(c.startedAt))
      yield* at(c, 300)
      const reported = ready(yield* nodeOf(c, "n1"))
      expect(reported?.lastHeartbeatTime).toBe(toRfc3339(c.startedAt + 300_000))
      expect(reported?.lastTransitionTime).toBe(toRfc3339(c.startedAt))
      expect(eventLines(yield* eventsOf(c, "Node", "n1"))).toContain(
        "Normal RegisteredNode Node n1 event: Registered Node n1 in Controller"
      )
    })
  )

  it.effect("a partition shorter than the grace period changes nothing", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* c.apply(pod("p", { containers: [sh("app", sigterm)] }))
      yield* at(c, 100)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 140)
      yield* c.faults.nodePartition("n1", false)
      yield* at(c, 400)
      expect(ready(yield* nodeOf(c, "n1"))?.status).toBe("True")
      expect(cond(yield* getPod(c, "p"), "Ready")).toBe("T")
      expect(eventLines(yield* eventsOf(c, "Node", "n1"))).toEqual([
        "Normal RegisteredNode Node n1 event: Registered Node n1 in Controller",
        "Warning FaultInjected Fault injected: node n1 stopped posting heartbeats (partitioned from the API server)",
        "Warning FaultCleared Fault cleared: node n1 reconnected to the API server"
      ])
    })
  )
})

describe("recovery from a partition", () => {
  it.effect(
    "modern: back before the toleration expires, the eviction is cancelled, Ready and the taints restored",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        yield* c.apply(pod("p", { containers: [sh("app", sigterm)] }))
        yield* at(c, 100)
        yield* c.faults.nodePartition("n1", true)
        yield* at(c, 200)
        expect(cond(yield* getPod(c, "p"), "Ready")).toBe("F")
        yield* c.faults.nodePartition("n1", false)
        yield* c.settle
        // the reconnecting kubelet writes its own status back at once
        expect(cond(yield* getPod(c, "p"), "Ready")).toBe("T")
        yield* at(c, 210)
        const node = yield* nodeOf(c, "n1")
        expect(ready(node)).toMatchObject({ status: "True", reason: "KubeletReady" })
        expect(taintsOf(node)).toEqual([])
        expect(eventLines(yield* eventsOf(c, "Node", "n1"))).toContain(
          "Normal NodeReady Node n1 status is now: NodeReady"
        )
        expect(eventLines(yield* eventsOf(c, "Pod", "p"))).toContain(
          "Normal TaintManagerEviction Cancelling deletion of Pod default/p"
        )
        yield* at(c, 1000)
        const p = yield* getPod(c, "p")
        expect(p.metadata.deletionTimestamp).toBeUndefined()
        expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
      })
  )

  it.effect("legacy: back before the eviction timeout, the pod is Running again without NodeLost", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"], { nodeLifecycle: "legacy" })
      yield* c.apply(pod("p", { containers: [sh("app", sigterm)] }))
      yield* at(c, 100)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 200)
      expect((yield* getPod(c, "p")).status?.phase).toBe("Unknown")
      yield* c.faults.nodePartition("n1", false)
      yield* at(c, 1000)
      const p = yield* getPod(c, "p")
      expect([p.status?.phase, p.status?.reason, p.status?.message]).toEqual(["Running", undefined, undefined])
      expect(cond(p, "Ready")).toBe("T")
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
    })
  )

  it.effect("a pod bound to a node before its partition is noticed waits there until the node returns", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* at(c, 100)
      yield* c.faults.nodePartition("n1", true)
      yield* c.apply(pod("p", { containers: [sh("app", sigterm)], tolerations: [{ operator: "Exists" }] }))
      yield* at(c, 120)
      const waiting = yield* getPod(c, "p")
      expect(waiting.spec.nodeName).toBe("n1")
      expect(yield* kubectl(c, "p")).toBe("0/1 Pending 0")
      yield* c.faults.nodePartition("n1", false)
      yield* at(c, 121)
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
    })
  )
})

describe("the rest of the cluster", () => {
  it.effect("the scheduler keeps new pods off an unreachable node (its NoSchedule taint)", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* at(c, 100)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 150)
      for (const name of ["a", "b", "c"]) yield* c.apply(pod(name, { containers: [sh("app", sigterm)] }))
      for (const name of ["a", "b", "c"]) expect((yield* getPod(c, name)).spec.nodeName).toBe("n2")
    })
  )

  it.effect("PodGC force-deletes terminating pods of a not-ready node tainted out-of-service", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* c.apply(pod("p", { containers: [sh("app", sigterm)] }))
      yield* at(c, 100)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 450)
      expect(yield* kubectl(c, "p")).toBe("1/1 Terminating 0")
      const node = yield* nodeOf(c, "n1")
      yield* c.store.update("nodes", {
        ...node,
        spec: {
          ...node.spec,
          taints: [...(node.spec?.taints ?? []), { key: "node.kubernetes.io/out-of-service", effect: "NoExecute" }]
        }
      })
      yield* c.settle
      expect(yield* c.pod("p")).toBeUndefined()
    })
  )
})
