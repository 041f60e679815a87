// The runtime with the real shell interpreter: Pod YAML written for busybox behaves as on a cluster.
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { RuntimeSimulated } from "../../src/layers/RuntimeSimulated.js"
import { SimNetwork } from "../../src/layers/SimNetwork.js"
import type { ContainerConfig, SandboxConfig } from "../../src/services/ContainerRuntime.js"
import { ContainerRuntime } from "../../src/services/ContainerRuntime.js"
import { container } from "./containerConfig.js"

const layer = (network = SimNetwork.make()) =>
  RuntimeSimulated.layer({ nodeName: "n1", podCIDR: "10.244.1.0/24", network })

const pod = (uid = "U", extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  podUid: uid,
  podName: `p-${uid.toLowerCase()}`,
  namespace: "default",
  hostname: `p-${uid.toLowerCase()}`,
  volumes: [],
  ...extra
})

const sh = (script: string) => ["sh", "-c", script]

const run = (sandboxId: string, config: ContainerConfig) =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const id = yield* runtime.createContainer(sandboxId, config)
    yield* runtime.startContainer(id)
    return id
  })

const infoOf = (podUid: string, id: string) =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const found = (yield* runtime.listContainers(podUid)).find((c) => c.id === id)
    if (found === undefined) throw new Error(`no container ${id}`)
    return found
  })

const logLines = (id: string) =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    return (yield* runtime.logs(id)).map((l) => l.line)
  })

