/**
 * The SQLite backend's writer thread: a `node:worker_threads` Worker that owns the database file
 * (EXCLUSIVE locking) and runs its transactions, prunes and WAL checkpoints, so none of them holds
 * the main thread. `startWriterThread` opens it and gives the `LogWriter` that talks to it.
 *
 * Protocol (one port, answered in order; a request is one string, as strings cost the least to
 * post): a write (`W`, the prune, then each row's rv, type, key and JSON, all NUL-separated: JSON
 * and keys hold no NUL) is answered `0` once its transaction committed, or `failed` with the SQLite
 * error's message and code (nothing of it was written). A write whose first version does not follow
 * the last one committed was planned on top of a failed write (sent before its answer): it is
 * refused with that failure (or an out-of-order error), nothing written. `C<since>` answers the log rows above
 * `since`; `X` closes the database (answered `closed`). A thread opens a database at `O<options>`;
 * once closed it is kept, unreferenced, for the next open in this process (a thread takes ~100 ms
 * to start on a busy machine), one at most.
 *
 * Checkpoints: SQLite's autocheckpoint is off. Once the WAL written since the last checkpoint passes
 * `checkpointBytes` (estimated), the thread checkpoints (PASSIVE) after answering the write; the
 * writes sent meanwhile wait for it (~50-100 ms for 16 MiB on a slow disk), the main thread does not.
 * Part of that wait is the checkpoint's fsync of the WAL; so every `flushBytes` of WAL written the
 * thread asks for an fdatasync of the WAL on libuv's pool, beside its commits: the checkpoint's own
 * fsync then finds little to write. An extra fsync only makes more durable, never less. (With the
 * 16 KiB pages of a new file, a checkpoint's total stall measured 50-60% below 4 KiB pages without it.)
 *
 * The thread's code is plain JavaScript run with `eval` (as the spawn helper's `node -e`), so it
 * starts the same under tsx, vitest and the built package; it loads better-sqlite3 from the path
 * this module resolves.
 */
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { StorageOpenError } from "../Errors.js"
import { type ChangeRow, type LogWriter, writerSql } from "./LogWriter.js"

export interface WriterThreadOptions {
  readonly path: string
  readonly synchronous?: "normal" | "full"
  /** WAL bytes written (estimated) after which the thread checkpoints; default 16 MiB */
  readonly checkpointBytes?: number
  /** WAL bytes written (estimated) after which the thread fdatasyncs the WAL in the background; default 2 MiB, 0: never */
  readonly flushBytes?: number
}

/** The default WAL size after which the writer thread checkpoints (SQLite's default is 4 MiB). */
export const defaultCheckpointBytes = 16 * 1024 * 1024

/** The default WAL bytes between two background fdatasyncs of the WAL. */
export const defaultFlushBytes = 2 * 1024 * 1024

/**
 * The thread's `splitRows`: with the thread idle, 32 or more queued rows go as two batches, so the
 * first one's writers run again while the thread commits the second.
 */
export const threadSplitRows = 16

/** What the thread answers. */
type Reply =
  | { readonly op: "open" }
  | { readonly op: "openFailed"; readonly message: string }
  | 0
  | { readonly op: "failed"; readonly message: string; readonly code: string | undefined }
  | { readonly op: "changes"; readonly rows: ReadonlyArray<ChangeRow> }
  | { readonly op: "closed" }

