/**
 * How the process runtime starts processes. A container (or exec) process is its own process group
 * (`detached`), stdin ignored, stdout and stderr piped back; the caller hears its output, its end
 * (`exit`) and when its pipes are drained (`close`), and signals its group itself (pids are global).
 * - `spawnDirect`: `child_process.spawn` in this process.
 * - `startSpawnHelper`: a small Node process started once, that spawns on request over a pipe and
 *   reports pid, output and end back. `fork` from this process copies its page tables and blocks its
 *   event loop until the child has exec'd; from a small idle helper it is cheaper and leaves this
 *   process free. The helper dies with this process (EOF on its stdin), killing the process groups
 *   it still runs. When the helper is gone (killed), what ran through it is killed and reported as
 *   ended by SIGKILL, and later spawns are direct.
 */
import type { ChildProcess, SpawnOptions } from "node:child_process"
import { spawn } from "node:child_process"
import { mkdirSync } from "node:fs"
import { Deferred, Effect } from "effect"
import type { ProcessEnd } from "./ExitStatus.js"

export interface SpawnRequest {
  readonly file: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  /**
   * a directory made (with its parents) before the spawn, where the spawn happens (the spawn
   * helper makes it at once for a request that came alone, else in its thread pool, its other
   * spawns going on meanwhile); the spawn fails with the `mkdir` error when it cannot be made
   */
  readonly mkdir?: string
}

/** What the caller hears of a started process; called from the moment it has a pid. */
export interface SpawnListeners {
  readonly output: (stream: "stdout" | "stderr", chunk: Buffer) => void
  readonly exit: (end: ProcessEnd) => void
  /** stdout and stderr are closed (after `exit`) */
  readonly close: () => void
}

export interface Spawned {
  /** the process's pid, also its process group */
  readonly pid: number
  /** stop reading its pipes (a daemon that left the group keeps them open): `close` follows */
  readonly release: () => void
}

export interface Spawner {
  /** Starts a process; fails with the error `spawn` gives (ENOENT, EACCES, …) when it cannot. */
  readonly spawn: (request: SpawnRequest, listeners: SpawnListeners) => Effect.Effect<Spawned, NodeJS.ErrnoException>
  /** Ends the helper (its remaining process groups are killed); idempotent. */
  readonly close: () => void
  /** the helper's pid while it runs */
  readonly helperPid: () => number | undefined
}

const spawnOptions = (request: SpawnRequest): SpawnOptions => ({
  cwd: request.cwd,
  env: request.env,
  detached: true,
  stdio: ["ignore", "pipe", "pipe"]
})

/** Starts the process in this Node process. */
const startDirect = (request: SpawnRequest, listeners: SpawnListeners) =>
  Effect.callback<Spawned, NodeJS.ErrnoException>((resume) => {
    let child: ChildProcess
    try {
      if (request.mkdir !== undefined) mkdirSync(request.mkdir, { recursive: true })
      child = spawn(request.file, [...request.args], spawnOptions(request))
    } catch (error) {
      resume(Effect.fail(error as NodeJS.ErrnoException))
      return
    }
    if (child.pid === undefined) {
      child.once("error", (error) => resume(Effect.fail(error)))
      return
    }
    child.on("error", () => {})
    child.stdout?.on("data", (chunk: Buffer) => listeners.output("stdout", chunk))
    child.stderr?.on("data", (chunk: Buffer) => listeners.output("stderr", chunk))
    child.once("exit", (code, signal) => listeners.exit({ code, signal }))
    child.once("close", () => listeners.close())
    resume(
      Effect.succeed({
        pid: child.pid,
        release: () => {
          child.stdout?.destroy()
          child.stderr?.destroy()
        }
      })
    )
  })

/** `child_process.spawn` in this process. */
export const spawnDirect: Spawner = { spawn: startDirect, close: () => {}, helperPid: () => undefined }

/** Frame types the helper writes: `type u8, id u32, length u32, payload`. */
const frame = { ready: 0, spawned: 1, failed: 2, stdout: 3, stderr: 4, exit: 5, close: 6 } as const
const headerBytes = 9

/**
 * The helper (CommonJS, run by `node -e`): JSON lines in (`{op:"spawn",id,file,args,cwd,env,mkdir?}`,
 * `{op:"release",id}`), frames out, `ready` once it has warmed up (one spawn of `node --version`).
 * EOF or a broken pipe: kill every group still running, exit.
 */
