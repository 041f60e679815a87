import type { Pod } from "@podlet/core/api/Pod"
import type { LogLine } from "@podlet/core/services/ContainerRuntime"
import { Effect, Exit, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeApp } from "../src/app.js"
import { clusterLayer } from "../src/ClusterLayer.js"
import { chooseContainer, type LogQuery, renderLog, rfc3339Nano } from "../src/PodLogs.js"
import { json, readLines, type TestApp, testApp } from "./support.js"

const PODS = "/api/v1/namespaces/default/pods"

const query = (extra: Partial<LogQuery> = {}): LogQuery => ({
  container: undefined,
  previous: false,
  follow: false,
  timestamps: false,
  tailLines: undefined,
  sinceSeconds: undefined,
  sinceTime: undefined,
  limitBytes: undefined,
  ...extra
})

const T0 = Date.parse("2026-11-28T02:18:19.131Z")
const lines: ReadonlyArray<LogLine> = [0, 1, 2, 3].map((i) => ({
  time: T0 + i * 10_000,
  stream: "stdout",
  line: `line ${i}`
}))

describe("log rendering (the kubelet's filters)", () => {
  it.each<[string, Partial<LogQuery>, number, string]>([
    ["everything", {}, T0, "line 0\nline 1\nline 2\nline 3\n"],
    ["tailLines=2", { tailLines: 2 }, T0, "line 2\nline 3\n"],
    ["tailLines=0", { tailLines: 0 }, T0, ""],
    ["sinceSeconds=15 at t+30s", { sinceSeconds: 15 }, T0 + 30_000, "line 2\nline 3\n"],
    ["sinceTime", { sinceTime: T0 + 10_000 }, T0, "line 1\nline 2\nline 3\n"],
    ["limitBytes=9", { limitBytes: 9 }, T0, "line 0\nli"],
    ["timestamps with tailLines=1", { timestamps: true, tailLines: 1 }, T0, "2026-11-28T02:18:49.131000000Z line 3\n"]
  ])("%s", (_, extra, now, expected) => {
    expect(renderLog(lines, query(extra), now)).toBe(expected)
  })

  it("formats RFC 3339 with nanoseconds", () => {
    expect(rfc3339Nano(T0)).toBe("2026-11-28T02:18:19.131000000Z")
  })

  it("chooses the container as the apiserver does", () => {
    const pod = (names: Array<string>, inits: Array<string> = []) =>
      ({
        metadata: { name: "p" },
        spec: {
          containers: names.map((name) => ({ name, image: "x" })),
          initContainers: inits.map((name) => ({ name, image: "x" }))
        }
      }) as unknown as Pod
    const run = (p: Pod, c: string | undefined) => Effect.runSyncExit(chooseContainer(p, c))
    expect(run(pod(["a"]), undefined)).toEqual(Exit.succeed("a"))
    expect(run(pod(["a", "b"], ["i"]), "i")).toEqual(Exit.succeed("i"))
    const none = run(pod(["a", "b"], ["i"]), undefined)
    expect(JSON.stringify(none)).toContain(
      "a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]"
    )
    expect(JSON.stringify(run(pod(["a"]), "nope"))).toContain("container nope is not valid for pod p")
  })
})

describe("GET .../pods/NAME/log against a running cluster", () => {
  let runtime: ManagedRuntime.ManagedRuntime<unknown, never>
  let app: TestApp["app"]

  beforeAll(async () => {
    const rt = ManagedRuntime.make(clusterLayer({ nodes: ["node-1"] }))
    runtime = rt as ManagedRuntime.ManagedRuntime<unknown, never>
    app = makeApp({ runtime: rt })
    const talker = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "talker" },
      spec: {
        nodeName: "node-1",
        containers: [
          { name: "main", image: "busybox", command: ["sh", "-c", "echo hello; echo world; sleep 3600"] },
          { name: "side", image: "busybox", command: ["sh", "-c", "echo side; sleep 3600"] }
        ]
      }
    }
    const watch = await app.request(`${PODS}?watch=1&fieldSelector=metadata.name%3Dtalker`)
    expect((await app.request(PODS, json("POST", talker))).status).toBe(201)
    // wait on watch events (not on time) until both containers run
    const reader = watch.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ""
    for (;;) {
      const { done, value } = await reader.read()
      if (done) throw new Error("watch ended before the pod ran")
      buffer += decoder.decode(value, { stream: true })
      const events = buffer.split("\n").filter((l) => l.trim() !== "")
      const last = events.length === 0 ? undefined : (JSON.parse(events[events.length - 1]!) as { object: Pod })
      const statuses = last?.object.status?.containerStatuses ?? []
      if (statuses.length === 2 && statuses.every((s) => s.state.running !== undefined)) break
    }
    await reader.cancel()
  })

  afterAll(() => runtime.dispose())

  const text = async (path: string) => {
    const res = await app.request(path)
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text() }
  }

  it("answers the container's output as text/plain", async () => {
    expect(await text(`${PODS}/talker/log?container=main`)).toEqual({
      status: 200,
      type: "text/plain",
      body: "hello\nworld\n"
    })
    expect((await text(`${PODS}/talker/log?container=side&tailLines=1`)).body).toBe("side\n")
    expect((await text(`${PODS}/talker/log?container=main&timestamps=true&tailLines=1`)).body).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z world\n$/
    )
  })

  it("answers Kubernetes' 400s and 404s", async () => {
    const noContainer = await text(`${PODS}/talker/log`)
    expect(noContainer.status).toBe(400)
    expect(JSON.parse(noContainer.body)).toMatchObject({
      kind: "Status",
      reason: "BadRequest",
      message: "a container name must be specified for pod talker, choose one of: [main side]"
    })
    const previous = await text(`${PODS}/talker/log?container=main&previous=true`)
    expect(JSON.parse(previous.body)).toMatchObject({
      code: 400,
      message: 'previous terminated container "main" in pod "talker" not found'
    })
    expect(JSON.parse((await text(`${PODS}/talker/log?container=nope`)).body)).toMatchObject({ code: 400 })
    expect(JSON.parse((await text(`${PODS}/talker/log?container=main&tailLines=x`)).body)).toMatchObject({ code: 400 })
    expect(JSON.parse((await text(`${PODS}/nothere/log`)).body)).toMatchObject({ code: 404, reason: "NotFound" })
    expect((await app.request(`${PODS}/talker/log`, { method: "POST" })).status).toBe(405)
  })

  it("follows until the pod is deleted", async () => {
    const res = await app.request(`${PODS}/talker/log?container=main&follow=true`)
    expect(res.status).toBe(200)
    const first = await readLines(res, 2)
    expect(first.lines).toEqual(["hello", "world"])
    expect((await app.request(`${PODS}/talker`, json("DELETE", { gracePeriodSeconds: 0 }))).status).toBe(200)
    const rest = await readLines(first.reader, 1)
    expect(rest).toMatchObject({ lines: [], ended: true })
  })
})

describe("without a cluster", () => {
  let t: TestApp
  beforeAll(() => {
    t = testApp()
  })
  afterAll(() => t.dispose())

  it("log requests are a 400 saying there are no kubelets", async () => {
    await t.app.request(
      PODS,
      json("POST", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p" },
        spec: { containers: [{ name: "c", image: "x" }] }
      })
    )
    const res = await t.app.request(`${PODS}/p/log`)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { message: string }).message).toContain("not available")
  })
})
