// Spec §16.H H6: H3, then the Node object is deleted at t=2000: after the 40 s quarantine PodGC marks the pod
// Failed with DisruptionTarget=True (DeletionByPodGC) and force-deletes it.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { at, cluster, cond, condMessage, getPod, kubectl, pod, sh } from "./support.js"

describe("§16.H H6 node deleted", () => {
  it.effect("H6 PodGC at 2040: phase Failed, DisruptionTarget=T(DeletionByPodGC), force-deleted", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 100000")] }))
      yield* at(c, 1000)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 1350)
      expect(yield* kubectl(c, "p")).toBe("1/1 Terminating 0")
      const seen: Array<{ readonly t: number; readonly type: string; readonly pod: Pod }> = []
      yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
        Stream.runForEach((event) =>
          Effect.map(c.elapsed, (elapsed) => {
            if (event.object.metadata?.name === "p")
              seen.push({ t: elapsed / 1000, type: event.type, pod: event.object })
          })
        ),
        Effect.forkScoped
      )
      yield* at(c, 2000)
      yield* c.delete("nodes", "n1")
      yield* at(c, 2039)
      expect((yield* getPod(c, "p")).status?.phase).toBe("Running")
      yield* at(c, 2040)
      expect(yield* c.pod("p")).toBeUndefined()
      const last = seen.filter((o) => o.type !== "DELETED").pop()!
      expect(last.t).toBe(2040)
      expect(last.pod.status?.phase).toBe("Failed")
      expect(cond(last.pod, "DisruptionTarget")).toBe("T(DeletionByPodGC)")
      expect(condMessage(last.pod, "DisruptionTarget")).toBe("PodGC: node no longer exists")
      expect(seen.find((o) => o.type === "DELETED")?.t).toBe(2040)
    })
  )
})
