// The Faults service: container exit with a chosen code, OOM kill, registry outage on and off, image preload;
// each recorded as an Event the user can see.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { at, cluster, eventLines, eventsOf, getPod, kubectl, pod, sh, worker } from "./support.js"

/** The fault events of a node (it has others: kubelet starting, readiness). */
const nodeFaults = (lines: ReadonlyArray<string>) => lines.filter((l) => / Fault(Injected|Cleared) /.test(l))

const app = (p: Pod) => p.status?.containerStatuses?.find((s) => s.name === "app")

describe("Faults", () => {
  it.effect("container exit with a code: the kubelet restarts it (Always) and the event says what was injected", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 3600")] }))
      yield* at(c, 10)
      yield* c.faults.containerExit({ pod: "p", container: "app" }, 3)
      yield* c.settle
      const p = yield* getPod(c, "p")
      expect(app(p)?.restartCount).toBe(1)
      expect(app(p)?.lastState.terminated).toMatchObject({ exitCode: 3, reason: "Error" })
      expect(eventLines(yield* c.events("p"))).toContain(
        "Warning FaultInjected Fault injected: container app exited with code 3"
      )
      const injected = (yield* c.events("p")).find((e) => e.reason === "FaultInjected")
      expect(injected?.involvedObject.fieldPath).toBe("spec.containers{app}")
      expect(injected?.source?.component).toBe("podlet-faults")
    })
  )

  it.effect("exit 0 under restartPolicy Never completes the pod", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { restartPolicy: "Never", containers: [sh("app", "sleep 3600")] }))
      yield* c.faults.containerExit({ pod: "p", container: "app" }, 0)
      yield* c.settle
      const p = yield* getPod(c, "p")
      expect(p.status?.phase).toBe("Succeeded")
      expect(app(p)?.state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" })
    })
  )

  it.effect("OOM kill: OOMKilled/137, then CrashLoopBackOff after the next one", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 3600")] }))
      yield* c.faults.containerOOM({ pod: "p", container: "app" })
      yield* c.settle
      const p = yield* getPod(c, "p")
      expect(app(p)?.lastState.terminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" })
      expect(app(p)?.restartCount).toBe(1)
      yield* c.faults.containerOOM({ pod: "p", container: "app" })
      yield* c.settle
      expect(yield* kubectl(c, "p")).toBe("0/1 CrashLoopBackOff 1 (0s ago)")
      expect(eventLines(yield* c.events("p"))).toContain(
        "Warning FaultInjected Fault injected: container app was OOM-killed (x2)"
      )
    })
  )

  it.effect("faults on missing or stopped targets fail with a FaultError", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      expect((yield* Effect.flip(c.faults.containerExit({ pod: "nope", container: "app" }, 1))).message).toBe(
        'pods "nope" not found'
      )
      yield* c.apply(pod("p", { restartPolicy: "Never", containers: [sh("app", "exit 0")] }))
      expect((yield* Effect.flip(c.faults.containerOOM({ pod: "p", container: "app" }))).message).toBe(
        "container app of pod p is not running"
      )
      expect((yield* Effect.flip(c.faults.containerOOM({ pod: "p", container: "other" }))).message).toBe(
        "container other is not valid for pod p"
      )
      expect((yield* Effect.flip(c.faults.preloadImage("n9", "busybox"))).message).toBe('nodes "n9" not found')
    })
  )

  it.effect("registry outage: pulls fail until it ends; recorded on each node", () =>
    Effect.gen(function* () {
      const c = yield* cluster([worker("n1", { images: [] })])
      yield* c.faults.registryOutage(true)
      yield* c.apply(pod("p", { containers: [{ name: "app", image: "redis:7" }] }))
      const waiting = app(yield* getPod(c, "p"))?.state.waiting
      expect(waiting?.reason).toMatch(/RegistryUnavailable|ErrImagePull|ImagePullBackOff/)
      expect(waiting?.message).toContain("registry is unavailable")
      yield* c.faults.registryOutage(false)
      yield* at(c, 10)
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
      expect(nodeFaults(eventLines(yield* eventsOf(c, "Node", "n1")))).toEqual([
        "Warning FaultInjected Fault injected: registry outage started (image pulls fail)",
        "Warning FaultCleared Fault cleared: registry outage ended"
      ])
    })
  )

  it.effect("image preload onto a node: a Never-pull pod starts there", () =>
    Effect.gen(function* () {
      const c = yield* cluster([worker("n1", { images: [] })])
      yield* c.faults.preloadImage("n1", "local/app:dev")
      yield* c.apply(
        pod("p", {
          containers: [{ name: "app", image: "local/app:dev", imagePullPolicy: "Never", command: ["sleep", "3600"] }]
        })
      )
      expect(app(yield* getPod(c, "p"))?.state.waiting?.reason).not.toBe("ErrImageNeverPull")
      expect(eventLines(yield* c.events("p"))).toContain(
        'Normal Pulled Container image "local/app:dev" already present on machine'
      )
      expect(nodeFaults(eventLines(yield* eventsOf(c, "Node", "n1")))).toEqual([
        "Warning FaultInjected Fault injected: image local/app:dev preloaded onto node n1"
      ])
    })
  )
})
