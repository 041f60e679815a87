/**
 * Sandbox directories made ahead: a taken spare is laid out exactly as `mkdir` makes a sandbox
 * directory, spares are replaced, none is left after `close`, and the process runtime's sandboxes
 * look the same whether they came from a spare or from `mkdir`. Waits poll with a deadline.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Layer } from "effect"
import { makeSpareDirs } from "../src/process/SpareDirs.js"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

/** Every path under `dir` with its kind, relative to `dir`. */
const layout = (dir: string): Array<string> => {
  const out: Array<string> = []
  const walk = (path: string): void => {
    for (const entry of readdirSync(path).sort()) {
      const full = join(path, entry)
      const directory = statSync(full).isDirectory()
      out.push(`${relative(dir, full)}${directory ? "/" : ""}`)
      if (directory) walk(full)
    }
  }
  walk(dir)
  return out
}

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "podlet-spares-"))),
  (root) => Effect.sync(() => rmSync(root, { recursive: true, force: true }))
)

const eventually = (what: string, check: () => boolean) =>
  Effect.flatMap(
    Effect.timeoutOption(
      Effect.gen(function* () {
        while (!check()) yield* Effect.sleep(10)
      }),
      10_000
    ),
    (done) => (done._tag === "Some" ? Effect.void : Effect.die(new Error(`timed out waiting for ${what}`)))
  )

const spareNames = (root: string) => readdirSync(root).filter((name) => name.startsWith(".spare-"))

describe("SpareDirs", () => {
  it.live("a taken spare is what mkdir makes; spares are replaced; close leaves none", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const spares = makeSpareDirs(root, "t", ["work", "more"], 2)
      yield* eventually("two spares", () => spares.ready() === 2)
      expect(spareNames(root)).toHaveLength(2)
      const made = join(root, "made")
      mkdirSync(made)
      mkdirSync(join(made, "work"))
      mkdirSync(join(made, "more"))
      const taken = join(root, "default_p_12345678")
      expect(spares.take(taken)).toBe(true)
      expect(layout(taken)).toEqual(layout(made))
      expect(layout(taken)).toEqual(["more/", "work/"])
      expect(spares.take(join(root, "second"))).toBe(true)
      // both taken, replacements not made yet: the caller makes its own
      expect(spares.take(join(root, "third"))).toBe(false)
      expect(existsSync(join(root, "third"))).toBe(false)
      yield* eventually("the spares to be replaced", () => spares.ready() === 2)
      yield* Effect.promise(() => spares.close())
      expect(spareNames(root)).toEqual([])
      expect(spares.take(join(root, "fourth"))).toBe(false)
      expect(existsSync(taken) && existsSync(join(root, "second"))).toBe(true)
    })
  )

  it.live("no spare is made when the root is gone; take says so", () =>
    Effect.gen(function* () {
      const root = join(yield* tempRoot, "missing")
      const spares = makeSpareDirs(root, "t", ["work"], 2)
      yield* Effect.promise(() => spares.close())
      expect(spares.ready()).toBe(0)
      expect(spares.take(join(root, "x"))).toBe(false)
    })
  )

  it.live("the runtime's sandboxes look the same from a spare and from mkdir; none is left at the end", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const layouts = yield* Effect.gen(function* () {
        const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "test", root }))
        const rt = Context.get(context, ContainerRuntime)
        // more sandboxes in a row than spares: some come from spares, some from mkdir
        const dirs: Array<string> = []
        for (let i = 0; i < 12; i++) {
          const before = new Set(readdirSync(root))
          yield* rt.runPodSandbox({
            podUid: `u${i}`,
            podName: `p${i}`,
            namespace: "default",
            hostname: `p${i}`,
            volumes: [{ name: "cache", type: "emptyDir" }]
          })
          const added = readdirSync(root).filter((name) => !before.has(name) && !name.startsWith(".spare-"))
          expect(added).toHaveLength(1)
          expect(added[0]).toMatch(new RegExp(`^default_p${i}_[0-9a-f]{8}$`))
          dirs.push(join(root, added[0]!))
        }
        return dirs.map(layout)
      }).pipe(Effect.scoped)
      expect(new Set(layouts.map((l) => l.join(",")))).toEqual(new Set(["volumes/,volumes/cache/,work/"]))
      expect(spareNames(root)).toEqual([])
    })
  )
})
