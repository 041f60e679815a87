// Spec §16.H H3: the node stops heartbeating at t=1000; NodeStatusUnknown and the unreachable taints at 1050,
// the pod's Ready condition False (all else stale), taint-based eviction at 1350, Terminating until the node returns.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Node } from "../../src/api/Objects.js"
import { toRfc3339 } from "../../src/domain/Time.js"
import { at, cluster, cond, condMessage, eventLines, eventsOf, getPod, kubectl, nodeOf, pod, sh } from "./support.js"

const ready = (node: Node) => node.status?.conditions?.find((c) => c.type === "Ready")
const taintsOf = (node: Node) => (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`)

describe("§16.H H3 node unreachable, default tolerations", () => {
  it.effect(
    "H3 NodeStatusUnknown at 1050, Rd=F, evicted at 1350 (deletionTimestamp 1380), Terminating until the node returns",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        yield* c.apply(pod("p", { containers: [sh("app", "trap 'exit 143' TERM; sleep 100000 & wait")] }))
        yield* at(c, 1000)
        expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
        yield* c.faults.nodePartition("n1", true)

        yield* at(c, 1049)
        expect(ready(yield* nodeOf(c, "n1"))?.status).toBe("True")
        expect(taintsOf(yield* nodeOf(c, "n1"))).toEqual([])
        expect(cond(yield* getPod(c, "p"), "Ready")).toBe("T")

        yield* at(c, 1050)
        const node = yield* nodeOf(c, "n1")
        expect(ready(node)).toMatchObject({
          status: "Unknown",
          reason: "NodeStatusUnknown",
          message: "Kubelet stopped posting node status.",
          lastTransitionTime: toRfc3339(c.startedAt + 1_050_000)
        })
        for (const type of ["MemoryPressure", "DiskPressure", "PIDPressure"]) {
          expect(node.status?.conditions?.find((x) => x.type === type)?.status).toBe("Unknown")
        }
        expect(taintsOf(node)).toEqual([
          "node.kubernetes.io/unreachable:NoSchedule",
          "node.kubernetes.io/unreachable:NoExecute"
        ])
        expect(node.spec?.taints?.find((t) => t.effect === "NoExecute")?.timeAdded).toBe(
          toRfc3339(c.startedAt + 1_050_000)
        )
        const p = yield* getPod(c, "p")
        expect(cond(p, "Ready")).toBe("F")
        expect(cond(p, "ContainersReady")).toBe("T")
        expect(p.status?.phase).toBe("Running")
        expect(p.status?.containerStatuses?.[0]?.ready).toBe(true)
        expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
        expect(eventLines(yield* eventsOf(c, "Pod", "p"))).toContain("Warning NodeNotReady Node is not ready")
        expect(eventLines(yield* eventsOf(c, "Node", "n1"))).toContain(
          "Normal NodeNotReady Node n1 status is now: NodeNotReady"
        )

        yield* at(c, 1349)
        expect((yield* getPod(c, "p")).metadata.deletionTimestamp).toBeUndefined()
        yield* at(c, 1350)
        const evicted = yield* getPod(c, "p")
        expect(cond(evicted, "DisruptionTarget")).toBe("T(DeletionByTaintManager)")
        expect(condMessage(evicted, "DisruptionTarget")).toBe("Taint manager: deleting due to NoExecute taint")
        expect(evicted.metadata.deletionTimestamp).toBe(toRfc3339(c.startedAt + 1_380_000))
        expect(yield* kubectl(c, "p")).toBe("1/1 Terminating 0")
        expect(eventLines(yield* eventsOf(c, "Pod", "p"))).toContain(
          "Normal TaintManagerEviction Marking for deletion Pod default/p"
        )

        yield* at(c, 3000)
        const stuck = yield* getPod(c, "p")
        expect(stuck.status?.phase).toBe("Running")
        expect(yield* kubectl(c, "p")).toBe("1/1 Terminating 0")

        // the node returns: the kubelet sees the deletion and finishes it
        yield* c.faults.nodePartition("n1", false)
        yield* at(c, 3001)
        expect(yield* c.pod("p")).toBeUndefined()
        yield* at(c, 3010)
        const back = yield* nodeOf(c, "n1")
        expect(ready(back)?.status).toBe("True")
        expect(taintsOf(back)).toEqual([])
      })
  )
})
