import { describe, expect, it } from "@effect/vitest"
import type { Pod } from "../../src/api/Pod.js"
import {
  initialWorkerState,
  observeProbeTarget,
  type ProbeObservation,
  type ProbeSettings,
  type ProbeType,
  type ProbeWorkerState,
  type PublishedResult,
  probeEffects,
  probeSettings,
  recordOutcome,
  tick,
  unhealthyEvent
} from "../../src/domain/Probe.js"
import { at, c, iso, makePod, R, sidecar, status, T, W } from "./fixtures.js"

const defaults = probeSettings({ exec: { command: ["true"] } })

type ObservationPatch = Omit<Partial<ProbeObservation>, "phase" | "container"> & {
  readonly phase?: ProbeObservation["phase"] | undefined
  readonly container?: ProbeObservation["container"] | undefined
}
const obs = (over: ObservationPatch = {}): ProbeObservation => {
  const merged = {
    phase: "Running",
    deleting: false,
    restartPolicy: "Always",
    container: { containerID: "c1", runningSince: at(0), terminated: false, started: true },
    ...over
  } as const
  const { phase, container, ...rest } = merged
  return { ...rest, ...(phase !== undefined ? { phase } : {}), ...(container !== undefined ? { container } : {}) }
}

const following: ProbeWorkerState = { ...initialWorkerState, containerID: "c1" }

/**
 * RTM-7 driver: ticks at `start + initialDelay + n·period` for each instance (up to and including the next
 * instance's start, when the old one is killed); `healthy(t, start)` gives the outcome.
 * Returns the published results that change the stored value, with their time (seconds).
 */
const run = (
  type: ProbeType,
  settings: ProbeSettings,
  healthy: (t: number, start: number) => boolean,
  until: number,
  opts: { started?: (t: number) => boolean; instances?: ReadonlyArray<[string, number]> } = {}
) => {
  const instances = opts.instances ?? [["c1", 0]]
  let state = initialWorkerState
  const published: Array<[number, PublishedResult]> = []
  const stored = new Map<string, string>()
  const store = (t: number, p: PublishedResult) => {
    if (stored.get(p.containerID) !== p.result) published.push([t, p])
    stored.set(p.containerID, p.result)
  }
  for (const [index, [id, start]] of instances.entries()) {
    const end = instances[index + 1]?.[1] ?? until
    for (
      let t = start + settings.initialDelaySeconds;
      index + 1 < instances.length ? t <= end : t < end;
      t += settings.periodSeconds
    ) {
      const step = tick(
        type,
        settings,
        state,
        obs({
          container: { containerID: id, runningSince: at(start), terminated: false, started: opts.started?.(t) ?? true }
        }),
        at(t)
      )
      state = step.state
      for (const p of step.publish) store(t, p)
      if (step.action !== "Probe") continue
      const outcome = recordOutcome(type, settings, state, healthy(t, start) ? "Success" : "Failure")
      state = outcome.state
      if (outcome.publish) store(t, outcome.publish)
    }
  }
  return published
}

describe("probeSettings", () => {
  it("applies §8.1 defaults", () => {
    expect(defaults).toEqual({
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3
    })
    expect(probeSettings({ periodSeconds: 5, failureThreshold: 10 }).failureThreshold).toBe(10)
  })
})

