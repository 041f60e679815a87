// podlet's own endpoints over a real (virtual-clock) cluster: clock, faults, images, and bad input.
import { Effect, Layer, ManagedRuntime } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, describe, expect, it } from "vitest"
import { makeApp } from "../src/app.js"
import { clusterLayer } from "../src/ClusterLayer.js"
import { PodletCluster } from "../src/PodletApp.js"

const runtime = ManagedRuntime.make(
  clusterLayer({ nodes: ["node-1"] }, "virtual").pipe(Layer.provideMerge(TestClock.layer()))
)
afterAll(() => runtime.dispose())

const appOf = async () => makeApp({ runtime, podlet: await runtime.runPromise(Effect.service(PodletCluster)) })
const post = (path: string, body: unknown) =>
  new Request(`http://podlet${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web" },
  spec: { containers: [{ name: "app", image: "busybox", command: ["sh", "-c", "sleep 3600"] }] }
}

describe("/podlet/v1", () => {
  it("reads and advances the virtual clock, injects a container exit, and answers bad input with a Status", async () => {
    const app = await appOf()
    const before = (await (await app.request("/podlet/v1/clock")).json()) as { now: string; mode: string }
    expect(before.mode).toBe("virtual")
    expect((await app.request(post("/podlet/v1/clock/advance", { seconds: 90 }))).status).toBe(200)
    const after = (await (await app.request("/podlet/v1/clock")).json()) as { now: string }
    expect(Date.parse(after.now) - Date.parse(before.now)).toBe(90_000)

    expect((await app.request(post("/api/v1/namespaces/default/pods", pod))).status).toBe(201)
    await app.request(post("/podlet/v1/clock/advance", { seconds: 2 }))
    const exit = await app.request(
      post("/podlet/v1/namespaces/default/pods/web/faults", { type: "exit", container: "app", exitCode: 7 })
    )
    expect(exit.status).toBe(200)
    await app.request(post("/podlet/v1/clock/advance", { seconds: 1 }))
    const got = (await (await app.request("/api/v1/namespaces/default/pods/web")).json()) as {
      status: { containerStatuses: Array<{ lastState: { terminated?: { exitCode: number } } }> }
    }
    expect(got.status.containerStatuses[0]?.lastState.terminated?.exitCode).toBe(7)

    const bad = await app.request(
      post("/podlet/v1/namespaces/default/pods/web/faults", { type: "explode", container: "app" })
    )
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      kind: "Status",
      reason: "BadRequest",
      message: expect.stringContaining("explode")
    })
    const missing = await app.request(
      post("/podlet/v1/namespaces/default/pods/nope/faults", { type: "oom", container: "app" })
    )
    expect(missing.status).toBe(400)
    expect((await app.request(post("/podlet/v1/clock/advance", { seconds: -1 }))).status).toBe(400)
    expect((await app.request(post("/podlet/v1/registry/faults", { type: "outage" }))).status).toBe(200)
    expect((await app.request(post("/podlet/v1/images", { image: "example.com/app:1", pullSeconds: 3 }))).status).toBe(
      200
    )
    expect((await app.request(post("/podlet/v1/nodes/node-1/faults", { type: "stop-heartbeat" }))).status).toBe(200)
  })

  it("refuses to advance a real clock", async () => {
    const real = ManagedRuntime.make(clusterLayer({ nodes: ["node-1"] }, "real"))
    try {
      const app = makeApp({ runtime: real, podlet: await real.runPromise(Effect.service(PodletCluster)) })
      const answer = await app.request(post("/podlet/v1/clock/advance", { seconds: 1 }))
      expect(answer.status).toBe(400)
      expect(await answer.json()).toMatchObject({ message: "the clock is real: it cannot be advanced" })
    } finally {
      await real.dispose()
    }
  })
})
