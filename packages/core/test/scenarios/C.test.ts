// Spec pod-lifecycle §16.C: init containers (ordering, failure under each policy, images, no re-run).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { at, bo, cluster, cond, condMessage, cs, getPod, kubectl, pod, sh, stateOf } from "./support.js"

const initPod = (restartPolicy: Pod["spec"]["restartPolicy"], initA = "sleep 5", app = "sleep 3600") =>
  pod("p", {
    restartPolicy,
    initContainers: [sh("init-a", initA), sh("init-b", "sleep 5")],
    containers: [sh("app", app)]
  })

describe("§16.C init containers", () => {
  it.effect("C1 two init containers run in order, then the app", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(initPod("Always"))
      for (const t of [0, 4]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        expect(["init-a", "init-b", "app"].map((n) => stateOf(cs(p, n)))).toEqual([
          "R",
          "W(PodInitializing)",
          "W(PodInitializing)"
        ])
        expect(yield* kubectl(c)).toBe("0/1 Init:0/2 0")
        expect(cond(p, "Initialized")).toBe("F(ContainersNotInitialized)")
        expect(condMessage(p, "Initialized")).toBe("containers with incomplete status: [init-a init-b]")
        expect(cond(p, "ContainersReady")).toBe("F(ContainersNotReady)")
        expect(condMessage(p, "ContainersReady")).toBe("containers with unready status: [app]")
        expect(condMessage(p, "Ready")).toBe("containers with unready status: [app]")
        expect([cond(p, "PodReadyToStartContainers"), cond(p, "PodScheduled")]).toEqual(["T", "T"])
      }
      for (const t of [5, 9]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect([stateOf(cs(p, "init-a")), cs(p, "init-a").ready, stateOf(cs(p, "init-b"))]).toEqual([
          "T(Completed,0)",
          true,
          "R"
        ])
        expect(yield* kubectl(c)).toBe("0/1 Init:1/2 0")
        expect(condMessage(p, "Initialized")).toBe("containers with incomplete status: [init-b]")
      }
      yield* at(c, 10)
      const p = yield* getPod(c)
      expect([p.status?.phase, stateOf(cs(p, "app"))]).toEqual(["Running", "R"])
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      expect(["Initialized", "ContainersReady", "Ready"].map((t) => cond(p, t))).toEqual(["T", "T", "T"])
    }).pipe(Effect.scoped)
  )

  it.effect("C2 Never, init-a exits 1 at t=5: Failed, Init:Error, the rest never starts", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(initPod("Never", "sleep 5; exit 1"))
      for (const t of [5, 6, 60]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Failed")
        expect([stateOf(cs(p, "init-a")), cs(p, "init-a").restartCount]).toEqual(["T(Error,1)", 0])
        expect([stateOf(cs(p, "init-b")), stateOf(cs(p, "app"))]).toEqual(["W(PodInitializing)", "W(PodInitializing)"])
        expect(yield* kubectl(c)).toBe("0/1 Init:Error 0")
        expect(cond(p, "Initialized")).toBe("F(ContainersNotInitialized)")
        expect(condMessage(p, "Initialized")).toBe("containers with incomplete status: [init-a init-b]")
        expect([cond(p, "ContainersReady"), cond(p, "Ready"), cond(p, "PodReadyToStartContainers")]).toEqual([
          "F(PodFailed)",
          "F(PodFailed)",
          "F"
        ])
      }
    }).pipe(Effect.scoped)
  )

  it.effect("C3 Always, init-a crash-loops: Pending, Init:0/2 and Init:CrashLoopBackOff", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(initPod("Always", "sleep 5; exit 1"))
      yield* at(c, 5)
      let p = yield* getPod(c)
      expect([stateOf(cs(p, "init-a")), cs(p, "init-a").restartCount]).toEqual(["R", 1])
      expect(yield* kubectl(c)).toBe("0/1 Init:0/2 1 (0s ago)")
      for (const t of [10, 15, 19]) {
        yield* at(c, t)
        p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        expect(stateOf(cs(p, "init-a"))).toBe("W(CrashLoopBackOff)")
        expect(cs(p, "init-a").state.waiting?.message).toBe(bo(p, "10s", "init-a"))
        expect(stateOf(cs(p, "app"))).toBe("W(PodInitializing)")
        expect(yield* kubectl(c)).toBe(`0/1 Init:CrashLoopBackOff 1 (${t - 10}s ago)`)
      }
      yield* at(c, 20)
      expect(yield* kubectl(c)).toBe("0/1 Init:0/2 2 (10s ago)")
      yield* at(c, 25)
      p = yield* getPod(c)
      expect(cs(p, "init-a").state.waiting?.message).toBe(bo(p, "20s", "init-a"))
      yield* at(c, 45)
      p = yield* getPod(c)
      expect([stateOf(cs(p, "init-a")), cs(p, "init-a").restartCount, p.status?.phase]).toEqual(["R", 3, "Pending"])
    }).pipe(Effect.scoped)
  )

  it.effect("C4 init image cannot be pulled: Init:ErrImagePull / Init:ImagePullBackOff on the E2 schedule", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          initContainers: [{ name: "init-a", image: "example.com/missing:1", command: ["sh", "-c", "true"] }],
          containers: [sh("app", "sleep 3600")]
        })
      )
      const expected: ReadonlyArray<readonly [number, string]> = [
        [0, "Init:ErrImagePull"],
        [19, "Init:ErrImagePull"],
        [20, "Init:ImagePullBackOff"],
        [29, "Init:ImagePullBackOff"],
        [30, "Init:ErrImagePull"],
        [40, "Init:ImagePullBackOff"],
        [69, "Init:ImagePullBackOff"],
        [70, "Init:ErrImagePull"],
        [80, "Init:ImagePullBackOff"],
        [149, "Init:ImagePullBackOff"]
      ]
      for (const [t, status] of expected) {
        yield* at(c, t)
        expect(yield* kubectl(c), `t=${t}`).toBe(`0/1 ${status} 0`)
        expect((yield* getPod(c)).status?.phase).toBe("Pending")
      }
    }).pipe(Effect.scoped)
  )

  it.effect("C5 app image pulled for 20 s after init: PodInitializing, then Running", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ registry: { extra: [{ name: "example.com/slow", tag: "1.0", pullSeconds: 20 }] } })
      yield* c.apply(
        pod("p", {
          initContainers: [sh("init-a", "sleep 5")],
          containers: [{ name: "app", image: "example.com/slow:1.0", command: ["sh", "-c", "sleep 3600"] }]
        })
      )
      yield* at(c, 0)
      expect(yield* kubectl(c)).toBe("0/1 Init:0/1 0")
      for (const t of [5, 15, 24]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        expect(cond(p, "Initialized")).toBe("T")
        expect(stateOf(cs(p, "app"))).toBe("W(PodInitializing)")
        expect(yield* kubectl(c), `t=${t}`).toBe("0/1 PodInitializing 0")
      }
      yield* at(c, 25)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
    }).pipe(Effect.scoped)
  )

  it.effect("C6 app exits 1 at t=100 after initialization: init containers are not re-run", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(initPod("Always", "sleep 5", "sleep 90; exit 1"))
      yield* at(c, 100)
      const p = yield* getPod(c)
      expect([stateOf(cs(p, "init-a")), stateOf(cs(p, "init-b"))]).toEqual(["T(Completed,0)", "T(Completed,0)"])
      expect([cs(p, "init-a").restartCount, cs(p, "init-b").restartCount]).toEqual([0, 0])
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount]).toEqual(["R", 1])
      expect(yield* kubectl(c)).toBe("1/1 Running 1 (0s ago)")
      expect(cond(p, "Initialized")).toBe("T")
    }).pipe(Effect.scoped)
  )
})
