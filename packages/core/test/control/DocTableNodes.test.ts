// Spec §12, the documentation's "Example states" rows 5 and 6, in both node-lifecycle modes, with a ReplicaSet
// that recreates the pod on another node. Row 5: a disk dies (all containers killed, Failed, replaced elsewhere;
// the node's DiskPressure condition and taint keep new pods away). Row 6: the node is segmented out (legacy: the
// node controller waits for the pod eviction timeout, then the pod is Failed and replaced; modern: taint-based
// eviction leaves the old pod Terminating and the ReplicaSet replaces it).
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import type { Node, ReplicaSet } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import type { Cluster } from "../../src/Cluster.js"
import type { NodeLifecycleMode } from "../../src/control/NodeHealth.js"
import { at, cluster, eventLines, eventsOf, nodeOf, sh } from "./support.js"

const web: ReplicaSet = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [sh("app", "trap 'exit 143' TERM; sleep 100000 & wait")] }
    }
  }
}

const webPods = (c: Cluster) =>
  Effect.map(c.list<Pod>("pods", { labelSelector: "app=web" }), (pods) =>
    [...pods].sort((a, b) => (a.metadata.creationTimestamp! < b.metadata.creationTimestamp! ? -1 : 1))
  )

/** `name node phase reason deleting` of each web pod, oldest first. */
const summary = (c: Cluster) =>
  Effect.map(webPods(c), (pods) =>
    pods.map(
      (p) =>
        `${p.spec.nodeName} ${p.status?.phase}${p.status?.reason !== undefined ? `/${p.status.reason}` : ""}${p.metadata.deletionTimestamp !== undefined ? " deleting" : ""}`
    )
  )

const condition = (node: Node, type: string) => node.status?.conditions?.find((c) => c.type === type)?.status

const modes: ReadonlyArray<NodeLifecycleMode> = ["modern", "legacy"]

describe("§12 documentation table rows 5 and 6", () => {
  for (const mode of modes) {
    it.effect(`row 5 (${mode}): a disk dies — containers killed, Failed, recreated on another node`, () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1", "n2"], { nodeLifecycle: mode })
        yield* c.apply(web)
        const [first] = yield* webPods(c)
        const node = first!.spec.nodeName!
        const other = node === "n1" ? "n2" : "n1"
        yield* at(c, 100)
        yield* c.faults.nodeDiskFailure(node)
        yield* c.settle
        const pods = yield* webPods(c)
        expect(yield* summary(c)).toEqual([`${node} Failed/Evicted`, `${other} Running`])
        const failed = pods[0]!
        expect(failed.status?.message).toBe("The node had condition: [DiskPressure]. ")
        expect(failed.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({
          reason: "Error",
          exitCode: 143
        })
        expect(eventLines(yield* eventsOf(c, "Pod", failed.metadata.name!))).toContain(
          "Warning Evicted The node had condition: [DiskPressure]. "
        )
        const broken = yield* nodeOf(c, node)
        expect(condition(broken, "DiskPressure")).toBe("True")
        expect(broken.spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual([
          "node.kubernetes.io/disk-pressure:NoSchedule"
        ])
        expect(eventLines(yield* eventsOf(c, "Node", node))).toContain(
          `Warning FaultInjected Fault injected: disk failure on node ${node}`
        )
        // the broken node takes no new pods: a second replica goes to the other node too
        const scaled: ReplicaSet = { ...web, spec: { ...web.spec, replicas: 2 } }
        yield* c.apply(scaled)
        expect((yield* summary(c)).slice(1)).toEqual([`${other} Running`, `${other} Running`])
      })
    )
  }

  it.effect(
    "row 6 (legacy): the node controller waits for the eviction timeout, then the pod is Failed and recreated",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1", "n2"], { nodeLifecycle: "legacy" })
        yield* c.apply(web)
        const node = (yield* webPods(c))[0]!.spec.nodeName!
        const other = node === "n1" ? "n2" : "n1"
        yield* at(c, 100)
        yield* c.faults.nodePartition(node, true)
        yield* at(c, 149)
        expect(yield* summary(c)).toEqual([`${node} Running`])
        yield* at(c, 150)
        expect(yield* summary(c)).toEqual([`${node} Unknown/NodeLost`])
        const lostNode = yield* nodeOf(c, node)
        expect(condition(lostNode, "Ready")).toBe("Unknown")
        // legacy: no NoExecute taint, only the scheduling one
        expect(lostNode.spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual([
          "node.kubernetes.io/unreachable:NoSchedule"
        ])
        yield* at(c, 399)
        expect(yield* summary(c)).toEqual([`${node} Unknown/NodeLost`])
        const lostName = (yield* webPods(c))[0]!.metadata.name!
        const versions: Array<Pod> = []
        yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
          Stream.runForEach((event) =>
            Effect.sync(() => {
              if (event.object.metadata?.name === lostName) versions.push(event.object)
            })
          ),
          Effect.forkScoped
        )
        yield* at(c, 400)
        expect(yield* summary(c)).toEqual([`${other} Running`])
        const last = versions[versions.length - 1]!
        expect([last.status?.phase, last.status?.reason]).toEqual(["Failed", "NodeLost"])
        expect(eventLines(yield* eventsOf(c, "Node", node))).toContain(
          `Normal DeletingAllPods Node ${node} event: Deleting all Pods from Node ${node}.`
        )
      })
  )

  it.effect(
    "row 6 (modern): taint-based eviction at 350 s; the old pod stays Terminating, the ReplicaSet replaces it",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1", "n2"])
        yield* c.apply(web)
        const node = (yield* webPods(c))[0]!.spec.nodeName!
        const other = node === "n1" ? "n2" : "n1"
        yield* at(c, 100)
        yield* c.faults.nodePartition(node, true)
        yield* at(c, 150)
        expect(yield* summary(c)).toEqual([`${node} Running`])
        yield* at(c, 449)
        expect(yield* summary(c)).toEqual([`${node} Running`])
        yield* at(c, 450)
        expect(yield* summary(c)).toEqual([`${node} Running deleting`, `${other} Running`])
        yield* at(c, 2000)
        expect(yield* summary(c)).toEqual([`${node} Running deleting`, `${other} Running`])
        // the node comes back: its kubelet finishes the deletion
        yield* c.faults.nodePartition(node, false)
        yield* at(c, 2001)
        expect(yield* summary(c)).toEqual([`${other} Running`])
      })
  )
})
