// Spec pod-lifecycle §16.F: probes (readiness, liveness, startup, readiness gates).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Container, Pod, RestartPolicy } from "../../src/api/Pod.js"
import { at, cluster, cond, condMessage, cs, getPod, kubectl, lastOf, pod, row, sh, stateOf } from "./support.js"

const nginxIndex = "/usr/share/nginx/html/index.html"

const webPod = (): Pod =>
  pod("p", {
    containers: [
      {
        name: "app",
        image: "nginx:1.25",
        ports: [{ containerPort: 80 }],
        readinessProbe: { httpGet: { path: "/", port: 80 }, initialDelaySeconds: 5 }
      }
    ]
  })

/** Serves on :8080 for 32 s after each start, then stops serving; exits 143 on SIGTERM. */
const unhealthyAfter32 = (extra: Partial<Container> = {}): Container =>
  sh("app", "trap 'exit 143' TERM; httpd -f -p 8080 & sleep 32; kill $!; sleep 3600 & wait", {
    ports: [{ containerPort: 8080 }],
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10, failureThreshold: 3 },
    ...extra
  })

const liveness = (restartPolicy: RestartPolicy) => pod("p", { restartPolicy, containers: [unhealthyAfter32()] })

describe("§16.F probes", () => {
  it.effect("F1 readiness httpGet with initialDelaySeconds 5: ready at t=5", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ extraImages: ["nginx:1.25"] })
      yield* c.apply(webPod())
      for (const t of [0, 4]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        const s = cs(p, "app")
        expect([p.status?.phase, stateOf(s), s.started, s.ready]).toEqual(["Running", "R", true, false])
        expect(yield* kubectl(c)).toBe("0/1 Running 0")
        expect([cond(p, "ContainersReady"), cond(p, "Ready")]).toEqual([
          "F(ContainersNotReady)",
          "F(ContainersNotReady)"
        ])
        expect(condMessage(p, "Ready")).toBe("containers with unready status: [app]")
      }
      yield* at(c, 5)
      const p = yield* getPod(c)
      expect(cs(p, "app").ready).toBe(true)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      expect([cond(p, "ContainersReady"), cond(p, "Ready")]).toEqual(["T", "T"])
      yield* at(c, 100)
      expect((yield* c.events("p")).filter((e) => e.reason === "Unhealthy")).toEqual([])
    }).pipe(Effect.scoped)
  )

  it.effect("F2 the readiness endpoint fails from t=100: unready at t=125, ready again on the first success", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ extraImages: ["nginx:1.25"] })
      yield* c.apply(webPod())
      yield* at(c, 100)
      yield* c.exec("default", "p", "app", ["rm", nginxIndex])
      for (const t of [100, 105, 115, 124]) {
        yield* at(c, t)
        expect(yield* kubectl(c), `t=${t}`).toBe("1/1 Running 0")
      }
      yield* at(c, 125)
      const p = yield* getPod(c)
      expect([cs(p, "app").ready, cs(p, "app").restartCount, p.status?.phase]).toEqual([false, 0, "Running"])
      expect(yield* kubectl(c)).toBe("0/1 Running 0")
      expect(cond(p, "Ready")).toBe("F(ContainersNotReady)")
      const unhealthy = (yield* c.events("p")).filter((e) => e.reason === "Unhealthy")
      expect(unhealthy.map((e) => [e.type, e.message?.startsWith("Readiness probe failed: "), e.count])).toEqual([
        ["Warning", true, 3]
      ])
      yield* c.exec("default", "p", "app", ["sh", "-c", `echo ok > ${nginxIndex}`])
      yield* at(c, 134)
      expect(yield* kubectl(c)).toBe("0/1 Running 0")
      yield* at(c, 135)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
    }).pipe(Effect.scoped)
  )

  it.effect("F3 liveness fails 3 times from t=40: killed and restarted at once at t=60, again at t=120", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(liveness("Always"))
      for (const t of [39, 40, 50, 59]) {
        yield* at(c, t)
        expect(yield* kubectl(c), `t=${t}`).toBe("1/1 Running 0")
      }
      yield* at(c, 60)
      let p = yield* getPod(c)
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount]).toEqual(["R", 1])
      expect(lastOf(c, cs(p, "app"))).toBe("T(Error,143,@60)")
      expect(yield* kubectl(c)).toBe("1/1 Running 1 (0s ago)")
      const killing = (yield* c.events("p")).filter((e) => e.reason === "Killing")
      expect(killing.map((e) => e.message)).toEqual(["Container app failed liveness probe, will be restarted"])
      yield* at(c, 119)
      expect(cs(yield* getPod(c), "app").restartCount).toBe(1)
      yield* at(c, 120)
      p = yield* getPod(c)
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount]).toEqual(["R", 2])
      expect(lastOf(c, cs(p, "app"))).toBe("T(Error,143,@120)")
      expect((yield* c.events("p")).find((e) => e.reason === "Killing")?.count).toBe(2)
    }).pipe(Effect.scoped)
  )

  it.effect("F4 a startup probe that never succeeds: killed at t=20 and t=40, restarted at once", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          containers: [
            sh("app", "trap 'exit 143' TERM; sleep 3600 & wait", {
              startupProbe: { exec: { command: ["false"] }, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { exec: { command: ["false"] }, periodSeconds: 10, failureThreshold: 1 }
            })
          ]
        })
      )
      for (const t of [0, 10, 19]) {
        yield* at(c, t)
        const s = cs(yield* getPod(c), "app")
        expect([stateOf(s), s.started, s.ready]).toEqual(["R", false, false])
        expect(yield* kubectl(c)).toBe("0/1 Running 0")
      }
      yield* at(c, 20)
      expect(cs(yield* getPod(c), "app").restartCount).toBe(1)
      const events = yield* c.events("p")
      expect(events.filter((e) => e.reason === "Killing").map((e) => e.message)).toEqual([
        "Container app failed startup probe, will be restarted"
      ])
      expect(events.some((e) => e.message?.startsWith("Liveness probe failed"))).toBe(false)
      yield* at(c, 40)
      expect(cs(yield* getPod(c), "app").restartCount).toBe(2)
      expect(stateOf(cs(yield* getPod(c), "app"))).toBe("R")
    }).pipe(Effect.scoped)
  )

  it.effect("F5 liveness kill under Never: no restart, Failed with Error 143", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(liveness("Never"))
      yield* at(c, 60)
      const p = yield* getPod(c)
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount, p.status?.phase]).toEqual(["T(Error,143)", 0, "Failed"])
      expect(yield* kubectl(c)).toBe("0/1 Error 0")
      expect(cond(p, "ContainersReady")).toBe("F(PodFailed)")
      // nothing is left to run, so the plan is KillPod: the kill carries the pod-kill message (K-mgr SyncPod step 2)
      expect((yield* c.events("p")).find((e) => e.reason === "Killing")?.message).toBe("Stopping container app")
    }).pipe(Effect.scoped)
  )

  it.effect("F6 a readiness gate: Ready waits for the condition, READY counts containers only", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { readinessGates: [{ conditionType: "example.com/lb" }], containers: [sh("app", "sleep 3600")] })
      )
      for (const t of [0, 29]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(cond(p, "ContainersReady")).toBe("T")
        expect(cond(p, "Ready")).toBe("F(ReadinessGatesNotReady)")
        expect(condMessage(p, "Ready")).toBe(
          'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
        )
        expect(yield* kubectl(c)).toBe("1/1 Running 0")
        expect((yield* row(c)).readinessGates).toBe("0/1")
      }
      yield* at(c, 30)
      const p = yield* getPod(c)
      yield* c.store.updateStatus("pods", {
        ...p,
        status: {
          ...p.status,
          conditions: [...(p.status?.conditions ?? []), { type: "example.com/lb", status: "True" }]
        }
      })
      yield* c.settle
      const after = yield* getPod(c)
      expect(cond(after, "Ready")).toBe("T")
      expect((yield* row(c)).readinessGates).toBe("1/1")
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
    }).pipe(Effect.scoped)
  )
})
