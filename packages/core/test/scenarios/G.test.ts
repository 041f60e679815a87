// Spec pod-lifecycle §16.G: termination (graceful delete, SIGKILL after the grace, preStop, force delete).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Container } from "../../src/api/Pod.js"
import { toRfc3339 } from "../../src/domain/Time.js"
import { at, cluster, cs, finalVersion, getPod, history, kubectl, pod, sh, stateOf } from "./support.js"

/** Exits `code` `after` seconds after SIGTERM (`wait` is interrupted by the signal at once). */
const handles = (after: number, code = 0) =>
  after === 0
    ? `trap 'exit ${code}' TERM; sleep 3600 & wait`
    : `trap 'sleep ${after}; exit ${code}' TERM; sleep 3600 & wait`
/** PID 1 without a trap ignores SIGTERM. */
const ignores = "sleep 3600"

const deletionScenario = (
  container: Container,
  options: { readonly gracePeriodSeconds?: number; readonly terminationGracePeriodSeconds?: number } = {}
) =>
  Effect.gen(function* () {
    const c = yield* cluster()
    yield* c.apply(
      pod("p", {
        containers: [container],
        terminationGracePeriodSeconds: options.terminationGracePeriodSeconds
      })
    )
    yield* at(c, 100)
    const seen = yield* history(c)
    yield* c.delete(
      "pods",
      "p",
      options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}
    )
    return { c, seen }
  })

/** While terminating: the object exists, phase Running, kubectl Terminating. */
const terminating = (c: Parameters<typeof getPod>[0], t: number) =>
  Effect.gen(function* () {
    yield* at(c, t)
    const p = yield* getPod(c)
    expect(p.status?.phase, `t=${t}`).toBe("Running")
    expect(yield* kubectl(c), `t=${t}`).toBe("1/1 Terminating 0")
  })

