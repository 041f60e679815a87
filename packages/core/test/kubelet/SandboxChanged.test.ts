// A pod whose sandbox dies under it (as when a real runtime's pause process is killed): the kubelet
// records `SandboxChanged` ("Pod sandbox changed, it will be killed and re-created.", as
// kuberuntime_manager's SyncPod does when computePodActions asks for a new sandbox while one
// exists), creates a new sandbox and starts the containers again in it.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { at, cluster, cs, getPod, pod, sh } from "../scenarios/support.js"

describe("sandbox changed", () => {
  it.effect("a dead sandbox is recorded, replaced and its containers restarted", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const runtime = c.nodes[0]!.runtime
      yield* c.apply(pod("web", { containers: [sh("app", "sleep 3600")] }))
      yield* at(c, 5)
      const before = yield* getPod(c, "web")
      expect(before.status?.phase).toBe("Running")
      expect((yield* c.events("web")).map((e) => e.reason)).not.toContain("SandboxChanged")

      const uid = before.metadata.uid ?? ""
      const [sandbox] = yield* runtime.listSandboxes(uid)
      expect(sandbox).toBeDefined()
      yield* runtime.stopPodSandbox(sandbox!.id)
      yield* at(c, 20)

      const changed = (yield* c.events("web")).filter((e) => e.reason === "SandboxChanged")
      expect(changed.map((e) => [e.type, e.message, e.count])).toEqual([
        ["Normal", "Pod sandbox changed, it will be killed and re-created.", 1]
      ])
      const sandboxes = yield* runtime.listSandboxes(uid)
      expect(sandboxes.filter((s) => s.id !== sandbox!.id && s.state === "ready")).toHaveLength(1)
      const after = yield* getPod(c, "web")
      expect(after.status?.phase).toBe("Running")
      expect(cs(after, "app").state?.running).toBeDefined()
      expect(cs(after, "app").restartCount).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))
  )

  it.effect("a new pod's first sandbox is not a change", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("web", { containers: [sh("app", "sleep 3600")] }))
      yield* at(c, 5)
      expect((yield* c.events("web")).map((e) => e.reason)).not.toContain("SandboxChanged")
    }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))
  )
})
