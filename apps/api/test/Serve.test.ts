/**
 * `npm run serve`'s flags wired end to end (`startServe`, in-process, on ephemeral ports): the
 * virtual clock and its resumption over SQLite, the node lifecycle modes, the process runtime,
 * loopback-only without a token file, and bearer tokens from `--token-file` used by kubectl (where
 * it is on PATH) and by @kubernetes/client-node.
 */
import { execFile, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse } from "yaml"
import { type Served, startServe } from "../src/Serve.js"
import { parseServeFlags, type ServeFlags } from "../src/ServeFlags.js"
import { pod, readLines } from "./support.js"

const flags = (...argv: Array<string>): ServeFlags => {
  const parsed = parseServeFlags(["--port", "0", ...argv])
  if (typeof parsed === "string") throw new Error(parsed)
  return parsed
}

const started = async (f: ServeFlags, dir = mkdtempSync(join(tmpdir(), "podlet-serve-"))): Promise<Served> => {
  const served = await startServe(f, dir)
  if ("_tag" in served) throw new Error(served.message)
  return served
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })

const PODS = "/api/v1/namespaces/default/pods"

describe("startServe's options (the API benchmark's wiring)", () => {
  it("extend: routes beside the API's on the same server, behind its middleware; the app it answers is served", async () => {
    const dir = mkdtempSync(join(tmpdir(), "podlet-serve-"))
    let wrapped = 0
    const served = await startServe(flags("--store", `sqlite:${join(dir, "cluster.db")}`, "--nodes", "0"), dir, {
      extend: (app) => {
        app.post("/extra", async (c) => c.json(await c.req.json(), 201))
        return Object.assign(Object.create(app) as typeof app, {
          fetch: (request: Request, env: unknown) => {
            wrapped += 1
            return app.fetch(request, env)
          }
        })
      }
    })
    if ("_tag" in served) throw new Error(served.message)
    try {
      const extra = await post(`${served.url}/extra`, { a: 1 })
      expect(extra.status).toBe(201)
      expect(await extra.json()).toEqual({ a: 1 })
      expect((await post(`${served.url}${PODS}`, pod("e"))).status).toBe(201)
      const metrics = await (await fetch(`${served.url}/metrics`)).text()
      expect(metrics).toContain('podlet_api_requests_total{verb="create",resource="pods",code="201"} 1')
      expect(wrapped).toBe(3)
    } finally {
      await served.close()
    }
  })

  it("reuseWrittenJson: false answers the same bytes as reusing SQLite's JSON", async () => {
    const answers: Array<string> = []
    for (const reuseWrittenJson of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), "podlet-serve-"))
      const served = await startServe(flags("--store", `sqlite:${join(dir, "cluster.db")}`, "--nodes", "0"), dir, {
        reuseWrittenJson
      })
      if ("_tag" in served) throw new Error(served.message)
      try {
        const text = await (await post(`${served.url}${PODS}`, pod("j"))).text()
        answers.push(text.replace(/"(uid|creationTimestamp)":"[^"]*"/g, '"$1":"-"'))
      } finally {
        await served.close()
      }
    }
    expect(answers[1]).toEqual(answers[0])
  })
})

