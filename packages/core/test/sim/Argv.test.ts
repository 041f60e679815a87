import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { TestClock } from "effect/testing"
import { canRunArgv, isShellInvocation, parseShellArgv, runArgv } from "../../src/sim/Interpreter.js"
import type { MemoryFacade } from "../../src/sim/Process.js"
import { makeDir, VirtualFs } from "../../src/sim/VirtualFs.js"
import { advanceTo, argv, recordingProcess, startArgv } from "./support.js"

/** A memory cgroup: allocations past `limit` OOM-kill the process (interrupt its fiber). */
const cgroup = (limit: number) => {
  const state = { used: 0, allocations: [] as Array<number>, releases: [] as Array<number>, oomKilled: false }
  const memory: MemoryFacade = {
    allocate: (bytes) =>
      Effect.suspend(() => {
        state.allocations.push(bytes)
        state.used += bytes
        if (state.used <= limit) return Effect.void
        state.oomKilled = true
        return Effect.interrupt
      }),
    release: (bytes) =>
      Effect.sync(() => {
        state.used -= bytes
        state.releases.push(bytes)
      })
  }
  return { memory, state }
}

const Mi = 1024 * 1024

describe("runArgv and shell invocations", () => {
  it.each([
    [["sh", "-c", "echo hi"], true],
    [["/bin/sh", "-c", "echo hi"], true],
    [["bash", "-c", "echo hi"], true],
    [["/bin/bash", "-ec", "echo hi"], true],
    [["ash", "-c", "x"], true],
    [["sh", "-e", "-x", "-c", "x"], true],
    [["bash", "-o", "pipefail", "-c", "x"], true],
    [["sh", "script.sh"], false],
    [["sh"], false],
    [["sleep", "3600"], false],
    [["nginx"], false]
  ])("isShellInvocation(%j) = %j", (args, expected) => {
    expect(isShellInvocation(args)).toBe(expected)
  })

  it.each([
    [["sh", "-c", "x"], true],
    [["sh"], true],
    [["sleep", "3600"], true],
    [["/bin/sleep", "infinity"], true],
    [["stress", "--vm", "1"], true],
    [["python3", "-m", "http.server", "8080"], true],
    [["python3", "app.py"], false],
    [["nginx", "-g", "daemon off;"], false],
    [["redis-server"], false],
    [["/app/server"], false]
  ])("canRunArgv(%j) = %j", (args, expected) => {
    expect(canRunArgv(args)).toBe(expected)
  })

  it("canRunArgv sees script files in the container filesystem", () => {
    const fs = VirtualFs.make({ files: { "/scripts/run.sh": "#!/bin/sh\necho hi\n" } })
    expect(canRunArgv(["/scripts/run.sh"], fs)).toBe(true)
    expect(canRunArgv(["/scripts/other.sh"], fs)).toBe(false)
  })

  it("parseShellArgv reads flags, $0 and positional arguments", () => {
    expect(parseShellArgv(["/bin/sh", "-ec", "echo $0 $1", "name", "one"])).toMatchObject({
      script: "echo $0 $1",
      name: "name",
      args: ["one"],
      errexit: true
    })
    expect(parseShellArgv(["sh", "-c"])).toMatchObject({ error: "sh: -c requires an argument" })
    expect(parseShellArgv(["sleep", "1"])).toBeUndefined()
  })

  it.effect("sh -c with $0 and arguments; sh with nothing to read exits 0", () =>
    Effect.gen(function* () {
      expect((yield* argv(["/bin/sh", "-c", 'echo "$0 $1 $#"', "prog", "a"])).out).toEqual(["prog a 1"])
      expect((yield* argv(["sh"])).code).toBe(0)
      expect(yield* argv(["sh", "-c"])).toMatchObject({ code: 2, err: ["sh: sh: -c requires an argument"] })
    })
  )

  it.effect('["sleep", "3600"] exits 0 after an hour of virtual time', () =>
    Effect.gen(function* () {
      const r = yield* startArgv(["sleep", "3600"])
      yield* advanceTo(3_599_999)
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(3_600_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )

  it.effect("a plain argv with an unknown program is 127", () =>
    Effect.gen(function* () {
      expect(yield* argv(["nosuch", "x"])).toMatchObject({ code: 127, err: ["sh: nosuch: not found"] })
    })
  )

  it.effect("runs a script file from a ConfigMap mount, directly and with sh", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({
        mounts: [
          { path: "/scripts", node: makeDir({ "run.sh": '#!/bin/sh\necho "run $1"\nexit 3\n' }), readOnly: true }
        ]
      })
      expect(yield* argv(["/scripts/run.sh", "x"], { fs })).toMatchObject({ code: 3, out: ["run x"] })
      expect(yield* argv(["sh", "/scripts/run.sh", "y"], { fs })).toMatchObject({ code: 3, out: ["run y"] })
      expect(yield* argv(["sh", "/scripts/none.sh"], { fs })).toMatchObject({
        code: 2,
        err: ["sh: can't open '/scripts/none.sh': No such file or directory"]
      })
    })
  )

  it.effect("Kubernetes liveness exec example: cat /tmp/healthy fails after 30 s", () =>
    Effect.gen(function* () {
      const main = yield* startArgv(["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"])
      const fs = main.ctx.fs
      const probe = (at: number) =>
        Effect.gen(function* () {
          yield* advanceTo(at)
          const p = recordingProcess({ fs, pid: 100 + at })
          const code = yield* runArgv(["cat", "/tmp/healthy"], p.ctx)
          return { code, err: p.err }
        })
      expect(yield* probe(5_000)).toEqual({ code: 0, err: [] })
      expect(yield* probe(29_000)).toEqual({ code: 0, err: [] })
      expect(yield* probe(35_000)).toEqual({
        code: 1,
        err: ["cat: can't open '/tmp/healthy': No such file or directory"]
      })
      expect(main.fiber.pollUnsafe()).toBeUndefined()
    })
  )

  it.effect("stress within the limit holds its memory until --timeout, then releases it", () =>
    Effect.gen(function* () {
      const { memory, state } = cgroup(200 * Mi)
      const r = yield* startArgv(["stress", "--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1", "--timeout", "60s"], {
        memory
      })
      expect(r.out).toEqual(["stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd"])
      expect(state.allocations).toEqual([150 * Mi])
      yield* advanceTo(59_000)
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(60_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
      expect(state.releases).toEqual([150 * Mi])
      expect(r.out.at(-1)).toBe("stress: info: [1] successful run completed in 60s")
    })
  )

  it.effect("stress above the limit is OOM-killed by the memory facade", () =>
    Effect.gen(function* () {
      const { memory, state } = cgroup(100 * Mi)
      const r = yield* startArgv(["stress", "--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"], { memory })
      yield* TestClock.adjust(1)
      const exit = r.fiber.pollUnsafe()
      expect(exit !== undefined && Exit.hasInterrupts(exit)).toBe(true)
      expect(state.oomKilled).toBe(true)
      expect(state.allocations).toEqual([250 * Mi])
    })
  )

  it.effect("stress without --timeout runs forever; N workers allocate N×SIZE", () =>
    Effect.gen(function* () {
      const { memory, state } = cgroup(1024 * Mi)
      const r = yield* startArgv(["sh", "-c", "echo start; stress --vm 2 --vm-bytes 100M"], { memory })
      yield* TestClock.adjust("1 hours")
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      expect(state.allocations).toEqual([200 * Mi])
      expect(r.out).toEqual(["start", "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 2 vm, 0 hdd"])
    })
  )

  it.effect("stress rejects unknown options", () =>
    Effect.gen(function* () {
      expect(yield* argv(["stress", "--bogus"])).toMatchObject({
        code: 1,
        err: ["stress: FAIL: [1] (244) unrecognized option: --bogus"]
      })
    })
  )
})
