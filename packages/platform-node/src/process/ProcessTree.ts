/**
 * Resident memory of process groups (a container is one process group: its main process and every
 * descendant that did not leave the group). On Linux, from `/proc/<pid>/stat` (group) and
 * `/proc/<pid>/status` (`VmRSS`); elsewhere from `ps -A -o pgid=,rss=`.
 */
import { execFile } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { Effect } from "effect"

/** The process group of a `/proc/<pid>/stat` line (field 5), or undefined when unreadable. */
export const statGroup = (stat: string): number | undefined => {
  const close = stat.lastIndexOf(")")
  if (close < 0) return undefined
  const fields = stat.slice(close + 2).split(" ")
  const pgrp = Number(fields[2])
  return Number.isInteger(pgrp) ? pgrp : undefined
}

/** `VmRSS` of a `/proc/<pid>/status` text, in bytes (0 for a kernel thread or a zombie). */
export const statusRss = (status: string): number => {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  return match === null ? 0 : Number(match[1]) * 1024
}

/** Sums `ps -o pgid=,rss=` lines (rss in KiB) for the wanted groups. */
export const psGroupRss = (output: string, groups: ReadonlySet<number>): Map<number, number> => {
  const out = new Map<number, number>()
  for (const line of output.split("\n")) {
    const [pgid, rss] = line.trim().split(/\s+/).map(Number)
    if (pgid === undefined || rss === undefined || !groups.has(pgid) || Number.isNaN(rss)) continue
    out.set(pgid, (out.get(pgid) ?? 0) + rss * 1024)
  }
  return out
}

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

const procGroupRss = (groups: ReadonlySet<number>): Map<number, number> => {
  const out = new Map<number, number>()
  for (const entry of readdirSync("/proc")) {
    const first = entry.charCodeAt(0)
    if (first < 48 || first > 57) continue
    const stat = readOr(`/proc/${entry}/stat`)
    const group = stat === undefined ? undefined : statGroup(stat)
    if (group === undefined || !groups.has(group)) continue
    const status = readOr(`/proc/${entry}/status`)
    if (status !== undefined) out.set(group, (out.get(group) ?? 0) + statusRss(status))
  }
  return out
}

const hasProc = process.platform === "linux"

/** Resident bytes of each wanted process group (absent groups are left out). */
export const groupRss = (groups: ReadonlySet<number>): Effect.Effect<Map<number, number>> => {
  if (groups.size === 0) return Effect.succeed(new Map())
  if (hasProc) return Effect.sync(() => procGroupRss(groups))
  return Effect.callback<Map<number, number>>((resume) => {
    execFile("ps", ["-A", "-o", "pgid=,rss="], (error, stdout) => {
      resume(Effect.succeed(error === null ? psGroupRss(stdout, groups) : new Map()))
    })
  })
}
