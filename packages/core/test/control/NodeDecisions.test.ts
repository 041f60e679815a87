// The node controllers' pure decisions as tables: overdue conditions, controller taints, MarkPodsNotReady and
// NodeLost, taint-eviction timing, the kubelet's node conditions and eviction ranking, the reconnect status,
// and drain's pod filters.
import { describe, expect, it } from "@effect/vitest"
import type { Node, Taint } from "../../src/api/Objects.js"
import type { Pod, PodStatus, Toleration } from "../../src/api/Pod.js"
import { podsForDeletion } from "../../src/control/Drain.js"
import { reconnectStatus } from "../../src/control/NodeAgent.js"
import {
  conditionNoScheduleTaints,
  heartbeatAdvanced,
  nodeLostFailedStatus,
  nodeLostStatus,
  noExecuteTaintFor,
  overdueConditions,
  podNotReadyStatus,
  reconcileTaints
} from "../../src/control/NodeHealth.js"
import {
  kubeletNodeConditions,
  lowResourceMessage,
  nodeConditionMessage,
  noPressure,
  rankForMemoryEviction,
  rankForOomKill,
  stampConditions
} from "../../src/control/NodePressure.js"
import { matchingTolerations, minTolerationMillis, taintEvictionDecision } from "../../src/control/TaintEviction.js"
import { toRfc3339 } from "../../src/domain/Time.js"

const t0 = Date.parse("2025-01-01T00:00:00Z")
const at = (s: number) => toRfc3339(t0 + s * 1000)

const node = (conditions: Record<string, string>, spec: Node["spec"] = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "n1", creationTimestamp: at(0) },
  spec,
  status: {
    conditions: Object.entries(conditions).map(([type, status]) => ({
      type,
      status: status as "True" | "False" | "Unknown",
      reason: `R${type}`,
      message: `m${type}`,
      lastHeartbeatTime: at(0),
      lastTransitionTime: at(0)
    }))
  }
})

const healthy = { MemoryPressure: "False", DiskPressure: "False", PIDPressure: "False", Ready: "True" }

const pod = (
  name: string,
  spec: Partial<Pod["spec"]> = {},
  status: PodStatus = {},
  extra: Partial<Pod["metadata"]> = {}
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", ...extra },
  spec: { containers: [{ name: "app", image: "busybox" }], ...spec },
  status
})