export const helperScript = `"use strict"
const { spawn } = require("node:child_process")
const { mkdir, mkdirSync } = require("node:fs")
const children = new Map()
const live = new Set()
const send = (type, id, payload) => {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload
  const head = Buffer.allocUnsafe(${headerBytes})
  head.writeUInt8(type, 0)
  head.writeUInt32BE(id, 1)
  head.writeUInt32BE(body.length, 5)
  process.stdout.write(body.length === 0 ? head : Buffer.concat([head, body]))
}
const end = () => {
  for (const pid of live) { try { process.kill(-pid, "SIGKILL") } catch {} }
  process.exit(0)
}
process.on("SIGINT", () => {})
process.on("SIGTERM", end)
process.stdout.on("error", end)
process.stdin.on("error", end)
process.stdin.on("end", end)
const failed = (id, e) => send(${frame.failed}, id, JSON.stringify({ code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message }))
let making = 0
const start = (m, alone) => {
  if (m.mkdir !== undefined && alone && making === 0) {
    try {
      mkdirSync(m.mkdir, { recursive: true })
    } catch (e) {
      failed(m.id, e)
      return
    }
  } else if (m.mkdir !== undefined) {
    // several requests: in the thread pool, the spawns of the others going on meanwhile
    making++
    mkdir(m.mkdir, { recursive: true }, (e) => {
      making--
      if (e) failed(m.id, e)
      else start({ ...m, mkdir: undefined }, false)
    })
    return
  }
  let child
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  } catch (e) {
    failed(m.id, e)
    return
  }
  if (child.pid === undefined) {
    child.once("error", (e) => failed(m.id, e))
    return
  }
  const pid = child.pid
  children.set(m.id, child)
  live.add(pid)
  send(${frame.spawned}, m.id, String(pid))
  child.on("error", () => {})
  child.stdout.on("data", (c) => send(${frame.stdout}, m.id, c))
  child.stderr.on("data", (c) => send(${frame.stderr}, m.id, c))
  child.once("exit", (code, signal) => {
    live.delete(pid)
    send(${frame.exit}, m.id, JSON.stringify({ code, signal }))
  })
  child.once("close", () => {
    children.delete(m.id)
    send(${frame.close}, m.id, "")
  })
}
let text = ""
process.stdin.setEncoding("utf8")
process.stdin.on("data", (chunk) => {
  text += chunk
  const messages = []
  for (let nl = text.indexOf("\\n"); nl >= 0; nl = text.indexOf("\\n")) {
    messages.push(JSON.parse(text.slice(0, nl)))
    text = text.slice(nl + 1)
  }
  const alone = messages.filter((m) => m.op === "spawn").length === 1
  for (const m of messages) {
    if (m.op === "spawn") start(m, alone)
    else if (m.op === "release") {
      const child = children.get(m.id)
      if (child !== undefined) { child.stdout.destroy(); child.stderr.destroy() }
    }
  }
})
// the first spawn of a Node process is slower (lazy internals, cold code): done here, not by a container
try {
  spawn(process.execPath, ["--version"], { detached: true, stdio: ["ignore", "pipe", "pipe"] }).on("error", () => {})
} catch {}
send(${frame.ready}, 0, "")`

/** The argv marker that names the helper in `ps` and `/proc/<pid>/cmdline`. */
export const helperMarker = "podlet-spawn-helper"

interface Entry {
  readonly request: SpawnRequest
  readonly listeners: SpawnListeners
  /** set until the helper answers the spawn request */
  resume: ((result: Effect.Effect<Spawned, NodeJS.ErrnoException>) => void) | undefined
  pid: number | undefined
  exited: boolean
  /** the caller stopped waiting before the answer: the process is killed when it comes */
  abandoned: boolean
}

const killGroup = (pid: number): void => {
  try {
    process.kill(-pid, "SIGKILL")
  } catch {}
}

const errnoOf = (json: string): NodeJS.ErrnoException => {
  const fields = JSON.parse(json) as {
    code?: string
    errno?: number
    syscall?: string
    path?: string
    message?: string
  }
  const error: NodeJS.ErrnoException = new Error(fields.message ?? "spawn failed")
  if (fields.code !== undefined) error.code = fields.code
  if (fields.errno !== undefined) error.errno = fields.errno
  if (fields.syscall !== undefined) error.syscall = fields.syscall
  if (fields.path !== undefined) error.path = fields.path
  return error
}

/** Requests closer together than this are written together (end of the event loop's turn). */
const coalesceMillis = 1

/** How long the helper may take to start before spawns are direct. */
const readyMillis = 10_000

/**
 * Starts the spawn helper (`node -e helperScript` from this Node's executable, without
 * NODE_OPTIONS) and waits until it is ready, so that no container waits for a Node to boot;
 * `spawnDirect` when it cannot start.
 */
export const startSpawnHelper: Effect.Effect<Spawner> = Effect.suspend(() => {
  const helper = makeSpawnHelper()
  if (helper === undefined) return Effect.succeed(spawnDirect)
  return helper.ready.pipe(
    Effect.timeoutOption(readyMillis),
    Effect.map((ready) => {
      if (ready._tag === "Some" && ready.value) return helper.spawner
      helper.spawner.close()
      return spawnDirect
    })
  )
})

