/**
 * The process runtime at the CRI boundary, with real processes on the real clock: exit codes and
 * reasons, StartError, stop signals and the grace period, logs, exec, probes against real servers,
 * memory limits, volumes, and that nothing outlives a sandbox or the runtime's scope. Waits are on
 * conditions with a deadline, never fixed sleeps.
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import type { ContainerConfig, ContainerInfo, RuntimeEvent } from "@podlet/core/services/ContainerRuntime"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

type Runtime = ContainerRuntime["Service"]

const here = dirname(fileURLToPath(import.meta.url))

const build = (scope?: Scope.Scope) =>
  Effect.gen(function* () {
    const layer = RuntimeProcess.layer({ nodeName: "test", memoryPollMillis: 50 })
    const context = scope === undefined ? yield* Layer.build(layer) : yield* Layer.buildWithScope(layer, scope)
    return Context.get(context, ContainerRuntime)
  })

/** Polls `check` every 20 ms until it returns a value, failing the test after `millis`. */
const eventually = <A>(what: string, check: Effect.Effect<A | undefined>, millis = 10_000) =>
  Effect.gen(function* () {
    const result = yield* Effect.timeoutOption(
      Effect.gen(function* () {
        while (true) {
          const value = yield* check
          if (value !== undefined) return value
          yield* Effect.sleep(20)
        }
      }),
      millis
    )
    if (result._tag === "None") return yield* Effect.die(new Error(`timed out waiting for ${what}`))
    return result.value
  })

const config = (
  name: string,
  command: ReadonlyArray<string>,
  extra: Partial<ContainerConfig> = {}
): ContainerConfig => ({
  name,
  image: "busybox:1.36",
  command,
  args: [],
  env: [],
  mounts: [],
  ports: [],
  attempt: 0,
  hash: "h",
  ...extra
})

const sandbox = (rt: Runtime, volumes: Parameters<Runtime["runPodSandbox"]>[0]["volumes"] = []) =>
  rt.runPodSandbox({ podUid: `uid-${Math.random()}`, podName: "p", namespace: "default", hostname: "p", volumes })

const info = (rt: Runtime, podUid: string, id: string) =>
  Effect.map(rt.listContainers(podUid), (list) => list.find((c) => c.id === id))

const exitedInfo = (rt: Runtime, podUid: string, id: string, millis?: number) =>
  eventually(
    `container ${id} to exit`,
    Effect.map(info(rt, podUid, id), (c): ContainerInfo | undefined => (c?.state === "exited" ? c : undefined)),
    millis
  )

/** Creates and starts one container; returns its id. */
const run = (rt: Runtime, sandboxId: string, c: ContainerConfig) =>
  Effect.gen(function* () {
    const id = yield* rt.createContainer(sandboxId, c)
    yield* rt.startContainer(id)
    return id
  })

const sh = (script: string) => ["sh", "-c", script]

/** A TCP port nobody listens on right now. */
const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : ""
  return !/\) Z /.test(stat)
}

const logText = (rt: Runtime, id: string) => Effect.map(rt.logs(id), (lines) => lines.map((l) => l.line))