describe("node health (node lifecycle controller)", () => {
  it("overdue heartbeats turn Ready and the pressure conditions Unknown; missing ones are added as never updated", () => {
    const out = overdueConditions(node(healthy), t0 + 1_050_000)!
    expect(out.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "MemoryPressure=Unknown/NodeStatusUnknown",
      "DiskPressure=Unknown/NodeStatusUnknown",
      "PIDPressure=Unknown/NodeStatusUnknown",
      "Ready=Unknown/NodeStatusUnknown"
    ])
    expect(
      out.every((c) => c.message === "Kubelet stopped posting node status." && c.lastTransitionTime === at(1050))
    ).toBe(true)
    expect(out.every((c) => c.lastHeartbeatTime === at(0))).toBe(true)
    expect(overdueConditions({ ...node(healthy), status: { conditions: out } }, t0 + 2_000_000)).toBeUndefined()
    const partial = overdueConditions(node({ Ready: "True" }), t0 + 60_000)!
    expect(partial.find((c) => c.type === "DiskPressure")).toMatchObject({
      status: "Unknown",
      reason: "NodeStatusNeverUpdated",
      message: "Kubelet never posted node status.",
      lastHeartbeatTime: at(0)
    })
  })

  it("a heartbeat advances when the lease renewal or the Ready heartbeat changes", () => {
    const seen = { renewTime: "a", readyHeartbeat: "x" }
    expect(heartbeatAdvanced(undefined, seen)).toBe(true)
    expect(heartbeatAdvanced(seen, { renewTime: "a", readyHeartbeat: "x" })).toBe(false)
    expect(heartbeatAdvanced(seen, { renewTime: "b", readyHeartbeat: "x" })).toBe(true)
    expect(heartbeatAdvanced(seen, { renewTime: "a", readyHeartbeat: "y" })).toBe(true)
  })

  const taintTable: ReadonlyArray<readonly [string, Node, ReadonlyArray<string>, string | undefined]> = [
    ["healthy", node(healthy), [], undefined],
    [
      "unreachable",
      node({ ...healthy, Ready: "Unknown" }),
      ["node.kubernetes.io/unreachable"],
      "node.kubernetes.io/unreachable"
    ],
    [
      "not ready",
      node({ ...healthy, Ready: "False" }),
      ["node.kubernetes.io/not-ready"],
      "node.kubernetes.io/not-ready"
    ],
    [
      "memory pressure",
      node({ ...healthy, MemoryPressure: "True" }),
      ["node.kubernetes.io/memory-pressure"],
      undefined
    ],
    ["disk pressure", node({ ...healthy, DiskPressure: "True" }), ["node.kubernetes.io/disk-pressure"], undefined],
    ["pid pressure", node({ ...healthy, PIDPressure: "True" }), ["node.kubernetes.io/pid-pressure"], undefined],
    ["cordoned", node(healthy, { unschedulable: true }), ["node.kubernetes.io/unschedulable"], undefined]
  ]
  for (const [name, n, noSchedule, noExecute] of taintTable) {
    it(`controller taints: ${name}`, () => {
      expect(conditionNoScheduleTaints(n)).toEqual(noSchedule)
      expect(noExecuteTaintFor(n.status?.conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown")).toBe(
        noExecute
      )
    })
  }

  it("taints are reconciled: added with timeAdded last, stale ones of the controller removed, others kept", () => {
    const foreign: Taint = { key: "dedicated", value: "gpu", effect: "NoSchedule" }
    const stale: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoExecute", timeAdded: at(1) }
    const out = reconcileTaints(
      [foreign, stale],
      ["node.kubernetes.io/unreachable"],
      "node.kubernetes.io/unreachable",
      t0 + 50_000
    )
    expect(out).toEqual([
      foreign,
      { key: "node.kubernetes.io/unreachable", effect: "NoSchedule", timeAdded: at(50) },
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: at(50) }
    ])
    expect(
      reconcileTaints(out!, ["node.kubernetes.io/unreachable"], "node.kubernetes.io/unreachable", t0 + 90_000)
    ).toBeUndefined()
    expect(reconcileTaints(out!, [], undefined, t0 + 90_000)).toEqual([foreign])
  })

  it("MarkPodsNotReady flips only the Ready condition (reason kept); NodeLost then Failed in legacy mode", () => {
    const running = pod(
      "p",
      {},
      {
        phase: "Running",
        conditions: [
          { type: "Ready", status: "True", lastTransitionTime: at(1) },
          { type: "ContainersReady", status: "True", lastTransitionTime: at(1) }
        ]
      }
    )
    const notReady = podNotReadyStatus(running, t0 + 50_000)!
    expect(notReady.conditions).toEqual([
      { type: "Ready", status: "False", lastTransitionTime: at(50) },
      { type: "ContainersReady", status: "True", lastTransitionTime: at(1) }
    ])
    expect(podNotReadyStatus({ ...running, status: notReady }, t0 + 60_000)).toBeUndefined()
    expect(podNotReadyStatus(pod("q"), t0)).toBeUndefined()
    const lost = nodeLostStatus(running, "n1")!
    expect([lost.phase, lost.reason, lost.message]).toEqual([
      "Unknown",
      "NodeLost",
      "Node n1 which was running pod p is unresponsive"
    ])
    expect(nodeLostStatus({ ...running, status: lost }, "n1")).toBeUndefined()
    expect(nodeLostStatus(pod("done", {}, { phase: "Succeeded" }), "n1")).toBeUndefined()
    expect(nodeLostFailedStatus(running, "n1")?.phase).toBe("Failed")
    expect(nodeLostFailedStatus(pod("done", {}, { phase: "Failed" }), "n1")).toBeUndefined()
  })
})

