/**
 * Host mode's sandbox directory: `runPodSandbox` starts making `<sandbox>/work` at once (off the
 * spawn's path), and a container started before that is done, or while another sandbox's is being
 * made, still runs there (its spawn makes it); a sandbox removed at once leaves no directory.
 * Real processes; waits are on conditions with a deadline.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Layer } from "effect"
import { RuntimeProcess } from "../src/RuntimeProcess.js"
import { busyboxConfig, eventually, sandboxConfig } from "./fixtures/runtime.js"

/** The runtime over a fresh root directory (removed at the end). */
const runtimeIn = Effect.gen(function* () {
  const root = mkdtempSync(join(tmpdir(), "podlet-work-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(root, { recursive: true, force: true })))
  const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "work", root }))
  return { root, rt: Context.get(context, ContainerRuntime) }
})

const sandboxDir = (root: string, pod: string): string | undefined => {
  const name = readdirSync(root).find((entry) => entry.startsWith(`default_${pod}_`))
  return name === undefined ? undefined : join(root, name)
}

describe("RuntimeProcess sandbox directory", () => {
  it.live("runPodSandbox makes the work directory before any container starts", () =>
    Effect.gen(function* () {
      const { root, rt } = yield* runtimeIn
      yield* rt.runPodSandbox(sandboxConfig("early"))
      yield* eventually("the work directory", () => {
        const dir = sandboxDir(root, "early")
        return dir !== undefined && existsSync(join(dir, "work"))
      })
    })
  )

  it.live("containers started at once, in sandboxes made together, run in their own work directory", () =>
    Effect.gen(function* () {
      const { root, rt } = yield* runtimeIn
      const names = ["a", "b", "c"]
      const sandboxes = yield* Effect.forEach(names, (name) => rt.runPodSandbox(sandboxConfig(name)))
      const ids = yield* Effect.forEach(sandboxes, (sb, i) =>
        Effect.gen(function* () {
          const id = yield* rt.createContainer(sb.id, busyboxConfig(names[i]!, ["sh", "-c", "pwd"]))
          yield* rt.startContainer(id)
          return id
        })
      )
      for (const [i, id] of ids.entries()) {
        yield* Effect.gen(function* () {
          while ((yield* rt.logs(id)).length === 0) yield* Effect.sleep(10)
        }).pipe(Effect.timeout(10_000), Effect.orDie)
        const [line] = yield* rt.logs(id)
        expect(line?.line).toBe(join(sandboxDir(root, names[i]!)!, "work"))
      }
    })
  )

  it.live("a sandbox removed at once leaves no directory behind", () =>
    Effect.gen(function* () {
      const { root, rt } = yield* runtimeIn
      const sb = yield* rt.runPodSandbox(sandboxConfig("gone"))
      yield* rt.removePodSandbox(sb.id)
      const later = yield* rt.runPodSandbox(sandboxConfig("after"))
      yield* eventually("the later sandbox's work directory", () => {
        const dir = sandboxDir(root, "after")
        return dir !== undefined && existsSync(join(dir, "work"))
      })
      yield* eventually("no directory of the removed sandbox", () => sandboxDir(root, "gone") === undefined)
      yield* rt.removePodSandbox(later.id)
    })
  )
})
