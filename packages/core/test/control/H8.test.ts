// Spec §16.H H8: activeDeadlineSeconds (the kubelet's active deadline handler), here on a scheduled pod:
// at t=60 phase Failed / DeadlineExceeded, the app killed (T(Error,143)), kubectl `0/1 Error 0`, no restart.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { at, cluster, eventLines, eventsOf, getPod, kubectl, pod, sh } from "./support.js"

describe("§16.H H8 activeDeadlineSeconds", () => {
  it.effect("H8 activeDeadlineSeconds 60: Failed/DeadlineExceeded at 60, app T(Error,143), 0/1 Error 0", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* c.apply(
        pod("p", { activeDeadlineSeconds: 60, containers: [sh("app", "trap 'exit 143' TERM; sleep 100000 & wait")] })
      )
      expect((yield* getPod(c, "p")).spec.nodeName).toBe("n1")
      yield* at(c, 59)
      expect(yield* kubectl(c, "p")).toBe("1/1 Running 0")
      yield* at(c, 60)
      const p = yield* getPod(c, "p")
      expect([p.status?.phase, p.status?.reason, p.status?.message]).toEqual([
        "Failed",
        "DeadlineExceeded",
        "Pod was active on the node longer than the specified deadline"
      ])
      expect(p.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ reason: "Error", exitCode: 143 })
      expect(yield* kubectl(c, "p")).toBe("0/1 Error 0")
      expect(eventLines(yield* eventsOf(c, "Pod", "p"))).toContain("Normal Killing Stopping container app")
      yield* at(c, 400)
      expect((yield* getPod(c, "p")).status?.containerStatuses?.[0]?.restartCount).toBe(0)
    })
  )
})