describe("taint eviction timing", () => {
  const unreachable: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" }
  const notReady: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoExecute" }
  const defaults: ReadonlyArray<Toleration> = [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }
  ]
  const table: ReadonlyArray<readonly [string, ReadonlyArray<Taint>, ReadonlyArray<Toleration>, string]> = [
    ["no taints", [], defaults, "Cancel"],
    ["default tolerations (H3)", [unreachable], defaults, "Evict 300000"],
    [
      "unreachable for 60 s (H4)",
      [unreachable],
      [{ ...defaults[1]!, tolerationSeconds: 60 }, defaults[0]!],
      "Evict 60000"
    ],
    ["tolerates everything (H5)", [unreachable], [{ operator: "Exists" }], "Cancel"],
    ["no tolerations", [unreachable], [], "Evict 0"],
    ["an untolerated taint", [unreachable, { key: "x", effect: "NoExecute" }], defaults, "Evict 0"],
    [
      "two taints, the smaller toleration wins",
      [unreachable, notReady],
      [{ ...defaults[0]!, tolerationSeconds: 30 }, defaults[1]!],
      "Evict 30000"
    ],
    ["tolerationSeconds 0", [unreachable], [{ ...defaults[1]!, tolerationSeconds: 0 }], "Evict 0"],
    [
      "wrong effect does not tolerate",
      [unreachable],
      [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoSchedule" }],
      "Evict 0"
    ]
  ]
  for (const [name, taints, tolerations, expected] of table) {
    it(name, () => {
      const d = taintEvictionDecision(taints, tolerations)
      expect(d._tag === "Cancel" ? "Cancel" : `Evict ${d.afterMillis}`).toBe(expected)
    })
  }

  it("GetMatchingTolerations picks the first matching toleration per taint; getMinTolerationTime", () => {
    expect(matchingTolerations([unreachable], defaults).used).toEqual([defaults[1]])
    expect(minTolerationMillis([])).toBe(0)
    expect(minTolerationMillis([{ operator: "Exists" }])).toBeUndefined()
    expect(minTolerationMillis([{ operator: "Exists" }, { tolerationSeconds: 5 }])).toBe(5000)
  })
})

