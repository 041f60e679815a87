/**
 * The Worker on the real clock: the cluster's timers keep the Durable Object's alarm armed, and an
 * alarm wakes an object that was evicted (its cluster rebuilt from storage) and re-arms it.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test"
import { env } from "cloudflare:workers"
import { describe, expect, it } from "vitest"
import { clusterObjectName } from "../../src/worker/ClusterObject.js"
import type { WorkerEnv } from "../../src/worker.js"
import { call, lines, pod, post } from "../support.js"

const PODS = "/api/v1/namespaces/default/pods"

const clusterStub = () => {
  const namespace = (env as unknown as WorkerEnv).CLUSTER
  return namespace.get(namespace.idFromName(clusterObjectName))
}

const alarmAt = (): Promise<number | null> =>
  runInDurableObject(clusterStub(), (_instance, state) => state.storage.getAlarm())

describe("the Worker on the real clock", () => {
  it("runs a pod to Running on its own, and keeps the alarm at the cluster's next timer", async () => {
    const list = (await (await call(PODS)).json()) as { metadata: { resourceVersion: string } }
    const watch = lines(
      await call(`${PODS}?watch=1&resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name%3Dlive`)
    )
    expect((await call(PODS, post(pod("live")))).status).toBe(201)
    // wait on the watch (no sleeps): the pod's events until one shows it Running
    for (let phase: string | undefined; phase !== "Running"; ) {
      const [line] = await watch.take(1)
      expect(line).toBeDefined()
      phase = (JSON.parse(line!) as { object: { status?: { phase?: string } } }).object.status?.phase
    }
    await watch.cancel()
    const clock = (await (await call("/podlet/v1/clock")).json()) as { mode: string }
    expect(clock.mode).toBe("real")
    expect((await call("/podlet/v1/clock/advance", post({ seconds: 1 }))).status).toBe(400)
    // node heartbeats and status updates are pending timers: the alarm is armed no later than they are due
    const at = await alarmAt()
    expect(at).not.toBeNull()
    expect(at!).toBeLessThanOrEqual(Date.now() + 60_000)
  })

  it("is woken by its alarm after an eviction: the cluster comes back from storage and re-arms the alarm", async () => {
    expect(
      (
        await call(
          "/api/v1/namespaces/default/configmaps",
          post({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kept" } })
        )
      ).status
    ).toBe(201)
    await abortAllDurableObjects()
    expect(await runDurableObjectAlarm(clusterStub())).toBe(true)
    expect(await alarmAt()).not.toBeNull()
    expect((await call("/api/v1/namespaces/default/configmaps/kept")).status).toBe(200)
  })
})
