/**
 * Durability of `npm run serve` over SQLite: 1,000 pod creates from 50 concurrent clients against a
 * real server process, `kill -9` at a random point, a restart on the same file: every create that
 * was acknowledged with 201 is there, and the restarted server keeps serving.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { pod } from "./support.js"

// tsx as a loader in the server's own process (tsx's CLI would run it in a grandchild that kill -9 misses)
const tsxLoader = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs")
).href
const entry = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "node.ts")

const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

/** Starts `npm run serve`'s entry and resolves with its URL once it prints it. */
const serve = (dir: string, db: string): Promise<{ readonly child: ChildProcess; readonly url: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", tsxLoader, entry, "--port", "0", "--store", `sqlite:${db}`, "--nodes", "0"],
      {
        cwd: dir,
        env: { ...process.env, PODLET_CWD: dir },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    children.push(child)
    let out = ""
    let err = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const url = /podlet API at (http:\/\/\S+)/.exec(out)?.[1]
      if (url !== undefined) resolve({ child, url })
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.once("exit", (code, signal) =>
      reject(new Error(`server exited (${code ?? signal}) before listening: ${err}`))
    )
  })

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once("exit", () => resolve())
  })

describe("durability over SQLite", () => {
  it("keeps every acknowledged create across kill -9", { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "podlet-durability-"))
    const db = join(dir, "cluster.db")
    const first = await serve(dir, db)
    const total = 1_000
    const killAfter = 200 + Math.floor(Math.random() * 600)
    console.log(`durability: kill -9 after ${killAfter} acknowledged creates of ${total}`)

    const acknowledged: Array<string> = []
    const refused: Array<string> = []
    let next = 0
    let killed = false
    const client = async () => {
      while (next < total) {
        const name = `p-${next++}`
        try {
          const res = await fetch(`${first.url}/api/v1/namespaces/default/pods`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(pod(name, { app: "durable" }))
          })
          await res.arrayBuffer()
          if (res.status === 201) acknowledged.push(name)
          else refused.push(`${name}: ${res.status}`)
        } catch {
          // the connection died with the server: not acknowledged
        }
        if (!killed && acknowledged.length >= killAfter) {
          killed = true
          first.child.kill("SIGKILL")
        }
      }
    }
    await Promise.all(Array.from({ length: 50 }, client))
    await exited(first.child)
    expect(first.child.signalCode).toBe("SIGKILL")
    expect(refused).toEqual([])
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter)
    expect(acknowledged.length).toBeLessThan(total)

    const second = await serve(dir, db)
    const list = (await (
      await fetch(`${second.url}/api/v1/namespaces/default/pods?labelSelector=app%3Ddurable`)
    ).json()) as {
      items: Array<{ metadata: { name: string; uid: string } }>
    }
    const stored = new Set(list.items.map((p) => p.metadata.name))
    expect(acknowledged.filter((name) => !stored.has(name))).toEqual([])
    expect(stored.size).toBe(list.items.length)
    // the restarted server keeps serving writes
    const after = await fetch(`${second.url}/api/v1/namespaces/default/pods`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(pod("after-restart"))
    })
    expect(after.status).toBe(201)
    second.child.kill("SIGTERM")
    await exited(second.child)
  })
})