describe("busybox pods", () => {
  it.effect("replica pods' containers, configs equal but for the kubelet's HOSTNAME: each sees its own env", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const script = sh("echo $HOSTNAME $GREETING; env | sort")
      const outputs: Array<ReadonlyArray<string>> = []
      for (const uid of ["A", "B"]) {
        const sb = yield* runtime.runPodSandbox(pod(uid))
        const env = [
          { name: "HOSTNAME", value: `p-${uid.toLowerCase()}` },
          { name: "GREETING", value: "hi" }
        ]
        // twice: a restart of the same container
        for (const attempt of [0, 1]) {
          const id = yield* run(sb.id, container("app", "busybox", script, { env, attempt }))
          outputs.push(yield* logLines(id))
        }
      }
      const of = (host: string) => [
        `${host} hi`,
        "GREETING=hi",
        "HOME=/root",
        `HOSTNAME=${host}`,
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PWD=/"
      ]
      expect(outputs).toEqual([of("p-a"), of("p-a"), of("p-b"), of("p-b")])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a script's exit code and output; a script that runs for a while", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const failing = yield* run(sb.id, container("fail", "busybox", sh("echo starting; exit 3")))
      expect(yield* infoOf("U", failing)).toMatchObject({ state: "exited", exitCode: 3, reason: "Error" })
      expect(yield* logLines(failing)).toEqual(["starting"])
      const counting = yield* run(
        sb.id,
        container("count", "busybox:1.36", sh("for i in 1 2 3; do echo tick $i; sleep 1; done"))
      )
      yield* TestClock.adjust(3_000)
      expect(yield* infoOf("U", counting)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        finishedAt: 3_000
      })
      expect((yield* runtime.logs(counting)).map((l) => [l.time, l.line])).toEqual([
        [0, "tick 1"],
        [1_000, "tick 2"],
        [2_000, "tick 3"]
      ])
      // command + args as Kubernetes splits them
      const split = yield* run(sb.id, container("split", "busybox", ["sh", "-c"], { args: ["echo $0 $1", "a", "b"] }))
      expect(yield* logLines(split)).toEqual(["a b"])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("busybox with no command exits 0 at once; `sleep 3600` runs", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const bare = yield* run(sb.id, container("bare", "busybox", []))
      expect(yield* infoOf("U", bare)).toMatchObject({ state: "exited", exitCode: 0, reason: "Completed" })
      const sleeper = yield* run(sb.id, container("sleeper", "busybox", ["sleep", "3600"]))
      yield* TestClock.adjust(3_599_000)
      expect((yield* infoOf("U", sleeper)).state).toBe("running")
      yield* TestClock.adjust(1_000)
      expect(yield* infoOf("U", sleeper)).toMatchObject({ state: "exited", exitCode: 0, finishedAt: 3_600_000 })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("SIGTERM: ignored by a script that does not trap it (137 after the grace period)", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("app", "busybox", sh("while true; do sleep 1; done")))
      yield* TestClock.adjust(100_000)
      const stop = yield* Effect.forkChild(runtime.stopContainer(id, 30))
      yield* TestClock.adjust(29_000)
      expect((yield* infoOf("U", id)).state).toBe("running")
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(stop)
      expect(yield* infoOf("U", id)).toMatchObject({
        state: "exited",
        exitCode: 137,
        reason: "Error",
        finishedAt: 130_000
      })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("SIGTERM: a trap runs when the foreground command ends and sets the exit code", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(
        sb.id,
        container("app", "busybox", sh("trap 'echo bye; exit 0' TERM; while true; do sleep 5; done"))
      )
      yield* TestClock.adjust(2_000)
      const stop = yield* Effect.forkChild(runtime.stopContainer(id, 30))
      yield* TestClock.adjust(3_000)
      yield* Fiber.join(stop)
      expect(yield* infoOf("U", id)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        finishedAt: 5_000
      })
      expect(yield* logLines(id)).toEqual(["bye"])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("SIGTERM: a server exits 143 at once", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("web", "nginx", []))
      yield* runtime.stopContainer(id, 30)
      expect(yield* infoOf("U", id)).toMatchObject({ state: "exited", exitCode: 143, reason: "Error", finishedAt: 0 })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("SIGTERM: the pause image says so on stderr and exits 0 (pause.c's sigdown)", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const term = yield* run(sb.id, container("pause", "registry.k8s.io/pause:3.10", []))
      yield* runtime.stopContainer(term, 30)
      expect(yield* infoOf("U", term)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        finishedAt: 0
      })
      expect(yield* logLines(term)).toEqual(["Shutting down, got signal: Terminated"])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("StartError: an absolute path the image does not have", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* runtime.createContainer(sb.id, container("app", "busybox", ["/nonexistent"]))
      const error = yield* Effect.flip(runtime.startContainer(id))
      expect(error.reason).toBe("RunContainerError")
      expect(error.message).toContain('exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown')
      expect(yield* infoOf("U", id)).toMatchObject({ state: "exited", exitCode: 128, reason: "StartError" })
      // busybox has no bash, as on a cluster
      const bash = yield* runtime.createContainer(sb.id, container("bash", "busybox", ["bash", "-c", "echo hi"]))
      expect((yield* Effect.flip(runtime.startContainer(bash))).message).toContain(
        'exec: "bash": executable file not found in $PATH'
      )
      // /bin/sh is in the image
      const ok = yield* run(sb.id, container("ok", "busybox", ["/bin/sh", "-c", "exit 0"]))
      expect((yield* infoOf("U", ok)).reason).toBe("Completed")
    }).pipe(Effect.provide(layer()))
  )

  it.effect("emptyDir survives a restart and is shared; each instance's own files are reset", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod("U", { volumes: [{ name: "cache", type: "emptyDir" }] }))
      const mounts = [{ volume: "cache", mountPath: "/cache", readOnly: false }]
      const script = sh("cat /cache/x 2>&1; cat /tmp/y 2>&1; echo run >> /cache/x; echo mine > /tmp/y; exit 1")
      const first = yield* run(sb.id, container("app", "busybox", script, { mounts }))
      const second = yield* run(sb.id, container("app", "busybox", script, { mounts, attempt: 1 }))
      expect((yield* infoOf("U", first)).exitCode).toBe(1)
      expect(yield* logLines(first)).toEqual([
        "cat: can't open '/cache/x': No such file or directory",
        "cat: can't open '/tmp/y': No such file or directory"
      ])
      expect(yield* logLines(second)).toEqual(["run", "cat: can't open '/tmp/y': No such file or directory"])
      const peer = yield* run(sb.id, container("peer", "busybox", sh("wc -l < /cache/x"), { mounts }))
      expect((yield* logLines(peer)).map((l) => l.trim())).toEqual(["2"])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("the pod's hostname and managed /etc/hosts", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod("U", { hostname: "web-0" }))
      const id = yield* run(sb.id, container("app", "busybox", sh("hostname; cat /etc/hostname; tail -n 1 /etc/hosts")))
      expect(yield* logLines(id)).toEqual(["web-0", "web-0", `${sb.ip}\tweb-0`])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("two containers of one pod cannot listen on the same port", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const first = yield* run(sb.id, container("a", "busybox", ["nc", "-l", "-p", "8080"]))
      const second = yield* run(sb.id, container("b", "busybox", sh("nc -l -p 8080")))
      expect((yield* infoOf("U", first)).state).toBe("running")
      expect(yield* infoOf("U", second)).toMatchObject({ state: "exited", exitCode: 1, reason: "Error" })
      expect((yield* logLines(second)).join("\n")).toContain("Address already in use")
      expect(yield* runtime.probePort(sb.id, 8080, "tcp")).toBe(true)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a pod reaches another pod's server by IP, and its own by localhost", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const web = yield* runtime.runPodSandbox(pod("W"))
      yield* run(web.id, container("nginx", "nginx:1.27", []))
      const client = yield* runtime.runPodSandbox(pod("C"))
      const get = yield* run(client.id, container("get", "busybox", sh(`wget -q -O - http://${web.ip}/ | grep '<h1>'`)))
      expect(yield* logLines(get)).toEqual(["<h1>Welcome to nginx!</h1>"])
      const local = yield* run(client.id, container("local", "busybox", sh("wget -q -O - http://localhost/")))
      expect((yield* infoOf("C", local)).exitCode).not.toBe(0)
      const side = yield* run(
        web.id,
        container("side", "busybox", sh("wget -q -O - http://localhost:80/ >/dev/null && echo ok"))
      )
      expect(yield* logLines(side)).toEqual(["ok"])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("Service names resolve through the pluggable resolver", () => {
    const network = SimNetwork.make()
    return Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const web = yield* runtime.runPodSandbox(pod("W"))
      yield* run(web.id, container("nginx", "nginx", []))
      network.setResolver((name, ns) =>
        name === "web" || name === `web.${ns}.svc.cluster.local` ? "10.96.0.20" : undefined
      )
      network.setRouter((ip, port) => (ip === "10.96.0.20" && port === 80 ? { ip: web.ip, port: 80 } : undefined))
      const client = yield* runtime.runPodSandbox(pod("C"))
      const get = yield* run(
        client.id,
        container("get", "busybox", sh("wget -q -O /dev/null http://web/ && echo reached"))
      )
      expect(yield* logLines(get)).toEqual(["reached"])
    }).pipe(Effect.provide(layer(network)))
  })

  it.effect("stress above the memory limit is OOMKilled; below it keeps running", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const mi = 1024 * 1024
      const oom = yield* run(
        sb.id,
        container("memory-demo-2", "polinux/stress", ["stress"], {
          args: ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"],
          memoryLimit: 100 * mi
        })
      )
      yield* TestClock.adjust(1_000)
      expect(yield* infoOf("U", oom)).toMatchObject({ state: "exited", exitCode: 137, reason: "OOMKilled" })
      const fits = yield* run(
        sb.id,
        container("memory-demo", "polinux/stress", ["stress"], {
          args: ["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"],
          memoryLimit: 200 * mi
        })
      )
      yield* TestClock.adjust(60_000)
      expect((yield* infoOf("U", fits)).state).toBe("running")
    }).pipe(Effect.provide(layer()))
  )

  it.effect("exec probes run in the container's filesystem; a slow exec times out", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(
        sb.id,
        container("liveness", "busybox", sh("touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"))
      )
      expect(yield* runtime.exec(id, ["cat", "/tmp/healthy"], 1)).toEqual({ exitCode: 0, output: "" })
      yield* TestClock.adjust(35_000)
      const failed = yield* runtime.exec(id, ["cat", "/tmp/healthy"], 1)
      expect(failed.exitCode).toBe(1)
      expect(failed.output).toContain("No such file or directory")
      const slow = yield* Effect.forkChild(runtime.exec(id, ["sh", "-c", "sleep 10"], 2))
      yield* TestClock.adjust(2_000)
      expect((yield* Fiber.join(slow)).exitCode).toBe(-1)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("server images' own health tools answer exec probes", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const redis = yield* run(sb.id, container("redis", "redis:7", []))
      expect(yield* runtime.exec(redis, ["redis-cli", "ping"], 1)).toEqual({ exitCode: 0, output: "PONG\n" })
      const pg = yield* run(
        sb.id,
        container("pg", "postgres:16", [], { env: [{ name: "POSTGRES_PASSWORD", value: "pw" }] })
      )
      expect(yield* runtime.exec(pg, ["pg_isready", "-U", "postgres"], 1)).toEqual({
        exitCode: 0,
        output: "/var/run/postgresql:5432 - accepting connections\n"
      })
      const web = yield* run(sb.id, container("web", "nginx", []))
      expect((yield* runtime.exec(web, ["nginx", "-s", "quit"], 1)).exitCode).toBe(0)
      expect(yield* infoOf("U", web)).toMatchObject({ state: "exited", exitCode: 0, reason: "Completed" })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("nginx serves a configMap mounted over its document root", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(
        pod("U", { volumes: [{ name: "html", type: "files", files: { "index.html": "hello from a configMap\n" } }] })
      )
      yield* run(
        sb.id,
        container("web", "nginx", [], {
          mounts: [{ volume: "html", mountPath: "/usr/share/nginx/html", readOnly: true }]
        })
      )
      const get = yield* run(sb.id, container("get", "busybox", sh("wget -q -O - http://localhost/")))
      expect(yield* logLines(get)).toEqual(["hello from a configMap"])
      expect(yield* runtime.probePort(sb.id, 80, "http", "/missing")).toBe(false)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a script file from a configMap volume runs as the command", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(
        pod("U", {
          volumes: [{ name: "scripts", type: "files", files: { "run.sh": "#!/bin/sh\necho from script $1\nexit 4\n" } }]
        })
      )
      const id = yield* run(
        sb.id,
        container("app", "busybox", ["/scripts/run.sh", "arg"], {
          mounts: [{ volume: "scripts", mountPath: "/scripts", readOnly: true }]
        })
      )
      expect(yield* infoOf("U", id)).toMatchObject({ exitCode: 4, reason: "Error" })
      expect(yield* logLines(id)).toEqual(["from script arg"])
    }).pipe(Effect.provide(layer()))
  )
})