describe("tick", () => {
  it.each<[string, ProbeType, ProbeWorkerState, ProbeObservation, number, string, ReadonlyArray<PublishedResult>]>([
    ["no status yet", "readiness", following, obs({ phase: undefined }), 0, "Wait", []],
    ["terminal pod stops the worker", "readiness", following, obs({ phase: "Succeeded" }), 0, "Stop", []],
    ["no container id yet", "liveness", initialWorkerState, obs({ container: undefined }), 0, "Wait", []],
    [
      "new container: readiness initial Failure",
      "readiness",
      initialWorkerState,
      obs(),
      at(0),
      "Probe",
      [{ containerID: "c1", result: "Failure" }]
    ],
    [
      "new container: liveness initial Success",
      "liveness",
      initialWorkerState,
      obs(),
      at(0),
      "Probe",
      [{ containerID: "c1", result: "Success" }]
    ],
    [
      "new container: startup initial Unknown",
      "startup",
      initialWorkerState,
      obs({ container: { containerID: "c1", runningSince: at(0), terminated: false, started: false } }),
      at(0),
      "Probe",
      [{ containerID: "c1", result: "Unknown" }]
    ],
    ["on hold", "liveness", { ...following, onHold: true }, obs(), 0, "Wait", []],
    [
      "not running publishes Failure and waits",
      "readiness",
      following,
      obs({ container: { containerID: "c1", terminated: false, started: false } }),
      0,
      "Wait",
      [{ containerID: "c1", result: "Failure" }]
    ],
    [
      "terminated under Never stops",
      "readiness",
      following,
      obs({ restartPolicy: "Never", container: { containerID: "c1", terminated: true, started: false } }),
      0,
      "Stop",
      [{ containerID: "c1", result: "Failure" }]
    ],
    [
      "deletion: liveness quiet shutdown",
      "liveness",
      following,
      obs({ deleting: true }),
      0,
      "Stop",
      [{ containerID: "c1", result: "Success" }]
    ],
    [
      "deletion: startup quiet shutdown",
      "startup",
      following,
      obs({ deleting: true, container: { containerID: "c1", runningSince: at(0), terminated: false, started: false } }),
      0,
      "Stop",
      [{ containerID: "c1", result: "Success" }]
    ],
    ["deletion: readiness goes on", "readiness", following, obs({ deleting: true }), at(0), "Probe", []],
    ["within initialDelay", "readiness", following, obs(), at(4.9), "Wait", []],
    [
      "not started: liveness disabled",
      "liveness",
      following,
      obs({ container: { containerID: "c1", runningSince: at(0), terminated: false, started: false } }),
      at(0),
      "Wait",
      []
    ],
    ["started: startup stops probing", "startup", following, obs(), at(0), "Wait", []]
  ])("%s", (_name, type, state, observation, now, action, publish) => {
    const settings = _name === "within initialDelay" ? { ...defaults, initialDelaySeconds: 5 } : defaults
    const result = tick(type, settings, state, observation, now)
    expect(result.action).toBe(action)
    expect(result.publish).toEqual(publish)
  })

  it("a new container id releases the hold and drops the old result", () => {
    const result = tick(
      "liveness",
      defaults,
      { ...following, onHold: true },
      obs({ container: { containerID: "c2", runningSince: at(60), terminated: false, started: true } }),
      at(60)
    )
    expect(result).toEqual({
      state: { containerID: "c2", onHold: false, lastResult: "Unknown", resultRun: 0 },
      action: "Probe",
      publish: [{ containerID: "c2", result: "Success" }],
      removed: "c1"
    })
  })
})

describe("recordOutcome", () => {
  it("publishes only at the thresholds", () => {
    const settings = { ...defaults, successThreshold: 2 }
    let state = following
    const seen: Array<string | undefined> = []
    for (const r of ["Failure", "Failure", "Failure", "Failure", "Success", "Success", "Success"] as const) {
      const out = recordOutcome("readiness", settings, state, r)
      state = out.state
      seen.push(out.publish?.result)
    }
    expect(seen).toEqual([undefined, undefined, "Failure", "Failure", undefined, "Success", "Success"])
  })

  it("liveness Failure and any startup result put the worker on hold", () => {
    const live = recordOutcome("liveness", { ...defaults, failureThreshold: 1 }, following, "Failure")
    expect(live.state).toEqual({ containerID: "c1", onHold: true, lastResult: "Failure", resultRun: 0 })
    expect(recordOutcome("startup", defaults, following, "Success").state.onHold).toBe(true)
    expect(recordOutcome("liveness", defaults, following, "Success").state.onHold).toBe(false)
    expect(recordOutcome("readiness", { ...defaults, failureThreshold: 1 }, following, "Failure").state.onHold).toBe(
      false
    )
  })
})

