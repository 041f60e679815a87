import { describe, expect, it } from "@effect/vitest"
import type { ContainerStatus, Pod, PodPhase } from "../../src/api/Pod.js"
import { getPhase, type ReconcilePhaseInput, reconcilePhase } from "../../src/domain/Phase.js"
import { c, makePod, none, R, sidecar, status, T, W } from "./fixtures.js"

const one = (restartPolicy: "Always" | "OnFailure" | "Never") => makePod({ restartPolicy })
const two = (restartPolicy: "Always" | "OnFailure" | "Never") =>
  makePod({ restartPolicy, containers: [c("a"), c("b")] })
const inits = (restartPolicy: "Always" | "OnFailure" | "Never") =>
  makePod({ restartPolicy, initContainers: [c("init-a"), c("init-b")] })
const withSidecar = (restartPolicy: "Always" | "OnFailure" | "Never") =>
  makePod({ restartPolicy, initContainers: [sidecar("proxy")] })

describe("getPhase", () => {
  it.each<[string, Pod, ReadonlyArray<ContainerStatus>, boolean, boolean, PodPhase]>([
    ["A1 no statuses yet", one("Always"), [], false, false, "Pending"],
    ["A1 running", one("Always"), [status("app", R())], false, true, "Running"],
    ["ContainerCreating", one("Always"), [status("app", W("ContainerCreating"))], false, false, "Pending"],
    ["A2 Never exit 0", one("Never"), [status("app", T("Completed", 0))], false, true, "Succeeded"],
    ["A3 OnFailure exit 0", one("OnFailure"), [status("app", T("Completed", 0))], false, true, "Succeeded"],
    ["A4 Never exit 1", one("Never"), [status("app", T("Error", 1))], false, true, "Failed"],
    ["row 1 Always exit 0 (restarting)", one("Always"), [status("app", T("Completed", 0))], false, true, "Running"],
    ["row 2 OnFailure exit 1", one("OnFailure"), [status("app", T("Error", 1))], false, true, "Running"],
    [
      "A5 CrashLoopBackOff counts as stopped",
      one("Always"),
      [status("app", W("CrashLoopBackOff"), { last: T("Error", 1) })],
      false,
      true,
      "Running"
    ],
    [
      "A6 OnFailure in CrashLoopBackOff",
      one("OnFailure"),
      [status("app", W("CrashLoopBackOff"), { last: T("Error", 1) })],
      false,
      true,
      "Running"
    ],
    [
      "consequence 5: waiting with last exit 0 is stopped, not succeeded (OnFailure ⇒ Running)",
      one("OnFailure"),
      [status("app", W("CrashLoopBackOff"), { last: T("Completed", 0) })],
      false,
      true,
      "Running"
    ],
    [
      "consequence 5 under Never ⇒ Failed",
      one("Never"),
      [status("app", W("CrashLoopBackOff"), { last: T("Completed", 0) })],
      false,
      true,
      "Failed"
    ],
    ["A11 OOMKilled Never", one("Never"), [status("app", T("OOMKilled", 137))], false, true, "Failed"],
    [
      "consequence 1: one running, one ContainerCreating ⇒ Pending",
      two("Always"),
      [status("a", R()), status("b", W("ContainerCreating"))],
      false,
      true,
      "Pending"
    ],
    [
      "B1 / row 3 Never: a failed, b runs",
      two("Never"),
      [status("a", T("Error", 1)), status("b", R())],
      false,
      true,
      "Running"
    ],
    [
      "B2 / row 3b Never: b exits 0 too",
      two("Never"),
      [status("a", T("Error", 1)), status("b", T("Completed", 0))],
      false,
      true,
      "Failed"
    ],
    [
      "B3 Never: a exit 0, b runs",
      two("Never"),
      [status("a", T("Completed", 0)), status("b", R())],
      false,
      true,
      "Running"
    ],
    [
      "B4 Never: exit 0 and exit 1",
      two("Never"),
      [status("a", T("Completed", 0)), status("b", T("Error", 1))],
      false,
      true,
      "Failed"
    ],
    [
      "B5 OnFailure both exit 0",
      two("OnFailure"),
      [status("a", T("Completed", 0)), status("b", T("Completed", 0))],
      false,
      true,
      "Succeeded"
    ],
    ["unknown app status", two("Always"), [status("a", R())], false, true, "Pending"],
    ["state with no member is unknown", one("Always"), [status("app", none)], false, true, "Pending"],
    [
      "C1 init-a running",
      inits("Always"),
      [status("init-a", R()), status("init-b", W("PodInitializing")), status("app", W("PodInitializing"))],
      false,
      false,
      "Pending"
    ],
    [
      "C1 initialised, app running",
      inits("Always"),
      [status("init-a", T("Completed", 0)), status("init-b", T("Completed", 0)), status("app", R())],
      false,
      true,
      "Running"
    ],
    [
      "C2 init-a failed, Never ⇒ Failed",
      inits("Never"),
      [status("init-a", T("Error", 1)), status("init-b", W("PodInitializing")), status("app", W("PodInitializing"))],
      false,
      false,
      "Failed"
    ],
    [
      "C3 init-a failed, Always ⇒ Pending",
      inits("Always"),
      [
        status("init-a", W("CrashLoopBackOff"), { last: T("Error", 1) }),
        status("init-b", W("PodInitializing")),
        status("app", W("PodInitializing"))
      ],
      false,
      false,
      "Pending"
    ],
    [
      "consequence 4: init in CrashLoopBackOff under Never ⇒ Failed",
      inits("Never"),
      [status("init-a", W("CrashLoopBackOff"), { last: T("Error", 1) }), status("app", W("PodInitializing"))],
      false,
      false,
      "Failed"
    ],
    [
      "D1 sidecar and app running",
      withSidecar("Always"),
      [status("proxy", R(), { started: true }), status("app", R())],
      false,
      true,
      "Running"
    ],
    [
      "D2 sidecar not started yet ⇒ Pending",
      withSidecar("Always"),
      [status("proxy", R(), { started: false }), status("app", W("PodInitializing"))],
      false,
      false,
      "Pending"
    ],
    [
      "D3 app exit 0, sidecar killed 143, Never ⇒ Succeeded (sidecar exit ignored)",
      withSidecar("Never"),
      [status("proxy", T("Error", 143)), status("app", T("Completed", 0))],
      false,
      true,
      "Succeeded"
    ],
    [
      "D4 sidecar in CrashLoopBackOff after init ⇒ Running",
      withSidecar("Always"),
      [status("proxy", W("CrashLoopBackOff"), { last: T("Error", 1) }), status("app", R())],
      false,
      true,
      "Running"
    ],
    [
      "sidecar restarting (not started) after the app started ⇒ Running",
      withSidecar("Always"),
      [status("proxy", R(), { started: false }), status("app", R())],
      false,
      true,
      "Running"
    ],
    [
      "G1 deleting, Always, exit 0 ⇒ Succeeded",
      one("Always"),
      [status("app", T("Completed", 0))],
      true,
      true,
      "Succeeded"
    ],
    ["G2 deleting, Always, 137 ⇒ Failed", one("Always"), [status("app", T("Error", 137))], true, true, "Failed"],
    [
      "G8 deleting during CLB ⇒ Failed",
      one("Always"),
      [status("app", W("CrashLoopBackOff"), { last: T("Error", 1) })],
      true,
      true,
      "Failed"
    ]
  ])("%s", (_name, pod, statuses, podIsTerminal, podHasInitialized, expected) => {
    expect(getPhase(pod, statuses, podIsTerminal, podHasInitialized)).toBe(expected)
  })

  it("a static pod is not forced terminal", () => {
    const pod = makePod({ restartPolicy: "Always" }, { annotations: { "kubernetes.io/config.source": "file" } })
    expect(getPhase(pod, [status("app", T("Completed", 0))], true, true)).toBe("Running")
  })
})

