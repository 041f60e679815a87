// Spec pod-lifecycle §16.B: multi-container pods (documentation rows 3 and 3b, printer step 6).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { at, cluster, cond, condMessage, cs, getPod, kubectl, pod, sh, stateOf } from "./support.js"

describe("§16.B multi-container pods", () => {
  it.effect("B1 Never, a exits 1 at t=10 while b runs: Running, 1/2 Error", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { restartPolicy: "Never", containers: [sh("a", "sleep 10; exit 1"), sh("b", "sleep 3600")] })
      )
      yield* at(c, 9)
      expect(yield* kubectl(c)).toBe("2/2 Running 0")
      for (const t of [10, 15]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Running")
        expect([stateOf(cs(p, "a")), cs(p, "a").restartCount, stateOf(cs(p, "b"))]).toEqual(["T(Error,1)", 0, "R"])
        expect(yield* kubectl(c)).toBe("1/2 Error 0")
        expect([cond(p, "ContainersReady"), cond(p, "Ready")]).toEqual([
          "F(ContainersNotReady)",
          "F(ContainersNotReady)"
        ])
        expect(condMessage(p, "ContainersReady")).toBe("containers with unready status: [a]")
        expect(condMessage(p, "Ready")).toBe("containers with unready status: [a]")
      }
    }).pipe(Effect.scoped)
  )

  it.effect("B2 B1 continued, b exits 0 at t=20: Failed, 0/2 Error", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { restartPolicy: "Never", containers: [sh("a", "sleep 10; exit 1"), sh("b", "sleep 20")] })
      )
      yield* at(c, 20)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Failed")
      expect([stateOf(cs(p, "a")), stateOf(cs(p, "b"))]).toEqual(["T(Error,1)", "T(Completed,0)"])
      expect(yield* kubectl(c)).toBe("0/2 Error 0")
      expect(cond(p, "ContainersReady")).toBe("F(PodFailed)")
    }).pipe(Effect.scoped)
  )

  it.effect("B3 Never, a exits 0 at t=10 while b runs: Running, 1/2 NotReady", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { restartPolicy: "Never", containers: [sh("a", "sleep 10"), sh("b", "sleep 3600")] }))
      yield* at(c, 10)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Running")
      expect(stateOf(cs(p, "a"))).toBe("T(Completed,0)")
      expect(yield* kubectl(c)).toBe("1/2 NotReady 0")
      expect(cond(p, "Ready")).toBe("F(ContainersNotReady)")
      expect(condMessage(p, "Ready")).toBe("containers with unready status: [a]")
    }).pipe(Effect.scoped)
  )

  it.effect("B4 Never, a exits 0 at t=10, b exits 1 at t=20: Failed, 0/2 Error (errorReason)", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { restartPolicy: "Never", containers: [sh("a", "sleep 10"), sh("b", "sleep 20; exit 1")] })
      )
      yield* at(c, 20)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Failed")
      expect([stateOf(cs(p, "a")), stateOf(cs(p, "b"))]).toEqual(["T(Completed,0)", "T(Error,1)"])
      expect(yield* kubectl(c)).toBe("0/2 Error 0")
    }).pipe(Effect.scoped)
  )

  it.effect("B5 OnFailure, a exits 0 at t=10, b exits 0 at t=20: NotReady, then Succeeded", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { restartPolicy: "OnFailure", containers: [sh("a", "sleep 10"), sh("b", "sleep 20")] }))
      for (const t of [10, 19]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Running")
        expect([stateOf(cs(p, "a")), cs(p, "a").restartCount]).toEqual(["T(Completed,0)", 0])
        expect(yield* kubectl(c)).toBe("1/2 NotReady 0")
      }
      yield* at(c, 20)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Succeeded")
      expect(yield* kubectl(c)).toBe("0/2 Completed 0")
      expect([cond(p, "Initialized"), cond(p, "ContainersReady")]).toEqual(["T(PodCompleted)", "F(PodCompleted)"])
    }).pipe(Effect.scoped)
  )

  it.effect("B6 Always, a crash-loops while b runs: CrashLoopBackOff / Running with a's restarts", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { restartPolicy: "Always", containers: [sh("a", "sleep 5; exit 1"), sh("b", "sleep 3600")] })
      )
      yield* at(c, 5)
      expect(yield* kubectl(c)).toBe("2/2 Running 1 (0s ago)")
      for (const [t, triple] of [
        [12, "1/2 CrashLoopBackOff 1 (2s ago)"],
        [20, "2/2 Running 2 (10s ago)"],
        [30, "1/2 CrashLoopBackOff 2 (5s ago)"],
        [45, "2/2 Running 3 (20s ago)"]
      ] as const) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Running")
        expect(yield* kubectl(c), `t=${t}`).toBe(triple)
        if (triple.includes("CrashLoopBackOff")) {
          expect(cond(p, "Ready")).toBe("F(ContainersNotReady)")
          expect(condMessage(p, "Ready")).toBe("containers with unready status: [a]")
        }
      }
    }).pipe(Effect.scoped)
  )
})