describe("sleep as the command", () => {
  it.effect("`sleep N` exits 0 after N seconds, ignores SIGTERM as PID 1, and `sleep infinity` never ends", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const short = yield* run(sb.id, container("short", "busybox", ["/bin/sleep", "1m"]))
      const forever = yield* run(sb.id, container("forever", "busybox", ["sleep", "infinity"]))
      const bad = yield* run(sb.id, container("bad", "busybox", ["sleep", "soon"]))
      expect(yield* infoOf("U", bad)).toMatchObject({ state: "exited", exitCode: 1 })
      expect(yield* logLines(bad)).toEqual(["sleep: invalid number 'soon'"])
      yield* TestClock.adjust(59_000)
      const stop = yield* Effect.forkChild(runtime.stopContainer(short, 5))
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(stop)
      expect(yield* infoOf("U", short)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        finishedAt: 60_000
      })
      yield* TestClock.adjust(86_400_000)
      expect((yield* infoOf("U", forever)).state).toBe("running")
      const kill = yield* Effect.forkChild(runtime.stopContainer(forever, 2))
      yield* TestClock.adjust(2_000)
      yield* Fiber.join(kill)
      expect(yield* infoOf("U", forever)).toMatchObject({ state: "exited", exitCode: 137, reason: "Error" })
    }).pipe(Effect.provide(layer()))
  )
})