const script = `
"use strict"
const { parentPort, workerData } = require("node:worker_threads")
const fs = require("node:fs")
const Database = require(workerData.driver)
const sql = workerData.sql

/** The open database and its statements; undefined between two owners. */
let session
const open = (options) => {
  const db = new Database(options.path, { timeout: 0 })
  try {
    db.pragma("locking_mode = EXCLUSIVE")
    db.pragma("journal_mode = WAL")
    db.pragma("synchronous = " + (options.synchronous === "full" ? "FULL" : "NORMAL"))
    db.pragma("wal_autocheckpoint = 0")
    db.pragma("journal_size_limit = 67108864")
    db.pragma("cache_size = -65536")
    db.exec("BEGIN EXCLUSIVE; COMMIT")
  } catch (error) {
    db.close()
    throw error
  }
  const last = db
    .prepare("SELECT max(coalesce((SELECT max(rv) FROM changes), 0), coalesce((SELECT value FROM meta WHERE name = 'compacted'), 0))")
    .pluck()
    .get()
  const append = db.prepare(sql.append)
  const prune = db.prepare(sql.prune)
  const compacted = db.prepare(sql.compacted)
  return {
    db,
    checkpointBytes: options.checkpointBytes,
    pageSize: db.pragma("page_size", { simple: true }),
    changesAfter: db.prepare(sql.changesAfter).raw(),
    transaction: db.transaction((rows, due) => {
      for (let i = 0; i < rows.length; i += 4) append.run(rows[i], rows[i + 1], rows[i + 2], rows[i + 3])
      if (due === undefined) return
      for (let i = 0; i < due.ranges.length; i += 2) prune.run(due.ranges[i], due.ranges[i + 1])
      compacted.run(due.floor)
    }),
    walBytes: 0,
    checkpointScheduled: false,
    walPath: options.path + "-wal",
    flushBytes: options.flushBytes,
    /** this thread's own descriptor of the WAL file (opened at the first flush), and the bytes since that flush */
    walFd: undefined,
    unflushed: 0,
    flushing: false,
    closing: false,
    /** the last version committed, and the failure since then */
    last,
    failure: undefined
  }
}
/** fdatasync of the WAL on libuv's pool; a session closed meanwhile is answered once it is done */
const flush = (s) => {
  if (s.walFd === undefined) {
    try {
      s.walFd = fs.openSync(s.walPath, "r+")
    } catch {
      return
    }
  }
  s.unflushed = 0
  s.flushing = true
  fs.fdatasync(s.walFd, () => {
    s.flushing = false
    if (s.closing) closed(s)
  })
}
/** the end of a session: its WAL descriptor closed, then "closed" answered */
const closed = (s) => {
  if (s.walFd !== undefined) {
    try {
      fs.closeSync(s.walFd)
    } catch {}
    s.walFd = undefined
  }
  parentPort.postMessage({ op: "closed" })
}
const checkpoint = (s) => {
  s.checkpointScheduled = false
  if (session !== s) return
  s.walBytes = 0
  // a failed checkpoint loses nothing: the WAL keeps the pages until the next one
  try {
    s.db.pragma("wal_checkpoint(PASSIVE)")
  } catch {}
}
/** "W" + prune ("" or "floor,first,last,...") + NUL + rv NUL type NUL key NUL json ... */
const parseWrite = (message) => {
  const parts = message.split("\0")
  const head = parts[0]
  let prune
  if (head.length > 1) {
    const numbers = head.slice(1).split(",").map(Number)
    prune = { floor: numbers[0], ranges: numbers.slice(1) }
  }
  const rows = new Array(parts.length - 1)
  for (let i = 1; i < parts.length; i += 4) {
    rows[i - 1] = Number(parts[i])
    rows[i] = parts[i + 1]
    rows[i + 1] = parts[i + 2]
    rows[i + 2] = parts[i + 3]
  }
  return { rows, prune }
}
parentPort.on("message", (message) => {
  if (session === undefined) {
    // "O" + the options as JSON
    try {
      session = open(JSON.parse(message.slice(1)))
      parentPort.postMessage({ op: "open" })
    } catch (error) {
      parentPort.postMessage({ op: "openFailed", message: String(error) })
    }
    return
  }
  const s = session
  switch (message[0]) {
    case "W": {
      const { rows, prune } = parseWrite(message)
      if (rows[0] !== s.last + 1) {
        // planned on top of a write that failed (or out of order): refused, nothing written
        parentPort.postMessage(
          s.failure ?? { op: "failed", message: "write of version " + rows[0] + " after version " + s.last, code: undefined }
        )
        return
      }
      try {
        s.transaction(rows, prune)
      } catch (error) {
        s.failure = { op: "failed", message: String(error && error.message), code: error && error.code }
        parentPort.postMessage(s.failure)
        return
      }
      s.failure = undefined
      s.last = rows[rows.length - 4]
      parentPort.postMessage(0)
      // a transaction writes its dirty pages: about its JSON, an index page or two, the meta row
      let bytes = 2 * s.pageSize
      for (let i = 3; i < rows.length; i += 4) bytes += rows[i].length + 32
      s.walBytes += bytes
      s.unflushed += bytes
      if (s.flushBytes > 0 && s.unflushed >= s.flushBytes && !s.flushing) flush(s)
      if (s.walBytes >= s.checkpointBytes && !s.checkpointScheduled) {
        s.checkpointScheduled = true
        setImmediate(() => checkpoint(s))
      }
      return
    }
    case "C": {
      parentPort.postMessage({ op: "changes", rows: s.changesAfter.all(Number(message.slice(1))) })
      return
    }
    case "X": {
      session = undefined
      s.db.close()
      // a flush still running answers when it is done
      s.closing = true
      if (!s.flushing) closed(s)
    }
  }
})
`

/** the separator of a write request's fields */
const nul = "\u0000"

const driver = createRequire(import.meta.url).resolve("better-sqlite3")

const errorOf = (reply: { readonly message: string; readonly code: string | undefined }): Error =>
  reply.code === undefined ? new Error(reply.message) : new Database.SqliteError(reply.message, reply.code)

/** A writer thread, with the handlers of the backend that uses it now. */
interface Thread {
  readonly worker: Worker
  onReply: ((reply: Reply) => void) | undefined
  onEnd: ((error: Error) => void) | undefined
  ended: boolean
  referenced: boolean
}

/** A thread whose last owner closed its database, kept (unreferenced) for the next open. */
let idle: Thread | undefined
let started = 0

/** How many writer threads this process has started (diagnostics and tests). */
export const writerThreadsStarted = (): number => started

