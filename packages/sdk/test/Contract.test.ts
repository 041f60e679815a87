/**
 * The contract suite: every scenario script runs against an embedded cluster (`createCluster`) and
 * against `connect()` to a podlet API server (apps/api on 127.0.0.1, virtual clock), and both must
 * observe exactly the same. Each scenario's observation is also checked for what it must show, so
 * two equally wrong answers do not pass.
 */
import { afterEach, describe, expect, it } from "vitest"
import { type Cluster, connect, createCluster } from "../src/index.js"
import { scenarios } from "./support/scenarios.js"
import { startServer, type TestServer } from "./support/server.js"

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close()
})

const embedded = async (nodes: ReadonlyArray<string>): Promise<Cluster> => {
  const cluster = await createCluster({ nodes })
  open.push(cluster)
  return cluster
}

const remote = async (nodes: ReadonlyArray<string>): Promise<Cluster> => {
  const server: TestServer = await startServer({ nodes })
  open.push(server)
  const cluster = await connect({ server: server.url })
  open.push(cluster)
  return cluster
}

/** What each scenario must observe (beyond both faces agreeing). */
const expectations: Record<string, (observed: unknown) => void> = {
  "a crashing pod reaches CrashLoopBackOff after 3 restarts within 70 virtual seconds": (o) =>
    expect(o).toMatchObject({
      phase: "Running",
      columns: { ready: "0/1", status: "CrashLoopBackOff" },
      previous: ["starting"],
      timeout: { class: "TimeoutError", code: 504 }
    }),
  "an init container waits for a Service": (o) =>
    expect(o).toMatchObject({
      waiting: { status: "Init:0/1" },
      phase: "Pending",
      app: ["The app is running!"],
      ready: "Running"
    }),
  "typed errors carry the Kubernetes Status": (o) =>
    expect(o).toMatchObject({
      notFound: { class: "NotFoundError", code: 404, reason: "NotFound", message: 'pods "nope" not found' },
      deleteMissing: { class: "NotFoundError" },
      invalid: { class: "InvalidError", code: 422 },
      causes: expect.arrayContaining([expect.objectContaining({ field: "spec.containers[0].image" })]),
      yaml: { class: "BadRequestError", code: 400 },
      unknownKind: { class: "BadRequestError" }
    }),
  "apply creates, then updates labels in place; list selects by label and field": (o) =>
    expect(o).toEqual({
      sameUid: true,
      labels: { app: "a", tier: "front" },
      kinds: ["Pod", "v1"],
      byLabel: ["a"],
      byField: [["Pod", "b"]],
      all: ["a Running", "b Running"]
    }),
  "faults: a container exits with a code, then is OOM-killed": (o) =>
    expect(o).toMatchObject({
      first: { exitCode: 3, reason: "Error" },
      second: ["OOMKilled", 137],
      reasons: expect.arrayContaining(["FaultInjected"])
    }),
  "nodes: list, cordon keeps new pods off, uncordon": (o) =>
    expect(o).toEqual({
      names: ["node-1", "node-2"],
      cordoned: true,
      placed: ["node-2", "node-2", "node-2"],
      after: false
    }),
  "a ReplicaSet keeps its replicas: a deleted pod is replaced": (o) =>
    expect(o).toMatchObject({ ready: 3, replaced: true, count: 3, owners: ["web"] }),
  "the clock: advance, graceful deletion, Terminating": (o) =>
    expect(o).toEqual({ moved: 90, terminating: "Terminating", left: [] }),
  "a watch sees the current pod, then its deletion": (o) =>
    expect(o).toEqual({ first: "ADDED watched Running", last: "DELETED watched Failed deleting", deleting: true }),
  "drain evicts a node's pods and the ReplicaSet brings them back on the other node": (o) =>
    expect(o).toMatchObject({
      lines: expect.arrayContaining(["node/node-1 cordoned", "node/node-1 drained"]),
      evicted: true,
      nodes: ["node-2 Running", "node-2 Running"],
      unschedulable: true,
      refused: expect.arrayContaining([
        "There are pending nodes to be drained:",
        "cannot delete Pods that declare no controller (use --force to override): default/bare"
      ])
    }),
  "an eviction honours a PodDisruptionBudget": (o) =>
    expect(o).toEqual({
      refused: ["TooManyRequestsError", 429, "Cannot evict pod as it would violate the pod's disruption budget."],
      gone: true
    }),
  "a node fails and the ReplicaSet recreates the pod elsewhere": (o) =>
    expect(o).toMatchObject({ ready: 1, movedAway: true, nodeReady: "Unknown" })
}

describe("contract: createCluster() and connect() observe the same", () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const local = await scenario.run(await embedded(scenario.nodes))
      expectations[scenario.name]?.(local)
      const far = await scenario.run(await remote(scenario.nodes))
      expect(far).toEqual(local)
    })
  }

  it("has an expectation for every scenario", () => {
    expect(scenarios.map((s) => s.name).filter((n) => expectations[n] === undefined)).toEqual([])
  })
})
