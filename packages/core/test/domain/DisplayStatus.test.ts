import { describe, expect, it } from "@effect/vitest"
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from "../../src/api/Pod.js"
import { podRowCells, printPod, translateTimestampSince } from "../../src/domain/DisplayStatus.js"
import { at, c, iso, makePod, R, sidecar, status, T, W } from "./fixtures.js"

const cond = (type: string, s: "True" | "False", reason?: string): PodCondition => ({
  type,
  status: s,
  ...(reason ? { reason } : {})
})
const healthy = [
  cond("Initialized", "True"),
  cond("Ready", "True"),
  cond("ContainersReady", "True"),
  cond("PodScheduled", "True")
]
const notReady = [
  cond("Initialized", "True"),
  cond("Ready", "False"),
  cond("ContainersReady", "False"),
  cond("PodScheduled", "True")
]
const notInit = [cond("Initialized", "False"), cond("Ready", "False"), cond("PodScheduled", "True")]

const withStatus = (pod: Pod, s: PodStatus): Pod => ({ ...pod, status: s })
const st = (
  phase: PodPhase,
  containerStatuses: ReadonlyArray<ContainerStatus>,
  conditions: ReadonlyArray<PodCondition> = healthy,
  extra: Partial<PodStatus> = {}
): PodStatus => ({ phase, containerStatuses, conditions, ...extra })

const one = makePod({})
const two = makePod({ containers: [c("a"), c("b")] })
const inits = makePod({ initContainers: [c("init-a"), c("init-b")] })
const proxied = makePod({ initContainers: [sidecar("proxy")] })

/** [READY, STATUS, RESTARTS] at RTM time `t`. */
const triple = (pod: Pod, t: number) => {
  const row = printPod(pod, at(t))
  return [row.ready, row.status, row.restarts]
}

