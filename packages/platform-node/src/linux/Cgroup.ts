/**
 * Cgroups of Linux mode. Each container instance gets a memory cgroup of its own,
 * `<this process's memory cgroup>/podlet/<runtime>/<instance>`, holding the memory limit; the OCI
 * runtime puts the container in a child `c` of it (a relative `cgroupsPath`, so under this
 * process's cgroup in every hierarchy). The limit is on the parent so that the counters outlive the
 * container: after the exit, an OOM kill is read back from the parent (`memory.oom_control`'s
 * `oom_kill` or `memory.failcnt` on v1, `memory.events` on v2). Everything is removed bottom-up
 * when the instance is removed and when the runtime ends.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"

/** `/proc/self/cgroup` as hierarchy directories: each controller's mount plus this process's path. */
export const ownCgroupDirs = (procCgroup: string, mountRoot = "/sys/fs/cgroup"): Array<string> => {
  const dirs = new Set<string>()
  const v2Only = procCgroup.trim().split("\n").length === 1 && procCgroup.startsWith("0::")
  for (const line of procCgroup.trim().split("\n")) {
    const [, controllers, path] = line.split(":") as [string, string | undefined, string | undefined]
    if (controllers === undefined || path === undefined) continue
    const mount =
      controllers === ""
        ? v2Only
          ? mountRoot
          : join(mountRoot, "unified")
        : join(mountRoot, controllers.replace(/^name=/, ""))
    dirs.add(path === "/" ? mount : join(mount, path))
  }
  return [...dirs]
}

/** The cgroup layout of one runtime. */
export interface CgroupLayout {
  /** `podlet/<runtime>`: relative to this process's cgroup in every hierarchy */
  readonly relative: string
  /** the memory hierarchy directory of `relative` */
  readonly memoryBase: string
  /** cgroup v2 (unified only) */
  readonly v2: boolean
  /** `relative` in every hierarchy (what to remove at the end) */
  readonly all: ReadonlyArray<string>
}

export const cgroupLayout = (runtimeId: string): CgroupLayout => {
  const proc = readFileSync("/proc/self/cgroup", "utf8")
  const dirs = ownCgroupDirs(proc)
  const relative = `podlet/${runtimeId}`
  const v2 = !existsSync("/sys/fs/cgroup/memory") && existsSync("/sys/fs/cgroup/cgroup.controllers")
  const memory = v2 ? dirs[0] : dirs.find((dir) => dir.startsWith("/sys/fs/cgroup/memory"))
  return {
    relative,
    memoryBase: join(memory ?? "/sys/fs/cgroup/memory", relative),
    v2,
    all: dirs.map((dir) => join(dir, relative))
  }
}

/** Creates an instance's memory cgroup with its limit (bytes; none when undefined); returns its directory. */
export const makeInstanceCgroup = (layout: CgroupLayout, instance: string, limit: number | undefined): string => {
  const dir = join(layout.memoryBase, instance)
  mkdirSync(dir, { recursive: true })
  if (limit !== undefined) writeFileSync(join(dir, layout.v2 ? "memory.max" : "memory.limit_in_bytes"), String(limit))
  return dir
}

const counter = (text: string, name: string): number => {
  const match = new RegExp(`^${name} (\\d+)$`, "m").exec(text)
  return match === null ? 0 : Number(match[1])
}

/** Whether the memory limit was hit and a kill followed: the kernel's OOM killer ended the container. */
export const oomKilledFrom = (files: {
  readonly oomControl?: string
  readonly failcnt?: string
  readonly events?: string
}): boolean => {
  if (files.events !== undefined) return counter(files.events, "oom_kill") > 0
  if (files.oomControl !== undefined && counter(files.oomControl, "oom_kill") > 0) return true
  return files.failcnt !== undefined && Number(files.failcnt.trim()) > 0
}

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/** Reads an instance cgroup's OOM record. */
export const oomKilled = (layout: CgroupLayout, dir: string): boolean =>
  layout.v2
    ? oomKilledFrom({ events: readOr(join(dir, "memory.events")) ?? "" })
    : oomKilledFrom({
        oomControl: readOr(join(dir, "memory.oom_control")) ?? "",
        failcnt: readOr(join(dir, "memory.failcnt")) ?? "0"
      })

/** Removes `dir` and every cgroup below it, deepest first (a busy one stays). */
export const removeCgroupTree = (dir: string): void => {
  let entries: Array<string>
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
  } catch {
    return
  }
  for (const name of entries) removeCgroupTree(join(dir, name))
  try {
    rmdirSync(dir)
  } catch {}
}

/** Removes `podlet/<runtime>/<instance>` in every hierarchy. */
export const removeInstanceCgroups = (layout: CgroupLayout, instance: string): void => {
  for (const base of layout.all) removeCgroupTree(join(base, instance))
}

/** Removes the runtime's cgroups in every hierarchy (and `podlet/` when empty). */
export const removeRuntimeCgroups = (layout: CgroupLayout): void => {
  for (const base of layout.all) {
    removeCgroupTree(base)
    try {
      rmdirSync(join(base, ".."))
    } catch {}
  }
}
