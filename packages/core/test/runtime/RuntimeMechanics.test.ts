// Runtime mechanics with a minimal stand-in interpreter (test/runtime/fakeRunner.ts): exit reasons,
// servers, start errors, signals, filesystem lifetimes, ports, memory, logs, exec, events.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { makeImageCache, makeImageInfo } from "../../src/layers/RegistrySimulated.js"
import { RuntimeSimulated } from "../../src/layers/RuntimeSimulated.js"
import { SimNetwork } from "../../src/layers/SimNetwork.js"
import type { ContainerConfig, SandboxConfig } from "../../src/services/ContainerRuntime.js"
import { ContainerRuntime } from "../../src/services/ContainerRuntime.js"
import { container } from "./containerConfig.js"
import { fakeRunner } from "./fakeRunner.js"

/** the node's images: the default catalogue, plus an image with neither entrypoint nor cmd */
const images = makeImageCache([makeImageInfo("example.com/scratch:1", { entrypoint: [], cmd: [] })])

const layer = (network = SimNetwork.make(), logLimits?: { maxLines: number; maxBytes: number }) =>
  RuntimeSimulated.layer({
    nodeName: "n1",
    podCIDR: "10.244.1.0/24",
    network,
    images,
    interpreter: fakeRunner,
    ...(logLimits !== undefined ? { logLimits } : {})
  })

const pod = (uid = "U", extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
  podUid: uid,
  podName: `p-${uid}`,
  namespace: "default",
  hostname: `p-${uid}`,
  volumes: [],
  ...extra
})

/** create + start; returns the container id (start errors are left to the caller via `startExit`) */
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
    const all = yield* runtime.listContainers(podUid)
    const found = all.find((c) => c.id === id)
    if (found === undefined) throw new Error(`no container ${id}`)
    return found
  })

const lines = (id: string) =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    return (yield* runtime.logs(id)).map((l) => l.line)
  })

