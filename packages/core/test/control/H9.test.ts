// Spec §16.H H9: printer only. phase Running, status.reason NodeLost and a deletionTimestamp print STATUS
// `Unknown`; without the deletionTimestamp STATUS comes from the §11.1 algorithm: a container reason wins, and a
// running container leaves step 1's `status.reason` (NodeLost; H9's "e.g. Running" disagrees with §11.1 here).
// The legacy node lifecycle produces NodeLost on a live cluster.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { printPod } from "../../src/domain/DisplayStatus.js"
import { at, cluster, getPod, kubectl, pod, sh } from "./support.js"

const now = Date.parse("2025-01-01T01:00:00Z")
const lost = (deleting: boolean, waiting?: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "p",
    namespace: "default",
    creationTimestamp: "2025-01-01T00:00:00Z",
    ...(deleting ? { deletionTimestamp: "2025-01-01T00:30:00Z", deletionGracePeriodSeconds: 30 } : {})
  },
  spec: { nodeName: "n1", containers: [{ name: "app", image: "busybox" }] },
  status: {
    phase: "Running",
    reason: "NodeLost",
    message: "Node n1 which was running pod p is unresponsive",
    containerStatuses: [
      {
        name: "app",
        ready: true,
        started: true,
        restartCount: 0,
        image: "busybox",
        imageID: "",
        state:
          waiting !== undefined ? { waiting: { reason: waiting } } : { running: { startedAt: "2025-01-01T00:00:00Z" } },
        lastState: {}
      }
    ]
  }
})

describe("§16.H H9 NodeLost in the printer", () => {
  it("H9 NodeLost with a deletionTimestamp prints Unknown; without it the containers decide", () => {
    expect(printPod(lost(true), now).status).toBe("Unknown")
    expect(printPod(lost(true, "CrashLoopBackOff"), now).status).toBe("Unknown")
    expect(printPod(lost(false, "CrashLoopBackOff"), now).status).toBe("CrashLoopBackOff")
    expect(printPod(lost(false), now).status).toBe("NodeLost")
  })

  it.effect("legacy node lifecycle: the pods of an unreachable node show phase Unknown / NodeLost", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"], { nodeLifecycle: "legacy" })
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 100000")] }))
      yield* at(c, 100)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 150)
      const p = yield* getPod(c, "p")
      expect([p.status?.phase, p.status?.reason, p.status?.message]).toEqual([
        "Unknown",
        "NodeLost",
        "Node n1 which was running pod p is unresponsive"
      ])
      expect(yield* kubectl(c, "p")).toBe("1/1 NodeLost 0")
    })
  )
})
