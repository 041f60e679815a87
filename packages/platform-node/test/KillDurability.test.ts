/**
 * A real crash: a child process writes through the SQLite backend and prints every acknowledged
 * resourceVersion; the test SIGKILLs it mid-stream, reopens the file and finds every acknowledged
 * write, with its version, and an intact change log.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { StorageBackend } from "@podlet/core/services/StorageBackend"
import { Effect } from "effect"
import * as BackendSqlite from "../src/BackendSqlite.js"

const here = dirname(fileURLToPath(import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "podlet-kill-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Crash {
  /** key and resourceVersion of every write the child acknowledged */
  readonly acknowledged: ReadonlyArray<readonly [string, number]>
  readonly signal: NodeJS.Signals | null
}

/** Spawns the writer, SIGKILLs it once `killAfter` acknowledgements arrived, resolves on its exit. */
const crashWriter = (path: string, killAfter: number) =>
  Effect.callback<Crash>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures/writer.ts"), path], {
      cwd: join(here, ".."),
      stdio: ["ignore", "pipe", "inherit"]
    })
    const acknowledged: Array<readonly [string, number]> = []
    let buffered = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      const lines = (buffered + chunk).split("\n")
      buffered = lines.pop() ?? ""
      for (const line of lines) {
        const [key = "", rv = ""] = line.split(" ")
        acknowledged.push([key, Number(rv)])
      }
      if (acknowledged.length >= killAfter) child.kill("SIGKILL")
    })
    child.on("exit", (_code, signal) => resume(Effect.succeed({ acknowledged, signal })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

describe("BackendSqlite under kill -9", () => {
  it.effect(
    "every acknowledged write survives a SIGKILL mid-stream, and the log stays contiguous",
    () =>
      Effect.gen(function* () {
        const path = join(dir, "crash.db")
        const { acknowledged, signal } = yield* crashWriter(path, 2000)
        expect(signal).toBe("SIGKILL")
        expect(acknowledged.length).toBeGreaterThanOrEqual(2000)

        yield* Effect.gen(function* () {
          const backend = yield* StorageBackend
          const revision = yield* backend.revision
          for (const [key, rv] of acknowledged) {
            const stored = yield* backend.get(key)
            expect(stored?.resourceVersion).toBe(rv)
            expect(stored?.object.metadata.resourceVersion).toBe(String(rv))
          }
          expect(revision).toBeGreaterThanOrEqual(acknowledged.at(-1)?.[1] ?? 0)

          const log = (yield* backend.changesSince(0)) ?? []
          expect(log.map((change) => change.resourceVersion)).toEqual(Array.from({ length: revision }, (_, i) => i + 1))
          for (const change of log) {
            expect(change.type).toBe("ADDED")
            expect((yield* backend.get(change.key))?.resourceVersion).toBe(change.resourceVersion)
          }
          expect((yield* backend.list("pods/default/")).length).toBe(revision)

          const [next] = yield* backend.commit([
            { key: "pods/default/after", object: { apiVersion: "v1", kind: "Pod", metadata: { name: "after" } } }
          ])
          expect(next?.resourceVersion).toBe(revision + 1)
        }).pipe(Effect.provide(BackendSqlite.layer({ path, history: 1_000_000 })))
      }),
    60_000
  )
})