describe("serve flags, wired", () => {
  it("--clock virtual: the clock moves only when advanced", async () => {
    const s = await started(flags("--store", "memory", "--clock", "virtual", "--nodes", "1"))
    try {
      const before = (await (await fetch(`${s.url}/podlet/v1/clock`)).json()) as { now: string; mode: string }
      expect(before.mode).toBe("virtual")
      expect((await post(`${s.url}/podlet/v1/clock/advance`, { seconds: 3600 })).status).toBe(200)
      const after = (await (await fetch(`${s.url}/podlet/v1/clock`)).json()) as { now: string }
      expect(Date.parse(after.now) - Date.parse(before.now)).toBe(3_600_000)
      expect(s.banner[0]).toContain("clock: virtual")
      // watches deliver without the clock moving (their keep-alives run on the wall clock)
      const watch = await fetch(`${s.url}${PODS}?watch=1`)
      expect((await post(`${s.url}${PODS}`, pod("w"))).status).toBe(201)
      const { lines, cancel } = await readLines(watch.body!.getReader(), 1)
      await cancel()
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: "ADDED", object: { metadata: { name: "w" } } })
    } finally {
      await s.close()
    }
  })

  it("--clock real (the default): advancing is refused", async () => {
    const s = await started(flags("--store", "memory", "--nodes", "0"))
    try {
      expect(((await (await fetch(`${s.url}/podlet/v1/clock`)).json()) as { mode: string }).mode).toBe("real")
      expect((await post(`${s.url}/podlet/v1/clock/advance`, { seconds: 1 })).status).toBe(400)
    } finally {
      await s.close()
    }
  })

  it("--clock virtual over SQLite resumes where it stopped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "podlet-serve-"))
    const f = flags("--clock", "virtual", "--nodes", "1")
    const first = await started(f, dir)
    await post(`${first.url}/podlet/v1/clock/advance`, { seconds: 7200 })
    const stopped = ((await (await fetch(`${first.url}/podlet/v1/clock`)).json()) as { now: string }).now
    await first.close()
    const second = await started(f, dir)
    try {
      const resumed = ((await (await fetch(`${second.url}/podlet/v1/clock`)).json()) as { now: string }).now
      expect(resumed).toBe(stopped)
    } finally {
      await second.close()
    }
  })

  /** A pod on node-1, then node-1 stops heartbeating for 50 s of virtual time. */
  const lostNode = async (lifecycle: string) => {
    const s = await started(
      flags("--store", "memory", "--clock", "virtual", "--nodes", "1", "--node-lifecycle", lifecycle)
    )
    try {
      expect((await post(`${s.url}${PODS}`, pod("p"))).status).toBe(201)
      await post(`${s.url}/podlet/v1/clock/advance`, { seconds: 100 })
      await post(`${s.url}/podlet/v1/nodes/node-1/faults`, { type: "stop-heartbeat" })
      await post(`${s.url}/podlet/v1/clock/advance`, { seconds: 50 })
      return (
        (await (await fetch(`${s.url}${PODS}/p`)).json()) as {
          status: { phase: string; reason?: string }
        }
      ).status
    } finally {
      await s.close()
    }
  }

  it("--node-lifecycle legacy: pods of an unreachable node turn Unknown / NodeLost", async () => {
    expect(await lostNode("legacy")).toMatchObject({ phase: "Unknown", reason: "NodeLost" })
  })

  it("--node-lifecycle modern (the default): they stay Running", async () => {
    const status = await lostNode("modern")
    expect(status.phase).toBe("Running")
    expect(status.reason).toBeUndefined()
  })

  it("--runtime process: one node that is this machine, containers are its processes", async () => {
    const s = await started(flags("--store", "memory", "--runtime", "process"))
    try {
      const nodes = (await (await fetch(`${s.url}/api/v1/nodes`)).json()) as {
        items: Array<{ metadata: { name: string }; status: { nodeInfo: { containerRuntimeVersion: string } } }>
      }
      expect(nodes.items.map((n) => n.metadata.name)).toEqual([hostname()])
      // --isolation auto: the node says which mode the machine allowed
      expect(nodes.items[0]?.status.nodeInfo.containerRuntimeVersion).toMatch(
        /^podlet-process:\/\/(host|linux\+(crun|runc))$/
      )
      const watch = await fetch(`${s.url}${PODS}?watch=1&fieldSelector=metadata.name%3Dhost`)
      const created = await post(`${s.url}${PODS}`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "host" },
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "main", image: "busybox", command: ["sh", "-c", "echo from-$((6*7))"] }]
        }
      })
      expect(created.status).toBe(201)
      const reader = watch.body!.getReader()
      let phase = ""
      while (phase !== "Succeeded" && phase !== "Failed") {
        const { lines } = await readLines(reader, 1)
        if (lines.length === 0) break
        phase = (JSON.parse(lines[0]!) as { object: { status?: { phase?: string } } }).object.status?.phase ?? ""
      }
      await reader.cancel()
      expect(phase).toBe("Succeeded")
      expect(await (await fetch(`${s.url}${PODS}/host/log`)).text()).toBe("from-42\n")
    } finally {
      await s.close()
    }
  })

  it("refuses a non-loopback host without --token-file, and an unreadable or empty token file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "podlet-serve-"))
    expect(await startServe(flags("--host", "0.0.0.0"), dir)).toMatchObject({
      _tag: "ServeFailure",
      exitCode: 2,
      message: expect.stringContaining("refusing to listen on 0.0.0.0: without --token-file")
    })
    expect(await startServe(flags("--token-file", join(dir, "missing.csv")), dir)).toMatchObject({
      exitCode: 2,
      message: expect.stringContaining("--token-file")
    })
    writeFileSync(join(dir, "short.csv"), "only,two\n")
    expect(await startServe(flags("--token-file", join(dir, "short.csv")), dir)).toMatchObject({
      exitCode: 2,
      message: expect.stringContaining("must have at least 3 columns")
    })
  })
})

const hasKubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0
if (!hasKubectl) console.log("kubectl is not on PATH: the kubectl token tests do not run here")

describe("--token-file", { timeout: 60_000 }, () => {
  let dir: string
  let served: Served
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "podlet-tokens-"))
    writeFileSync(
      join(dir, "tokens.csv"),
      'viewer-token,viewer,2,"podlet:view"\nadmin-token,admin,1,"system:masters"\n'
    )
    // a non-loopback address is allowed once a token file is given
    served = await started(
      flags("--store", "memory", "--nodes", "1", "--token-file", join(dir, "tokens.csv"), "--host", "0.0.0.0"),
      dir
    )
  })
  afterAll(() => served.close())

  /** A kubeconfig like the served one, with another token (or none). */
  const kubeconfigWith = (name: string, token: string | undefined): string => {
    const config = parse(readFileSync(served.kubeconfig, "utf8")) as { users: Array<{ user: Record<string, string> }> }
    config.users[0]!.user = token === undefined ? {} : { token }
    const path = join(dir, name)
    writeFileSync(path, JSON.stringify(config))
    return path
  }

  it("serves https and writes the kubeconfig with the system:masters user's token and the certificate to trust", () => {
    const config = parse(readFileSync(served.kubeconfig, "utf8")) as {
      users: Array<{ user: unknown }>
      clusters: Array<{ cluster: Record<string, string> }>
    }
    expect(config.users[0]!.user).toEqual({ token: "admin-token" })
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const cluster = config.clusters[0]!.cluster
    expect(cluster["server"]).toBe(served.url)
    expect(Buffer.from(cluster["certificate-authority-data"]!, "base64").toString()).toBe(
      readFileSync(join(dir, "tls.crt"), "utf8")
    )
    expect(served.banner[1]).toContain("user admin")
    expect(served.banner.join("\n")).not.toContain("admin-token")
  })

  it("@kubernetes/client-node with the written kubeconfig works; with a wrong token it gets 401", async () => {
    const kc = new KubeConfig()
    kc.loadFromFile(served.kubeconfig)
    const core = kc.makeApiClient(CoreV1Api)
    await core.createNamespacedPod({ namespace: "default", body: pod("from-client-node") as never })
    const list = await core.listNamespacedPod({ namespace: "default" })
    expect(list.items.map((p) => p.metadata?.name)).toContain("from-client-node")

    const wrong = new KubeConfig()
    wrong.loadFromFile(kubeconfigWith("wrong.kubeconfig", "nope"))
    const error = await wrong
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: "default" })
      .then(
        () => undefined,
        (e: unknown) => e
      )
    expect(error).toBeInstanceOf(ApiException)
    expect((error as ApiException<string>).code).toBe(401)
  })

  const kubectl = (kubeconfig: string, ...args: Array<string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        "kubectl",
        ["--kubeconfig", kubeconfig, ...args],
        { env: { ...process.env, HOME: dir }, timeout: 30_000 },
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
        }
      )
      // no terminal: kubectl must not wait for a typed username after a 401
      child.stdin?.end()
    })

  it.runIf(hasKubectl)(
    "kubectl with the token creates and reads; a viewer is Forbidden; a wrong token is Unauthorized",
    async () => {
      const manifest = join(dir, "web.yaml")
      writeFileSync(
        manifest,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.25\n"
      )
      const create = await kubectl(served.kubeconfig, "apply", "-f", manifest)
      expect(create.stderr).toBe("")
      expect(create.stdout).toBe("pod/web created\n")
      expect((await kubectl(served.kubeconfig, "get", "pod", "web", "-o", "name")).stdout).toBe("pod/web\n")

      const viewer = kubeconfigWith("viewer.kubeconfig", "viewer-token")
      expect((await kubectl(viewer, "get", "pods", "-o", "name")).stdout).toContain("pod/web")
      const refused = await kubectl(viewer, "delete", "pod", "web")
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(
        'Error from server (Forbidden): pods "web" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "default"'
      )

      // (with no token at all kubectl asks for a username on its terminal, before any request)
      const wrong = await kubectl(kubeconfigWith("wrong-kubectl.kubeconfig", "nope"), "get", "pods")
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).toContain("error: You must be logged in to the server (Unauthorized)")
    }
  )
})
