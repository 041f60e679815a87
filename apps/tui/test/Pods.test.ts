import { describe, expect, it } from "vitest"
import { podColor, podTable } from "../src/render/Pods.js"
import { podOf, t0 } from "./fixtures.js"

describe("podTable", () => {
  it("has kubectl's columns, NAMESPACE first across namespaces, sorted by namespace and name", () => {
    const a = podOf("b-pod", [{ name: "app", ready: true, started: true, state: { running: {} } }])
    const b = { ...podOf("a-pod", [{ name: "app", state: { waiting: { reason: "ErrImagePull" } } }]) }
    const table = podTable([a, b], t0 + 65_000, { namespace: true })
    expect(table.header).toEqual(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"])
    expect(table.rows.map((r) => r.cells)).toEqual([
      ["default", "a-pod", "0/1", "ErrImagePull", "0", "65s", "10.244.0.5", "node-1"],
      ["default", "b-pod", "1/1", "Running", "0", "65s", "10.244.0.5", "node-1"]
    ])
    expect(table.rows.map((r) => [r.key, r.color])).toEqual([
      ["default/a-pod", "red"],
      ["default/b-pod", "green"]
    ])
    expect(podTable([a], t0, { namespace: false }).header[0]).toBe("NAME")
  })

  it.each([
    ["Running", "1/1", "green"],
    ["Running", "1/2", "yellow"],
    ["CrashLoopBackOff", "0/1", "red"],
    ["Init:0/1", "0/1", "yellow"],
    ["Completed", "0/1", "gray"],
    ["Terminating", "1/1", "cyan"],
    ["OOMKilled", "0/1", "red"]
  ] as const)("colours %s %s %s", (status, ready, color) => {
    expect(
      podColor({
        name: "",
        ready,
        status,
        restarts: "0",
        age: "",
        ip: "",
        node: "",
        nominatedNode: "",
        readinessGates: ""
      })
    ).toBe(color)
  })
})
