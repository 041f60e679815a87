/**
 * The spawn helper against plain `child_process.spawn`: the same output, ends and errors for a table
 * of programs (directly and through the process runtime); a killed helper ends what ran through it
 * (SIGKILL) and later spawns are direct; closing it, or killing the process that started it, kills
 * its process groups. Waits are on conditions with a deadline, never fixed sleeps.
 */
import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import type { ContainerConfig } from "@podlet/core/services/ContainerRuntime"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Deferred, Effect, Layer } from "effect"
import type { ProcessEnd } from "../src/process/ExitStatus.js"
import type { Spawner, SpawnRequest } from "../src/process/Spawner.js"
import { helperMarker, spawnDirect, startSpawnHelper } from "../src/process/Spawner.js"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

const here = dirname(fileURLToPath(import.meta.url))
const path = process.env["PATH"] ?? "/usr/bin:/bin"

/** Fails the test when `effect` takes longer than `millis`. */
const within = <A, E>(what: string, effect: Effect.Effect<A, E>, millis = 10_000) =>
  Effect.flatMap(Effect.timeoutOption(effect, millis), (result) =>
    result._tag === "Some" ? Effect.succeed(result.value) : Effect.die(new Error(`timed out waiting for ${what}`))
  )

/** Polls `check` every 20 ms until it holds. */
const eventually = (what: string, check: () => boolean) =>
  within(
    what,
    Effect.gen(function* () {
      while (!check()) yield* Effect.sleep(20)
    })
  )

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : ""
  return !/\) Z /.test(stat)
}

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** Pids of the spawn helpers this process started that still run. */
const helperPids = (): Set<number> => {
  const out = new Set<number>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8")
      if (ppid === process.pid && cmdline.includes(helperMarker) && alive(Number(entry))) out.add(Number(entry))
    } catch {}
  }
  return out
}

interface Run {
  readonly pid: number
  stdout: string
  stderr: string
  readonly ended: Deferred.Deferred<ProcessEnd>
  readonly closed: Deferred.Deferred<void>
}

/** Starts `request`; the run records what the spawner reports. */
const start = (spawner: Spawner, request: SpawnRequest) =>
  Effect.gen(function* () {
    const ended = Deferred.makeUnsafe<ProcessEnd>()
    const closed = Deferred.makeUnsafe<void>()
    const heard = { stdout: "", stderr: "" }
    const spawned = yield* spawner.spawn(request, {
      output: (stream, chunk) => {
        heard[stream] += chunk.toString()
      },
      exit: (end) => Deferred.doneUnsafe(ended, Effect.succeed(end)),
      close: () => Deferred.doneUnsafe(closed, Effect.void)
    })
    const run: Run = {
      pid: spawned.pid,
      get stdout() {
        return heard.stdout
      },
      get stderr() {
        return heard.stderr
      },
      ended,
      closed
    } as Run
    return run
  })

/** Everything a spawner reports for `request`: output, end, or the spawn error's code. */
const outcome = (spawner: Spawner, request: SpawnRequest) =>
  Effect.gen(function* () {
    const started = yield* Effect.result(start(spawner, request))
    if (started._tag === "Failure") {
      const { code, errno, syscall, path, message } = started.failure
      return { error: code, detail: { errno, syscall, path, message } }
    }
    const run = started.success
    const end = yield* within("the end", Deferred.await(run.ended))
    yield* within("the pipes to close", Deferred.await(run.closed))
    return { stdout: run.stdout, stderr: run.stderr, end: { code: end.code, signal: end.signal } }
  })

/** Listeners for a spawn whose output and end do not matter. */
const quiet = { output: () => {}, exit: () => {}, close: () => {} }

const helper = Effect.acquireRelease(startSpawnHelper, (spawner) => Effect.sync(() => spawner.close()))

const sh = (script: string, env: Record<string, string> = {}): SpawnRequest => ({
  file: "sh",
  args: ["-c", script],
  cwd: "/",
  env: { PATH: path, ...env }
})

