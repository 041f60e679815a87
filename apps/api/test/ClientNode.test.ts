/**
 * @kubernetes/client-node 1.4 against the real Node server on 127.0.0.1 (ephemeral port).
 */
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  Watch
} from "@kubernetes/client-node"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeApp } from "../src/app.js"
import { listen, type NodeServer } from "../src/NodeServer.js"

let runtime: ManagedRuntime.ManagedRuntime<unknown, never>
let server: NodeServer
let kc: KubeConfig
let core: CoreV1Api

beforeAll(async () => {
  const rt = ManagedRuntime.make(StoreMemory.layer)
  runtime = rt as ManagedRuntime.ManagedRuntime<unknown, never>
  server = await listen(makeApp({ runtime: rt }), "127.0.0.1", 0)
  kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: "podlet", server: server.url, skipTLSVerify: true }],
    users: [{ name: "podlet" }],
    contexts: [{ name: "podlet", cluster: "podlet", user: "podlet", namespace: "default" }],
    currentContext: "podlet"
  })
  core = kc.makeApiClient(CoreV1Api)
})

afterAll(async () => {
  await server.close()
  await runtime.dispose()
})

const podBody = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels },
  spec: { containers: [{ name: "main", image: "nginx:1.25" }] }
})

const failure = async (
  promise: Promise<unknown>
): Promise<{ code: number; body: { kind: string; reason: string } }> => {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException)
    const e = error as ApiException<string>
    return { code: e.code, body: JSON.parse(e.body) as { kind: string; reason: string } }
  }
  throw new Error("expected the call to fail")
}

describe("client-node against the Node server", () => {
  it("creates, reads and lists with label and field selectors", async () => {
    const created = await core.createNamespacedPod({ namespace: "default", body: podBody("web", { app: "web" }) })
    expect(created.metadata?.uid).toBeTruthy()
    expect(created.kind).toBe("Pod")
    await core.createNamespacedPod({ namespace: "default", body: podBody("db", { app: "db" }) })
    const read = await core.readNamespacedPod({ name: "web", namespace: "default" })
    expect(read.metadata?.uid).toBe(created.metadata?.uid)
    const byLabel = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })
    expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(["web"])
    const byField = await core.listNamespacedPod({ namespace: "default", fieldSelector: "metadata.name=db" })
    expect(byField.items.map((p) => p.metadata?.name)).toEqual(["db"])
    const all = await core.listPodForAllNamespaces()
    expect(all.items.map((p) => p.metadata?.name).sort()).toEqual(["db", "web"])
  })

  it("patches with merge and strategic merge patches", async () => {
    await core.createNamespacedPod({ namespace: "default", body: podBody("patchme", { app: "p" }) })
    const merged = await core.patchNamespacedPod(
      { name: "patchme", namespace: "default", body: { metadata: { labels: { tier: "front" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch)
    )
    expect(merged.metadata?.labels).toEqual({ app: "p", tier: "front" })
    const smp = await core.patchNamespacedPod(
      {
        name: "patchme",
        namespace: "default",
        body: { spec: { containers: [{ name: "main", image: "nginx:1.26" }] } }
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch)
    )
    expect(smp.spec?.containers[0]?.image).toBe("nginx:1.26")
  })

  it("writes the status subresource", async () => {
    await core.createNamespacedPod({ namespace: "default", body: podBody("stat") })
    const patched = await core.patchNamespacedPodStatus(
      { name: "stat", namespace: "default", body: { status: { phase: "Running", podIP: "10.0.0.5" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch)
    )
    expect(patched.status?.phase).toBe("Running")
    const status = await core.readNamespacedPodStatus({ name: "stat", namespace: "default" })
    expect(status.status?.podIP).toBe("10.0.0.5")
  })

  it("watches: headers arrive at once on a quiet stream, then events as they happen", async () => {
    const events: Array<[string, string | undefined]> = []
    let sawDeleted: () => void = () => {}
    const deleted = new Promise<void>((resolve) => {
      sawDeleted = resolve
    })
    const list = await core.listNamespacedPod({ namespace: "default" })
    // the promise resolves once the response headers arrived: a quiet watch must not hold them back
    const controller = await new Watch(kc).watch(
      "/api/v1/namespaces/default/pods",
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, object: V1Pod) => {
        events.push([type, object.metadata?.name])
        if (type === "DELETED") sawDeleted()
      },
      () => {}
    )
    await core.createNamespacedPod({ namespace: "default", body: podBody("watched") })
    await core.deleteNamespacedPod({ name: "watched", namespace: "default", gracePeriodSeconds: 0 })
    await deleted
    controller.abort()
    expect(events).toEqual([
      ["ADDED", "watched"],
      ["DELETED", "watched"]
    ])
  })

  it("deletes with gracePeriodSeconds in the query and an empty body", async () => {
    await core.createNamespacedPod({ namespace: "default", body: podBody("gone") })
    const deleted = await core.deleteNamespacedPod({ name: "gone", namespace: "default", gracePeriodSeconds: 0 })
    expect(deleted.metadata?.name).toBe("gone")
    expect((await failure(core.readNamespacedPod({ name: "gone", namespace: "default" }))).code).toBe(404)
  })

  it("gets errors as Status objects", async () => {
    const missing = await failure(core.readNamespacedPod({ name: "nothere", namespace: "default" }))
    expect(missing).toMatchObject({ code: 404, body: { kind: "Status", reason: "NotFound" } })
    await core.createNamespacedPod({ namespace: "default", body: podBody("twice") })
    const dup = await failure(core.createNamespacedPod({ namespace: "default", body: podBody("twice") }))
    expect(dup).toMatchObject({ code: 409, body: { reason: "AlreadyExists" } })
    const invalid = await failure(
      core.createNamespacedPod({
        namespace: "default",
        body: { apiVersion: "v1", kind: "Pod", metadata: {}, spec: { containers: [] } }
      })
    )
    expect(invalid).toMatchObject({ code: 422, body: { reason: "Invalid" } })
    const ghost = await failure(core.createNamespacedPod({ namespace: "ghost", body: podBody("x") }))
    expect(ghost).toMatchObject({ code: 404, body: { reason: "NotFound" } })
  })

  it("KubernetesObjectApi discovers resources through /api/v1 and creates generic objects", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc)
    const created = await objects.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg", namespace: "default" },
      data: { a: "1" }
    } as KubernetesObject)
    expect(created.metadata?.uid).toBeTruthy()
    const read = await objects.read({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg", namespace: "default" }
    })
    expect((read as unknown as { data: Record<string, string> }).data).toEqual({ a: "1" })
  })
})
