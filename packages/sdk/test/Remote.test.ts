/**
 * `connect()` beyond the contract: how it reaches a server (token, kubeconfig contexts), what it
 * does on a real clock (waitFor watches with a wall-clock deadline) and on a server without
 * podlet's endpoints (UnsupportedError), and how unreachable servers fail.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import {
  type Cluster,
  ConnectionError,
  connect,
  type KubeObject,
  TimeoutError,
  UnauthorizedError,
  UnsupportedError
} from "../src/index.js"
import { startServer } from "./support/server.js"

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close()
})
const keep = <T extends { close(): Promise<void> }>(c: T): T => {
  open.push(c)
  return c
}

const sleeper: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "sleeper" },
  spec: { containers: [{ name: "main", image: "busybox:1.36", command: ["sleep", "3600"] }] }
} as KubeObject

const kubeconfig = (contexts: ReadonlyArray<{ name: string; server: string; token: string }>, current: string) => {
  const dir = mkdtempSync(join(tmpdir(), "podlet-sdk-kc-"))
  const path = join(dir, "config")
  const yaml = [
    "apiVersion: v1",
    "kind: Config",
    `current-context: ${current}`,
    "clusters:",
    ...contexts.flatMap((c) => [
      `- name: ${c.name}`,
      "  cluster:",
      `    server: ${c.server}`,
      "    insecure-skip-tls-verify: true"
    ]),
    "users:",
    ...contexts.flatMap((c) => [`- name: ${c.name}`, "  user:", `    token: ${c.token}`]),
    "contexts:",
    ...contexts.flatMap((c) => [`- name: ${c.name}`, "  context:", `    cluster: ${c.name}`, `    user: ${c.name}`])
  ].join("\n")
  writeFileSync(path, `${yaml}\n`)
  return path
}

describe("connect", () => {
  it("sends the bearer token; without it the server's 401 is an UnauthorizedError", async () => {
    const server = keep(await startServer({ token: "s3cret" }))
    await expect(connect({ server: server.url })).rejects.toBeInstanceOf(UnauthorizedError)
    const cluster = keep(await connect({ server: server.url, token: "s3cret" }))
    await cluster.apply(sleeper)
    expect((await cluster.pods.get("sleeper")).metadata.name).toBe("sleeper")
    const seen = server.requests.filter((r) => r.authorization === "Bearer s3cret").map((r) => `${r.method} ${r.path}`)
    expect(seen).toContain("POST /api/v1/namespaces/default/pods")
  })

  it("uses the kubeconfig's named context, or its current one", async () => {
    const a = keep(await startServer({ token: "token-a" }))
    const b = keep(await startServer({ token: "token-b", nodes: ["node-1", "node-2"] }))
    const path = kubeconfig(
      [
        { name: "a", server: a.url, token: "token-a" },
        { name: "b", server: b.url, token: "token-b" }
      ],
      "a"
    )
    const current = keep(await connect({ kubeconfig: path }))
    expect((await current.nodes.list()).map((n) => n.metadata.name)).toEqual(["node-1"])
    const named = keep(await connect({ kubeconfig: path, context: "b" }))
    expect((await named.nodes.list()).map((n) => n.metadata.name)).toEqual(["node-1", "node-2"])
    await expect(connect({ kubeconfig: path, context: "c" })).rejects.toThrow(/no context "c"/)
  })

  it("on a real clock: waitFor watches with a wall-clock deadline; the clock cannot be advanced", async () => {
    const server = keep(await startServer({ clock: "real" }))
    const cluster: Cluster = keep(await connect({ server: server.url }))
    expect(cluster.clock.mode).toBe("real")
    await cluster.apply(sleeper)
    const pod = await cluster.waitFor("sleeper", { status: "Running" }, { timeout: "20s" })
    expect(pod.status?.phase).toBe("Running")
    const started = Date.now()
    await expect(cluster.waitFor("sleeper", { phase: "Succeeded" }, { timeout: 300 })).rejects.toBeInstanceOf(
      TimeoutError
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await expect(cluster.clock.advance("1s")).rejects.toBeInstanceOf(UnsupportedError)
  })

  it("on a server without podlet's endpoints: the Kubernetes API works, faults and images are unsupported", async () => {
    const server = keep(await startServer({ clock: "real", podletEndpoints: false }))
    const cluster = keep(await connect({ server: server.url }))
    expect(cluster.clock.mode).toBe("real")
    const now = (await cluster.clock.now()).getTime()
    expect(Math.abs(now - Date.now())).toBeLessThan(5_000)
    await cluster.apply(sleeper)
    const failure = await cluster.faults
      .containerExit({ pod: "sleeper", container: "main" }, 1)
      .catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(UnsupportedError)
    expect((failure as UnsupportedError).message).toMatch(/not a podlet server/)
    await expect(cluster.images.preload("node-1", "local/app:dev")).rejects.toBeInstanceOf(UnsupportedError)
    await expect(cluster.nodes.add("node-9")).rejects.toBeInstanceOf(UnsupportedError)
  })

  it("fails with a ConnectionError when nothing listens", async () => {
    const server = await startServer()
    const url = server.url
    await server.close()
    const failure = await connect({ server: url }).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ConnectionError)
    expect((failure as ConnectionError).message).toContain(url)
  })
})