describe("printPod", () => {
  it.each<[string, Pod, number, ReadonlyArray<string>]>([
    [
      "A1 before the first sync",
      withStatus(one, { phase: "Pending", conditions: [cond("PodScheduled", "True")] }),
      0,
      ["0/1", "Pending", "0"]
    ],
    ["A1 running", withStatus(one, st("Running", [status("app", R(), { ready: true })])), 1, ["1/1", "Running", "0"]],
    [
      "ContainerCreating",
      withStatus(one, st("Pending", [status("app", W("ContainerCreating"))], notReady)),
      1,
      ["0/1", "ContainerCreating", "0"]
    ],
    [
      "A2 Completed",
      withStatus(one, st("Succeeded", [status("app", T("Completed", 0, 10))], notReady)),
      20,
      ["0/1", "Completed", "0"]
    ],
    [
      "A4 Error",
      withStatus(one, st("Failed", [status("app", T("Error", 1, 10))], notReady)),
      20,
      ["0/1", "Error", "0"]
    ],
    [
      "A5 t=5 restarted",
      withStatus(one, st("Running", [status("app", R(5), { ready: true, rc: 1, last: T("Error", 1, 5) })])),
      5,
      ["1/1", "Running", "1 (0s ago)"]
    ],
    [
      "§18 A5 t=15 CrashLoopBackOff",
      withStatus(
        one,
        st("Running", [status("app", W("CrashLoopBackOff"), { rc: 1, last: T("Error", 1, 10) })], notReady)
      ),
      15,
      ["0/1", "CrashLoopBackOff", "1 (5s ago)"]
    ],
    [
      "A11 OOMKilled",
      withStatus(one, st("Failed", [status("app", T("OOMKilled", 137, 30))], notReady)),
      40,
      ["0/1", "OOMKilled", "0"]
    ],
    [
      "B1 1/2 Error",
      withStatus(two, st("Running", [status("a", T("Error", 1, 10)), status("b", R(), { ready: true })], notReady)),
      15,
      ["1/2", "Error", "0"]
    ],
    [
      "B2 0/2 Error",
      withStatus(two, st("Failed", [status("a", T("Error", 1, 10)), status("b", T("Completed", 0, 20))], notReady)),
      25,
      ["0/2", "Error", "0"]
    ],
    [
      "B3 NotReady",
      withStatus(two, st("Running", [status("a", T("Completed", 0, 10)), status("b", R(), { ready: true })], notReady)),
      15,
      ["1/2", "NotReady", "0"]
    ],
    [
      "Completed + running + Ready ⇒ Running",
      withStatus(two, st("Running", [status("a", T("Completed", 0, 10)), status("b", R(), { ready: true })], healthy)),
      15,
      ["1/2", "Running", "0"]
    ],
    [
      "B4 errorReason (PR #124766)",
      withStatus(two, st("Failed", [status("a", T("Completed", 0, 10)), status("b", T("Error", 1, 20))], notReady)),
      25,
      ["0/2", "Error", "0"]
    ],
    [
      "B5 both Completed",
      withStatus(
        two,
        st("Succeeded", [status("a", T("Completed", 0, 10)), status("b", T("Completed", 0, 20))], notReady)
      ),
      25,
      ["0/2", "Completed", "0"]
    ],
    [
      "B6 RESTARTS sums containers, newest restart wins",
      withStatus(
        two,
        st(
          "Running",
          [
            status("a", W("CrashLoopBackOff"), { rc: 2, last: T("Error", 1, 25) }),
            status("b", R(), { ready: true, rc: 1, last: T("Error", 1, 12) })
          ],
          notReady
        )
      ),
      30,
      ["1/2", "CrashLoopBackOff", "3 (5s ago)"]
    ],
    [
      "C1 Init:0/2",
      withStatus(
        inits,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("init-a", R()), status("init-b", W("PodInitializing"))]
        })
      ),
      1,
      ["0/1", "Init:0/2", "0"]
    ],
    [
      "C1 / J4 Init:1/2",
      withStatus(
        inits,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("init-a", T("Completed", 0, 5), { ready: true }), status("init-b", R(5))]
        })
      ),
      6,
      ["0/1", "Init:1/2", "0"]
    ],
    [
      "J4 second init waiting PodInitializing",
      withStatus(
        inits,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [
            status("init-a", T("Completed", 0, 5), { ready: true }),
            status("init-b", W("PodInitializing"))
          ]
        })
      ),
      6,
      ["0/1", "Init:1/2", "0"]
    ],
    [
      "§18 C2 Init:Error",
      withStatus(
        makePod({ restartPolicy: "Never", initContainers: [c("init-a"), c("init-b")] }),
        st("Failed", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("init-a", T("Error", 1, 5)), status("init-b", W("PodInitializing"))]
        })
      ),
      6,
      ["0/1", "Init:Error", "0"]
    ],
    [
      "C3 Init:CrashLoopBackOff",
      withStatus(
        inits,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [
            status("init-a", W("CrashLoopBackOff"), { rc: 1, last: T("Error", 1, 10) }),
            status("init-b", W("PodInitializing"))
          ]
        })
      ),
      12,
      ["0/1", "Init:CrashLoopBackOff", "1 (2s ago)"]
    ],
    [
      "C3 t=5 restarted init-a",
      withStatus(
        inits,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [
            status("init-a", R(5), { rc: 1, last: T("Error", 1, 5) }),
            status("init-b", W("PodInitializing"))
          ]
        })
      ),
      5,
      ["0/1", "Init:0/2", "1 (0s ago)"]
    ],
    [
      "C4 Init:ImagePullBackOff",
      withStatus(
        inits,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("init-a", W("ImagePullBackOff")), status("init-b", W("PodInitializing"))]
        })
      ),
      25,
      ["0/1", "Init:ImagePullBackOff", "0"]
    ],
    [
      "C5 PodInitializing after init",
      withStatus(
        makePod({ initContainers: [c("init-a")] }),
        st("Pending", [status("app", W("PodInitializing"))], notReady, {
          initContainerStatuses: [status("init-a", T("Completed", 0, 5), { ready: true })]
        })
      ),
      10,
      ["0/1", "PodInitializing", "0"]
    ],
    [
      "D1 2/2 Running",
      withStatus(
        proxied,
        st("Running", [status("app", R(), { ready: true })], healthy, {
          initContainerStatuses: [status("proxy", R(), { ready: true, started: true })]
        })
      ),
      1,
      ["2/2", "Running", "0"]
    ],
    [
      "D2 sidecar not started",
      withStatus(
        proxied,
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("proxy", R(), { started: false })]
        })
      ),
      5,
      ["0/2", "Init:0/1", "0"]
    ],
    [
      "D4 crash-looping sidecar after init",
      withStatus(
        proxied,
        st("Running", [status("app", R(), { ready: true })], notReady, {
          initContainerStatuses: [status("proxy", W("CrashLoopBackOff"), { rc: 1, last: T("Error", 1, 105) })]
        })
      ),
      110,
      ["1/2", "Init:CrashLoopBackOff", "1 (5s ago)"]
    ],
    [
      "D4 t=115 sidecar back",
      withStatus(
        proxied,
        st("Running", [status("app", R(), { ready: true })], healthy, {
          initContainerStatuses: [
            status("proxy", R(115), { rc: 2, ready: true, started: true, last: T("Error", 1, 105) })
          ]
        })
      ),
      115,
      ["2/2", "Running", "2 (10s ago)"]
    ],
    [
      "D3 Completed with a killed sidecar",
      withStatus(
        makePod({ restartPolicy: "Never", initContainers: [sidecar("shipper")], containers: [c("main")] }),
        st("Succeeded", [status("main", T("Completed", 0, 20))], notReady, {
          initContainerStatuses: [status("shipper", T("Error", 143, 20))]
        })
      ),
      21,
      ["0/2", "Completed", "0"]
    ],
    [
      "J5 sidecar started, regular init running",
      withStatus(
        makePod({ initContainers: [sidecar("proxy"), c("init-b")] }),
        st("Pending", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("proxy", R(), { ready: true, started: true }), status("init-b", R())]
        })
      ),
      1,
      ["1/2", "Init:1/2", "0"]
    ],
    [
      "E2 ErrImagePull",
      withStatus(one, st("Pending", [status("app", W("ErrImagePull", "x"))], notReady)),
      5,
      ["0/1", "ErrImagePull", "0"]
    ],
    [
      "E3 ErrImageNeverPull",
      withStatus(one, st("Pending", [status("app", W("ErrImageNeverPull"))], notReady)),
      5,
      ["0/1", "ErrImageNeverPull", "0"]
    ],
    [
      "E5 CreateContainerConfigError",
      withStatus(one, st("Pending", [status("app", W("CreateContainerConfigError"))], notReady)),
      5,
      ["0/1", "CreateContainerConfigError", "0"]
    ],
    [
      "E6 StartError",
      withStatus(one, st("Failed", [status("app", T("StartError", 128))], notReady)),
      1,
      ["0/1", "StartError", "0"]
    ],
    [
      "E7 CrashLoopBackOff after StartError",
      withStatus(
        one,
        st("Running", [status("app", W("CrashLoopBackOff"), { rc: 2, last: T("StartError", 128, 10) })], notReady)
      ),
      15,
      ["0/1", "CrashLoopBackOff", "2 (5s ago)"]
    ],
    [
      "F1 running not ready",
      withStatus(one, st("Running", [status("app", R())], notReady)),
      3,
      ["0/1", "Running", "0"]
    ],
    [
      "G1 Terminating",
      withStatus(makePod({}, { deletionTimestamp: iso(130) }), st("Running", [status("app", R(), { ready: true })])),
      100,
      ["1/1", "Terminating", "0"]
    ],
    [
      "terminal phase is not Terminating",
      withStatus(
        makePod({}, { deletionTimestamp: iso(130) }),
        st("Succeeded", [status("app", T("Completed", 0, 102))], notReady)
      ),
      102,
      ["0/1", "Completed", "0"]
    ],
    [
      "H1 Unschedulable",
      withStatus(one, { phase: "Pending", conditions: [cond("PodScheduled", "False", "Unschedulable")] }),
      10,
      ["0/1", "Pending", "0"]
    ],
    [
      "H2 SchedulingGated",
      withStatus(one, { phase: "Pending", conditions: [cond("PodScheduled", "False", "SchedulingGated")] }),
      10,
      ["0/1", "SchedulingGated", "0"]
    ],
    [
      "H3 node unreachable: stale Running",
      withStatus(one, st("Running", [status("app", R(), { ready: true })], notReady)),
      1100,
      ["1/1", "Running", "0"]
    ],
    [
      "H7 Evicted overridden by the container reason",
      withStatus(one, st("Failed", [status("app", T("Error", 143, 500))], notReady, { reason: "Evicted" })),
      501,
      ["0/1", "Error", "0"]
    ],
    [
      "H7 Evicted without container statuses",
      withStatus(one, { phase: "Failed", reason: "Evicted" }),
      501,
      ["0/1", "Evicted", "0"]
    ],
    [
      "H8 DeadlineExceeded while no container reason",
      withStatus(one, st("Failed", [status("app", R(), { ready: true })], notReady, { reason: "DeadlineExceeded" })),
      60,
      ["1/1", "DeadlineExceeded", "0"]
    ],
    [
      "H9 NodeLost + deletion ⇒ Unknown",
      withStatus(
        makePod({}, { deletionTimestamp: iso(100) }),
        st("Running", [status("app", R(), { ready: true })], healthy, { reason: "NodeLost" })
      ),
      90,
      ["1/1", "Unknown", "0"]
    ],
    [
      "H9 NodeLost without deletion shows container state",
      withStatus(one, st("Running", [status("app", R(), { ready: true })], healthy, { reason: "NodeLost" })),
      90,
      ["1/1", "NodeLost", "0"]
    ],
    ["J2 ExitCode", withStatus(one, st("Failed", [status("app", T("", 2))], notReady)), 1, ["0/1", "ExitCode:2", "0"]],
    [
      "J2 Signal",
      withStatus(one, st("Failed", [status("app", T("", 0, 0, { signal: 9 }))], notReady)),
      1,
      ["0/1", "Signal:9", "0"]
    ],
    [
      "J2 Init:ExitCode",
      withStatus(
        makePod({ restartPolicy: "Never", initContainers: [c("init-a")] }),
        st("Failed", [status("app", W("PodInitializing"))], notInit, {
          initContainerStatuses: [status("init-a", T("", 2))]
        })
      ),
      1,
      ["0/1", "Init:ExitCode:2", "0"]
    ],
    [
      "J3 alphabetically first container wins",
      withStatus(
        makePod({ containers: [c("z"), c("a")] }),
        st(
          "Pending",
          [status("a", W("ImagePullBackOff")), status("z", W("CrashLoopBackOff"), { last: T("Error", 1) })],
          notReady
        )
      ),
      30,
      ["0/2", "ImagePullBackOff", "0"]
    ]
  ])("%s", (_name, pod, t, expected) => {
    expect(triple(pod, t)).toEqual(expected)
  })

  it.each([
    [95, "3 (95s ago)"],
    [125, "3 (2m5s ago)"],
    [600, "3 (10m ago)"],
    [12_600, "3 (3h30m ago)"]
  ])("J1 last restart %d s ago ⇒ %s", (ago, expected) => {
    const pod = withStatus(one, st("Running", [status("app", R(), { ready: true, rc: 3, last: T("Error", 1, 0) })]))
    expect(printPod(pod, at(ago)).restarts).toBe(expected)
  })

  it("J1 restarts without a last termination print the bare count", () => {
    expect(
      printPod(withStatus(one, st("Running", [status("app", R(), { ready: true, rc: 2 })])), at(10)).restarts
    ).toBe("2")
  })

  it("F6 and wide columns", () => {
    const gated = makePod({ readinessGates: [{ conditionType: "example.com/lb" }] })
    const before = withStatus(
      gated,
      st("Running", [status("app", R(), { ready: true })], notReady, { podIPs: [{ ip: "10.244.0.10" }] })
    )
    expect(podRowCells(printPod(before, at(20)))).toEqual([
      "p",
      "1/1",
      "Running",
      "0",
      "20s",
      "10.244.0.10",
      "n1",
      "<none>",
      "0/1"
    ])
    const after = withStatus(
      gated,
      st("Running", [status("app", R(), { ready: true })], [...healthy, cond("example.com/lb", "True")], {
        nominatedNodeName: "n2"
      })
    )
    expect(printPod(after, at(30))).toMatchObject({ readinessGates: "1/1", nominatedNode: "n2", ip: "<none>" })
    expect(printPod(withStatus(makePod({ nodeName: "" }), {}), at(0))).toMatchObject({
      node: "<none>",
      readinessGates: "<none>",
      status: ""
    })
  })
})

describe("translateTimestampSince", () => {
  it("prints ages and <unknown>", () => {
    expect(translateTimestampSince(undefined, at(0))).toBe("<unknown>")
    expect(translateTimestampSince(iso(0), at(303))).toBe("5m3s")
  })
})