describe("volumes and termination messages", () => {
  it.effect("the termination message file becomes the exited instance's message", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(
        sb.id,
        container("app", "busybox", sh("echo 'config missing' > /dev/termination-log; exit 2"), {
          terminationMessagePath: "/dev/termination-log"
        })
      )
      expect(yield* infoOf("U", id)).toMatchObject({ exitCode: 2, reason: "Error", message: "config missing\n" })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a configMap key mounted by subPath is a single read-only file", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(
        pod("U", { volumes: [{ name: "cfg", type: "files", files: { "app.conf": "port=8080\n", other: "x" } }] })
      )
      const id = yield* run(
        sb.id,
        container("app", "busybox", sh("cat /etc/app.conf; ls /etc/app.conf; echo y > /etc/app.conf || echo refused"), {
          mounts: [{ volume: "cfg", mountPath: "/etc/app.conf", subPath: "app.conf", readOnly: true }]
        })
      )
      const out = yield* logLines(id)
      expect(out[0]).toBe("port=8080")
      expect(out[1]).toBe("/etc/app.conf")
      expect(out).toContain("refused")
      expect(out).toContain("sh: can't create /etc/app.conf: Read-only file system")
    }).pipe(Effect.provide(layer()))
  )

  it.effect("hostPath directories are the node's: shared by pods on the node", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const volumes = [{ name: "host", type: "hostPath" as const, path: "/var/data" }]
      const mounts = [{ volume: "host", mountPath: "/data", readOnly: false }]
      const a = yield* runtime.runPodSandbox(pod("A", { volumes }))
      yield* run(a.id, container("writer", "busybox", sh("echo from-a > /data/f"), { mounts }))
      const b = yield* runtime.runPodSandbox(pod("B", { volumes }))
      const reader = yield* run(b.id, container("reader", "busybox", sh("cat /data/f"), { mounts }))
      expect(yield* logLines(reader)).toEqual(["from-a"])
    }).pipe(Effect.provide(layer()))
  )
})

