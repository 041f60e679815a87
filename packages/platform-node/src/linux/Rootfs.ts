/**
 * Root filesystems of Linux mode. Without an image root filesystem (no registry configured), a
 * container's root is a fresh directory where the host's system directories (`/usr`, `/etc`,
 * `/opt`, `/var`, and `/bin`-style links) are bound read-only: the host's programs, the
 * container's own writable root, `/tmp` and everything else. With an image, the root is an
 * overlay: the image's unpacked layers below, the instance's own writable layer above.
 */
import { lstatSync, readdirSync, readlinkSync } from "node:fs"
import { chmod, mkdir, symlink } from "node:fs/promises"
import { join } from "node:path"
import type { BindMount } from "./Bundle.js"

/** Host directories a host-filesystem container sees (read-only). */
export const hostSystemDirs: ReadonlyArray<string> = [
  "usr",
  "etc",
  "opt",
  "var",
  "bin",
  "sbin",
  "lib",
  "lib32",
  "lib64",
  "libx32"
]

/** A top-level host entry: a directory to bind, or a link to copy. */
export type HostEntry =
  | { readonly name: string; readonly link: string }
  | { readonly name: string; readonly link?: undefined }

/** What of the host root a container gets: its system directories as binds, their links as links. */
export const hostRootPlan = (
  entries: ReadonlyArray<HostEntry>
): { readonly links: ReadonlyArray<{ name: string; target: string }>; readonly binds: ReadonlyArray<BindMount> } => {
  const links: Array<{ name: string; target: string }> = []
  const binds: Array<BindMount> = []
  for (const entry of entries) {
    if (!hostSystemDirs.includes(entry.name)) continue
    if (entry.link !== undefined) links.push({ name: entry.name, target: entry.link })
    else binds.push({ source: `/${entry.name}`, destination: `/${entry.name}`, readOnly: true })
  }
  return { links, binds }
}

let hostEntries: ReadonlyArray<HostEntry> | undefined

const readHostEntries = (): ReadonlyArray<HostEntry> => {
  hostEntries ??= readdirSync("/").flatMap((name): Array<HostEntry> => {
    try {
      const stat = lstatSync(`/${name}`)
      if (stat.isSymbolicLink()) return [{ name, link: readlinkSync(`/${name}`) }]
      return stat.isDirectory() ? [{ name }] : []
    } catch {
      return []
    }
  })
  return hostEntries
}

/** The binds a host-filesystem root made by `prepareHostRootfs` gets. */
export const hostRootBinds = (): ReadonlyArray<BindMount> => hostRootPlan(readHostEntries()).binds

/**
 * Makes `dir` (absent or empty) a host-filesystem root (links, mount points, a world-writable
 * sticky `/tmp`), off the event loop; returns the binds to add.
 */
export const prepareHostRootfs = async (dir: string): Promise<ReadonlyArray<BindMount>> => {
  const plan = hostRootPlan(readHostEntries())
  await mkdir(dir, { recursive: true })
  // independent entries, made together in libuv's thread pool (milliseconds each on a busy disk)
  await Promise.all([
    mkdir(join(dir, "tmp"), { mode: 0o1777 }).then(() => chmod(join(dir, "tmp"), 0o1777)),
    ...plan.links.map(({ name, target }) => symlink(target, join(dir, name))),
    ...plan.binds.map((bind) => mkdir(join(dir, bind.destination), { recursive: true }))
  ])
  return plan.binds
}