describe("probe worker scenarios", () => {
  it("F1: readiness with initialDelay 5 publishes Success at 5", () => {
    const published = run("readiness", { ...defaults, initialDelaySeconds: 5 }, () => true, 30)
    expect(published).toEqual([
      [5, { containerID: "c1", result: "Failure" }],
      [5, { containerID: "c1", result: "Success" }]
    ])
  })

  it("F2: failing from 100 publishes Failure at 125 only, then Success on the first good probe", () => {
    const published = run("readiness", { ...defaults, initialDelaySeconds: 5 }, (t) => t < 100 || t >= 140, 150)
    expect(published.map(([t, p]) => [t, p.result])).toEqual([
      [5, "Failure"],
      [5, "Success"],
      [125, "Failure"],
      [145, "Success"]
    ])
  })

  it("F3: liveness fails at 40, 50, 60 ⇒ Failure published at 60, hold until the new container", () => {
    const published = run("liveness", defaults, (t, start) => t - start < 32, 130, {
      instances: [
        ["c1", 0],
        ["c2", 60]
      ]
    })
    expect(published.map(([t, p]) => [t, p.containerID, p.result])).toEqual([
      [0, "c1", "Success"],
      [60, "c1", "Failure"],
      [60, "c2", "Success"],
      [120, "c2", "Failure"]
    ])
  })

  it("F4: a startup probe that never succeeds publishes Failure at 20; liveness never runs before started", () => {
    const startup = run("startup", defaults, () => false, 40, { started: () => false })
    expect(startup.map(([t, p]) => [t, p.result])).toEqual([
      [0, "Unknown"],
      [20, "Failure"]
    ])
    const liveness = run("liveness", defaults, () => false, 40, { started: () => false })
    expect(liveness.map(([t, p]) => [t, p.result])).toEqual([[0, "Success"]])
  })

  it("D2: sidecar startupProbe period 5 failing at 0, 5 and succeeding at 10", () => {
    const settings = probeSettings({ periodSeconds: 5, failureThreshold: 10 })
    const published = run("startup", settings, (t) => t >= 10, 20, { started: (t) => t > 10 })
    expect(published.map(([t, p]) => [t, p.result])).toEqual([
      [0, "Unknown"],
      [10, "Success"]
    ])
  })
})

describe("observeProbeTarget", () => {
  it("reads app then init statuses with a container id", () => {
    const pod: Pod = {
      ...makePod({ initContainers: [sidecar("proxy")] }),
      status: {
        phase: "Running",
        initContainerStatuses: [status("proxy", R(3), { started: true })],
        containerStatuses: [status("app", W("PodInitializing"))]
      }
    }
    expect(observeProbeTarget(pod, "proxy")).toEqual({
      phase: "Running",
      deleting: false,
      restartPolicy: "Always",
      container: { containerID: "containerd://proxy", runningSince: at(3), terminated: false, started: true }
    })
    expect(observeProbeTarget(pod, "app")).toEqual({ phase: "Running", deleting: false, restartPolicy: "Always" })
  })

  it("sees termination and deletion", () => {
    const pod: Pod = {
      ...makePod({ restartPolicy: "Never" }, { deletionTimestamp: iso(30) }),
      status: { phase: "Running", containerStatuses: [status("app", T("Error", 143, 10))] }
    }
    expect(observeProbeTarget(pod, "app")).toEqual({
      phase: "Running",
      deleting: true,
      restartPolicy: "Never",
      container: { containerID: "containerd://app", terminated: true, started: false }
    })
  })
})

describe("probeEffects", () => {
  const always = makePod({ restartPolicy: "Always" })
  const never = makePod({ restartPolicy: "Never" })
  it.each([
    ["readiness Success", "readiness", "Success", always, c("app"), { sync: true, ready: true }],
    ["readiness Failure", "readiness", "Failure", always, c("app"), { sync: true, ready: false }],
    ["startup Success", "startup", "Success", always, c("app"), { sync: true, started: true }],
    [
      "startup Failure",
      "startup",
      "Failure",
      always,
      c("app"),
      { sync: true, started: false, kill: { restart: true } }
    ],
    ["liveness Success", "liveness", "Success", always, c("app"), { sync: false }],
    ["liveness Failure, Always", "liveness", "Failure", always, c("app"), { sync: true, kill: { restart: true } }],
    ["F5 liveness Failure, Never", "liveness", "Failure", never, c("app"), { sync: true, kill: { restart: false } }],
    [
      "sidecar liveness Failure, Never",
      "liveness",
      "Failure",
      never,
      sidecar("proxy"),
      { sync: true, kill: { restart: true } }
    ]
  ] as const)("%s", (_name, type, result, pod, container, expected) => {
    expect(probeEffects(type, result, pod, container)).toEqual(expected)
  })

  it("Unhealthy event", () => {
    expect(unhealthyEvent("readiness", "HTTP probe failed with statuscode: 500")).toEqual({
      type: "Warning",
      reason: "Unhealthy",
      message: "Readiness probe failed: HTTP probe failed with statuscode: 500"
    })
  })
})
