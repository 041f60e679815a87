// Spec §16.H H4: H3 with the pod tolerating the unreachable taint for 60 s: evicted at 1110 instead of 1350.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { toRfc3339 } from "../../src/domain/Time.js"
import { at, cluster, cond, getPod, kubectl, pod, sh } from "./support.js"

describe("§16.H H4 tolerationSeconds 60", () => {
  it.effect(
    "H4 the unreachable toleration of 60 s evicts at 1110 (the default not-ready toleration is still added)",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        yield* c.apply(
          pod("p", {
            containers: [sh("app", "sleep 100000")],
            tolerations: [
              { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60 }
            ]
          })
        )
        const created = yield* getPod(c, "p")
        expect(created.spec.tolerations?.map((t) => `${t.key}:${t.tolerationSeconds}`)).toEqual([
          "node.kubernetes.io/unreachable:60",
          "node.kubernetes.io/not-ready:300"
        ])
        yield* at(c, 1000)
        yield* c.faults.nodePartition("n1", true)
        yield* at(c, 1109)
        expect((yield* getPod(c, "p")).metadata.deletionTimestamp).toBeUndefined()
        yield* at(c, 1110)
        const p = yield* getPod(c, "p")
        expect(cond(p, "DisruptionTarget")).toBe("T(DeletionByTaintManager)")
        expect(p.metadata.deletionTimestamp).toBe(toRfc3339(c.startedAt + 1_140_000))
        expect(yield* kubectl(c, "p")).toBe("1/1 Terminating 0")
      })
  )
})
