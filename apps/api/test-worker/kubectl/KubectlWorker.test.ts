/**
 * kubectl end to end against the Worker under `wrangler dev` (offline, loopback, real clock, 2
 * nodes, state in a temporary directory), with the kubeconfig `npm run serve` writes: apply
 * (twice, then with a change), get pods in several forms, wait, get -w, describe with events, logs,
 * logs -f, delete, get nodes/events, api-resources; wrangler restarted over the same state keeps
 * the pod; scale a replicaset, cordon, drain. Runs on Node (it drives processes) where kubectl is on PATH; elsewhere it
 * prints one line saying so.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kubeconfigYaml } from "../../src/Kubeconfig.js"

const hasKubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0
if (!hasKubectl) console.log("kubectl is not on PATH: the kubectl tests against the local Worker do not run here")

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const wranglerCli = join(appDir, "node_modules", "wrangler", "wrangler-dist", "cli.js")

/** A port nobody listens on now. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** Starts `wrangler dev` on `port` over the state in `persist`; resolves once it reports ready. */
const startWrangler = (port: number, inspectorPort: number, persist: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--no-warnings",
        "--experimental-vm-modules",
        wranglerCli,
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        persist,
        "--show-interactive-dev-session=false",
        "--var",
        "PODLET_CLOCK:real",
        "--var",
        "PODLET_NODES:2"
      ],
      {
        cwd: appDir,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready on")) resolve(child)
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)))
  })

/** Stops wrangler (SIGINT: it stops its workerd processes) and waits for it to exit. */
const stopWrangler = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.removeAllListeners("exit")
    child.once("exit", () => resolve())
    child.kill("SIGINT")
  })

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const replicaSet = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
spec:
  replicas: 2
  selector:
    matchLabels: {app: rs}
  template:
    metadata:
      labels: {app: rs}
    spec:
      containers:
      - name: main
        image: nginx:1.25
`

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: main
    image: nginx:1.25
`