const startThread = (): Thread => {
  started++
  const worker = new Worker(script, {
    eval: true,
    // plain JavaScript: no loader (tsx) needed in the thread
    execArgv: [],
    workerData: { driver, sql: writerSql }
  })
  const thread: Thread = { worker, onReply: undefined, onEnd: undefined, ended: false, referenced: true }
  worker.on("message", (reply: Reply) => thread.onReply?.(reply))
  const end = (error: Error): void => {
    if (thread.ended) return
    thread.ended = true
    if (idle === thread) idle = undefined
    thread.onEnd?.(error)
  }
  worker.on("error", end)
  worker.on("exit", (code) => end(new Error(`the SQLite writer thread exited (code ${code})`)))
  return thread
}

/** The thread keeps this process alive only while someone waits for it (as a queued flush does). */
const reference = (thread: Thread, wanted: boolean): void => {
  if (wanted === thread.referenced || thread.ended) return
  thread.referenced = wanted
  if (wanted) thread.worker.ref()
  else thread.worker.unref()
}

/** A thread without a database: kept for the next open when none is, else ended. */
const release = (thread: Thread): void => {
  thread.onReply = undefined
  thread.onEnd = undefined
  if (thread.ended) return
  reference(thread, false)
  if (idle === undefined) idle = thread
  else void thread.worker.terminate()
}

/**
 * Starts the writer on `options.path` (on the idle writer thread when there is one) and waits until
 * it holds the file: a StorageOpenError when it cannot open it (held by another owner, not a
 * database). The file's schema must exist.
 */
export const startWriterThread = (options: WriterThreadOptions): Effect.Effect<LogWriter, StorageOpenError> =>
  Effect.callback<LogWriter, StorageOpenError>((resume) => {
    const thread = idle ?? startThread()
    idle = undefined
    /** the answer handlers of the requests sent, oldest first */
    const waiting: Array<(reply: Reply | Error) => void> = []
    let opened = false
    let ended = false
    /** set once closing: called when the database is closed */
    let onClosed: (() => void) | undefined
    const referenceNow = (): void => reference(thread, !opened || waiting.length > 0 || onClosed !== undefined)

    const request = (message: string, answer: (reply: Reply | Error) => void): void => {
      if (ended) {
        answer(new Error("the SQLite writer thread has ended"))
        return
      }
      waiting.push(answer)
      referenceNow()
      thread.worker.postMessage(message)
    }

    const writer: LogWriter = {
      write: (rows, prune, done) => {
        let message =
          prune === undefined ? "W" : `W${prune.floor}${prune.ranges.length > 0 ? "," : ""}${prune.ranges.join(",")}`
        for (const row of rows) message += `${nul}${row.rv}${nul}${row.type}${nul}${row.key}${nul}${row.json}`
        request(message, (reply) => {
          if (reply === 0) done()
          else if (reply instanceof Error) done(reply)
          else if (reply.op === "failed") done(errorOf(reply))
          else done(new Error(`unexpected answer ${reply.op} from the SQLite writer thread`))
        })
      },
      changesAfter: (since, done) =>
        request(`C${since}`, (reply) => {
          if (reply instanceof Error) done(reply)
          else if (reply !== 0 && reply.op === "changes") done(reply.rows)
          else done(new Error("unexpected answer from the SQLite writer thread"))
        }),
      close: (done) => {
        if (ended) {
          done()
          return
        }
        onClosed = done
        referenceNow()
        thread.worker.postMessage("X")
      }
    }

    const fail = (message: string): void => {
      opened = true
      resume(Effect.fail(new StorageOpenError({ path: options.path, message })))
    }
    thread.onReply = (reply) => {
      if (!opened) {
        if (reply !== 0 && reply.op === "open") {
          opened = true
          referenceNow()
          resume(Effect.succeed(writer))
        } else {
          release(thread)
          fail(reply !== 0 && reply.op === "openFailed" ? reply.message : "unexpected answer")
        }
        return
      }
      if (reply !== 0 && reply.op === "closed") {
        ended = true
        release(thread)
        onClosed?.()
        return
      }
      waiting.shift()?.(reply)
      referenceNow()
    }
    thread.onEnd = (error) => {
      ended = true
      if (!opened) fail(String(error))
      for (const answer of waiting.splice(0)) answer(error)
      onClosed?.()
    }
    if (thread.ended) {
      thread.onEnd(new Error("the SQLite writer thread has ended"))
      return
    }
    referenceNow()
    thread.worker.postMessage(
      `O${JSON.stringify({
        path: options.path,
        synchronous: options.synchronous ?? "normal",
        checkpointBytes: options.checkpointBytes ?? defaultCheckpointBytes,
        flushBytes: options.flushBytes ?? defaultFlushBytes
      })}`
    )
    return Effect.sync(() => {
      if (opened) return
      opened = true
      thread.onReply = undefined
      thread.onEnd = undefined
      void thread.worker.terminate()
    })
  })
