import type { Capability, ClusterSnapshot, DashboardSource } from "../src/source/DashboardSource.js"
import { t0 } from "./fixtures.js"

/** A DashboardSource over a fixed snapshot that records every call. */
export const fakeSource = (
  snapshot: Partial<ClusterSnapshot>,
  capabilities: ReadonlyArray<Capability> = ["apply", "delete", "logs", "kill"]
) => {
  const calls: Array<ReadonlyArray<unknown>> = []
  let current: ClusterSnapshot = {
    now: t0,
    pods: [],
    events: [],
    nodes: [],
    replicaSets: [],
    services: [],
    namespaces: ["default"],
    ...snapshot
  }
  const listeners = new Set<() => void>()
  const record =
    (name: string) =>
    async (...args: ReadonlyArray<unknown>) => {
      calls.push([name, ...args])
    }
  const source: DashboardSource = {
    description: "fake",
    capabilities: new Set(capabilities),
    snapshot: () => current,
    subscribe: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    clock: () => ({ mode: "virtual", paused: false, speed: 1 }),
    setClock: record("setClock"),
    apply: async (text: string) => {
      calls.push(["apply", text])
      return ["pod/x"]
    },
    delete: record("delete"),
    logs: async (ns, pod, container, previous) => {
      calls.push(["logs", ns, pod, container, previous])
      return [{ time: t0, line: `log of ${container}${previous ? " (previous)" : ""}` }]
    },
    killContainer: record("killContainer"),
    oomContainer: record("oomContainer"),
    nodeFault: record("nodeFault"),
    cordon: record("cordon"),
    drain: record("drain"),
    scale: record("scale"),
    registryOutage: record("registryOutage"),
    close: record("close")
  }
  return {
    source,
    calls,
    update(next: Partial<ClusterSnapshot>) {
      current = { ...current, ...next }
      for (const l of listeners) l()
    }
  }
}