describe("reconcilePhase", () => {
  it.each<[string, ReconcilePhaseInput, ReturnType<typeof reconcilePhase>]>([
    ["plain", { computed: "Running" }, { phase: "Running" }],
    ["cached terminal sticks", { computed: "Running", cached: { phase: "Failed" } }, { phase: "Failed" }],
    [
      "API terminal sticks",
      { computed: "Pending", cached: { phase: "Running" }, api: { phase: "Succeeded" } },
      { phase: "Succeeded" }
    ],
    [
      "unchanged phase keeps reason and message",
      { computed: "Failed", cached: { phase: "Failed", reason: "DeadlineExceeded", message: "m" } },
      { phase: "Failed", reason: "DeadlineExceeded", message: "m" }
    ],
    [
      "no cache: the API status is the old status",
      { computed: "Running", api: { phase: "Running", reason: "NodeLost", message: "m" } },
      { phase: "Running", reason: "NodeLost", message: "m" }
    ],
    [
      "changed phase drops the old reason",
      { computed: "Running", cached: { phase: "Pending", reason: "x" } },
      { phase: "Running" }
    ],
    [
      "H8 eviction by active deadline",
      {
        computed: "Running",
        cached: { phase: "Running" },
        evict: { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" }
      },
      {
        phase: "Failed",
        reason: "DeadlineExceeded",
        message: "Pod was active on the node longer than the specified deadline"
      }
    ],
    [
      "API terminal beats a different terminal",
      { computed: "Failed", api: { phase: "Succeeded" } },
      { phase: "Succeeded" }
    ]
  ])("%s", (_name, input, expected) => {
    expect(reconcilePhase(input)).toEqual(expected)
  })
})