const makeSpawnHelper = (): { readonly spawner: Spawner; readonly ready: Effect.Effect<boolean> } | undefined => {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env["NODE_OPTIONS"]
  let helper: ChildProcess | undefined
  try {
    helper = spawn(process.execPath, ["-e", helperScript, helperMarker], {
      detached: true,
      env,
      stdio: ["pipe", "pipe", "ignore"]
    })
  } catch {
    return undefined
  }
  if (helper.pid === undefined) {
    helper.on("error", () => {})
    return undefined
  }
  const ready = Deferred.makeUnsafe<boolean>()
  const entries = new Map<number, Entry>()
  let nextId = 1
  let pending: Buffer = Buffer.alloc(0)
  let referenced = true

  /** Keeps this process alive while something runs through the helper (as direct children do). */
  const reference = (): void => {
    const wanted = entries.size > 0
    if (wanted === referenced || helper === undefined) return
    referenced = wanted
    const out = helper.stdout as { ref?: () => void; unref?: () => void } | null
    if (wanted) out?.ref?.()
    else out?.unref?.()
  }

  const forget = (id: number): void => {
    entries.delete(id)
    reference()
  }

  const onFrame = (type: number, id: number, body: Buffer): void => {
    if (type === frame.ready) Deferred.doneUnsafe(ready, Effect.succeed(true))
    const entry = entries.get(id)
    if (entry === undefined) return
    if (type === frame.spawned) {
      entry.pid = Number(body.toString())
      const resume = entry.resume
      entry.resume = undefined
      if (entry.abandoned) killGroup(entry.pid)
      else resume?.(Effect.succeed({ pid: entry.pid, release: () => release(id) }))
    } else if (type === frame.failed) {
      const resume = entry.resume
      forget(id)
      resume?.(Effect.fail(errnoOf(body.toString())))
    } else if (type === frame.stdout || type === frame.stderr) {
      if (!entry.abandoned) entry.listeners.output(type === frame.stdout ? "stdout" : "stderr", body)
    } else if (type === frame.exit) {
      entry.exited = true
      if (!entry.abandoned) entry.listeners.exit(JSON.parse(body.toString()) as ProcessEnd)
    } else if (type === frame.close) {
      forget(id)
      if (!entry.abandoned) entry.listeners.close()
    }
  }

  const onData = (chunk: Buffer): void => {
    let buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (buffer.length >= headerBytes) {
      const length = buffer.readUInt32BE(5)
      if (buffer.length < headerBytes + length) break
      onFrame(buffer.readUInt8(0), buffer.readUInt32BE(1), buffer.subarray(headerBytes, headerBytes + length))
      buffer = buffer.subarray(headerBytes + length)
    }
    pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer)
  }

  /** The helper is gone: what ran through it is killed and ended; unanswered requests go direct. */
  const lost = (): void => {
    Deferred.doneUnsafe(ready, Effect.succeed(false))
    if (helper === undefined) return
    helper = undefined
    for (const [id, entry] of [...entries]) {
      entries.delete(id)
      if (entry.resume !== undefined) {
        const resume = entry.resume
        entry.resume = undefined
        if (!entry.abandoned) resume(startDirect(entry.request, entry.listeners))
        continue
      }
      if (entry.pid !== undefined) killGroup(entry.pid)
      if (entry.abandoned) continue
      if (!entry.exited) entry.listeners.exit({ code: null, signal: "SIGKILL" })
      entry.listeners.close()
    }
  }

  /** requests not yet written */
  let outgoing = ""
  /** when requests were last written (`performance.now()`) */
  let flushedAt = Number.NEGATIVE_INFINITY
  const flush = (): void => {
    const text = outgoing
    outgoing = ""
    flushedAt = performance.now()
    if (text !== "") helper?.stdin?.write(text)
  }
  /**
   * Sends a request, in order: at once when nothing was written for `coalesceMillis` (the helper
   * starts on it while this process goes on, however long its turn of the event loop), else with
   * the others of this turn (`setImmediate`): one write, one wake-up of the helper.
   */
  const send = (message: unknown): void => {
    const first = outgoing === ""
    outgoing += `${JSON.stringify(message)}\n`
    if (performance.now() - flushedAt >= coalesceMillis) flush()
    else if (first) setImmediate(flush)
  }

  const release = (id: number): void => send({ op: "release", id })

  helper.on("error", () => {})
  helper.stdin?.on("error", () => {})
  helper.stdout?.on("data", onData)
  // after its stdout is read to the end: every frame it wrote is heard first
  helper.once("close", lost)
  helper.unref()
  ;(helper.stdin as { unref?: () => void } | null)?.unref?.()
  reference()

  const spawner: Spawner = {
    spawn: (request, listeners) =>
      Effect.suspend(() => {
        if (helper === undefined) return startDirect(request, listeners)
        return Effect.callback<Spawned, NodeJS.ErrnoException>((resume) => {
          const id = nextId++
          const entry: Entry = { request, listeners, resume, pid: undefined, exited: false, abandoned: false }
          entries.set(id, entry)
          reference()
          send({ op: "spawn", id, ...request })
          return Effect.sync(() => {
            entry.abandoned = true
            entry.resume = undefined
          })
        })
      }),
    close: () => {
      const running = helper
      if (running === undefined) return
      flush()
      running.stdin?.end()
    },
    helperPid: () => helper?.pid
  }
  return { spawner, ready: Deferred.await(ready) }
}