describe("§16.G termination", () => {
  it.effect("G1 the app exits 0 two seconds after SIGTERM: Succeeded, removed at t=102", () =>
    Effect.gen(function* () {
      const { c, seen } = yield* deletionScenario(sh("app", handles(2)))
      const p = yield* getPod(c)
      expect(p.metadata.deletionTimestamp).toBe(toRfc3339(c.startedAt + 130_000))
      expect(p.metadata.deletionGracePeriodSeconds).toBe(30)
      yield* terminating(c, 100)
      yield* terminating(c, 101)
      yield* at(c, 102)
      expect(yield* c.pod("p")).toBeUndefined()
      const { last, deletedAt } = finalVersion(seen)
      expect(deletedAt).toBe(102)
      expect(last?.pod.status?.phase).toBe("Succeeded")
      expect(stateOf(cs(last!.pod, "app"))).toBe("T(Completed,0)")
      expect((yield* c.events("p")).find((e) => e.reason === "Killing")?.message).toBe("Stopping container app")
    }).pipe(Effect.scoped)
  )

  it.effect("G2 the app ignores SIGTERM: SIGKILL at t=130, Failed with 137", () =>
    Effect.gen(function* () {
      const { c, seen } = yield* deletionScenario(sh("app", ignores))
      for (const t of [100, 115, 129]) yield* terminating(c, t)
      yield* at(c, 130)
      expect(yield* c.pod("p")).toBeUndefined()
      const { last, deletedAt } = finalVersion(seen)
      expect(deletedAt).toBe(130)
      expect(last?.pod.status?.phase).toBe("Failed")
      expect(stateOf(cs(last!.pod, "app"))).toBe("T(Error,137)")
    }).pipe(Effect.scoped)
  )

  it.effect("G3 preStop sleeps 10 s, then SIGTERM with 20 s left: exits at t=110", () =>
    Effect.gen(function* () {
      const { c, seen } = yield* deletionScenario(
        sh("app", handles(0), { lifecycle: { preStop: { exec: { command: ["sleep", "10"] } } } })
      )
      for (const t of [100, 109]) yield* terminating(c, t)
      yield* at(c, 110)
      expect(yield* c.pod("p")).toBeUndefined()
      const { last, deletedAt } = finalVersion(seen)
      expect(deletedAt).toBe(110)
      expect(last?.pod.status?.phase).toBe("Succeeded")
      const finished = cs(last!.pod, "app").state.terminated?.finishedAt
      expect(finished).toBe(toRfc3339(c.startedAt + 110_000))
    }).pipe(Effect.scoped)
  )

  it.effect("G4 preStop sleeps 60 s past a 30 s grace: abandoned at t=130, SIGKILL at t=132", () =>
    Effect.gen(function* () {
      const { c, seen } = yield* deletionScenario(
        sh("app", ignores, { lifecycle: { preStop: { exec: { command: ["sleep", "60"] } } } }),
        { terminationGracePeriodSeconds: 30 }
      )
      for (const t of [100, 129, 131]) yield* terminating(c, t)
      yield* at(c, 132)
      expect(yield* c.pod("p")).toBeUndefined()
      const { last, deletedAt } = finalVersion(seen)
      expect(deletedAt).toBe(132)
      expect(last?.pod.status?.phase).toBe("Failed")
      expect(stateOf(cs(last!.pod, "app"))).toBe("T(Error,137)")
    }).pipe(Effect.scoped)
  )

  it.effect("G5 delete --grace-period=5: SIGKILL and removal at t=105", () =>
    Effect.gen(function* () {
      const { c, seen } = yield* deletionScenario(sh("app", ignores), { gracePeriodSeconds: 5 })
      expect((yield* getPod(c)).metadata.deletionTimestamp).toBe(toRfc3339(c.startedAt + 105_000))
      yield* terminating(c, 104)
      yield* at(c, 105)
      expect(yield* c.pod("p")).toBeUndefined()
      expect(finalVersion(seen).deletedAt).toBe(105)
    }).pipe(Effect.scoped)
  )

  it.effect("G6 an unscheduled pod is removed at once, never Terminating", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      // unschedulable: no node carries this label (the pod stays unbound with or without a scheduler)
      yield* c.apply(
        pod("p", {
          nodeName: undefined,
          nodeSelector: { "example.com/none": "true" },
          containers: [sh("app", ignores)]
        })
      )
      yield* at(c, 10)
      expect((yield* getPod(c)).status?.phase).toBe("Pending")
      const seen = yield* history(c)
      const result = yield* c.delete("pods", "p")
      expect(result.deleted).toBe(true)
      expect(yield* c.pod("p")).toBeUndefined()
      expect(seen.every((o) => o.pod.metadata.deletionTimestamp === undefined || o.type === "DELETED")).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("G7 a Succeeded or Failed pod is removed at once", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("ok", { restartPolicy: "Never", containers: [sh("app", "true")] }))
      yield* c.apply(pod("bad", { restartPolicy: "Never", containers: [sh("app", "exit 1")] }))
      yield* at(c, 5)
      expect((yield* getPod(c, "ok")).status?.phase).toBe("Succeeded")
      expect((yield* getPod(c, "bad")).status?.phase).toBe("Failed")
      expect((yield* c.delete("pods", "ok")).deleted).toBe(true)
      expect((yield* c.delete("pods", "bad")).deleted).toBe(true)
      expect([yield* c.pod("ok"), yield* c.pod("bad")]).toEqual([undefined, undefined])
    }).pipe(Effect.scoped)
  )

  it.effect("G8 deleted inside a CrashLoopBackOff window: Failed and removed at once (t=30)", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 5; exit 1")] }))
      yield* at(c, 30)
      const before = yield* getPod(c)
      expect([stateOf(cs(before, "app")), cs(before, "app").restartCount]).toEqual(["W(CrashLoopBackOff)", 2])
      const seen = yield* history(c)
      yield* c.delete("pods", "p")
      expect(yield* c.pod("p")).toBeUndefined()
      const { last, deletedAt } = finalVersion(seen)
      expect(deletedAt).toBe(30)
      expect(last?.pod.status?.phase).toBe("Failed")
      expect(stateOf(cs(last!.pod, "app"))).toBe("T(Error,1)")
      yield* at(c, 100)
      expect(yield* c.pod("p")).toBeUndefined()
    }).pipe(Effect.scoped)
  )

  it.effect("G9 force delete: removed at t=100, the container still gets a 2 s stop window", () =>
    Effect.gen(function* () {
      const { c } = yield* deletionScenario(sh("app", ignores), { gracePeriodSeconds: 0 })
      expect(yield* c.pod("p")).toBeUndefined()
      const runtime = c.nodes[0]!.runtime
      const app = () =>
        Effect.gen(function* () {
          const sandboxes = yield* runtime.listSandboxes()
          const all = yield* Effect.forEach(sandboxes, (s) => runtime.listContainers(s.podUid))
          return all.flat().find((x) => x.name === "app")
        })
      yield* at(c, 101)
      expect((yield* app())?.state).toBe("running")
      yield* at(c, 102)
      const gone = yield* app()
      expect(gone === undefined || (gone.state === "exited" && gone.exitCode === 137)).toBe(true)
    }).pipe(Effect.scoped)
  )
})
