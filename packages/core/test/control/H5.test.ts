// Spec §16.H H5: H3 with a toleration of every taint (`operator: Exists`): no default tolerations are added and
// the pod is never evicted; it shows a stale `1/1 Running 0` with Ready=False indefinitely.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { at, cluster, cond, eventLines, eventsOf, getPod, kubectl, pod, sh } from "./support.js"

describe("§16.H H5 tolerates everything", () => {
  it.effect("H5 {operator: Exists}: no default tolerations, never evicted, stale 1/1 Running 0 with Rd=F", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 100000")], tolerations: [{ operator: "Exists" }] }))
      expect((yield* getPod(c, "p")).spec.tolerations).toEqual([{ operator: "Exists" }])
      yield* at(c, 1000)
      yield* c.faults.nodePartition("n1", true)
      yield* at(c, 1050)
      expect(cond(yield* getPod(c, "p"), "Ready")).toBe("F")
      yield* at(c, 10_000)
      const p = yield* getPod(c, "p")
      expect(p.metadata.deletionTimestamp).toBeUndefined()
      expect(cond(p, "Ready")).toBe("F")
      expect(cond(p, "DisruptionTarget")).toBe("")
      expect(p.status?.phase).toBe("Running")
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
      expect(eventLines(yield* eventsOf(c, "Pod", "p")).filter((l) => l.includes("TaintManagerEviction"))).toEqual([])
    })
  )
})