describe("RuntimeSimulated: exits", () => {
  it.effect("exit 0 is Completed, non-zero is Error, at the Clock's time", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      yield* TestClock.adjust(5_000)
      const ok = yield* run(sb.id, container("ok", "busybox", ["exit", "0"]))
      const bad = yield* run(sb.id, container("bad", "busybox", ["exit", "3"]))
      const slow = yield* run(sb.id, container("slow", "busybox", ["sleep", "10"]))
      expect(yield* infoOf("U", ok)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        startedAt: 5_000,
        finishedAt: 5_000
      })
      expect(yield* infoOf("U", bad)).toMatchObject({ state: "exited", exitCode: 3, reason: "Error" })
      expect(yield* infoOf("U", slow)).toMatchObject({ state: "running", startedAt: 5_000 })
      yield* TestClock.adjust(10_000)
      expect(yield* infoOf("U", slow)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        finishedAt: 15_000
      })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("an OS image with no command runs its shell with no stdin and exits 0 at once", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      for (const image of ["busybox", "alpine:3.20", "debian", "ubuntu:24.04"]) {
        const id = yield* run(sb.id, container(image.replace(/[:.]/g, "-"), image, []))
        expect(yield* infoOf("U", id)).toMatchObject({ state: "exited", exitCode: 0, reason: "Completed" })
      }
      // node and python read an empty stdin too
      const node = yield* run(sb.id, container("node", "node:22", []))
      expect(yield* infoOf("U", node)).toMatchObject({ state: "exited", exitCode: 0 })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a command outside the image is a StartError (128) with containerd's message", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* runtime.createContainer(sb.id, container("app", "busybox", ["/nonexistent"]))
      const exit = yield* Effect.exit(runtime.startContainer(id))
      expect(exit).toEqual(
        Exit.fail(
          expect.objectContaining({
            _tag: "RuntimeError",
            reason: "RunContainerError",
            message:
              'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown'
          })
        )
      )
      expect(yield* infoOf("U", id)).toMatchObject({ state: "exited", exitCode: 128, reason: "StartError" })
      const bare = yield* runtime.createContainer(sb.id, container("bare", "busybox", ["nosuchcmd"]))
      const bareExit = yield* Effect.exit(runtime.startContainer(bare))
      expect(Exit.isFailure(bareExit)).toBe(true)
      expect((yield* infoOf("U", bare)).message).toContain('exec: "nosuchcmd": executable file not found in $PATH')
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a container with neither command nor image default fails to be created", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const exit = yield* Effect.exit(runtime.createContainer(sb.id, container("x", "example.com/scratch:1", [])))
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ reason: "CreateContainerError" })))
      yield* runtime.createContainer(sb.id, container("y", "busybox", ["sleep", "1"]))
      const twice = yield* Effect.exit(runtime.createContainer(sb.id, container("y", "busybox", ["sleep", "1"])))
      expect(twice).toEqual(
        Exit.fail(expect.objectContaining({ message: expect.stringContaining('name "y_p-U_default_U_0" is reserved') }))
      )
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: instances of equal configs", () => {
  it.effect("each instance keeps its own attempt and command when pods run equal containers", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const a = yield* runtime.runPodSandbox(pod("A"))
      const b = yield* runtime.runPodSandbox(pod("B"))
      const c = yield* runtime.runPodSandbox(pod("C"))
      const first = yield* run(a.id, container("c", "busybox", ["exit", "1"]))
      const other = yield* run(b.id, container("c", "busybox", ["exit", "1"], { attempt: 2 }))
      // same name and hash, another command: its own config
      const changed = yield* run(c.id, container("c", "busybox", ["exit", "3"], { attempt: 2 }))
      const restarted = yield* run(a.id, container("c", "busybox", ["exit", "1"], { attempt: 1 }))
      expect(yield* infoOf("A", first)).toMatchObject({ attempt: 0, hash: "h1", exitCode: 1 })
      expect(yield* infoOf("B", other)).toMatchObject({ attempt: 2, hash: "h1", exitCode: 1 })
      expect(yield* infoOf("C", changed)).toMatchObject({ attempt: 2, hash: "h1", exitCode: 3 })
      expect(yield* infoOf("A", restarted)).toMatchObject({ attempt: 1, exitCode: 1 })
      // an attempt's name is reserved in its own pod only
      const again = yield* Effect.exit(runtime.createContainer(a.id, container("c", "busybox", ["exit", "1"])))
      expect(again).toEqual(
        Exit.fail(expect.objectContaining({ message: expect.stringContaining('name "c_p-A_default_A_0" is reserved') }))
      )
      yield* runtime.createContainer(b.id, container("c", "busybox", ["exit", "1"], { attempt: 1 }))
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: servers", () => {
  it.effect("nginx listens on 80, serves its document root, and exits 143 at once on SIGTERM", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("web", "nginx:1.27", []))
      expect(yield* infoOf("U", id)).toMatchObject({ state: "running", image: "docker.io/library/nginx:1.27" })
      expect(yield* runtime.probePort(sb.id, 80, "tcp")).toBe(true)
      expect(yield* runtime.probePort(sb.id, 80, "http", "/")).toBe(true)
      expect(yield* runtime.probePort(sb.id, 80, "http", "/healthz")).toBe(false)
      expect(yield* runtime.probePort(sb.id, 8080, "tcp")).toBe(false)
      expect(yield* lines(id)).toContain("/docker-entrypoint.sh: Configuration complete; ready for start up")
      yield* TestClock.adjust(7_000)
      yield* runtime.stopContainer(id, 30)
      expect(yield* infoOf("U", id)).toMatchObject({
        state: "exited",
        exitCode: 143,
        reason: "Error",
        finishedAt: 7_000
      })
      expect(yield* runtime.probePort(sb.id, 80, "tcp")).toBe(false)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a program the simulation does not know is a server on the declared ports", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(
        sb.id,
        container("app", "example.com/app:1.0", ["/app/server"], { ports: [{ containerPort: 8080, protocol: "TCP" }] })
      )
      expect((yield* infoOf("U", id)).state).toBe("running")
      expect(yield* runtime.probePort(sb.id, 8080, "http", "/healthz")).toBe(true)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("an image nobody described runs its own program: a server on the declared ports", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(
        sb.id,
        container("app", "local/app:dev", [], {
          args: ["--port=9090"],
          ports: [{ containerPort: 9090, protocol: "TCP" }]
        })
      )
      expect((yield* infoOf("U", id)).state).toBe("running")
      expect(yield* runtime.probePort(sb.id, 9090, "tcp")).toBe(true)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("postgres without a password exits 1 with its error; with one it listens on 5432", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const bad = yield* run(sb.id, container("db", "postgres:16", []))
      expect(yield* infoOf("U", bad)).toMatchObject({ state: "exited", exitCode: 1, reason: "Error" })
      expect((yield* lines(bad))[0]).toBe("Error: Database is uninitialized and superuser password is not specified.")
      const good = yield* run(
        sb.id,
        container("db", "postgres:16", [], { attempt: 1, env: [{ name: "POSTGRES_PASSWORD", value: "x" }] })
      )
      expect((yield* infoOf("U", good)).state).toBe("running")
      expect(yield* runtime.probePort(sb.id, 5432, "tcp")).toBe(true)
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: signals", () => {
  it.effect("a process that ignores SIGTERM is SIGKILLed after the grace period: 137 Error", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("app", "busybox", ["sleep", "3600"]))
      yield* TestClock.adjust(100_000)
      const stop = yield* Effect.forkChild(runtime.stopContainer(id, 30))
      yield* TestClock.adjust(29_999)
      expect((yield* infoOf("U", id)).state).toBe("running")
      yield* TestClock.adjust(1)
      yield* Fiber.join(stop)
      expect(yield* infoOf("U", id)).toMatchObject({
        state: "exited",
        exitCode: 137,
        reason: "Error",
        finishedAt: 130_000
      })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a process that traps SIGTERM exits with its own code when it is done", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("app", "busybox", ["trap", "0", "2"]))
      const stop = yield* Effect.forkChild(runtime.stopContainer(id, 30))
      yield* TestClock.adjust(2_000)
      yield* Fiber.join(stop)
      expect(yield* infoOf("U", id)).toMatchObject({
        state: "exited",
        exitCode: 0,
        reason: "Completed",
        finishedAt: 2_000
      })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("an exec can signal the main process (kill 1)", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("web", "nginx", []))
      expect(yield* runtime.exec(id, ["killpid", "1"], 5)).toEqual({ exitCode: 0, output: "" })
      expect(yield* infoOf("U", id)).toMatchObject({ state: "exited", exitCode: 143 })
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: filesystem", () => {
  it.effect("emptyDir is shared by the pod's containers and survives restarts; the writable layer does not", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod("U", { volumes: [{ name: "cache", type: "emptyDir" }] }))
      const mounts = [{ volume: "cache", mountPath: "/cache", readOnly: false }]
      const first = yield* run(sb.id, container("app", "busybox", ["write", "/cache/x", "hello"], { mounts }))
      yield* run(sb.id, container("app2", "busybox", ["write", "/tmp/y", "mine"], { mounts }))
      expect((yield* infoOf("U", first)).exitCode).toBe(0)
      const reader = yield* run(sb.id, container("reader", "busybox", ["sleep", "3600"], { mounts }))
      expect(yield* runtime.exec(reader, ["cat", "/cache/x"], 1)).toEqual({ exitCode: 0, output: "hello\n" })
      // the next instance of app2 sees the emptyDir but not what the previous instance wrote to /tmp
      const again = yield* run(sb.id, container("app2", "busybox", ["sleep", "3600"], { mounts, attempt: 1 }))
      expect(yield* runtime.exec(again, ["cat", "/cache/x"], 1)).toEqual({ exitCode: 0, output: "hello\n" })
      expect((yield* runtime.exec(again, ["cat", "/tmp/y"], 1)).exitCode).toBe(1)
      // a new pod gets a new, empty emptyDir
      const other = yield* runtime.runPodSandbox(pod("V", { volumes: [{ name: "cache", type: "emptyDir" }] }))
      const fresh = yield* run(other.id, container("app", "busybox", ["sleep", "3600"], { mounts }))
      expect((yield* runtime.exec(fresh, ["cat", "/cache/x"], 1)).exitCode).toBe(1)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("configMap files are read-only; /etc/hostname and /etc/hosts are the kubelet's", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(
        pod("U", {
          hostname: "db",
          fqdn: "db.backend.prod.svc.cluster.local",
          namespace: "prod",
          hostAliases: [{ ip: "1.2.3.4", hostnames: ["foo.local", "bar.local"] }],
          volumes: [{ name: "cfg", type: "files", files: { "app.conf": "a=1\n" } }]
        })
      )
      const id = yield* run(
        sb.id,
        container("app", "busybox", ["sleep", "3600"], {
          mounts: [{ volume: "cfg", mountPath: "/etc/app", readOnly: false }]
        })
      )
      expect(yield* runtime.exec(id, ["cat", "/etc/app/app.conf"], 1)).toEqual({ exitCode: 0, output: "a=1\n" })
      expect((yield* runtime.exec(id, ["write", "/etc/app/app.conf", "b"], 1)).exitCode).toBe(1)
      expect((yield* runtime.exec(id, ["cat", "/etc/hostname"], 1)).output).toBe("db\n")
      expect((yield* runtime.exec(id, ["cat", "/etc/hosts"], 1)).output).toBe(
        [
          "# Kubernetes-managed hosts file.",
          "127.0.0.1\tlocalhost",
          "::1\tlocalhost ip6-localhost ip6-loopback",
          "fe00::0\tip6-localnet",
          "fe00::0\tip6-mcastprefix",
          "fe00::1\tip6-allnodes",
          "fe00::2\tip6-allrouters",
          `${sb.ip}\tdb.backend.prod.svc.cluster.local\tdb`,
          "",
          "# Entries added by HostAliases.",
          "1.2.3.4\tfoo.local\tbar.local",
          ""
        ].join("\n")
      )
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: network", () => {
  it.effect("pod IPs come from the podCIDR; the second listener on a port of one pod fails", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const a = yield* runtime.runPodSandbox(pod("A"))
      const b = yield* runtime.runPodSandbox(pod("B"))
      expect([a.ip, b.ip]).toEqual(["10.244.1.2", "10.244.1.3"])
      const first = yield* run(a.id, container("one", "busybox", ["listen", "8080"]))
      const second = yield* run(a.id, container("two", "busybox", ["listen", "8080"]))
      expect((yield* infoOf("A", first)).state).toBe("running")
      expect(yield* infoOf("A", second)).toMatchObject({ state: "exited", exitCode: 1, reason: "Error" })
      expect(yield* lines(second)).toEqual(["nc: bind: Address already in use"])
      // another pod has its own port space
      const third = yield* run(b.id, container("one", "busybox", ["listen", "8080"]))
      expect((yield* infoOf("B", third)).state).toBe("running")
    }).pipe(Effect.provide(layer()))
  )

  it.effect("any pod reaches a listening container of another pod by IP; localhost reaches the own pod", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const a = yield* runtime.runPodSandbox(pod("A"))
      const b = yield* runtime.runPodSandbox(pod("B"))
      yield* run(a.id, container("srv", "busybox", ["listen", "8080"]))
      const client = yield* run(b.id, container("client", "busybox", ["sleep", "3600"]))
      expect((yield* runtime.exec(client, ["connect", a.ip, "8080"], 1)).exitCode).toBe(0)
      expect((yield* runtime.exec(client, ["connect", a.ip, "9090"], 1)).exitCode).toBe(1)
      expect((yield* runtime.exec(client, ["connect", "localhost", "8080"], 1)).exitCode).toBe(1)
      const sidecar = yield* run(a.id, container("side", "busybox", ["sleep", "3600"]))
      expect((yield* runtime.exec(sidecar, ["connect", "localhost", "8080"], 1)).exitCode).toBe(0)
      expect((yield* runtime.exec(sidecar, ["connect", "p-A", "8080"], 1)).exitCode).toBe(0)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a pod shares one network across nodes; stopping the sandbox releases its IP and ports", () => {
    const network = SimNetwork.make()
    return Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const a = yield* runtime.runPodSandbox(pod("A"))
      const id = yield* run(a.id, container("web", "nginx", []))
      const created = yield* runtime.createContainer(a.id, container("created", "busybox", ["sleep", "1"]))
      yield* runtime.stopPodSandbox(a.id)
      const start = yield* Effect.exit(runtime.startContainer(created))
      expect(start).toEqual(Exit.fail(expect.objectContaining({ reason: "RunContainerError" })))
      expect(yield* infoOf("A", id)).toMatchObject({ state: "exited", exitCode: 137 })
      expect(network.ipOf(a.id)).toBeUndefined()
      expect((yield* runtime.listSandboxes("A"))[0]?.state).toBe("notready")
      const late = yield* Effect.exit(runtime.createContainer(a.id, container("late", "busybox", ["sleep", "1"])))
      expect(late).toEqual(Exit.fail(expect.objectContaining({ reason: "CreateContainerError" })))
      yield* runtime.removePodSandbox(a.id)
      expect(yield* runtime.listSandboxes("A")).toEqual([])
      expect(yield* runtime.listContainers("A")).toEqual([])
    }).pipe(Effect.provide(layer(network)))
  })
})

