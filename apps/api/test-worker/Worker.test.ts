/**
 * The podlet API served from the Cloudflare Worker, inside workerd: every request goes through the
 * Worker's fetch handler to the cluster's Durable Object, on the virtual clock (2 nodes).
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeBackendDurableObject } from "../src/worker/BackendDurableObject.js"
import { clusterObjectName } from "../src/worker/ClusterObject.js"
import type { WorkerEnv } from "../src/worker.js"
import { AGG, advance, call, pod, post, readLines, TABLE } from "./support.js"

const PODS = "/api/v1/namespaces/default/pods"

interface Pod {
  kind: string
  apiVersion: string
  metadata: { name: string; uid: string; resourceVersion: string }
  spec: { nodeName?: string }
  status?: {
    phase?: string
    containerStatuses?: Array<{ ready: boolean; state: { running?: { startedAt: string } } }>
  }
}

const clusterStub = () => {
  const namespace = (env as unknown as WorkerEnv).CLUSTER
  return namespace.get(namespace.idFromName(clusterObjectName))
}

/** A mark on the cluster object's current instance: a new instance (after a restart) has none. */
const markInstance = (): Promise<boolean> =>
  runInDurableObject(clusterStub(), (instance) => {
    const marked = instance as unknown as { podletTestMark?: true }
    const had = marked.podletTestMark === true
    marked.podletTestMark = true
    return had
  })

interface WatchEvent {
  type: string
  object: Pod
}

