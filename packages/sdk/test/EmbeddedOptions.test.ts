/**
 * `createCluster` options and the calls only an embedded cluster (or a podlet server) has: nodes,
 * SQLite store, the process runtime's clear refusal, registry additions, node lifecycle modes,
 * drain with its kubectl lines, and nodes added on the fly.
 */
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { type Cluster, createCluster, DrainError, type Pod, UnsupportedError } from "../src/index.js"

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

const rs = (replicas: number) => `
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: nginx, image: nginx:1.27 }]
`

describe("createCluster options", () => {
  it("nodes as a count or specs, with capacity and preloaded images", async () => {
    cluster = await createCluster({ nodes: [{ name: "big", cpu: "16", images: ["local/app:dev"] }, "small"] })
    const nodes = await cluster.nodes.list()
    expect(nodes.map((n) => [n.metadata.name, n.status?.capacity?.["cpu"]])).toEqual([
      ["big", "16"],
      ["small", "4"]
    ])
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "local" },
      spec: {
        nodeName: "big",
        containers: [{ name: "app", image: "local/app:dev", imagePullPolicy: "Never", command: ["sleep", "60"] }]
      }
    } as Pod)
    await cluster.waitFor("local", { phase: "Running" })
  })

  it("images adds to the registry's catalogue, with its pull time", async () => {
    cluster = await createCluster({ images: [{ name: "example.com/team/api:1.0", pullSeconds: 20 }] })
    const start = (await cluster.clock.now()).getTime()
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "api" },
      spec: { containers: [{ name: "api", image: "example.com/team/api:1.0", command: ["sleep", "60"] }] }
    } as Pod)
    await cluster.waitFor("api", { phase: "Running" })
    expect((await cluster.clock.now()).getTime() - start).toBeGreaterThanOrEqual(20_000)
    expect((await cluster.events("api")).map((e) => e.reason)).toContain("Pulled")
  })

  it("store: a SQLite file keeps the objects", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "podlet-sdk-db-")), "cluster.db")
    cluster = await createCluster({ store: { sqlite: path } })
    await cluster.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings" },
      data: { a: "1" }
    } as never)
    expect((await cluster.get("ConfigMap", "settings")).metadata.uid).toBeTruthy()
    expect(existsSync(path)).toBe(true)
  })

  it('runtime "process": containers are processes of this machine, on the real clock', async () => {
    cluster = await createCluster({ runtime: "process" })
    expect(cluster.clock.mode).toBe("real")
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "host" },
      spec: { containers: [{ name: "sh", image: "busybox:1.36", command: ["sh", "-c", "echo pid $$$$; sleep 30"] }] }
    } as Pod)
    await cluster.waitFor("host", { condition: "Ready" }, { timeout: "20s" })
    // Ready says the process runs, not that its first output reached the log (as on a real node):
    // read again until the line is there (a real process on the real clock)
    let [line] = await cluster.pods.logs("host")
    for (let tries = 0; line === undefined && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      ;[line] = await cluster.pods.logs("host")
    }
    expect(line?.line).toMatch(/^pid \d+$/)
    const pid = Number(line?.line.slice(4))
    expect(() => process.kill(pid, 0)).not.toThrow()
    await cluster.close()
    cluster = undefined
    expect(() => process.kill(pid, 0)).toThrow()
  })

  it("a real clock: waitFor watches; the clock cannot be advanced", async () => {
    cluster = await createCluster({ clock: "real" })
    expect(cluster.clock.mode).toBe("real")
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "quick" },
      spec: { containers: [{ name: "c", image: "busybox:1.36", command: ["sleep", "3600"] }] }
    } as Pod)
    expect((await cluster.waitFor("quick", { phase: "Running" }, { timeout: "20s" })).status?.phase).toBe("Running")
    await expect(cluster.clock.advance("1s")).rejects.toBeInstanceOf(UnsupportedError)
  })

  it('nodeLifecycle "legacy": a lost node\'s pod shows Unknown / NodeLost', async () => {
    cluster = await createCluster({ nodes: 1, nodeLifecycle: "legacy" })
    await cluster.apply(rs(1))
    const [pod] = await cluster.pods.list()
    await cluster.waitFor(pod!.metadata.name!, { phase: "Running" })
    await cluster.faults.stopHeartbeat("node-1")
    const lost = await cluster.waitFor(pod!.metadata.name!, { phase: "Unknown" }, { timeout: "2m" })
    expect(lost.status?.reason).toBe("NodeLost")
  })
})

describe("nodes", () => {
  it("drain evicts every pod through the Eviction API and prints kubectl's lines", async () => {
    cluster = await createCluster({ nodes: 2 })
    await cluster.apply(rs(2))
    await cluster.waitFor(
      { kind: "ReplicaSet", name: "web" },
      (r) => (r as { status?: { readyReplicas?: number } }).status?.readyReplicas === 2
    )
    const before = await cluster.pods.list({ fieldSelector: "spec.nodeName=node-1" })
    const result = await cluster.nodes.drain("node-1")
    expect(result.lines[0]).toBe("node/node-1 cordoned")
    expect(result.lines[result.lines.length - 1]).toBe("node/node-1 drained")
    expect(result.evicted).toEqual(before.map((p) => `default/${p.metadata.name}`))
    expect((await cluster.pods.list()).every((p) => p.spec.nodeName === "node-2")).toBe(true)
  })

  it("drain refuses pods without a controller unless forced", async () => {
    cluster = await createCluster()
    await cluster.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "bare" },
      spec: { containers: [{ name: "c", image: "busybox:1.36", command: ["sleep", "3600"] }] }
    } as Pod)
    const failure = await cluster.nodes.drain("node-1").catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(DrainError)
    expect((failure as DrainError).lines.join("\n")).toContain("cannot delete Pods that declare no controller")
    const forced = await cluster.nodes.drain("node-1", { force: true })
    expect(forced.evicted).toEqual(["default/bare"])
  })

  it("add brings a node into the running cluster", async () => {
    cluster = await createCluster()
    const added = await cluster.nodes.add({ name: "late", memory: "2Gi" })
    expect(added.status?.capacity?.["memory"]).toBe("2Gi")
    expect((await cluster.nodes.list()).map((n) => n.metadata.name)).toEqual(["late", "node-1"])
  })
})
