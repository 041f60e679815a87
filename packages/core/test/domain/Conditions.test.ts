import { describe, expect, it } from "@effect/vitest"
import type { ContainerStatus, Pod, PodCondition, PodPhase } from "../../src/api/Pod.js"
import {
  type ConditionValue,
  containersReadyCondition,
  generateConditions,
  goStringSlice,
  podInitializedCondition,
  podReadyCondition,
  podReadyToStartContainersCondition
} from "../../src/domain/Conditions.js"
import type { RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { at, c, iso, makePod, R, sidecar, status, T, W } from "./fixtures.js"

const readySandbox: RuntimeSnapshot = {
  sandbox: { id: "s1", state: "ready", attempt: 0, createdAt: 0 },
  containers: []
}
const stoppedSandbox: RuntimeSnapshot = {
  sandbox: { id: "s1", state: "notready", attempt: 0, createdAt: 0 },
  containers: []
}

const one = makePod({})
const two = makePod({ containers: [c("a"), c("b")] })
const inits = makePod({ initContainers: [c("init-a"), c("init-b")] })
const proxied = makePod({ initContainers: [sidecar("proxy")] })
const gated = makePod({ readinessGates: [{ conditionType: "example.com/lb" }] })

const F = (type: string, reason: string, message?: string): ConditionValue => ({
  type,
  status: "False",
  reason,
  ...(message ? { message } : {})
})
const Tc = (type: string, reason?: string): ConditionValue => ({ type, status: "True", ...(reason ? { reason } : {}) })

describe("goStringSlice", () => {
  it("formats like Go", () => {
    expect(goStringSlice(["a", "b"])).toBe("[a b]")
    expect(goStringSlice([])).toBe("[]")
  })
})

describe("containersReadyCondition", () => {
  it.each<[string, Pod, ReadonlyArray<ContainerStatus>, PodPhase, ConditionValue]>([
    ["A1 running and ready", one, [status("app", R(), { ready: true })], "Running", Tc("ContainersReady")],
    [
      "A5 crash loop",
      one,
      [status("app", W("CrashLoopBackOff"), { last: T("Error", 1) })],
      "Running",
      F("ContainersReady", "ContainersNotReady", "containers with unready status: [app]")
    ],
    ["A2 Succeeded", one, [status("app", T("Completed", 0))], "Succeeded", F("ContainersReady", "PodCompleted")],
    ["A4 Failed", one, [status("app", T("Error", 1))], "Failed", F("ContainersReady", "PodFailed")],
    [
      "B1 [a] unready",
      two,
      [status("a", T("Error", 1)), status("b", R(), { ready: true })],
      "Running",
      F("ContainersReady", "ContainersNotReady", "containers with unready status: [a]")
    ],
    [
      "unknown first, then unready",
      two,
      [status("b", R())],
      "Pending",
      F(
        "ContainersReady",
        "ContainersNotReady",
        "containers with unknown status: [a], containers with unready status: [b]"
      )
    ],
    [
      "Succeeded with unknown containers is not PodCompleted",
      two,
      [status("b", T("Completed", 0))],
      "Succeeded",
      F(
        "ContainersReady",
        "ContainersNotReady",
        "containers with unknown status: [a], containers with unready status: [b]"
      )
    ],
    [
      "D4 sidecar unready counts",
      proxied,
      [status("proxy", W("CrashLoopBackOff"), { last: T("Error", 1) }), status("app", R(), { ready: true })],
      "Running",
      F("ContainersReady", "ContainersNotReady", "containers with unready status: [proxy]")
    ],
    [
      "regular init containers do not count",
      inits,
      [
        status("init-a", T("Completed", 0), { ready: true }),
        status("init-b", T("Completed", 0), { ready: true }),
        status("app", R(), { ready: true })
      ],
      "Running",
      Tc("ContainersReady")
    ]
  ])("%s", (_name, pod, statuses, phase, expected) => {
    expect(containersReadyCondition(pod, statuses, phase)).toEqual(expected)
  })
})

describe("podReadyCondition", () => {
  const ready = [status("app", R(), { ready: true })]
  it.each<
    [
      string,
      Pod,
      ReadonlyArray<{ type: string; status: string }>,
      ReadonlyArray<ContainerStatus>,
      PodPhase,
      ConditionValue
    ]
  >([
    ["no gates", one, [], ready, "Running", Tc("Ready")],
    [
      "mirrors ContainersReady",
      one,
      [],
      [status("app", R())],
      "Running",
      F("Ready", "ContainersNotReady", "containers with unready status: [app]")
    ],
    ["mirrors PodFailed", one, [], [status("app", T("Error", 1))], "Failed", F("Ready", "PodFailed")],
    [
      "F6 gate condition missing",
      gated,
      [],
      ready,
      "Running",
      F(
        "Ready",
        "ReadinessGatesNotReady",
        'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
      )
    ],
    [
      "F6 gate False",
      gated,
      [{ type: "example.com/lb", status: "False" }],
      ready,
      "Running",
      F("Ready", "ReadinessGatesNotReady", 'the status of pod readiness gate "example.com/lb" is not "True", but False')
    ],
    ["F6 gate True", gated, [{ type: "example.com/lb", status: "True" }], ready, "Running", Tc("Ready")]
  ])("%s", (_name, pod, conditions, statuses, phase, expected) => {
    expect(podReadyCondition(pod, conditions, statuses, phase)).toEqual(expected)
  })
})

describe("podInitializedCondition", () => {
  it.each<[string, Pod, ReadonlyArray<ContainerStatus>, PodPhase, ConditionValue]>([
    ["no init containers", one, [status("app", W("ContainerCreating"))], "Pending", Tc("Initialized")],
    [
      "C1 t<5",
      inits,
      [status("init-a", R()), status("init-b", W("PodInitializing")), status("app", W("PodInitializing"))],
      "Pending",
      F("Initialized", "ContainersNotInitialized", "containers with incomplete status: [init-a init-b]")
    ],
    [
      "C1 t∈[5,10)",
      inits,
      [
        status("init-a", T("Completed", 0), { ready: true }),
        status("init-b", R()),
        status("app", W("PodInitializing"))
      ],
      "Pending",
      F("Initialized", "ContainersNotInitialized", "containers with incomplete status: [init-b]")
    ],
    [
      "C1 done",
      inits,
      [
        status("init-a", T("Completed", 0), { ready: true }),
        status("init-b", T("Completed", 0), { ready: true }),
        status("app", W("PodInitializing"))
      ],
      "Pending",
      Tc("Initialized")
    ],
    [
      "C2 (§18)",
      inits,
      [status("init-a", T("Error", 1)), status("init-b", W("PodInitializing")), status("app", W("PodInitializing"))],
      "Failed",
      F("Initialized", "ContainersNotInitialized", "containers with incomplete status: [init-a init-b]")
    ],
    [
      "unknown init status",
      inits,
      [status("init-b", W("PodInitializing"))],
      "Pending",
      F(
        "Initialized",
        "ContainersNotInitialized",
        "containers with unknown status: [init-a], containers with incomplete status: [init-b]"
      )
    ],
    [
      "D2 sidecar not started",
      proxied,
      [status("proxy", R(), { started: false }), status("app", W("PodInitializing"))],
      "Pending",
      F("Initialized", "ContainersNotInitialized", "containers with incomplete status: [proxy]")
    ],
    [
      "D4 restarting sidecar after the app ran",
      proxied,
      [status("proxy", W("CrashLoopBackOff"), { last: T("Error", 1) }), status("app", R())],
      "Running",
      Tc("Initialized")
    ],
    ["A2 Succeeded", one, [status("app", T("Completed", 0))], "Succeeded", Tc("Initialized", "PodCompleted")],
    [
      "D3 Succeeded with a sidecar",
      proxied,
      [status("proxy", T("Error", 143)), status("app", T("Completed", 0))],
      "Succeeded",
      Tc("Initialized", "PodCompleted")
    ]
  ])("%s", (_name, pod, statuses, phase, expected) => {
    expect(podInitializedCondition(pod, statuses, phase)).toEqual(expected)
  })
})

describe("podReadyToStartContainersCondition", () => {
  it("is True only with a ready sandbox", () => {
    expect(podReadyToStartContainersCondition(readySandbox).status).toBe("True")
    expect(podReadyToStartContainersCondition(stoppedSandbox).status).toBe("False")
    expect(podReadyToStartContainersCondition({ containers: [] })).toEqual({
      type: "PodReadyToStartContainers",
      status: "False"
    })
  })
})

describe("generateConditions", () => {
  const strip = (cs: ReadonlyArray<PodCondition>) =>
    cs.map(({ lastProbeTime: _p, lastTransitionTime: _t, ...rest }) => rest)

  it("§18 A5 at t=15", () => {
    const conditions = generateConditions({
      pod: one,
      snapshot: readySandbox,
      initContainerStatuses: [],
      containerStatuses: [status("app", W("CrashLoopBackOff"), { last: T("Error", 1) })],
      phase: "Running",
      now: at(15)
    })
    expect(strip(conditions)).toEqual([
      { type: "PodReadyToStartContainers", status: "True" },
      { type: "Initialized", status: "True" },
      {
        type: "Ready",
        status: "False",
        reason: "ContainersNotReady",
        message: "containers with unready status: [app]"
      },
      {
        type: "ContainersReady",
        status: "False",
        reason: "ContainersNotReady",
        message: "containers with unready status: [app]"
      },
      { type: "PodScheduled", status: "True" }
    ])
    expect(conditions.every((x) => x.lastProbeTime === null && x.lastTransitionTime === iso(15))).toBe(true)
  })

  it("§18 C2 at t=6", () => {
    const conditions = generateConditions({
      pod: makePod({ restartPolicy: "Never", initContainers: [c("init-a"), c("init-b")] }),
      snapshot: stoppedSandbox,
      initContainerStatuses: [status("init-a", T("Error", 1)), status("init-b", W("PodInitializing"))],
      containerStatuses: [status("app", W("PodInitializing"))],
      phase: "Failed",
      now: at(6)
    })
    expect(strip(conditions)).toEqual([
      { type: "PodReadyToStartContainers", status: "False" },
      {
        type: "Initialized",
        status: "False",
        reason: "ContainersNotInitialized",
        message: "containers with incomplete status: [init-a init-b]"
      },
      { type: "Ready", status: "False", reason: "PodFailed" },
      { type: "ContainersReady", status: "False", reason: "PodFailed" },
      { type: "PodScheduled", status: "True" }
    ])
  })

  it("keeps lastTransitionTime while the status holds and moves it on change", () => {
    const previousConditions: Array<PodCondition> = [
      { type: "PodScheduled", status: "True", lastTransitionTime: iso(0) },
      { type: "Ready", status: "True", lastTransitionTime: iso(5) },
      { type: "ContainersReady", status: "True", lastTransitionTime: iso(5) },
      { type: "Initialized", status: "True", lastTransitionTime: iso(0) },
      { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: iso(0) }
    ]
    const conditions = generateConditions({
      pod: one,
      previous: { phase: "Running", conditions: previousConditions },
      snapshot: readySandbox,
      initContainerStatuses: [],
      containerStatuses: [status("app", R())],
      phase: "Running",
      now: at(125)
    })
    expect(Object.fromEntries(conditions.map((x) => [x.type, x.lastTransitionTime]))).toEqual({
      PodReadyToStartContainers: iso(0),
      Initialized: iso(0),
      Ready: iso(125),
      ContainersReady: iso(125),
      PodScheduled: iso(0)
    })
  })

  it("F6 preserves gate conditions and DisruptionTarget, and uses them for Ready", () => {
    const gate: PodCondition = { type: "example.com/lb", status: "True", lastTransitionTime: iso(30) }
    const disruption: PodCondition = {
      type: "DisruptionTarget",
      status: "True",
      reason: "DeletionByTaintManager",
      message: "Taint manager: deleting due to NoExecute taint"
    }
    const pod: Pod = { ...gated, status: { phase: "Running", conditions: [gate, { type: "Ready", status: "False" }] } }
    const conditions = generateConditions({
      pod,
      previous: { phase: "Running", conditions: [disruption] },
      snapshot: readySandbox,
      initContainerStatuses: [],
      containerStatuses: [status("app", R(), { ready: true })],
      phase: "Running",
      now: at(31)
    })
    expect(conditions.map((x) => [x.type, x.status])).toEqual([
      ["example.com/lb", "True"],
      ["DisruptionTarget", "True"],
      ["PodReadyToStartContainers", "True"],
      ["Initialized", "True"],
      ["Ready", "True"],
      ["ContainersReady", "True"],
      ["PodScheduled", "True"]
    ])
    expect(conditions[0]).toBe(gate)
  })
})
