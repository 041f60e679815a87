// Spec pod-lifecycle §16.A: single container, restart policies, crash loops (RTM timing, §15).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { at, cluster, cond, cs, getPod, kubectl, pod, sh, stateOf } from "./support.js"

describe("§16.A single container", () => {
  it.effect("A1 Always, runs forever: Pending before the first sync, then Running 1/1", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const [created] = yield* c.store
        .create("pods", pod("p", { restartPolicy: "Always", containers: [sh("app", "sleep 3600")] }))
        .pipe(Effect.map((r) => [r.object]))
      expect(created?.status?.phase).toBe("Pending")
      yield* at(c, 0)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Running")
      expect(stateOf(cs(p, "app"))).toBe("R")
      expect(cs(p, "app").restartCount).toBe(0)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      expect(
        ["PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"].map((t) => cond(p, t))
      ).toEqual(["T", "T", "T", "T", "T"])
    }).pipe(Effect.scoped)
  )
})