describe("RuntimeSimulated: memory", () => {
  it.effect("memory above the limit is OOMKilled (137); below it runs", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const mi = 1024 * 1024
      const oom = yield* run(
        sb.id,
        container("big", "polinux/stress", ["alloc", String(150 * mi)], { memoryLimit: 100 * mi })
      )
      expect(yield* infoOf("U", oom)).toMatchObject({ state: "exited", exitCode: 137, reason: "OOMKilled" })
      const fits = yield* run(
        sb.id,
        container("small", "polinux/stress", ["alloc", String(50 * mi)], { memoryLimit: 100 * mi })
      )
      expect((yield* infoOf("U", fits)).state).toBe("running")
      const unlimited = yield* run(sb.id, container("free", "polinux/stress", ["alloc", String(500 * mi)]))
      expect((yield* infoOf("U", unlimited)).state).toBe("running")
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: logs, exec, events", () => {
  it.effect("logs are timestamped, bounded to the newest lines, and kept per instance", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      yield* TestClock.adjust(1_000)
      const first = yield* run(sb.id, container("app", "busybox", ["spam", "8"]))
      yield* TestClock.adjust(1_000)
      const second = yield* run(sb.id, container("app", "busybox", ["echo", "again"], { attempt: 1 }))
      const logs = yield* runtime.logs(first)
      expect(logs.map((l) => l.line)).toEqual(["line 3", "line 4", "line 5", "line 6", "line 7"])
      expect(logs.every((l) => l.time === 1_000 && l.stream === "stdout")).toBe(true)
      expect(yield* runtime.logs(second)).toEqual([{ time: 2_000, stream: "stdout", line: "again" }])
      yield* runtime.removeContainer(first)
      expect(yield* runtime.logs(first)).toEqual([])
    }).pipe(Effect.provide(layer(SimNetwork.make(), { maxLines: 5, maxBytes: 1024 * 1024 })))
  )

  it.effect("exec returns the output and exit code; a timeout is exit -1", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const id = yield* run(sb.id, container("app", "busybox", ["sleep", "3600"]))
      expect(yield* runtime.exec(id, ["echo", "hi"], 1)).toEqual({ exitCode: 0, output: "hi\n" })
      const slow = yield* Effect.forkChild(runtime.exec(id, ["sleep", "5"], 1))
      yield* TestClock.adjust(1_000)
      expect((yield* Fiber.join(slow)).exitCode).toBe(-1)
      const stopped = yield* run(sb.id, container("done", "busybox", ["exit", "0"]))
      expect((yield* runtime.exec(stopped, ["echo", "hi"], 1)).exitCode).toBe(-1)
      expect((yield* runtime.exec(id, ["/nonexistent"], 1)).exitCode).toBe(126)
    }).pipe(Effect.provide(layer()))
  )

  it.effect("publishes ContainerStarted and ContainerExited events", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const collected = yield* Effect.forkChild(Stream.runCollect(Stream.take(runtime.events, 4)))
      yield* Effect.yieldNow
      const sb = yield* runtime.runPodSandbox(pod())
      const a = yield* run(sb.id, container("a", "busybox", ["exit", "1"]))
      const b = yield* run(sb.id, container("b", "busybox", ["sleep", "2"]))
      yield* TestClock.adjust(2_000)
      const events = yield* Fiber.join(collected)
      expect(events.map((e) => [e.type, e.containerId, e.at])).toEqual([
        ["ContainerStarted", a, 0],
        ["ContainerExited", a, 0],
        ["ContainerStarted", b, 0],
        ["ContainerExited", b, 2_000]
      ])
    }).pipe(Effect.provide(layer()))
  )
})

describe("RuntimeSimulated: fault injection", () => {
  it.effect("killContainer ends a running container with the given exit code and reason", () =>
    Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      const sb = yield* runtime.runPodSandbox(pod())
      const script = yield* run(sb.id, container("app", "busybox", ["trap", "0", "0"]))
      const server = yield* run(sb.id, container("web", "nginx", []))
      yield* TestClock.adjust(3_000)
      expect(yield* runtime.killContainer(script, 137, "OOMKilled")).toBe(true)
      expect(yield* runtime.killContainer(server, 1, "Error")).toBe(true)
      expect(yield* infoOf("U", script)).toMatchObject({
        state: "exited",
        exitCode: 137,
        reason: "OOMKilled",
        finishedAt: 3_000
      })
      expect(yield* infoOf("U", server)).toMatchObject({ state: "exited", exitCode: 1, reason: "Error" })
      expect(yield* runtime.probePort(sb.id, 80, "tcp")).toBe(false)
      expect(yield* runtime.killContainer(script, 1, "Error")).toBe(false)
    }).pipe(Effect.provide(layer()))
  )
})
