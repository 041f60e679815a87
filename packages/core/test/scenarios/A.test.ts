// Spec pod-lifecycle §16.A: single container, restart policies, crash loops (RTM timing, §15).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Container, Pod, RestartPolicy } from "../../src/api/Pod.js"
import type { Cluster } from "../../src/Cluster.js"
import {
  at,
  bo,
  cluster,
  cond,
  condMessage,
  cs,
  eventLines,
  getPod,
  kubectl,
  lastOf,
  pod,
  sh,
  stateOf
} from "./support.js"

const conditions = (p: Pod) =>
  ["PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"].map((t) => cond(p, t))

/** A container whose n-th instance (0-based, counted in an emptyDir) runs `seconds(n)` then exits `code`. */
const counted = (script: (n: string) => string): Pick<Pod["spec"], "volumes"> & { readonly container: Container } => ({
  volumes: [{ name: "state", emptyDir: {} }],
  container: sh("app", `n=$(cat /state/n 2>/dev/null || echo 0); echo $((n+1)) > /state/n; ${script("$n")}`, {
    volumeMounts: [{ name: "state", mountPath: "/state" }]
  })
})

/** Asserts the container is running with `rc` restarts and kubectl shows `triple`. */
const running = (c: Cluster, t: number, rc: number, triple?: string) =>
  Effect.gen(function* () {
    yield* at(c, t)
    const p = yield* getPod(c)
    expect(stateOf(cs(p, "app")), `t=${t}`).toBe("R")
    expect(cs(p, "app").restartCount, `t=${t}`).toBe(rc)
    expect(p.status?.phase).toBe("Running")
    if (triple !== undefined) expect(yield* kubectl(c), `t=${t}`).toBe(triple)
  })

/** Asserts a CrashLoopBackOff window [from, to) with back-off `d`, restart count `rc`, last exit at `from`. */
const backoffWindow = (c: Cluster, from: number, to: number, d: string, rc: number, last: string) =>
  Effect.gen(function* () {
    for (const t of [from, Math.floor((from + to) / 2), to - 1]) {
      yield* at(c, t)
      const p = yield* getPod(c)
      const s = cs(p, "app")
      expect(stateOf(s), `t=${t}`).toBe("W(CrashLoopBackOff)")
      expect(s.state.waiting?.message, `t=${t}`).toBe(bo(p, d))
      expect(s.restartCount, `t=${t}`).toBe(rc)
      expect(lastOf(c, s), `t=${t}`).toBe(last)
      expect(p.status?.phase, `t=${t}`).toBe("Running")
      expect(cond(p, "ContainersReady")).toBe("F(ContainersNotReady)")
      expect(condMessage(p, "ContainersReady")).toBe("containers with unready status: [app]")
      expect(cond(p, "Ready")).toBe("F(ContainersNotReady)")
      expect(condMessage(p, "Ready")).toBe("containers with unready status: [app]")
      const ago = t - from
      expect(yield* kubectl(c), `t=${t}`).toBe(`0/1 CrashLoopBackOff ${rc} (${ago}s ago)`)
    }
  })

/** A5/A6: every instance exits 1 five seconds after it starts. */
const crashLoop = (policy: RestartPolicy) =>
  Effect.gen(function* () {
    const c = yield* cluster()
    yield* c.apply(pod("p", { restartPolicy: policy, containers: [sh("app", "sleep 5; exit 1")] }))
    yield* running(c, 0, 0, "1/1 Running 0")
    yield* running(c, 5, 1, "1/1 Running 1 (0s ago)")
    expect(lastOf(c, cs(yield* getPod(c), "app"))).toBe("T(Error,1,@5)")
    yield* backoffWindow(c, 10, 20, "10s", 1, "T(Error,1,@10)")
    yield* running(c, 20, 2)
    yield* backoffWindow(c, 25, 45, "20s", 2, "T(Error,1,@25)")
    yield* running(c, 45, 3)
    yield* backoffWindow(c, 50, 90, "40s", 3, "T(Error,1,@50)")
    yield* running(c, 90, 4)
    yield* at(c, 95)
    expect(cs(yield* getPod(c), "app").state.waiting?.message).toBe(bo(yield* getPod(c), "1m20s"))
    yield* at(c, 174)
    expect(stateOf(cs(yield* getPod(c), "app"))).toBe("W(CrashLoopBackOff)")
    yield* running(c, 175, 5)
    yield* at(c, 180)
    expect(cs(yield* getPod(c), "app").state.waiting?.message).toBe(bo(yield* getPod(c), "2m40s"))
    yield* at(c, 339)
    expect(cs(yield* getPod(c), "app").restartCount).toBe(5)
    yield* running(c, 340, 6)
    yield* at(c, 345)
    expect(cs(yield* getPod(c), "app").state.waiting?.message).toBe(bo(yield* getPod(c), "5m0s"))
    yield* at(c, 644)
    expect(stateOf(cs(yield* getPod(c), "app"))).toBe("W(CrashLoopBackOff)")
    yield* running(c, 645, 7)
    yield* at(c, 650)
    expect(cs(yield* getPod(c), "app").state.waiting?.message).toBe(bo(yield* getPod(c), "5m0s"))
    yield* at(c, 949)
    expect(cs(yield* getPod(c), "app").restartCount).toBe(7)
    yield* running(c, 950, 8)
    const p = yield* getPod(c)
    const backoffs = (yield* c.events("p")).filter((e) => e.reason === "BackOff")
    expect(backoffs.length).toBe(1)
    expect(backoffs[0]?.type).toBe("Warning")
    expect(backoffs[0]?.message).toBe(`Back-off restarting failed container app in pod p_default(${p.metadata.uid})`)
    expect(backoffs[0]?.count ?? 0).toBeGreaterThanOrEqual(7)
  }).pipe(Effect.scoped)

