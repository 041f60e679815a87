import { afterEach, describe, expect, it } from "vitest"
import { type EmbeddedSource, makeEmbeddedSource } from "../src/source/EmbeddedSource.js"
import { placementLabel, processClusterOptions, processModeOf } from "../src/source/ProcessRuntime.js"

let source: EmbeddedSource | undefined
afterEach(async () => {
  await source?.close()
  source = undefined
})

const pod = `
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "sleep 3600"]
`

describe("the embedded source", () => {
  it("keeps a snapshot of the cluster that follows the virtual clock, and runs the dashboard's actions", async () => {
    source = await makeEmbeddedSource({ cluster: { nodes: ["node-1", "node-2"] }, paused: true })
    expect(source.description).toBe("embedded (2 nodes)")
    expect(await source.apply(pod)).toEqual(["pod/web"])
    await source.advance(1_000)
    const started = source.snapshot()
    expect(started.nodes.map((n) => n.metadata.name).sort()).toEqual(["node-1", "node-2"])
    const web = started.pods.find((p) => p.metadata.name === "web")
    expect(web?.status?.phase).toBe("Running")

    await source.killContainer("default", "web", "app", 3)
    await source.advance(1_000)
    const killed = source.snapshot().pods.find((p) => p.metadata.name === "web")
    expect(killed?.status?.containerStatuses?.[0]?.lastState.terminated?.exitCode).toBe(3)
    expect(source.snapshot().events.some((e) => e.involvedObject.name === "web" && e.reason === "Started")).toBe(true)

    await source.cordon("node-1", true)
    await source.advance(1_000)
    expect(source.snapshot().nodes.find((n) => n.metadata.name === "node-1")?.spec?.unschedulable).toBe(true)

    await source.delete("Pod", "default", "web")
    await source.advance(35_000)
    expect(source.snapshot().pods.some((p) => p.metadata.name === "web")).toBe(false)
  })

  it("the clock does not move while paused and moves at the set speed otherwise", async () => {
    source = await makeEmbeddedSource({ paused: true, tickMs: 20 })
    const before = source.snapshot().now
    await new Promise((r) => setTimeout(r, 100))
    expect(source.snapshot().now).toBe(before)
    await source.setClock({ paused: false, speed: 1000 })
    const deadline = Date.now() + 20_000
    while (source.snapshot().now - before < 5_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(source.snapshot().now - before).toBeGreaterThanOrEqual(5_000)
  })

  it("rebuilds a resource's array only when that resource changed (the views' work is per array)", async () => {
    source = await makeEmbeddedSource({ cluster: { nodes: ["node-1"] }, paused: true })
    await source.apply(pod)
    await source.advance(5_000)
    const before = source.snapshot()
    expect(source.snapshot()).toBe(before)
    await source.cordon("node-1", true)
    await source.advance(1_000)
    const deadline = Date.now() + 10_000
    while (source.snapshot().nodes === before.nodes && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    const after = source.snapshot()
    expect(after.nodes).not.toBe(before.nodes)
    expect(after.nodes.find((n) => n.metadata.name === "node-1")?.spec?.unschedulable).toBe(true)
    expect(after.pods).toBe(before.pods)
  })

  it("at 1x, tells the views of the clock once a second, not on every tick", async () => {
    source = await makeEmbeddedSource({ paused: true, tickMs: 20, notifyMs: 20 })
    await source.advance(10_000)
    await new Promise((r) => setTimeout(r, 100))
    let notifications = 0
    source.subscribe(() => notifications++)
    const before = source.snapshot().now
    await source.setClock({ paused: false, speed: 1 })
    await new Promise((r) => setTimeout(r, 1_500))
    const moved = source.snapshot().now - before
    expect(moved).toBeGreaterThan(0)
    // one for setClock, then at most one per second crossed (the ticks every 20 ms would be dozens)
    expect(notifications).toBeLessThanOrEqual(2 + Math.ceil(moved / 1000))
  })

  it("on the process runtime: this machine as the one node, the real clock without time control, a real pod", async () => {
    const placement = await processClusterOptions({ _tag: "Process", isolation: "host" })
    const label = placementLabel(placement)
    expect(label).toBe("process (host)")
    source = await makeEmbeddedSource({ cluster: placement, clock: "real", runtimeLabel: label, notifyMs: 0 })
    const embedded = source
    expect(embedded.description).toBe("embedded (process (host), 1 node)")
    expect(embedded.clock()).toEqual({ mode: "real", paused: false, speed: 1 })
    expect(embedded.capabilities.has("timeControl")).toBe(false)
    await expect(embedded.setClock({ paused: true })).rejects.toThrow(/real clock cannot be paused/)

    await embedded.apply(`
apiVersion: v1
kind: Pod
metadata: { name: hello }
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "echo hi"]
`)
    // waits on the store's watch, not on a timer
    await new Promise<void>((done) => {
      const check = () => {
        const snapshot = embedded.snapshot()
        if (snapshot.nodes.length > 0 && snapshot.pods.some((p) => p.status?.phase === "Succeeded")) {
          unsubscribe()
          done()
        }
      }
      const unsubscribe = embedded.subscribe(check)
      check()
    })
    const node = embedded.snapshot().nodes[0]
    expect(node?.status?.nodeInfo?.containerRuntimeVersion).toBe("podlet-process://host")
    expect(await embedded.logs("default", "hello", "app", false)).toMatchObject([{ line: "hi" }])
  })

  it.each([
    ["podlet-process://linux+runc", "process (linux)"],
    ["podlet-process://linux+crun", "process (linux)"],
    ["podlet-process://host", "process (host)"],
    ["containerd://1.7.24", undefined],
    [undefined, undefined]
  ])("the header's runtime of containerRuntimeVersion %j: %j", (version, label) => {
    expect(processModeOf(version)).toBe(label)
  })
})