describe.runIf(hasKubectl)("kubectl against the local Worker (wrangler dev)", { timeout: 90_000 }, () => {
  let dir: string
  let port: number
  let inspectorPort: number
  let wrangler: ChildProcess
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "podlet-worker-kubectl-"))
    port = await freePort()
    inspectorPort = await freePort()
    wrangler = await startWrangler(port, inspectorPort, join(dir, "state"))
    writeFileSync(join(dir, "kubeconfig"), kubeconfigYaml(`http://127.0.0.1:${port}`))
    writeFileSync(join(dir, "pod.yaml"), pod)
    writeFileSync(join(dir, "rs.yaml"), replicaSet)
    env = { ...process.env, HOME: dir, KUBECONFIG: join(dir, "kubeconfig") }
  }, 120_000)

  afterAll(async () => {
    if (wrangler !== undefined) await stopWrangler(wrangler)
    rmSync(dir, { recursive: true, force: true })
  })

  const kubectl = (...args: Array<string>): Promise<Run> =>
    new Promise((resolve) => {
      execFile("kubectl", args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      })
    })

  const ok = async (...args: Array<string>): Promise<string> => {
    const run = await kubectl(...args)
    expect(run.stderr, `kubectl ${args.join(" ")}`).toBe("")
    expect(run.code).toBe(0)
    return run.stdout
  }

  it("discovers the server: version and api-resources", async () => {
    expect(await ok("version", "-o", "json")).toContain('"gitVersion": "v1.32.')
    const resources = await ok("api-resources")
    for (const name of ["pods", "nodes", "events", "replicasets"])
      expect(resources).toMatch(new RegExp(`^${name}\\s`, "m"))
  })

  it("applies a pod twice (created, unchanged) and with a change (configured), and waits for it to be Ready", async () => {
    expect(await ok("apply", "-f", join(dir, "pod.yaml"))).toBe("pod/web created\n")
    expect(await ok("apply", "-f", join(dir, "pod.yaml"))).toBe("pod/web unchanged\n")
    writeFileSync(join(dir, "pod.yaml"), pod.replace("{app: web}", "{app: web, tier: front}"))
    expect(await ok("apply", "-f", join(dir, "pod.yaml"))).toBe("pod/web configured\n")
    expect(await ok("wait", "--for=condition=Ready", "pod/web", "--timeout=60s")).toBe("pod/web condition met\n")
  })

  it("gets pods: default, -o wide, -o json, -l, -A", async () => {
    expect(await ok("get", "pods")).toMatch(/^web\s+1\/1\s+Running\s+0\s+/m)
    expect(await ok("get", "pods", "-o", "wide")).toMatch(
      /^web\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node-[12]\s/m
    )
    const json = JSON.parse(await ok("get", "pod", "web", "-o", "json")) as { kind: string; status: { phase: string } }
    expect(json).toMatchObject({ kind: "Pod", status: { phase: "Running" } })
    expect(await ok("get", "pods", "-l", "tier=front", "-o", "name")).toBe("pod/web\n")
    expect(await ok("get", "pods", "-A")).toMatch(/^default\s+web\s+1\/1\s+Running/m)
  })

  it("streams with get pods -w: the list at once, then each change", async () => {
    const child = spawn("kubectl", ["get", "pods", "-w"], { env })
    const first = await new Promise<string>((resolve) => {
      let out = ""
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.split("\n").length > 2) resolve(out)
      })
    })
    expect(first).toMatch(/^NAME\s+READY\s+STATUS/)
    expect(first).toMatch(/^web\s+1\/1\s+Running/m)
    // a change arrives as a new line at once (no compressor holds it back)
    // (kubectl may write one line in several chunks: read up to the line's end)
    const next = new Promise<string>((resolve) => {
      let line = ""
      const onData = (chunk: Buffer) => {
        line += chunk.toString()
        if (!line.includes("\n")) return
        child.stdout.off("data", onData)
        resolve(line)
      }
      child.stdout.on("data", onData)
    })
    await ok("label", "pod", "web", "watched=yes")
    expect(await next).toMatch(/^web\s+1\/1\s+Running/m)
    child.kill("SIGINT")
  })

  it("describes the pod with its events, prints its logs, lists nodes and events", async () => {
    const described = await ok("describe", "pod", "web")
    expect(described).toMatch(/^Events:/m)
    expect(described).toMatch(/Scheduled\s+.*default-scheduler\s+Successfully assigned default\/web to node-[12]/)
    expect(await ok("logs", "web")).toContain("/docker-entrypoint.sh")
    const follow = spawn("kubectl", ["logs", "-f", "web"], { env })
    const followed = await new Promise<string>((resolve) => {
      follow.stdout.on("data", (chunk: Buffer) => resolve(chunk.toString()))
    })
    follow.kill("SIGINT")
    expect(followed).toContain("/docker-entrypoint.sh")
    expect(await ok("get", "nodes")).toMatch(/^node-1\s+Ready\s/m)
    expect(await ok("get", "events")).toMatch(/Started\s+pod\/web/)
  })

  it("keeps the pod across a restart of wrangler dev over the same state", async () => {
    const uid = await ok("get", "pod", "web", "-o", "jsonpath={.metadata.uid}")
    await stopWrangler(wrangler)
    wrangler = await startWrangler(port, inspectorPort, join(dir, "state"))
    expect(await ok("get", "pod", "web", "-o", "jsonpath={.metadata.uid}")).toBe(uid)
  })

  it("deletes the pod and reports a missing one as kubectl users know it", async () => {
    expect(await ok("delete", "pod", "web", "--grace-period=1")).toBe('pod "web" deleted\n')
    const missing = await kubectl("get", "pod", "web")
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('Error from server (NotFound): pods "web" not found')
  })

  it("scales a replicaset, cordons and drains a node (evictions), and uncordons it", async () => {
    expect(await ok("apply", "-f", join(dir, "rs.yaml"))).toBe("replicaset.apps/rs created\n")
    expect(await ok("scale", "replicaset", "rs", "--replicas", "3")).toBe("replicaset.apps/rs scaled\n")
    await ok("wait", "--for=jsonpath={.status.readyReplicas}=3", "replicaset/rs", "--timeout=60s")
    expect(await ok("cordon", "node-2")).toBe("node/node-2 cordoned\n")
    const drained = await ok("drain", "node-2", "--ignore-daemonsets", "--grace-period=1", "--timeout=60s")
    expect(drained).toContain("node/node-2 drained")
    const nodes = await ok("get", "pods", "-l", "app=rs", "-o", "jsonpath={.items[*].spec.nodeName}")
    expect(nodes.split(" ").filter((node) => node === "node-2")).toEqual([])
    expect(await ok("uncordon", "node-2")).toBe("node/node-2 uncordoned\n")
  })
})