describe("the Worker", () => {
  it("serves discovery (aggregated /api and /apis, legacy /api/v1), /version, /healthz and /metrics", async () => {
    const api = await call("/api", { headers: { accept: AGG } })
    expect(api.status).toBe(200)
    expect(api.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    const groups = (await api.json()) as {
      items: Array<{ versions: Array<{ resources: Array<{ resource: string }> }> }>
    }
    expect(groups.items[0]!.versions[0]!.resources.map((r) => r.resource)).toContain("pods")
    expect((await call("/apis", { headers: { accept: AGG } })).status).toBe(200)
    const v1 = (await (await call("/api/v1")).json()) as { kind: string; resources: Array<{ name: string }> }
    expect(v1.kind).toBe("APIResourceList")
    expect(v1.resources.map((r) => r.name)).toEqual(expect.arrayContaining(["pods", "pods/log", "nodes", "events"]))
    const version = (await (await call("/version")).json()) as { gitVersion: string }
    expect(version.gitVersion).toMatch(/^v1\.32\./)
    expect(await (await call("/healthz")).text()).toBe("ok")
    const metrics = await call("/metrics")
    expect(metrics.headers.get("content-type")).toContain("text/plain")
    expect(await metrics.text()).toMatch(/^# TYPE \S+ (counter|gauge|histogram)$/m)
  })

  it("creates, gets, lists (also as a Table) and watches a pod", async () => {
    const before = (await (await call(PODS)).json()) as { metadata: { resourceVersion: string } }
    const watch = await call(`${PODS}?watch=1&resourceVersion=${before.metadata.resourceVersion}`, {
      headers: { "accept-encoding": "gzip" }
    })
    expect(watch.status).toBe(200)
    // kubectl accepts gzip: a compressor would hold the events back
    expect(watch.headers.get("content-encoding")).toBe("identity")

    const created = await call(PODS, post(pod("web", { app: "web" })))
    expect(created.status).toBe(201)
    const body = (await created.json()) as Pod
    expect(body).toMatchObject({ kind: "Pod", apiVersion: "v1", metadata: { name: "web" } })

    const got = await call(`${PODS}/web`)
    expect(got.status).toBe(200)
    expect(((await got.json()) as Pod).metadata.uid).toBe(body.metadata.uid)

    const list = (await (await call(`${PODS}?labelSelector=app%3Dweb`)).json()) as { kind: string; items: Array<Pod> }
    expect(list.kind).toBe("PodList")
    expect(list.items.map((p) => p.metadata.name)).toEqual(["web"])

    const table = (await (await call(PODS, { headers: { accept: TABLE } })).json()) as {
      kind: string
      columnDefinitions: Array<{ name: string }>
      rows: Array<{ cells: Array<unknown> }>
    }
    expect(table.kind).toBe("Table")
    expect(table.columnDefinitions.map((c) => c.name).slice(0, 5)).toEqual([
      "Name",
      "Ready",
      "Status",
      "Restarts",
      "Age"
    ])
    expect(table.rows.map((r) => r.cells[0])).toContain("web")

    const [first] = (await readLines(watch, 1)).map((line) => JSON.parse(line) as WatchEvent)
    expect(first).toMatchObject({ type: "ADDED", object: { kind: "Pod", apiVersion: "v1", metadata: { name: "web" } } })
  })

  it("runs a pod to Running on the simulated runtime as the virtual clock advances, then deletes it", async () => {
    expect((await call(PODS, post(pod("runner")))).status).toBe(201)
    await advance(60)
    const running = (await (await call(`${PODS}/runner`)).json()) as Pod
    expect(running.spec.nodeName).toMatch(/^node-[12]$/)
    expect(running.status?.phase).toBe("Running")
    expect(running.status?.containerStatuses?.[0]?.ready).toBe(true)

    const deleted = await call(`${PODS}/runner`, post({ gracePeriodSeconds: 0 }, "DELETE"))
    expect(deleted.status).toBe(200)
    await advance(1)
    expect((await call(`${PODS}/runner`)).status).toBe(404)
  })

  it("keeps every object, the resourceVersions and the virtual clock across a Durable Object restart", async () => {
    expect((await call(PODS, post(pod("durable")))).status).toBe(201)
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { mode: "edge" } }
    expect((await call("/api/v1/namespaces/default/configmaps", post(configMap))).status).toBe(201)
    await advance(30)
    const beforePod = (await (await call(`${PODS}/durable`)).json()) as Pod
    const beforeClock = (await (await call("/podlet/v1/clock")).json()) as { now: string; mode: string }
    expect(beforeClock.mode).toBe("virtual")
    await markInstance()

    await abortAllDurableObjects()
    expect(await markInstance()).toBe(false)

    const afterPod = (await (await call(`${PODS}/durable`)).json()) as Pod
    expect(afterPod.metadata.uid).toBe(beforePod.metadata.uid)
    expect(Number(afterPod.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(beforePod.metadata.resourceVersion))
    const settings = (await (await call("/api/v1/namespaces/default/configmaps/settings")).json()) as {
      data: Record<string, string>
    }
    expect(settings.data).toEqual({ mode: "edge" })
    const afterClock = (await (await call("/podlet/v1/clock")).json()) as { now: string }
    expect(Date.parse(afterClock.now)).toBeGreaterThanOrEqual(Date.parse(beforeClock.now))
    // the node rebooted: its kubelet started the container again at the time the clock resumed
    await advance(60)
    const rebooted = (await (await call(`${PODS}/durable`)).json()) as Pod
    expect(rebooted.status?.phase).toBe("Running")
    const startedAt = rebooted.status?.containerStatuses?.[0]?.state.running?.startedAt ?? ""
    expect(Date.parse(startedAt)).toBeGreaterThanOrEqual(Date.parse(beforeClock.now))
  })

  it("stores in the object's SQLite tables exactly the objects and resourceVersions the API serves", async () => {
    expect((await call(PODS, post(pod("stored-a")))).status).toBe(201)
    expect((await call(PODS, post(pod("stored-b")))).status).toBe(201)
    const list = (await (await call(PODS)).json()) as { items: Array<Pod> }
    const served = list.items.map((p) => [p.metadata.name, Number(p.metadata.resourceVersion)])
    // a second backend over the same storage reads the tables afresh
    const stored = await runInDurableObject(clusterStub(), (_instance, state) =>
      Effect.runSync(makeBackendDurableObject(state.storage).list("pods/default/")).map((o) => [
        o.object.metadata.name,
        o.resourceVersion
      ])
    )
    expect(stored).toEqual(served)
  })

  it("resumes a watch from a resourceVersion taken before a restart (from the object's change log)", async () => {
    const list = (await (await call(PODS)).json()) as { metadata: { resourceVersion: string } }
    expect((await call(PODS, post(pod("after-rv")))).status).toBe(201)
    await abortAllDurableObjects()
    const watch = await call(
      `${PODS}?watch=1&resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name%3Dafter-rv`
    )
    expect(watch.status).toBe(200)
    const [first] = (await readLines(watch, 1)).map((line) => JSON.parse(line) as WatchEvent)
    expect(first).toMatchObject({ type: "ADDED", object: { metadata: { name: "after-rv" } } })
  })

  it("stores an object larger than one SQLite value (2 MB) in parts, and reads it back after a restart", async () => {
    // a ConfigMap is capped at 1 MiB by validation; a pod's args are not (only the 3 MiB body limit)
    const ascii = "x".repeat(1_200_000)
    const emoji = "\u{1F600}".repeat(300_000) // 1.2 MB of UTF-8, surrogate pairs across part boundaries
    const huge = { ...pod("huge"), spec: { containers: [{ name: "main", image: "nginx:1.25", args: [ascii, emoji] }] } }
    const list = (await (await call(PODS)).json()) as { metadata: { resourceVersion: string } }
    expect((await call(PODS, post(huge))).status).toBe(201)
    await abortAllDurableObjects()
    const read = (await (await call(`${PODS}/huge`)).json()) as { spec: { containers: Array<{ args: Array<string> }> } }
    expect(read.spec.containers[0]!.args).toEqual([ascii, emoji])
    const watch = await call(
      `${PODS}?watch=1&resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name%3Dhuge`
    )
    const [added] = (await readLines(watch, 1)).map(
      (line) => JSON.parse(line) as { type: string; object: { spec: { containers: Array<{ args: Array<string> }> } } }
    )
    expect(added?.type).toBe("ADDED")
    expect(added?.object.spec.containers[0]?.args[1]).toBe(emoji)
  })

  it("answers bad input with Kubernetes Status objects, never a 500", async () => {
    const malformed = await call(PODS, post("{not json"))
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest", code: 400 })

    const invalid = await call(PODS, post({ apiVersion: "v1", kind: "Pod", metadata: { name: "Bad_Name" }, spec: {} }))
    expect(invalid.status).toBe(422)
    expect(await invalid.json()).toMatchObject({ kind: "Status", reason: "Invalid", code: 422 })

    const missing = await call(`${PODS}/nowhere`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ kind: "Status", reason: "NotFound", code: 404 })
  })
})
