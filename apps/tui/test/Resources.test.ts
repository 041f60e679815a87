import type { Event, Node, Pod, ReplicaSet, Service } from "@podlet/core"
import { describe, expect, it } from "vitest"
import { eventTable, nodeTable, replicaSetTable, serviceTable } from "../src/render/Resources.js"

const now = Date.parse("2026-01-01T00:10:00Z")
const meta = (name: string, minutesAgo: number) => ({
  name,
  namespace: "default",
  creationTimestamp: new Date(now - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, "Z")
})

const event = (name: string, minutesAgo: number, extra: Partial<Event> = {}): Event => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: meta(name, minutesAgo),
  involvedObject: { kind: "Pod", name: "web", namespace: "default" },
  reason: "Started",
  message: "Started container app",
  type: "Normal",
  lastTimestamp: meta(name, minutesAgo).creationTimestamp,
  ...extra
})

describe("Resources", () => {
  it("events: kubectl's columns, oldest first, repeats counted, warnings yellow", () => {
    const table = eventTable(
      [event("b", 1, { type: "Warning", reason: "BackOff", count: 4 }), event("a", 5), event("c", 3)],
      now
    )
    expect(table.header).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
    expect(table.rows.map((r) => r.key)).toEqual(["default/a", "default/c", "default/b"])
    expect(table.rows[2]?.cells).toEqual(["60s (x4)", "Warning", "BackOff", "pod/web", "Started container app"])
    expect(table.rows[2]?.color).toBe("yellow")
    expect(table.rows[0]?.cells[0]).toBe("5m")
  })

  it("replicasets and services: the apiserver printer's default columns", () => {
    const rs: ReplicaSet = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: meta("web", 2),
      spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [] } } },
      status: { replicas: 3, readyReplicas: 2 }
    } as unknown as ReplicaSet
    const rsTable = replicaSetTable([rs], now)
    expect(rsTable.header).toEqual(["NAME", "DESIRED", "CURRENT", "READY", "AGE"])
    expect(rsTable.rows[0]?.cells).toEqual(["web", "3", "3", "2", "2m"])
    expect(rsTable.rows[0]?.color).toBe("yellow")

    const svc: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("mydb", 1),
      spec: { clusterIP: "10.96.0.12", ports: [{ port: 5432, protocol: "TCP" }], selector: { app: "db" } }
    } as unknown as Service
    const svcTable = serviceTable([svc], now)
    expect(svcTable.header).toEqual(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"])
    expect(svcTable.rows[0]?.cells).toEqual(["mydb", "ClusterIP", "10.96.0.12", "<none>", "5432/TCP", "60s"])
  })

  it("nodes: status, pods that still hold the node, and requested share of allocatable", () => {
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: meta("n1", 10),
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        allocatable: { cpu: "2", memory: "4Gi", pods: "110" }
      }
    } as unknown as Node
    const pod = (name: string, phase: string): Pod =>
      ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: meta(name, 1),
        spec: { nodeName: "n1", containers: [{ name: "c", resources: { requests: { cpu: "500m", memory: "1Gi" } } }] },
        status: { phase }
      }) as unknown as Pod
    const table = nodeTable([node], [pod("a", "Running"), pod("b", "Succeeded")], now)
    expect(table.rows[0]?.cells).toEqual([
      "n1",
      "Ready,SchedulingDisabled",
      "0",
      "1/110",
      "25%",
      "25%",
      "10m",
      "<unknown>"
    ])
    expect(table.rows[0]?.color).toBe("yellow")
  })

  it.each([
    ["containerd://1.7.24", "containerd://1.7.24"],
    ["podlet-process://linux+runc", "podlet-process://linux+runc"],
    ["podlet-process://host", "podlet-process://host"],
    ["", "<unknown>"]
  ])("nodes: the CONTAINER-RUNTIME column shows %j as %j", (version, shown) => {
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: meta("this-machine", 1),
      spec: {},
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        allocatable: { cpu: "2", memory: "4Gi", pods: "110" },
        nodeInfo: { containerRuntimeVersion: version }
      }
    } as unknown as Node
    const table = nodeTable([node], [], now)
    expect(table.header.at(-1)).toBe("CONTAINER-RUNTIME")
    expect(table.rows[0]?.cells.at(-1)).toBe(shown)
  })
})