describe("the kubelet's node conditions and eviction order", () => {
  it("conditions for a pressure state, with the 5-minute transition period after the pressure ends", () => {
    const show = (values: ReturnType<typeof kubeletNodeConditions>) =>
      values.map((v) => `${v.type}=${v.status}/${v.reason}`)
    expect(show(kubeletNodeConditions(noPressure, t0))).toEqual([
      "MemoryPressure=False/KubeletHasSufficientMemory",
      "DiskPressure=False/KubeletHasNoDiskPressure",
      "PIDPressure=False/KubeletHasSufficientPID",
      "Ready=True/KubeletReady"
    ])
    expect(show(kubeletNodeConditions({ memory: { available: "50Mi" }, diskFailed: true }, t0)).slice(0, 2)).toEqual([
      "MemoryPressure=True/KubeletHasInsufficientMemory",
      "DiskPressure=True/KubeletHasDiskPressure"
    ])
    const ended = { diskFailed: false, memoryEndedAt: t0 }
    expect(kubeletNodeConditions(ended, t0 + 299_000)[0]?.status).toBe("True")
    expect(kubeletNodeConditions(ended, t0 + 300_000)[0]?.status).toBe("False")
  })

  it("posting keeps transition times of unchanged conditions and reports whether anything but times changed", () => {
    const values = kubeletNodeConditions(noPressure, t0)
    const first = stampConditions(values, [], at(10))
    expect(first.changed).toBe(true)
    const again = stampConditions(values, first.conditions, at(20))
    expect(again.changed).toBe(false)
    expect(again.conditions.every((c) => c.lastHeartbeatTime === at(20) && c.lastTransitionTime === at(10))).toBe(true)
    const pressured = stampConditions(
      kubeletNodeConditions({ memory: { available: "1Mi" }, diskFailed: false }, t0),
      again.conditions,
      at(30)
    )
    expect(pressured.changed).toBe(true)
    expect(pressured.conditions[0]?.lastTransitionTime).toBe(at(30))
    expect(pressured.conditions[3]?.lastTransitionTime).toBe(at(10))
  })

  it("memory eviction order: over requests (BestEffort) first, then lower priority, then smaller requests", () => {
    const burstable = (name: string, memory: string, priority = 0) =>
      pod(name, { priority, containers: [{ name: "app", image: "busybox", resources: { requests: { memory } } }] })
    const pods = [
      burstable("big", "1Gi"),
      burstable("small", "64Mi"),
      pod("be-high", { priority: 10 }),
      pod("be"),
      burstable("low", "2Gi", -5)
    ]
    expect(rankForMemoryEviction(pods).map((p) => p.metadata.name)).toEqual(["be", "be-high", "low", "small", "big"])
    const guaranteed = pod("g", {
      containers: [
        {
          name: "app",
          image: "busybox",
          resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }
        }
      ]
    })
    expect(
      rankForOomKill([guaranteed, burstable("b", "1Gi"), pod("be", { priority: 1000 })]).map((p) => p.metadata.name)
    ).toEqual(["be", "b", "g"])
  })

  it("eviction messages", () => {
    expect(lowResourceMessage("memory", "100Mi", "50Mi")).toBe(
      "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. "
    )
    expect(lowResourceMessage("ephemeral-storage")).toBe("The node was low on resource: ephemeral-storage. ")
    expect(nodeConditionMessage(["DiskPressure"])).toBe("The node had condition: [DiskPressure]. ")
    expect(nodeConditionMessage(["MemoryPressure", "DiskPressure"])).toBe(
      "The node had condition: [MemoryPressure DiskPressure]. "
    )
  })

  it("on reconnect the kubelet's status wins, the control plane's own conditions and a terminal phase stay", () => {
    const cached: PodStatus = {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }]
    }
    const api: PodStatus = {
      phase: "Unknown",
      reason: "NodeLost",
      conditions: [
        { type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager" },
        { type: "Ready", status: "False" }
      ]
    }
    expect(reconnectStatus(api, cached)).toEqual({
      phase: "Running",
      conditions: [
        { type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager" },
        { type: "Ready", status: "True" }
      ]
    })
    expect(reconnectStatus({ phase: "Failed", reason: "NodeLost" }, cached)).toMatchObject({
      phase: "Failed",
      reason: "NodeLost"
    })
  })
})

describe("drain's pod filters", () => {
  const owned = (name: string, kind: string, spec: Partial<Pod["spec"]> = {}, status: PodStatus = {}) =>
    pod(name, spec, status, {
      ownerReferences: [{ apiVersion: "apps/v1", kind, name: "o", uid: "u", controller: true }]
    })
  const pods = [
    owned("rs", "ReplicaSet"),
    owned("ds", "DaemonSet"),
    pod("bare"),
    owned("cache", "ReplicaSet", { volumes: [{ name: "c", emptyDir: {} }] }),
    pod("done", {}, { phase: "Succeeded" }),
    pod("mirror", {}, {}, { annotations: { "kubernetes.io/config.mirror": "x" } })
  ]
  it("refuses unreplicated and emptyDir pods, and DaemonSet pods unless ignored", () => {
    const plan = podsForDeletion(pods, { ignoreDaemonSets: false })
    expect(plan.errors).toEqual([
      "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds",
      "cannot delete Pods that declare no controller (use --force to override): default/bare",
      "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache"
    ])
  })
  it("with --force --delete-emptydir-data: warnings, and every pod but DaemonSet and mirror pods", () => {
    const plan = podsForDeletion(pods, { force: true, deleteEmptyDirData: true })
    expect(plan.errors).toEqual([])
    expect(plan.warnings).toEqual([
      "ignoring DaemonSet-managed Pods: default/ds",
      "deleting Pods that declare no controller: default/bare",
      "deleting Pods with local storage: default/cache"
    ])
    expect(plan.delete.map((p) => p.metadata.name)).toEqual(["bare", "cache", "done", "rs"])
  })
})
