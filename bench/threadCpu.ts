/**
 * Per-thread CPU time of this process, from Linux's `/proc/self/task/<tid>/schedstat` (ns on CPU):
 * a diagnostic that splits a phase's CPU between the main thread, the threads started after
 * `markThreads` (with the SQLite store: its writer thread) and the rest (GC and platform helpers).
 * Zeros elsewhere than Linux.
 */
import { readdirSync, readFileSync } from "node:fs"

/** CPU nanoseconds per thread id, now. */
export type ThreadCpu = ReadonlyMap<number, number>

export const threadCpu = (): ThreadCpu => {
  const out = new Map<number, number>()
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        out.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]))
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out
}

/** the threads that existed at `markThreads` */
let marked = new Set<number>()

/** Marks the threads running now (call before a store starts its own): the later ones are `newUs`. */
export const markThreads = (): void => {
  marked = new Set(threadCpu().keys())
}

/** A phase's CPU microseconds per op on the main thread, the threads started after the mark, and the rest. */
export interface ThreadSplit {
  readonly mainUs: number
  readonly newUs: number
  readonly restUs: number
}

export const threadSplit = (before: ThreadCpu, after: ThreadCpu, ops: number): ThreadSplit => {
  let main = 0
  let started = 0
  let rest = 0
  for (const [tid, ns] of after) {
    const delta = ns - (before.get(tid) ?? 0)
    if (tid === process.pid) main += delta
    else if (marked.has(tid)) rest += delta
    else started += delta
  }
  const per = (ns: number) => Math.round(ns / 10 / Math.max(1, ops)) / 100
  return { mainUs: per(main), newUs: per(started), restUs: per(rest) }
}
