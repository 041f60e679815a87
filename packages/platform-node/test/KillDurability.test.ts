/**
 * A real crash: a child process creates pods through the SQLite store from 16 concurrent writers
 * (so acknowledgements come from shared group commits) and prints every acknowledged
 * resourceVersion; the test SIGKILLs it mid-stream, reopens the file and finds every acknowledged
 * pod, at its version, and an intact change log.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { StorageBackend } from "@podlet/core/services/StorageBackend"
import { Effect } from "effect"
import { BackendSqlite } from "../src/BackendSqlite.js"
import { StoreSqlite } from "../src/StoreSqlite.js"

const here = dirname(fileURLToPath(import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "podlet-kill-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Crash {
  /** name and resourceVersion of every pod the child acknowledged */
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
        const [name = "", rv = ""] = line.split(" ")
        acknowledged.push([name, Number(rv)])
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
        const { acknowledged, signal } = yield* crashWriter(path, 1000)
        expect(signal).toBe("SIGKILL")
        expect(acknowledged.length).toBeGreaterThanOrEqual(1000)

        // the store: every acknowledged pod, at its acknowledged version
        yield* Effect.gen(function* () {
          const store = yield* ObjectStore
          for (const [name, rv] of acknowledged) {
            const pod = yield* store.get("pods", "default", name)
            expect(pod.metadata.resourceVersion).toBe(String(rv))
          }
        }).pipe(Effect.provide(StoreSqlite.layer({ path, historyWindow: 1_000_000 })))

        // the log: contiguous from 1, each change matching the object it left behind
        yield* Effect.gen(function* () {
          const backend = yield* StorageBackend
          const revision = yield* backend.revision
          expect(revision).toBeGreaterThanOrEqual(Math.max(0, ...acknowledged.map(([, rv]) => rv)))
          const log = (yield* backend.changesSince(0)) ?? []
          expect(log.map((change) => change.resourceVersion)).toEqual(Array.from({ length: revision }, (_, i) => i + 1))
          for (const change of log) {
            expect(change.type).toBe("ADDED")
            const stored = yield* backend.get(change.key)
            expect(stored?.resourceVersion).toBe(change.resourceVersion)
            expect(stored?.object).toEqual(change.object)
          }
          const pods = yield* backend.list("pods/default/")
          expect(pods.length).toBeGreaterThanOrEqual(acknowledged.length)
          expect(pods.length + (yield* backend.list("namespaces//")).length).toBe(revision)
        }).pipe(Effect.provide(BackendSqlite.layer({ path, historyWindow: 1_000_000 })))
      }),
    60_000
  )
})
