import type { Pod } from "@podlet/core"
import { describe, expect, it } from "vitest"
import { PodIndex } from "../src/render/PodIndex.js"
import { podTable } from "../src/render/Pods.js"
import { filterRows } from "../src/render/Table.js"
import { tabwrite } from "../src/Tabwriter.js"
import { podOf, t0 } from "./fixtures.js"

const running = (name: string, namespace = "default", node = "node-1"): Pod => {
  const pod = podOf(name, [{ name: "app", ready: true, started: true, state: { running: {} } }])
  return { ...pod, metadata: { ...pod.metadata, namespace }, spec: { ...pod.spec, nodeName: node } }
}

const crashing = (pod: Pod, restarts: number): Pod => ({
  ...pod,
  status: {
    ...pod.status,
    containerStatuses: [
      {
        name: "app",
        ready: false,
        restartCount: restarts,
        image: "busybox",
        imageID: "",
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: "2025-01-01T00:00:30Z" } }
      }
    ]
  }
})

const now = t0 + 60_000

/** What the index must draw: the whole table re-derived from every pod, as kubectl would print it. */
const reference = (pods: ReadonlyArray<Pod>, namespace: string, filter: string) => {
  const table = podTable(
    pods.filter((p) => namespace === "all" || p.metadata.namespace === namespace),
    now,
    { namespace: namespace === "all" }
  )
  const rows = filterRows(table.rows, filter)
  const lines = tabwrite([table.header, ...rows.map((r) => r.cells)])
  return { header: lines[0], lines: rows.map((r, i) => ({ key: r.key, line: lines[i + 1], color: r.color })) }
}

const drawn = (index: PodIndex) => index.window(0, index.size, now)

describe("PodIndex", () => {
  it("draws the pods sorted by namespace and name, in kubectl's columns", () => {
    const index = new PodIndex()
    const pods = [running("web"), running("api", "prod"), crashing(running("db"), 3)]
    index.sync(pods, now)
    expect(index.size).toBe(3)
    expect([0, 1, 2].map((i) => index.keyAt(i))).toEqual(["default/db", "default/web", "prod/api"])
    expect(drawn(index)).toEqual(reference(pods, "all", ""))
    expect(drawn(index).lines[0]?.line).toMatch(/^default\s+db\s+0\/1\s+CrashLoopBackOff\s+3 \(30s ago\)\s+60s/)
    expect(index.pod("prod/api")).toBe(pods[1])
  })

  it("redraws a changed pod in its place, inserts new pods in order and drops deleted ones", () => {
    const index = new PodIndex()
    const [a, b, c] = [running("a"), running("b"), running("c")]
    index.sync([a, b, c], now)
    const b2 = crashing(b, 1)
    const pods = [a, b2, c, running("bb")]
    index.sync(pods, now)
    expect(drawn(index)).toEqual(reference(pods, "all", ""))
    const fewer = [a, running("bb")]
    index.sync(fewer, now)
    expect(drawn(index)).toEqual(reference(fewer, "all", ""))
    expect(index.pod("default/c")).toBeUndefined()
  })

  it("shows the namespace and filter selected, and keeps them as pods change", () => {
    const index = new PodIndex()
    const web = running("web", "default", "node-2")
    const pods = [web, running("api", "prod"), crashing(running("db", "prod"), 2)]
    index.sync(pods, now)
    index.select("prod", "")
    expect(drawn(index)).toEqual(reference(pods, "prod", ""))
    index.select("all", "crash")
    expect(drawn(index)).toEqual(reference(pods, "all", "crash"))
    // a pod that starts crash-looping appears under the filter
    const changed = [crashing(web, 1), ...pods.slice(1)]
    index.sync(changed, now)
    expect(drawn(index)).toEqual(reference(changed, "all", "crash"))
    index.select("all", "NODE-2")
    expect(drawn(index).lines.map((l) => l.key)).toEqual(["default/web"])
  })

  it("matches no cell by its age", () => {
    const index = new PodIndex()
    index.sync([running("web")], now)
    index.select("all", "60s")
    expect(index.size).toBe(0)
  })

  it("narrows a column when its widest pod goes away", () => {
    const index = new PodIndex()
    const long = running("a-very-long-pod-name")
    index.sync([running("web"), long], now)
    index.sync([running("web")], now)
    expect(drawn(index).header).toBe(reference([running("web")], "all", "").header)
  })

  it("agrees with the re-derived table through a long run of random changes", () => {
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const index = new PodIndex()
    let pods: Array<Pod> = []
    const namespaces = ["default", "prod", "kube-system"]
    const filters = ["", "crash", "running", "prod", "node-3", "x-1"]
    for (let step = 0; step < 300; step++) {
      const changes = 1 + random(step % 50 === 0 ? 200 : 4)
      for (let k = 0; k < changes; k++) {
        const op = random(4)
        const name = `${["x", "y", "z"][random(3)]}-${random(60)}`
        const ns = namespaces[random(3)] ?? "default"
        const at = pods.findIndex((p) => p.metadata.name === name && p.metadata.namespace === ns)
        if (op === 0 && at >= 0) pods.splice(at, 1)
        else if (op === 1 && at >= 0) pods[at] = crashing(pods[at] as Pod, random(9))
        else if (at < 0) pods.push(running(name, ns, `node-${random(5)}`))
      }
      pods = [...pods]
      index.sync(pods, now)
      const namespace = step % 7 === 0 ? (namespaces[random(3)] ?? "all") : "all"
      const filter = filters[random(filters.length)] ?? ""
      index.select(namespace, filter)
      expect(drawn(index)).toEqual(reference(pods, namespace, filter))
    }
  })
})