describe("two nodes on one network", () => {
  it.effect("pods on different nodes get IPs from their node's podCIDR and reach each other's servers", () =>
    Effect.gen(function* () {
      const network = SimNetwork.make()
      const node = (nodeName: string, podCIDR: string) =>
        Layer.build(RuntimeSimulated.layer({ nodeName, podCIDR, network })).pipe(
          Effect.map((context) => Context.get(context, ContainerRuntime))
        )
      const n1 = yield* node("n1", "10.244.1.0/24")
      const n2 = yield* node("n2", "10.244.2.0/24")
      const web = yield* n1.runPodSandbox(pod("W"))
      const client = yield* n2.runPodSandbox(pod("C"))
      expect([web.ip, client.ip]).toEqual(["10.244.1.2", "10.244.2.2"])
      const nginx = yield* n1.createContainer(web.id, container("nginx", "nginx", []))
      yield* n1.startContainer(nginx)
      const get = yield* n2.createContainer(
        client.id,
        container("get", "busybox", sh(`wget -q -O - http://${web.ip}/ | grep title`))
      )
      yield* n2.startContainer(get)
      expect((yield* n2.logs(get)).map((l) => l.line)).toEqual(["<title>Welcome to nginx!</title>"])
      // container ids are unique per node
      expect(nginx).not.toBe(get)
    }).pipe(Effect.scoped)
  )
})

describe("memory through exec", () => {
  it.effect("an exec that allocates past the limit OOM-kills the container; the exec ends with 137", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(
        sb.id,
        container("app", "polinux/stress", ["sleep", "3600"], { memoryLimit: 64 * 1024 * 1024 })
      )
      const result = yield* runtime.exec(id, ["stress", "--vm", "1", "--vm-bytes", "128M", "--vm-hang", "1"], 10)
      expect(result.exitCode).toBe(137)
      expect(yield* infoOf("U", id)).toMatchObject({ state: "exited", exitCode: 137, reason: "OOMKilled" })
    }).pipe(Effect.provide(layer()))
  )
})
