import { describe, expect, it } from "@effect/vitest"
import type { Container, ContainerStatus, Pod, PodStatus } from "../../src/api/Pod.js"
import { containerHash } from "../../src/domain/Backoff.js"
import { buildContainerStatuses, emptyReasonCache, type ReasonCache } from "../../src/domain/ContainerStatuses.js"
import { noProbeResults, type ProbeResults } from "../../src/domain/Probe.js"
import type { ContainerInstance, RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { at, c, iso, makePod, sidecar } from "./fixtures.js"

const sandbox = { id: "s1", state: "ready", attempt: 0, createdAt: at(0) } as const

/** An instance created at `created` (s), started at `started`, optionally exited at `finished` with `exit`. */
const inst = (
  container: Container,
  rc: number,
  times: { created: number; started?: number; finished?: number; exit?: number; reason?: string; unknown?: boolean }
): ContainerInstance => ({
  id: `containerd://${container.name}-${rc}`,
  name: container.name,
  sandboxId: "s1",
  state: times.unknown
    ? "unknown"
    : times.finished !== undefined
      ? "exited"
      : times.started !== undefined
        ? "running"
        : "created",
  hash: containerHash(container),
  restartCount: rc,
  image: container.image ?? "",
  imageID: `sha256:${container.name}`,
  createdAt: at(times.created),
  ...(times.started !== undefined ? { startedAt: at(times.started) } : {}),
  ...(times.finished !== undefined
    ? {
        finishedAt: at(times.finished),
        exitCode: times.exit ?? 0,
        reason: times.reason ?? (times.exit ? "Error" : "Completed")
      }
    : {})
})

const build = (
  pod: Pod,
  containers: Array<ContainerInstance>,
  opts: { reasons?: ReasonCache; probes?: ProbeResults; previous?: PodStatus; noSandbox?: boolean } = {}
) => {
  const snapshot: RuntimeSnapshot = opts.noSandbox ? { containers } : { sandbox, containers }
  return buildContainerStatuses({
    pod,
    snapshot,
    reasons: opts.reasons ?? emptyReasonCache,
    probes: opts.probes ?? noProbeResults,
    ...(opts.previous ? { previous: opts.previous } : {})
  })
}

const app = c("app")
const initA = c("init-a")
const initB = c("init-b")
const proxy = sidecar("proxy")

const waiting = (name: string, reason: string, image = "busybox:1.36"): ContainerStatus => ({
  name,
  image,
  imageID: "",
  state: { waiting: { reason } },
  lastState: {},
  ready: false,
  started: false,
  restartCount: 0
})

describe("buildContainerStatuses", () => {
  it("A1 before runtime data: ContainerCreating", () => {
    expect(build(makePod({}), [], { noSandbox: true })).toEqual({
      initContainerStatuses: [],
      containerStatuses: [waiting("app", "ContainerCreating")]
    })
  })

  it("C1 at t=0: init-a running, init-b and app PodInitializing", () => {
    const pod = makePod({ initContainers: [initA, initB] })
    const { initContainerStatuses, containerStatuses } = build(pod, [inst(initA, 0, { created: 0, started: 0 })])
    expect(initContainerStatuses).toEqual([
      {
        name: "init-a",
        image: "busybox:1.36",
        imageID: "sha256:init-a",
        containerID: "containerd://init-a-0",
        state: { running: { startedAt: iso(0) } },
        lastState: {},
        ready: false,
        started: true,
        restartCount: 0
      },
      waiting("init-b", "PodInitializing")
    ])
    expect(containerStatuses).toEqual([waiting("app", "PodInitializing")])
  })

  it("C1 at t=5: a finished regular init container is ready, not started", () => {
    const pod = makePod({ initContainers: [initA, initB] })
    const [a] = build(pod, [
      inst(initA, 0, { created: 0, started: 0, finished: 5 }),
      inst(initB, 0, { created: 5, started: 5 })
    ]).initContainerStatuses
    expect(a).toMatchObject({
      state: { terminated: { exitCode: 0, reason: "Completed" } },
      ready: true,
      started: false
    })
  })

  it("§18 A5 at t=15: CrashLoopBackOff with the previous instance as lastState", () => {
    const message = "back-off 10s restarting failed container=app pod=p_default(U)"
    const { containerStatuses } = build(
      makePod({}),
      [
        inst(app, 0, { created: 0, started: 0, finished: 5, exit: 1 }),
        inst(app, 1, { created: 5, started: 5, finished: 10, exit: 1 })
      ],
      { reasons: new Map([["app", { reason: "CrashLoopBackOff", message }]]) }
    )
    expect(containerStatuses).toEqual([
      {
        name: "app",
        image: "busybox:1.36",
        imageID: "sha256:app",
        containerID: "containerd://app-1",
        state: { waiting: { reason: "CrashLoopBackOff", message } },
        lastState: {
          terminated: {
            exitCode: 1,
            reason: "Error",
            startedAt: iso(5),
            finishedAt: iso(10),
            containerID: "containerd://app-1"
          }
        },
        ready: false,
        started: false,
        restartCount: 1
      }
    ])
  })

  it("A5 at t=5: restarted instance runs, lastState is the crash", () => {
    const { containerStatuses } = build(makePod({}), [
      inst(app, 0, { created: 0, started: 0, finished: 5, exit: 1 }),
      inst(app, 1, { created: 5, started: 5 })
    ])
    expect(containerStatuses[0]).toMatchObject({
      state: { running: { startedAt: iso(5) } },
      lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: iso(5) } },
      restartCount: 1,
      ready: true,
      started: true
    })
  })

  it("A2 under Never: terminated, no reason-cache overlay", () => {
    const { containerStatuses } = build(
      makePod({ restartPolicy: "Never" }),
      [inst(app, 0, { created: 0, started: 0, finished: 10 })],
      {
        reasons: new Map([["app", { reason: "Stale", message: "" }]])
      }
    )
    expect(containerStatuses[0]).toMatchObject({
      state: { terminated: { exitCode: 0, reason: "Completed" } },
      ready: false,
      started: false,
      restartCount: 0
    })
  })

  it("E2 pull failing: the reason cache shows ErrImagePull", () => {
    const pod = makePod({ containers: [c("app", { image: "example.com/missing:1.0" })] })
    const { containerStatuses } = build(pod, [], {
      reasons: new Map([["app", { reason: "ErrImagePull", message: "not found" }]])
    })
    expect(containerStatuses[0]!.state).toEqual({ waiting: { reason: "ErrImagePull", message: "not found" } })
    expect(containerStatuses[0]!.image).toBe("example.com/missing:1.0")
  })

  it("E6 StartError without a start time prints the zero Unix time", () => {
    const failed = { ...inst(app, 0, { created: 0, finished: 0, exit: 128, reason: "StartError" }) }
    const { containerStatuses } = build(makePod({ restartPolicy: "Never" }), [failed])
    expect(containerStatuses[0]!.state.terminated).toEqual({
      exitCode: 128,
      reason: "StartError",
      startedAt: "1970-01-01T00:00:00Z",
      finishedAt: iso(0),
      containerID: "containerd://app-0"
    })
  })

  it("C2: failed init under Never stays terminated, later entries PodInitializing", () => {
    const pod = makePod({ restartPolicy: "Never", initContainers: [initA, initB] })
    const { initContainerStatuses, containerStatuses } = build(pod, [
      inst(initA, 0, { created: 0, started: 0, finished: 5, exit: 1 })
    ])
    expect(initContainerStatuses.map((s) => [s.name, s.state, s.ready])).toEqual([
      [
        "init-a",
        {
          terminated: {
            exitCode: 1,
            reason: "Error",
            startedAt: iso(0),
            finishedAt: iso(5),
            containerID: "containerd://init-a-0"
          }
        },
        false
      ],
      ["init-b", { waiting: { reason: "PodInitializing" } }, false]
    ])
    expect(containerStatuses[0]!.state).toEqual({ waiting: { reason: "PodInitializing" } })
  })

  it("C3: failed init under Always shows Init CrashLoopBackOff from the cache", () => {
    const pod = makePod({ initContainers: [initA, initB] })
    const { initContainerStatuses } = build(pod, [inst(initA, 0, { created: 0, started: 0, finished: 5, exit: 1 })], {
      reasons: new Map([["init-a", { reason: "CrashLoopBackOff", message: "m" }]])
    })
    expect(initContainerStatuses[0]).toMatchObject({
      state: { waiting: { reason: "CrashLoopBackOff", message: "m" } },
      lastState: { terminated: { exitCode: 1 } }
    })
  })

  it("a completed init container ignores stale reasons", () => {
    const pod = makePod({ initContainers: [initA] })
    const { initContainerStatuses } = build(pod, [inst(initA, 0, { created: 0, started: 0, finished: 5 })], {
      reasons: new Map([["init-a", { reason: "CrashLoopBackOff", message: "m" }]])
    })
    expect(initContainerStatuses[0]!.state.terminated?.reason).toBe("Completed")
  })

  it.each<[string, Container, ProbeResults, { started: boolean; ready: boolean }]>([
    [
      "F1 readiness not yet published",
      c("app", { readinessProbe: { httpGet: { port: 80 } } }),
      noProbeResults,
      { started: true, ready: false }
    ],
    [
      "F1 readiness Success",
      c("app", { readinessProbe: { httpGet: { port: 80 } } }),
      new Map([["containerd://app-0", { readiness: "Success" }]]),
      { started: true, ready: true }
    ],
    [
      "F2 readiness Failure",
      c("app", { readinessProbe: { httpGet: { port: 80 } } }),
      new Map([["containerd://app-0", { readiness: "Failure" }]]),
      { started: true, ready: false }
    ],
    [
      "F4 startup probe not run yet",
      c("app", { startupProbe: { exec: {} } }),
      noProbeResults,
      { started: false, ready: false }
    ],
    [
      "F4 startup Unknown",
      c("app", { startupProbe: { exec: {} } }),
      new Map([["containerd://app-0", { startup: "Unknown" }]]),
      { started: false, ready: false }
    ],
    [
      "startup Success",
      c("app", { startupProbe: { exec: {} } }),
      new Map([["containerd://app-0", { startup: "Success" }]]),
      { started: true, ready: true }
    ],
    ["no probes", c("app"), noProbeResults, { started: true, ready: true }]
  ])("%s", (_name, container, probes, expected) => {
    const { containerStatuses } = build(
      makePod({ containers: [container] }),
      [inst(container, 0, { created: 0, started: 0 })],
      { probes }
    )
    expect({ started: containerStatuses[0]!.started, ready: containerStatuses[0]!.ready }).toEqual(expected)
  })

  it("D2: a sidecar waiting for its startup probe is neither started nor ready", () => {
    const probed = sidecar("proxy", { startupProbe: { exec: {} } })
    const pod = makePod({ initContainers: [probed] })
    const { initContainerStatuses } = build(pod, [inst(probed, 0, { created: 0, started: 0 })], {
      probes: new Map([["containerd://proxy-0", { startup: "Unknown" }]])
    })
    expect(initContainerStatuses[0]).toMatchObject({ started: false, ready: false })
  })

  it("D1: a running sidecar is started and ready", () => {
    const pod = makePod({ initContainers: [proxy] })
    const { initContainerStatuses } = build(pod, [
      inst(proxy, 0, { created: 0, started: 0 }),
      inst(app, 0, { created: 0, started: 0 })
    ])
    expect(initContainerStatuses[0]).toMatchObject({ started: true, ready: true })
  })

  it("app statuses are sorted by name, init statuses kept in spec order", () => {
    const pod = makePod({ containers: [c("z"), c("a")], initContainers: [c("i2"), c("i1")] })
    const { initContainerStatuses, containerStatuses } = build(pod, [])
    expect(containerStatuses.map((s) => s.name)).toEqual(["a", "z"])
    expect(initContainerStatuses.map((s) => s.name)).toEqual(["i2", "i1"])
  })

  it("a running container that vanished shows ContainerStatusUnknown as lastState and counts a restart", () => {
    const previous: PodStatus = {
      containerStatuses: [{ ...waiting("app", ""), state: { running: { startedAt: iso(0) } }, restartCount: 2 }]
    }
    const { containerStatuses } = build(makePod({}), [], { previous })
    expect(containerStatuses[0]).toMatchObject({
      state: { waiting: { reason: "ContainerCreating" } },
      lastState: {
        terminated: {
          exitCode: 137,
          reason: "ContainerStatusUnknown",
          message: "The container could not be located when the pod was deleted.  The container used to be Running"
        }
      },
      restartCount: 3
    })
    const deleting = makePod({}, { deletionTimestamp: iso(30) })
    expect(build(deleting, [], { previous }).containerStatuses[0]!.restartCount).toBe(2)
  })

  it("an unknown instance that was running is terminated ContainerStatusUnknown", () => {
    const previous: PodStatus = {
      containerStatuses: [{ ...waiting("app", ""), state: { running: { startedAt: iso(0) } }, restartCount: 0 }]
    }
    const { containerStatuses } = build(
      makePod({ restartPolicy: "Never" }),
      [inst(app, 0, { created: 0, unknown: true })],
      { previous }
    )
    expect(containerStatuses[0]).toMatchObject({
      state: {
        terminated: {
          exitCode: 137,
          reason: "ContainerStatusUnknown",
          message: "The container could not be located when the pod was terminated"
        }
      },
      restartCount: 1
    })
  })

  it("a terminated previous status is kept when the runtime forgot the container", () => {
    const previous: PodStatus = {
      containerStatuses: [{ ...waiting("app", ""), state: { terminated: { exitCode: 0, reason: "Completed" } } }]
    }
    const { containerStatuses } = build(makePod({ restartPolicy: "Never" }), [], { previous })
    expect(containerStatuses[0]!.state).toEqual({ terminated: { exitCode: 0, reason: "Completed" } })
  })
})