describe("Spawner", () => {
  it.live("the helper reports what a direct spawn reports: output, exit code, signal, env, cwd, group, errors", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "podlet-spawner-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const script = join(dir, "not-executable")
      writeFileSync(script, "#!/bin/sh\necho no\n")
      chmodSync(script, 0o644)
      const spawner = yield* helper
      expect(spawner.helperPid()).toBeGreaterThan(0)
      const cases: ReadonlyArray<readonly [SpawnRequest, Record<string, unknown>]> = [
        [sh("echo out; echo err >&2; exit 3"), { stdout: "out\n", stderr: "err\n", end: { code: 3, signal: null } }],
        [sh("kill -TERM $$"), { stdout: "", end: { code: null, signal: "SIGTERM" } }],
        [
          { ...sh('echo "$A $PWD"', { A: "a b" }), cwd: dir },
          { stdout: `a b ${dir}\n`, end: { code: 0, signal: null } }
        ],
        // its own process group: field 5 of /proc/<pid>/stat is the pid
        [
          sh(`[ "$(cut -d' ' -f5 /proc/$$/stat)" = "$$" ] && echo own-group`),
          { stdout: "own-group\n", end: { code: 0, signal: null } }
        ],
        [sh("head -c 300000 /dev/zero | tr '\\0' a"), { stdout: "a".repeat(300_000), end: { code: 0, signal: null } }],
        // more than the helper keeps unwritten (1 MiB): the writer waits, nothing is lost
        [
          sh("head -c 5000000 /dev/zero | tr '\\0' b"),
          { stdout: "b".repeat(5_000_000), end: { code: 0, signal: null } }
        ],
        // the environment in its order, no signal ignored or blocked, only stdio open, the same limits
        [
          sh("tr '\\0' '\\n' < /proc/$$/environ", { Z: "1", A: "2", M: "a=b c" }),
          { stdout: `PATH=${path}\nZ=1\nA=2\nM=a=b c\n` }
        ],
        [
          sh(
            "while read -r l; do case $l in SigBlk*|SigIgn*) echo $l;; esac; done < /proc/$$/status; ls /proc/$$/fd; cat /proc/$$/limits"
          ),
          // signals 1-31 neither blocked nor ignored (the masks' low 31 bits); 32 and up are inherited, as
          // Node's own spawn leaves them (libuv resets 1-31)
          { stdout: expect.stringMatching(/SigBlk: [0-9a-f]{8}[08]0{7}\nSigIgn: [0-9a-f]{8}[08]0{7}\n/), stderr: "" }
        ],
        [sh("kill -INT $$; kill -PIPE $$"), { end: { code: null, signal: "SIGINT" } }],
        [
          { ...sh('printf "%s|" "$0" "$@"'), args: ["-c", 'printf "%s|" "$0" "$@"', "a b", "", "new\nline"] },
          { stdout: "a b||new\nline|" }
        ],
        [{ ...sh("true"), file: "no-such-program-podlet" }, { error: "ENOENT" }],
        [{ ...sh("true"), file: "/nonexistent/program" }, { error: "ENOENT" }],
        [{ ...sh("true"), file: script, args: [] }, { error: "EACCES" }],
        [{ ...sh("true"), cwd: join(dir, "missing") }, { error: "ENOENT" }]
      ]
      for (const [request, expected] of cases) {
        const direct = yield* outcome(spawnDirect, request)
        const helped = yield* outcome(spawner, request)
        expect(helped).toEqual(direct)
        expect(direct, JSON.stringify(direct).slice(0, 300)).toMatchObject(expected)
      }
      // many at once: each answer goes to its own request
      const many = Array.from({ length: 40 }, (_, i) => sh(`echo ${i}; exit ${i % 7}`))
      const outcomes = yield* Effect.forEach(many, (request) => outcome(spawner, request), { concurrency: "unbounded" })
      expect(outcomes).toEqual(
        many.map((_, i) => ({ stdout: `${i}\n`, stderr: "", end: { code: i % 7, signal: null } }))
      )
    })
  )

  it.live(
    "a request's mkdir is made (with its parents) before the spawn, there; one that cannot be made fails the spawn",
    () =>
      Effect.gen(function* () {
        const dir = mkdtempSync(join(tmpdir(), "podlet-spawner-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        writeFileSync(join(dir, "file"), "")
        const spawner = yield* helper
        for (const [name, via] of [
          ["direct", spawnDirect],
          ["helper", spawner]
        ] as const) {
          const made = join(dir, name, "sandbox", "work")
          expect(yield* outcome(via, { ...sh('echo "$PWD"'), cwd: made, mkdir: made })).toEqual({
            stdout: `${made}\n`,
            stderr: "",
            end: { code: 0, signal: null }
          })
          const failed = yield* Effect.flip(via.spawn({ ...sh("true"), mkdir: join(dir, "file", "work") }, quiet))
          expect([failed.code, failed.syscall]).toEqual(["ENOTDIR", "mkdir"])
          // several at once (the helper makes them together, in its thread pool), one of them impossible
          const many = [0, 1, 2, 3, 4, 5].map((i) =>
            i === 3 ? join(dir, "file", "x") : join(dir, name, `many-${i}`, "w")
          )
          const outcomes = yield* Effect.forEach(
            many,
            (made) => outcome(via, { ...sh('echo "$PWD"'), cwd: made, mkdir: made }),
            { concurrency: "unbounded" }
          )
          expect(outcomes).toEqual(
            many.map((made, i) =>
              i === 3
                ? { error: "ENOTDIR", detail: expect.objectContaining({ syscall: "mkdir" }) }
                : { stdout: `${made}\n`, stderr: "", end: { code: 0, signal: null } }
            )
          )
        }
      })
  )

  it.live("a killed helper: what ran through it is killed and ends by SIGKILL; later spawns are direct", () =>
    Effect.gen(function* () {
      const spawner = yield* helper
      const helperPid = spawner.helperPid()!
      const run = yield* start(spawner, sh("sleep 30 & sleep 30"))
      expect(groupAlive(run.pid)).toBe(true)
      process.kill(helperPid, "SIGKILL")
      const end = yield* within("the end", Deferred.await(run.ended))
      expect(end).toEqual({ code: null, signal: "SIGKILL" })
      yield* within("the close", Deferred.await(run.closed))
      yield* eventually("the group to die", () => !groupAlive(run.pid))
      expect(spawner.helperPid()).toBeUndefined()
      expect(yield* outcome(spawner, sh("echo again"))).toEqual({
        stdout: "again\n",
        stderr: "",
        end: { code: 0, signal: null }
      })
    })
  )

  it.live("closing the helper kills the process groups it runs", () =>
    Effect.gen(function* () {
      const spawner = yield* startSpawnHelper
      const helperPid = spawner.helperPid()!
      const run = yield* start(spawner, sh("sleep 30 & sleep 30"))
      spawner.close()
      const end = yield* within("the end", Deferred.await(run.ended))
      expect(end.signal).toBe("SIGKILL")
      yield* eventually("the group to die", () => !groupAlive(run.pid))
      yield* eventually("the helper to exit", () => !alive(helperPid))
    })
  )

  it.live("a SIGKILLed parent takes its helper and the helper's process groups with it", () =>
    Effect.gen(function* () {
      const parent = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(process.execPath, ["--import", "tsx", join(here, "SpawnerParent.ts")], {
            stdio: ["ignore", "pipe", "inherit"]
          })
        ),
        (child) => Effect.sync(() => child.kill("SIGKILL"))
      )
      const line = yield* within(
        "the parent's pids",
        Effect.callback<string>((resume) => {
          parent.stdout.once("data", (chunk: Buffer) => resume(Effect.succeed(chunk.toString().trim())))
          parent.once("exit", () => resume(Effect.succeed("")))
        }),
        30_000
      )
      const [helperPid, pid] = line.split(" ").map(Number)
      expect(helperPid).toBeGreaterThan(0)
      expect(pid).toBeGreaterThan(0)
      expect(alive(helperPid!) && alive(pid!)).toBe(true)
      parent.kill("SIGKILL")
      yield* eventually("the helper to die", () => !alive(helperPid!))
      yield* eventually("its child to die", () => !alive(pid!))
    })
  )

  it.live("a container whose helper is killed ends as SIGKILLed (137 Error); the next one starts directly", () =>
    Effect.gen(function* () {
      const before = helperPids()
      const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "test" }))
      const rt = Context.get(context, ContainerRuntime)
      const [helperPid, ...others] = [...helperPids()].filter((pid) => !before.has(pid))
      expect(helperPid).toBeGreaterThan(0)
      expect(others).toEqual([])
      const sb = yield* rt.runPodSandbox({
        podUid: "u",
        podName: "p",
        namespace: "default",
        hostname: "p",
        volumes: []
      })
      const config = (name: string, script: string): ContainerConfig => ({
        name,
        image: "busybox:1.36",
        command: ["sh", "-c", script],
        args: [],
        env: [],
        mounts: [],
        ports: [],
        attempt: 0,
        hash: "h"
      })
      const info = (id: string) => Effect.map(rt.listContainers("u"), (list) => list.find((c) => c.id === id))
      const first = yield* rt.createContainer(sb.id, config("first", "echo $$; sleep 30"))
      yield* rt.startContainer(first)
      let pid = 0
      yield* within(
        "its pid in the log",
        Effect.gen(function* () {
          while (pid === 0) {
            pid = Number((yield* rt.logs(first))[0]?.line ?? 0)
            if (pid === 0) yield* Effect.sleep(20)
          }
        })
      )
      process.kill(helperPid!, "SIGKILL")
      yield* within(
        "the container to end",
        Effect.gen(function* () {
          while ((yield* info(first))?.state !== "exited") yield* Effect.sleep(20)
        })
      )
      const ended = yield* info(first)
      expect([ended?.exitCode, ended?.reason]).toEqual([137, "Error"])
      yield* eventually("its process to die", () => !alive(pid))
      const second = yield* rt.createContainer(sb.id, config("second", "echo again"))
      yield* rt.startContainer(second)
      yield* within(
        "the second container to end",
        Effect.gen(function* () {
          while ((yield* info(second))?.state !== "exited") yield* Effect.sleep(20)
        })
      )
      expect([(yield* info(second))?.exitCode, (yield* info(second))?.reason]).toEqual([0, "Completed"])
      expect((yield* rt.logs(second)).map((l) => l.line)).toEqual(["again"])
    })
  )

  it.live("the process runtime observes the same over the helper and over direct spawns", () =>
    Effect.gen(function* () {
      const observe = (spawner: "helper" | "direct") =>
        Effect.gen(function* () {
          const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "test", spawner }))
          const rt = Context.get(context, ContainerRuntime)
          const sb = yield* rt.runPodSandbox({
            podUid: "u",
            podName: "p",
            namespace: "default",
            hostname: "p",
            volumes: []
          })
          const config = (name: string, command: ReadonlyArray<string>): ContainerConfig => ({
            name,
            image: "busybox:1.36",
            command,
            args: [],
            env: [{ name: "X", value: "42" }],
            mounts: [],
            ports: [],
            attempt: 0,
            hash: "h"
          })
          const started = (name: string, command: ReadonlyArray<string>) =>
            Effect.gen(function* () {
              const id = yield* rt.createContainer(sb.id, config(name, command))
              const result = yield* Effect.result(rt.startContainer(id))
              return { id, failed: result._tag === "Failure" }
            })
          const ok = yield* started("ok", ["sh", "-c", 'echo "out $HOSTNAME"; echo err >&2'])
          const bad = yield* started("bad", ["sh", "-c", "exit 3"])
          const missing = yield* started("missing", ["no-such-program-podlet"])
          const long = yield* started("long", ["sh", "-c", "echo ready; sleep 30"])
          const exec = yield* rt.exec(long.id, ["sh", "-c", 'echo "x=$X"; exit 4'], 5)
          yield* rt.stopContainer(long.id, 5)
          const ids = [ok.id, bad.id, missing.id, long.id]
          yield* within(
            "every container to end",
            Effect.gen(function* () {
              while ((yield* rt.listContainers("u")).some((c) => c.state !== "exited")) yield* Effect.sleep(20)
            })
          )
          const infos = (yield* rt.listContainers("u")).map((c) => [c.name, c.state, c.exitCode, c.reason, c.message])
          const logs = yield* Effect.forEach(ids, (id) =>
            Effect.map(rt.logs(id), (lines) => lines.map((l) => `${l.stream} ${l.line}`).sort())
          )
          return { failed: [ok, bad, missing, long].map((s) => s.failed), exec, infos, logs }
        }).pipe(Effect.scoped)
      const direct = yield* observe("direct")
      const helped = yield* observe("helper")
      expect(helped).toEqual(direct)
      expect(direct.failed).toEqual([false, false, true, false])
      expect(direct.exec).toEqual({ exitCode: 4, output: "x=42\n" })
      expect(direct.infos.map((i) => i.slice(2, 4))).toEqual([
        [0, "Completed"],
        [3, "Error"],
        [128, "StartError"],
        [143, "Error"]
      ])
      expect(direct.logs[0]).toEqual(["stderr err", "stdout out p"])
    })
  )
})
