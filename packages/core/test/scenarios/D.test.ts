// Spec pod-lifecycle §16.D: native sidecars (init containers with restartPolicy: Always).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Container } from "../../src/api/Pod.js"
import {
  at,
  bo,
  cluster,
  cond,
  condMessage,
  cs,
  finalVersion,
  getPod,
  history,
  kubectl,
  pod,
  sh,
  stateOf
} from "./support.js"

const sidecar = (name: string, script: string, extra: Partial<Container> = {}): Container =>
  sh(name, script, { restartPolicy: "Always", ...extra })

/** A process that exits 0 one second after SIGTERM (the trap runs as soon as `wait` is interrupted). */
const graceful = "trap 'sleep 1; exit 0' TERM; sleep 3600 & wait"

describe("§16.D sidecars", () => {
  it.effect("D1 a sidecar runs beside the app: 2/2 Running, counted in ContainersReady", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { initContainers: [sidecar("proxy", "sleep 3600")], containers: [sh("app", "sleep 3600")] })
      )
      for (const t of [0, 100]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        const proxy = cs(p, "proxy")
        expect([stateOf(proxy), proxy.started, proxy.ready]).toEqual(["R", true, true])
        expect(stateOf(cs(p, "app"))).toBe("R")
        expect(p.status?.phase).toBe("Running")
        expect(yield* kubectl(c)).toBe("2/2 Running 0")
        expect([cond(p, "Initialized"), cond(p, "ContainersReady")]).toEqual(["T", "T"])
      }
    }).pipe(Effect.scoped)
  )

  it.effect("D2 the app starts only once the sidecar's startup probe succeeds (t=10)", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          initContainers: [
            sidecar("proxy", "sleep 8; touch /tmp/ready; sleep 3600", {
              startupProbe: { exec: { command: ["test", "-f", "/tmp/ready"] }, periodSeconds: 5, failureThreshold: 10 }
            })
          ],
          containers: [sh("app", "sleep 3600")]
        })
      )
      for (const t of [0, 5, 9]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        const proxy = cs(p, "proxy")
        expect([stateOf(proxy), proxy.started, proxy.ready]).toEqual(["R", false, false])
        expect(stateOf(cs(p, "app"))).toBe("W(PodInitializing)")
        expect(yield* kubectl(c), `t=${t}`).toBe("0/2 Init:0/1 0")
        expect(cond(p, "Initialized")).toBe("F(ContainersNotInitialized)")
        expect(condMessage(p, "Initialized")).toBe("containers with incomplete status: [proxy]")
      }
      yield* at(c, 10)
      const p = yield* getPod(c)
      expect([cs(p, "proxy").started, stateOf(cs(p, "app"))]).toEqual([true, "R"])
      expect(cs(p, "app").state.running?.startedAt).toBe(
        new Date(c.startedAt + 10_000).toISOString().replace(".000Z", "Z")
      )
      expect(yield* kubectl(c)).toBe("2/2 Running 0")
      expect(cond(p, "Initialized")).toBe("T")
      const unhealthy = (yield* c.events("p")).filter((e) => e.reason === "Unhealthy")
      expect(unhealthy.map((e) => [e.message?.startsWith("Startup probe failed"), e.count])).toEqual([[true, 2]])
    }).pipe(Effect.scoped)
  )

  it.effect("D3 Never, main exits 0 at t=20: the sidecar is stopped, the pod Succeeds", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          restartPolicy: "Never",
          initContainers: [sidecar("shipper", "trap 'exit 143' TERM; sleep 3600 & wait")],
          containers: [sh("main", "sleep 20")]
        })
      )
      yield* at(c, 19)
      expect(yield* kubectl(c)).toBe("2/2 Running 0")
      yield* at(c, 20)
      const p = yield* getPod(c)
      expect(stateOf(cs(p, "shipper"))).toBe("T(Error,143)")
      expect(p.status?.phase).toBe("Succeeded")
      expect(yield* kubectl(c)).toBe("0/2 Completed 0")
      expect(["Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers"].map((t) => cond(p, t))).toEqual([
        "T(PodCompleted)",
        "F(PodCompleted)",
        "F(PodCompleted)",
        "F"
      ])
    }).pipe(Effect.scoped)
  )

  it.effect("D4 the sidecar exits 1 at t=100 and t=105: restarted, then CrashLoopBackOff", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          volumes: [{ name: "state", emptyDir: {} }],
          initContainers: [
            sidecar(
              "proxy",
              "n=$(cat /state/n 2>/dev/null || echo 0); echo $((n+1)) > /state/n; " +
                "if [ $n -eq 0 ]; then sleep 100; exit 1; elif [ $n -eq 1 ]; then sleep 5; exit 1; else sleep 3600; fi",
              { volumeMounts: [{ name: "state", mountPath: "/state" }] }
            )
          ],
          containers: [sh("app", "sleep 3600")]
        })
      )
      yield* at(c, 100)
      expect(cs(yield* getPod(c), "proxy").restartCount).toBe(1)
      expect(yield* kubectl(c)).toBe("2/2 Running 1 (0s ago)")
      for (const t of [105, 110, 114]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(stateOf(cs(p, "proxy"))).toBe("W(CrashLoopBackOff)")
        expect(cs(p, "proxy").state.waiting?.message).toBe(bo(p, "10s", "proxy"))
        expect([p.status?.phase, cond(p, "Initialized"), cond(p, "ContainersReady")]).toEqual([
          "Running",
          "T",
          "F(ContainersNotReady)"
        ])
        expect(condMessage(p, "ContainersReady")).toBe("containers with unready status: [proxy]")
        expect(yield* kubectl(c), `t=${t}`).toBe(`1/2 Init:CrashLoopBackOff 1 (${t - 105}s ago)`)
      }
      yield* at(c, 115)
      expect(cs(yield* getPod(c), "proxy").restartCount).toBe(2)
      expect(yield* kubectl(c)).toBe("2/2 Running 2 (10s ago)")
    }).pipe(Effect.scoped)
  )

  it.effect("D5 deletion stops the app first, then sidecars in reverse order", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          initContainers: [sidecar("s1", graceful), sidecar("s2", graceful)],
          containers: [sh("app", graceful)]
        })
      )
      yield* at(c, 100)
      const seen = yield* history(c)
      yield* c.delete("pods", "p")
      const deleting = yield* getPod(c)
      expect(deleting.metadata.deletionTimestamp).toBe(
        new Date(c.startedAt + 130_000).toISOString().replace(".000Z", "Z")
      )
      for (const t of [100, 101, 102]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Running")
        expect((yield* kubectl(c)).split(" ")[1]).toBe("Terminating")
      }
      yield* at(c, 103)
      expect(yield* c.pod("p")).toBeUndefined()
      const { last, deletedAt } = finalVersion(seen)
      expect(deletedAt).toBe(103)
      expect(last?.pod.status?.phase).toBe("Succeeded")
      const finished = (name: string) => {
        const at = last?.pod.status?.[name === "app" ? "containerStatuses" : "initContainerStatuses"]?.find(
          (s) => s.name === name
        )?.state.terminated?.finishedAt
        return at === undefined ? undefined : (Date.parse(at) - c.startedAt) / 1000
      }
      expect([finished("app"), finished("s2"), finished("s1")]).toEqual([101, 102, 103])
    }).pipe(Effect.scoped)
  )

  it.effect("D6 pod Never, the sidecar exits 1 at t=50: restarted anyway", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          restartPolicy: "Never",
          volumes: [{ name: "state", emptyDir: {} }],
          initContainers: [
            sidecar(
              "proxy",
              "n=$(cat /state/n 2>/dev/null || echo 0); echo $((n+1)) > /state/n; " +
                "if [ $n -eq 0 ]; then sleep 50; exit 1; else sleep 3600; fi",
              { volumeMounts: [{ name: "state", mountPath: "/state" }] }
            )
          ],
          containers: [sh("app", "sleep 3600")]
        })
      )
      yield* at(c, 50)
      const p = yield* getPod(c)
      expect([stateOf(cs(p, "proxy")), cs(p, "proxy").restartCount]).toEqual(["R", 1])
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount, p.status?.phase]).toEqual(["R", 0, "Running"])
      expect(yield* kubectl(c)).toBe("2/2 Running 1 (0s ago)")
    }).pipe(Effect.scoped)
  )
})