/** A2/A3: exits 0 at t=10 and is never restarted. */
const completes = (policy: RestartPolicy) =>
  Effect.gen(function* () {
    const c = yield* cluster()
    yield* c.apply(pod("p", { restartPolicy: policy, containers: [sh("app", "sleep 10")] }))
    yield* running(c, 0, 0, "1/1 Running 0")
    yield* running(c, 9, 0, "1/1 Running 0")
    for (const t of [10, 100]) {
      yield* at(c, t)
      const p = yield* getPod(c)
      const s = cs(p, "app")
      expect(p.status?.phase).toBe("Succeeded")
      expect(stateOf(s)).toBe("T(Completed,0)")
      expect([s.restartCount, s.ready, s.started]).toEqual([0, false, false])
      expect(yield* kubectl(c)).toBe("0/1 Completed 0")
      expect(conditions(p)).toEqual(["T", "F", "T(PodCompleted)", "F(PodCompleted)", "F(PodCompleted)"])
    }
  }).pipe(Effect.scoped)

describe("§16.A single container", () => {
  it.effect("A1 Always, runs forever: Pending before the first sync, then Running 1/1", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const created = (yield* c.store.create("pods", pod("p", { containers: [sh("app", "sleep 3600")] }))).object
      expect(created.status?.phase).toBe("Pending")
      expect(created.status?.containerStatuses).toBeUndefined()
      yield* at(c, 0)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Running")
      const s = cs(p, "app")
      expect([stateOf(s), s.restartCount, s.started, s.ready]).toEqual(["R", 0, true, true])
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      expect(conditions(p)).toEqual(["T", "T", "T", "T", "T"])
      yield* at(c, 1000)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
    }).pipe(Effect.scoped)
  )

  it.effect("A2 Never, exits 0 at t=10: Succeeded, Completed, never restarted", () => completes("Never"))

  it.effect("A3 OnFailure, exits 0 at t=10: identical to A2", () => completes("OnFailure"))

  it.effect("A4 Never, exits 1 at t=10: Failed, Error", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { restartPolicy: "Never", containers: [sh("app", "sleep 10; exit 1")] }))
      yield* running(c, 9, 0, "1/1 Running 0")
      for (const t of [10, 60]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Failed")
        expect(stateOf(cs(p, "app"))).toBe("T(Error,1)")
        expect(cs(p, "app").restartCount).toBe(0)
        expect(yield* kubectl(c)).toBe("0/1 Error 0")
        expect(conditions(p)).toEqual(["T", "F", "T", "F(PodFailed)", "F(PodFailed)"])
      }
    }).pipe(Effect.scoped)
  )

  it.effect("A5 Always, crashes 5 s after each start: 0, 10s, 20s, … 5m0s backoff", () => crashLoop("Always"))

  it.effect("A6 OnFailure, crashes 5 s after each start: identical to A5", () => crashLoop("OnFailure"))

  it.effect("A7 Always, exits 0 ten seconds after each start: CrashLoopBackOff, never Succeeded", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { restartPolicy: "Always", containers: [sh("app", "sleep 10")] }))
      yield* running(c, 10, 1, "1/1 Running 1 (0s ago)")
      expect(lastOf(c, cs(yield* getPod(c), "app"))).toBe("T(Completed,0,@10)")
      yield* backoffWindow(c, 20, 30, "10s", 1, "T(Completed,0,@20)")
      yield* running(c, 30, 2)
      yield* backoffWindow(c, 40, 60, "20s", 2, "T(Completed,0,@40)")
      yield* running(c, 60, 3)
      yield* backoffWindow(c, 70, 110, "40s", 3, "T(Completed,0,@70)")
      yield* running(c, 110, 4)
      yield* backoffWindow(c, 120, 200, "1m20s", 4, "T(Completed,0,@120)")
      yield* running(c, 200, 5)
    }).pipe(Effect.scoped)
  )

  it.effect("A8 the instance after rc=3 runs 700 s: backoff reset, immediate restart", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const { volumes, container } = counted((n) => `if [ ${n} -eq 3 ]; then sleep 700; else sleep 5; fi; exit 1`)
      yield* c.apply(pod("p", { restartPolicy: "Always", volumes, containers: [container] }))
      yield* running(c, 45, 3)
      yield* running(c, 744, 3)
      yield* running(c, 745, 4, "1/1 Running 4 (0s ago)")
      yield* backoffWindow(c, 750, 760, "10s", 4, "T(Error,1,@750)")
      yield* running(c, 760, 5)
      yield* at(c, 765)
      expect(cs(yield* getPod(c), "app").state.waiting?.message).toBe(bo(yield* getPod(c), "20s"))
      yield* running(c, 785, 6)
    }).pipe(Effect.scoped)
  )

  it.effect("A9 the instance after rc=3 runs exactly 600 s: no reset", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const { volumes, container } = counted((n) => `if [ ${n} -eq 3 ]; then sleep 600; else sleep 5; fi; exit 1`)
      yield* c.apply(pod("p", { restartPolicy: "Always", volumes, containers: [container] }))
      yield* running(c, 45, 3)
      yield* backoffWindow(c, 645, 685, "40s", 3, "T(Error,1,@645)")
      yield* running(c, 685, 4)
      yield* at(c, 690)
      expect(cs(yield* getPod(c), "app").state.waiting?.message).toBe(bo(yield* getPod(c), "1m20s"))
      yield* running(c, 770, 5)
    }).pipe(Effect.scoped)
  )

  it.effect("A10 Always, memory limit exceeded at t=30: OOMKilled then immediate restart", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const { volumes, container } = counted(
        (n) => `if [ ${n} -eq 0 ]; then sleep 30; else sleep 10; fi; stress --vm 1 --vm-bytes 128M --vm-hang 0`
      )
      const limited = { ...container, resources: { limits: { memory: "64Mi" } } }
      yield* c.apply(pod("p", { restartPolicy: "Always", volumes, containers: [limited] }))
      yield* running(c, 29, 0, "1/1 Running 0")
      yield* running(c, 30, 1, "1/1 Running 1 (0s ago)")
      expect(lastOf(c, cs(yield* getPod(c), "app"))).toBe("T(OOMKilled,137,@30)")
      for (const t of [40, 45, 49]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(stateOf(cs(p, "app"))).toBe("W(CrashLoopBackOff)")
        expect(cs(p, "app").state.waiting?.message).toBe(bo(p, "10s"))
        expect(lastOf(c, cs(p, "app"))).toBe("T(OOMKilled,137,@40)")
        expect(p.status?.phase).toBe("Running")
      }
      yield* running(c, 50, 2)
    }).pipe(Effect.scoped)
  )

  it.effect("A11 Never, memory limit exceeded at t=30: Failed, OOMKilled", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          restartPolicy: "Never",
          containers: [
            sh("app", "sleep 30; stress --vm 1 --vm-bytes 128M --vm-hang 0", {
              resources: { limits: { memory: "64Mi" } }
            })
          ]
        })
      )
      yield* running(c, 29, 0, "1/1 Running 0")
      yield* at(c, 30)
      const p = yield* getPod(c)
      expect(p.status?.phase).toBe("Failed")
      expect(stateOf(cs(p, "app"))).toBe("T(OOMKilled,137)")
      expect(cs(p, "app").restartCount).toBe(0)
      expect(yield* kubectl(c)).toBe("0/1 OOMKilled 0")
      expect([cond(p, "ContainersReady"), cond(p, "Ready")]).toEqual(["F(PodFailed)", "F(PodFailed)"])
      expect(eventLines(yield* c.events("p")).some((l) => l.startsWith("Normal Started"))).toBe(true)
    }).pipe(Effect.scoped)
  )
})
