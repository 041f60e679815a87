// Spec pod-lifecycle §16.J: printer-only edge cases of `kubectl get pods` (K-print printPod on given statuses).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ContainerStatus, Pod, PodStatus } from "../../src/api/Pod.js"
import { printPod } from "../../src/domain/DisplayStatus.js"
import { toRfc3339 } from "../../src/domain/Time.js"

const now = Date.parse("2025-01-01T12:00:00Z")
const ago = (seconds: number) => toRfc3339(now - seconds * 1000)

const status = (name: string, partial: Partial<ContainerStatus>): ContainerStatus => ({
  name,
  state: {},
  lastState: {},
  ready: false,
  restartCount: 0,
  image: "busybox:1.36",
  imageID: "",
  ...partial
})

const podWith = (spec: Partial<Pod["spec"]>, st: PodStatus): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", creationTimestamp: ago(20_000) },
  spec: { containers: [{ name: "app", image: "busybox:1.36" }], ...spec },
  status: { phase: "Running", ...st }
})

const columns = (p: Pod) => {
  const r = printPod(p, now)
  return `${r.ready} ${r.status} ${r.restarts}`
}

describe("§16.J printer edge cases", () => {
  it.effect("J1 RESTARTS shows the age of the newest lastState finish", () =>
    Effect.sync(() => {
      const restarted = (seconds: number) =>
        podWith(
          {},
          {
            containerStatuses: [
              status("app", {
                restartCount: 3,
                ready: true,
                state: { running: { startedAt: ago(seconds - 1) } },
                lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(seconds) } }
              })
            ]
          }
        )
      expect([95, 125, 600, 12_600].map((s) => printPod(restarted(s), now).restarts)).toEqual([
        "3 (95s ago)",
        "3 (2m5s ago)",
        "3 (10m ago)",
        "3 (3h30m ago)"
      ])
      const fresh = podWith({}, { containerStatuses: [status("app", { ready: true, state: { running: {} } })] })
      expect(printPod(fresh, now).restarts).toBe("0")
    })
  )

  it.effect("J2 terminated without a reason: ExitCode:N, Signal:N, Init:ExitCode:N", () =>
    Effect.sync(() => {
      const exit = podWith(
        {},
        { containerStatuses: [status("app", { state: { terminated: { reason: "", exitCode: 2 } } })] }
      )
      const signal = podWith(
        {},
        { containerStatuses: [status("app", { state: { terminated: { reason: "", exitCode: 0, signal: 9 } } })] }
      )
      const init = podWith(
        { initContainers: [{ name: "init", image: "busybox:1.36" }] },
        {
          phase: "Pending",
          initContainerStatuses: [status("init", { state: { terminated: { reason: "", exitCode: 2 } } })],
          containerStatuses: [status("app", { state: { waiting: { reason: "PodInitializing" } } })]
        }
      )
      expect([columns(exit), columns(signal), columns(init)]).toEqual([
        "0/1 ExitCode:2 0",
        "0/1 Signal:9 0",
        "0/1 Init:ExitCode:2 0"
      ])
    })
  )

  it.effect("J3 the alphabetically first container with a reason decides STATUS", () =>
    Effect.sync(() => {
      const p = podWith(
        {
          containers: [
            { name: "z", image: "busybox:1.36" },
            { name: "a", image: "busybox:1.36" }
          ]
        },
        {
          containerStatuses: [
            status("a", { state: { waiting: { reason: "ImagePullBackOff" } } }),
            status("z", { state: { waiting: { reason: "CrashLoopBackOff" } } })
          ]
        }
      )
      expect(columns(p)).toBe("0/2 ImagePullBackOff 0")
    })
  )

  it.effect("J4 two init containers, the first done: Init:1/2", () =>
    Effect.sync(() => {
      const p = podWith(
        {
          initContainers: [
            { name: "i1", image: "busybox:1.36" },
            { name: "i2", image: "busybox:1.36" }
          ]
        },
        {
          phase: "Pending",
          initContainerStatuses: [
            status("i1", { ready: true, state: { terminated: { exitCode: 0, reason: "Completed" } } }),
            status("i2", { state: { waiting: { reason: "PodInitializing" } } })
          ],
          containerStatuses: [status("app", { state: { waiting: { reason: "PodInitializing" } } })]
        }
      )
      expect(columns(p)).toBe("0/1 Init:1/2 0")
    })
  )

  it.effect("J5 a started ready sidecar, then a running regular init container: 1/2 Init:1/2", () =>
    Effect.sync(() => {
      const p = podWith(
        {
          initContainers: [
            { name: "proxy", image: "busybox:1.36", restartPolicy: "Always" },
            { name: "migrate", image: "busybox:1.36" }
          ]
        },
        {
          phase: "Pending",
          initContainerStatuses: [
            status("proxy", { started: true, ready: true, state: { running: {} } }),
            status("migrate", { state: { running: {} } })
          ],
          containerStatuses: [status("app", { state: { waiting: { reason: "PodInitializing" } } })]
        }
      )
      const r = printPod(p, now)
      expect([r.ready, r.status]).toEqual(["1/2", "Init:1/2"])
    })
  )
})
