import { afterEach, describe, expect, it } from "vitest"
import {
  type Cluster,
  createCluster,
  InvalidError,
  type KubeObject,
  NotFoundError,
  TimeoutError,
  toMillis
} from "../src/index.js"

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

const crashing = `
apiVersion: v1
kind: Pod
metadata: { name: crashy }
spec:
  nodeName: node-1
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo starting; exit 1"]
`

describe("createCluster (embedded, virtual clock)", () => {
  it("a crashing pod reaches CrashLoopBackOff after 3 restarts within 70 virtual seconds", async () => {
    cluster = await createCluster()
    const start = (await cluster.clock.now()).getTime()
    await cluster.apply(crashing)
    const pod = await cluster.waitFor(
      "crashy",
      (p) =>
        p.status?.containerStatuses?.[0]?.restartCount === 3 &&
        p.status.containerStatuses[0].state.waiting?.reason === "CrashLoopBackOff",
      { timeout: "70s" }
    )
    expect(pod.status?.phase).toBe("Running")
    expect((await cluster.clock.now()).getTime() - start).toBeLessThanOrEqual(70_000)
    expect(await cluster.pods.status("crashy")).toMatchObject({ ready: "0/1", status: "CrashLoopBackOff" })
    const logs = await cluster.pods.logs("crashy", { previous: true })
    expect(logs.map((l) => l.line)).toEqual(["starting"])
    const reasons = (await cluster.events("crashy")).map((e) => e.reason)
    expect(reasons).toContain("BackOff")
  })

  it("waits on the kubectl STATUS column and times out in cluster time", async () => {
    cluster = await createCluster()
    await cluster.apply(crashing)
    await cluster.waitFor("crashy", { status: "CrashLoopBackOff" }, { timeout: "1m" })
    await expect(cluster.waitFor("crashy", { phase: "Succeeded" }, { timeout: "30s" })).rejects.toBeInstanceOf(
      TimeoutError
    )
  })

  it("calls that move the virtual clock at the same time take turns: time moves by their sum", async () => {
    cluster = await createCluster()
    const c = cluster
    const start = (await c.clock.now()).getTime()
    await Promise.all([c.clock.advance("10s"), c.clock.advance("5s"), c.apply(crashing), c.clock.advance("1s")])
    expect((await c.clock.now()).getTime() - start).toBe(16_000)
    expect((await c.pods.get("crashy")).status?.containerStatuses?.[0]?.restartCount).toBeGreaterThan(0)
  })

  it("fails with typed errors carrying the Kubernetes Status", async () => {
    cluster = await createCluster()
    const missing = await cluster.pods.get("nope").catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(NotFoundError)
    expect((missing as NotFoundError).status).toMatchObject({ kind: "Status", code: 404, reason: "NotFound" })
    const invalid = await cluster
      .apply({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "x" },
        spec: { containers: [{ name: "c" }] }
      } as KubeObject)
      .catch((e: unknown) => e)
    expect(invalid).toBeInstanceOf(InvalidError)
    expect((invalid as InvalidError).causes).toContainEqual(
      expect.objectContaining({ field: "spec.containers[0].image" })
    )
  })

  it("watches pods as an async iterator", async () => {
    cluster = await createCluster()
    const events = cluster.watch("Pod", { namespace: "default" })
    await cluster.apply(crashing)
    const first = await events.next()
    expect(first.value).toMatchObject({ type: "ADDED", object: { metadata: { name: "crashy" } } })
    await events.return?.()
  })
})

describe("toMillis", () => {
  it.each([
    [1500, 1500],
    ["90s", 90_000],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["5 minutes", 300_000]
  ] as const)("%s", (input, ms) => expect(toMillis(input)).toBe(ms))

  it("rejects what is not a duration", () => {
    expect(() => toMillis("soon")).toThrow(/not a duration: "soon"/)
    expect(() => toMillis(-1)).toThrow(RangeError)
  })
})
