import { describe, expect, it } from "vitest"
import { explain, formatTransition, transitions } from "../src/Transitions.js"
import { podOf, t0 } from "./fixtures.js"

const running = podOf("web-0", [
  { name: "app", ready: true, started: true, state: { running: { startedAt: "2025-01-01T00:00:00Z" } } }
])
const crashed = podOf("web-0", [
  {
    name: "app",
    restartCount: 1,
    state: {
      waiting: {
        reason: "CrashLoopBackOff",
        message: "back-off 10s restarting failed container=app pod=web-0_default(uid-web-0)"
      }
    },
    lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: "2025-01-01T00:00:12Z" } }
  }
])

describe("transitions", () => {
  it("reports a new pod, a status change with its cause, and a deleted pod", () => {
    expect(transitions(new Map(), [running], 0, t0)).toEqual([
      { t: 0, pod: "web-0", from: "-", to: "Running", detail: "app started" }
    ])
    const [change] = transitions(new Map([["default/web-0", running]]), [crashed], 12, t0 + 12_000)
    expect(change).toEqual({
      t: 12,
      pod: "web-0",
      from: "Running",
      to: "CrashLoopBackOff",
      detail: "app exited 1, back-off 10s"
    })
    expect(formatTransition(change!)).toBe("+12s  web-0  Running -> CrashLoopBackOff  app exited 1, back-off 10s")
    expect(transitions(new Map([["default/web-0", crashed]]), [], 20, t0 + 20_000)).toEqual([
      { t: 20, pod: "web-0", from: "CrashLoopBackOff", to: "deleted", detail: "" }
    ])
  })

  it("says nothing when the STATUS column did not change", () => {
    expect(transitions(new Map([["default/web-0", running]]), [running], 5, t0 + 5_000)).toEqual([])
  })

  it("explains OOM kills and image errors", () => {
    const oom = podOf("m", [
      {
        name: "stress",
        state: { terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: "2025-01-01T00:00:03Z" } }
      }
    ])
    expect(explain(undefined, oom)).toBe("stress was OOMKilled")
    const pull = podOf("i", [{ name: "app", state: { waiting: { reason: "ErrImagePull", message: "not found" } } }])
    expect(explain(undefined, pull)).toBe("app ErrImagePull: not found")
  })
})
