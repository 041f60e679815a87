/**
 * Where the SQLite backend's change log is written: the database work of `BackendSqlite` behind one
 * small interface, so it can run on the main thread (`makeInlineLogWriter`) or on a writer thread
 * (`startWriterThread`). A writer takes batches in order: a batch's rows, and when due a prune of
 * superseded rows, in one transaction; `done` runs once that transaction committed. A thread's
 * writer may hold several batches sent before their answers.
 */
import type { Change } from "@podlet/core/services/StorageBackend"
import type Database from "better-sqlite3"

/** One change log row to append. */
export interface LogRow {
  readonly rv: number
  readonly type: Change["type"]
  readonly key: string
  readonly json: string
}

/** Superseded rows to delete in the same transaction: `ranges` as [first, last, first, last, ...]. */
export interface LogPrune {
  readonly ranges: ReadonlyArray<number>
  /** the new `compacted` floor recorded in `meta` */
  readonly floor: number
}

/** A change log row as read back. */
export type ChangeRow = [rv: number, type: Change["type"], key: string, json: string]

/** The writer of one open database. Calls are answered in the order they were made. */
export interface LogWriter {
  /**
   * With this writer idle, a queue of at least twice this many rows goes as two batches (default:
   * never), so a writer that works beside the caller answers the first while it commits the second
   */
  readonly splitRows?: number
  /** appends `rows` and applies `prune` in one transaction; `done` gets the error when it failed */
  readonly write: (rows: ReadonlyArray<LogRow>, prune: LogPrune | undefined, done: (error?: unknown) => void) => void
  /** the log rows above `since`, in order, after every write made before */
  readonly changesAfter: (since: number, done: (rows: ReadonlyArray<ChangeRow> | Error) => void) => void
  /** finishes what was asked before (every write), then closes the database */
  readonly close: (done: () => void) => void
}

/** The SQL of a writer: shared by the inline writer and the writer thread's script. */
export const writerSql = {
  append: "INSERT INTO changes (rv, type, key, json) VALUES (?, ?, ?, ?)",
  prune: "DELETE FROM changes WHERE rv BETWEEN ? AND ?",
  compacted: "INSERT OR REPLACE INTO meta (name, value) VALUES ('compacted', ?)",
  changesAfter: "SELECT rv, type, key, json FROM changes WHERE rv > ? ORDER BY rv"
} as const

/** A writer on the calling thread: each call runs at once (`done` before it returns). */
export const makeInlineLogWriter = (db: Database.Database): LogWriter => {
  const append = db.prepare<[number, string, string, string]>(writerSql.append)
  const prune = db.prepare<[number, number]>(writerSql.prune)
  const compacted = db.prepare<[number]>(writerSql.compacted)
  const changesAfter = db.prepare<[number], ChangeRow>(writerSql.changesAfter).raw()
  const transaction = db.transaction((rows: ReadonlyArray<LogRow>, due: LogPrune | undefined) => {
    for (const { rv, type, key, json } of rows) append.run(rv, type, key, json)
    if (due === undefined) return
    for (let i = 0; i < due.ranges.length; i += 2) prune.run(due.ranges[i]!, due.ranges[i + 1]!)
    compacted.run(due.floor)
  })
  return {
    write: (rows, due, done) => {
      let failure: unknown
      try {
        transaction(rows, due)
      } catch (error) {
        failure = error ?? new Error("commit failed")
      }
      done(failure)
    },
    changesAfter: (since, done) => {
      let rows: ReadonlyArray<ChangeRow> | Error
      try {
        rows = changesAfter.all(since)
      } catch (error) {
        rows = error instanceof Error ? error : new Error(String(error))
      }
      done(rows)
    },
    close: (done) => {
      db.close()
      done()
    }
  }
}