describe("RuntimeProcess (host mode)", () => {
  it.live("exit 0 is Completed, a non-zero exit is Error with its code; logs are timestamped per stream", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const before = Date.now()
      const ok = yield* run(rt, sb.id, config("ok", sh("echo out; echo err >&2; printf tail")))
      const bad = yield* run(rt, sb.id, config("bad", sh("exit 3")))
      const done = yield* exitedInfo(rt, sb.podUid, ok)
      expect([done.exitCode, done.reason]).toEqual([0, "Completed"])
      expect(done.startedAt! >= before && done.finishedAt! >= done.startedAt!).toBe(true)
      const failed = yield* exitedInfo(rt, sb.podUid, bad)
      expect([failed.exitCode, failed.reason]).toEqual([3, "Error"])
      const lines = yield* rt.logs(ok)
      expect(lines.map((l) => [l.stream, l.line])).toEqual(
        expect.arrayContaining([
          ["stdout", "out"],
          ["stderr", "err"],
          ["stdout", "tail"]
        ])
      )
      expect(lines.every((l) => l.time >= before && l.time <= Date.now())).toBe(true)
    })
  )

  it.live("env: HOSTNAME, the container's env, the host's PATH; the default working dir is the sandbox's", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const id = yield* run(
        rt,
        sb.id,
        config("env", sh('echo "$HOSTNAME $GREETING"; pwd; command -v sh >/dev/null && echo has-sh'), {
          env: [{ name: "GREETING", value: "hello world" }]
        })
      )
      yield* exitedInfo(rt, sb.podUid, id)
      const [first, cwd, shell] = yield* logText(rt, id)
      expect(first).toBe("p hello world")
      expect(cwd).toMatch(/default_p_[0-9a-f]{8}\/work$/)
      expect(shell).toBe("has-sh")
    })
  )

  it.live("a missing executable or working dir is StartError 128 and startContainer fails", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const cases = [
        [["/nonexistent"], 'exec: "/nonexistent": stat /nonexistent: no such file or directory'],
        [["no-such-program-podlet"], 'exec: "no-such-program-podlet": executable file not found in $PATH'],
        [["sh", "-c", "true"], 'chdir to cwd ("/no/such/dir") set in config.json failed: no such file or directory']
      ] as const
      for (const [i, [command, detail]] of cases.entries()) {
        const id = yield* rt.createContainer(
          sb.id,
          config(`c${i}`, command, i === 2 ? { workingDir: "/no/such/dir" } : {})
        )
        const exit = yield* Effect.exit(rt.startContainer(id))
        expect(Exit.isFailure(exit)).toBe(true)
        const c = yield* info(rt, sb.podUid, id)
        expect([c?.state, c?.exitCode, c?.reason]).toEqual(["exited", 128, "StartError"])
        expect(c?.message).toContain(detail)
        expect(c?.message).toMatch(/^failed to create containerd task: .*: unknown$/)
      }
    })
  )

  it.live("stop: SIGTERM to the group (143), a handler's own exit code, SIGKILL at the end of the grace (137)", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const plain = yield* run(rt, sb.id, config("plain", ["sleep", "30"]))
      const handler = yield* run(rt, sb.id, config("handler", sh("trap 'exit 0' TERM; echo ready; sleep 30 & wait")))
      const ignores = yield* run(rt, sb.id, config("ignores", sh("trap '' TERM; echo ready; sleep 30")))
      for (const id of [handler, ignores]) {
        yield* eventually(
          "the trap to be set",
          Effect.map(logText(rt, id), (l) => (l.includes("ready") ? true : undefined))
        )
      }
      const start = Date.now()
      yield* rt.stopContainer(plain, 5)
      yield* rt.stopContainer(handler, 5)
      expect(Date.now() - start).toBeLessThan(2000)
      const p = yield* info(rt, sb.podUid, plain)
      const h = yield* info(rt, sb.podUid, handler)
      expect([p?.exitCode, p?.reason]).toEqual([143, "Error"])
      expect([h?.exitCode, h?.reason]).toEqual([0, "Completed"])
      const killStart = Date.now()
      yield* rt.stopContainer(ignores, 1)
      const elapsed = Date.now() - killStart
      expect(elapsed).toBeGreaterThanOrEqual(950)
      expect(elapsed).toBeLessThan(3000)
      const i = yield* info(rt, sb.podUid, ignores)
      expect([i?.state, i?.exitCode, i?.reason]).toEqual(["exited", 137, "Error"])
    })
  )

  it.live("what the main process leaves behind dies with it", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const id = yield* run(rt, sb.id, config("bg", sh("sleep 30 & echo $!; exit 0")))
      yield* exitedInfo(rt, sb.podUid, id)
      const pid = Number((yield* logText(rt, id))[0])
      expect(pid).toBeGreaterThan(0)
      yield* eventually(
        "the background sleep to die",
        Effect.sync(() => (alive(pid) ? undefined : true))
      )
    })
  )

  it.live("exec: output and exit code, the container's env; timeout -1; a missing program 126; stopped -1", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const id = yield* run(rt, sb.id, config("app", ["sleep", "30"], { env: [{ name: "X", value: "42" }] }))
      expect(yield* rt.exec(id, sh('echo "x=$X"; exit 4'), 5)).toEqual({ exitCode: 4, output: "x=42\n" })
      const start = Date.now()
      const slow = yield* rt.exec(id, ["sleep", "10"], 0.3)
      expect(slow.exitCode).toBe(-1)
      expect(Date.now() - start).toBeLessThan(2000)
      const missing = yield* rt.exec(id, ["no-such-program-podlet"], 5)
      expect(missing.exitCode).toBe(126)
      expect(missing.output).toContain("OCI runtime exec failed")
      yield* rt.stopContainer(id, 1)
      expect((yield* rt.exec(id, ["true"], 1)).exitCode).toBe(-1)
    })
  )

  it.live(
    "probes: httpGet and tcpSocket against a real server on 127.0.0.1; a taken port fails the second server",
    () =>
      Effect.gen(function* () {
        const rt = yield* build()
        const sb = yield* sandbox(rt)
        const port = yield* freePort
        expect(yield* rt.probePort(sb.id, port, "tcp")).toBe(false)
        const server = yield* run(rt, sb.id, config("web", ["python3", "-m", "http.server", String(port)]))
        yield* eventually(
          "the server to listen",
          Effect.map(rt.probePort(sb.id, port, "tcp"), (ok) => (ok ? true : undefined))
        )
        expect(yield* rt.probePort(sb.id, port, "http", "/")).toBe(true)
        expect(yield* rt.probePort(sb.id, port, "http", "/missing")).toBe(false)
        const second = yield* run(rt, sb.id, config("web2", ["python3", "-m", "http.server", String(port)]))
        const failed = yield* exitedInfo(rt, sb.podUid, second)
        expect([failed.reason, failed.exitCode]).toEqual(["Error", 1])
        expect((yield* logText(rt, second)).join("\n")).toContain("Address already in use")
        yield* rt.stopContainer(server, 2)
        expect(yield* rt.probePort(sb.id, port, "http", "/")).toBe(false)
      })
  )

  it.live("a process group over its memory limit is killed: OOMKilled 137", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const hog = "import time\nb = bytearray(256 * 1024 * 1024)\ntime.sleep(30)"
      const id = yield* run(rt, sb.id, config("hog", ["python3", "-c", hog], { memoryLimit: 64 * 1024 * 1024 }))
      const small = yield* run(rt, sb.id, config("small", ["sleep", "30"], { memoryLimit: 64 * 1024 * 1024 }))
      const c = yield* exitedInfo(rt, sb.podUid, id)
      expect([c.exitCode, c.reason]).toEqual([137, "OOMKilled"])
      expect((yield* info(rt, sb.podUid, small))?.state).toBe("running")
    })
  )

  it.live(
    "volumes: emptyDir outlives a container, configMap files, PODLET_MOUNT_*; the sandbox removal deletes them",
    () =>
      Effect.gen(function* () {
        const rt = yield* build()
        const notices: Array<RuntimeEvent> = []
        yield* rt.events.pipe(
          Stream.runForEach((e) => Effect.sync(() => e.type === "Notice" && notices.push(e))),
          Effect.forkScoped
        )
        yield* Effect.sleep(10)
        const sb = yield* sandbox(rt, [
          { name: "cache", type: "emptyDir" },
          { name: "cfg", type: "files", files: { "app.conf": "a=1\n" } }
        ])
        const mounts = [
          { volume: "cache", mountPath: "/cache", readOnly: false },
          { volume: "cfg", mountPath: "/etc/app", readOnly: true }
        ]
        const writer = yield* run(
          rt,
          sb.id,
          config("w", sh('echo data > "$PODLET_MOUNT_CACHE/x"; cat "$PODLET_MOUNT_CFG/app.conf"'), { mounts })
        )
        yield* exitedInfo(rt, sb.podUid, writer)
        expect(yield* logText(rt, writer)).toEqual(["a=1"])
        const reader = yield* run(rt, sb.id, config("w", sh('cat "$PODLET_MOUNT_CACHE/x"'), { mounts, attempt: 1 }))
        yield* exitedInfo(rt, sb.podUid, reader)
        expect(yield* logText(rt, reader)).toEqual(["data"])
        yield* eventually(
          "the notices",
          Effect.sync(() => (notices.length >= 2 ? true : undefined))
        )
        const texts = notices.map((n) => `${n.notice?.type} ${n.notice?.reason} ${n.notice?.message}`)
        expect(texts[0]).toMatch(/^Normal HostMode containers run as processes of /)
        expect(texts[1]).toMatch(
          /^Warning HostMode host mode cannot mount volumes at their mountPath: \/cache \(volume cache\) is .*\/volumes\/cache, in \$PODLET_MOUNT_CACHE; \/etc\/app/
        )
        expect(notices.filter((n) => n.notice?.type === "Warning")).toHaveLength(1)
        const cacheDir = /is (\S+), in \$PODLET_MOUNT_CACHE/.exec(texts[1]!)?.[1] ?? ""
        expect(readFileSync(`${cacheDir}/x`, "utf8")).toBe("data\n")
        yield* rt.removePodSandbox(sb.id)
        expect(existsSync(cacheDir)).toBe(false)
        expect(yield* rt.listContainers(sb.podUid)).toEqual([])
      })
  )

  it.live("nothing outlives the sandbox or the runtime's scope", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const rt = yield* build(scope)
      const sb1 = yield* sandbox(rt)
      const sb2 = yield* sandbox(rt)
      const pidOf = (sandboxId: string, podUid: string, name: string) =>
        Effect.gen(function* () {
          const id = yield* run(rt, sandboxId, config(name, sh("echo $$; sleep 30 & sleep 30")))
          const line = yield* eventually(
            "the pid",
            Effect.map(logText(rt, id), (l) => l[0])
          )
          expect((yield* info(rt, podUid, id))?.state).toBe("running")
          return Number(line)
        })
      const a = yield* pidOf(sb1.id, sb1.podUid, "a")
      const b = yield* pidOf(sb2.id, sb2.podUid, "b")
      yield* rt.removePodSandbox(sb1.id)
      expect(alive(a)).toBe(false)
      expect(alive(b)).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(alive(b)).toBe(false)
    })
  )

  it.live.each(["helper", "direct"])(
    "a SIGKILLed host process leaves nothing behind: its containers are killed, its directory removed (%s spawns)",
    (spawner) =>
      Effect.gen(function* () {
        const host = yield* Effect.acquireRelease(
          Effect.sync(() =>
            spawn(process.execPath, ["--import", "tsx", join(here, "RuntimeProcessOrphanHost.ts"), spawner], {
              stdio: ["ignore", "pipe", "inherit"]
            })
          ),
          (child) => Effect.sync(() => child.kill("SIGKILL"))
        )
        const line = yield* Effect.callback<string>((resume) => {
          host.stdout.once("data", (chunk: Buffer) => resume(Effect.succeed(chunk.toString().trim())))
          host.once("exit", () => resume(Effect.succeed("")))
        })
        const [pidText, cwd] = line.split(" ")
        const pid = Number(pidText)
        const root = dirname(dirname(cwd ?? "/"))
        expect(pid).toBeGreaterThan(0)
        expect(alive(pid)).toBe(true)
        expect(root).toMatch(/podlet-orphan-/)
        expect(existsSync(root)).toBe(true)
        host.kill("SIGKILL")
        yield* eventually(
          "the orphaned container to die",
          Effect.sync(() => (alive(pid) ? undefined : true))
        )
        yield* eventually(
          "its directory to go",
          Effect.sync(() => (existsSync(root) ? undefined : true))
        )
      })
  )

  it.live("killContainer (fault injection) reports the exit it was given", () =>
    Effect.gen(function* () {
      const rt = yield* build()
      const sb = yield* sandbox(rt)
      const id = yield* run(rt, sb.id, config("app", ["sleep", "30"]))
      const events: Array<string> = []
      const fiber = yield* rt.events.pipe(
        Stream.runForEach((e) => Effect.sync(() => events.push(e.type))),
        Effect.forkScoped
      )
      yield* Effect.sleep(10)
      expect(yield* rt.killContainer(id, 137, "OOMKilled")).toBe(true)
      const c = yield* info(rt, sb.podUid, id)
      expect([c?.exitCode, c?.reason]).toEqual([137, "OOMKilled"])
      expect(yield* rt.killContainer(id, 1, "Error")).toBe(false)
      yield* eventually(
        "the exit event",
        Effect.sync(() => (events.includes("ContainerExited") ? true : undefined))
      )
      yield* Fiber.interrupt(fiber)
    })
  )
})
