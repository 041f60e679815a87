/**
 * A pod sandbox's volumes as host directories (host mode cannot mount anything at a container's
 * absolute mountPath without privileges): emptyDir is a directory of the sandbox (it outlives
 * container restarts and goes with the sandbox), configMap/secret volumes are directories of
 * read-only files, hostPath is the host path itself. Each mount is given to the container as the
 * environment variable `PODLET_MOUNT_<VOLUME>` (see `mountEnvName`), and paths under a mountPath
 * (workingDir, terminationMessagePath) are translated to the directory.
 */
import { existsSync, mkdirSync } from "node:fs"
import { chmod, mkdir, writeFile } from "node:fs/promises"
import { dirname, join, resolve, sep } from "node:path"
import type { MountConfig, SandboxVolume } from "@podlet/core/services/ContainerRuntime"

/** `PODLET_MOUNT_<VOLUME>`: the volume name upper-cased, every other character than A-Z and 0-9 as `_`. */
export const mountEnvName = (volume: string): string =>
  `PODLET_MOUNT_${volume.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`

/** `base/relative` when it stays inside `base`; undefined for a path that escapes it (`..`). */
export const inside = (base: string, relative: string): string | undefined => {
  const full = resolve(base, relative)
  return full === base || full.startsWith(base.endsWith(sep) ? base : base + sep) ? full : undefined
}

/** Each volume's host path, without touching the disk (`makeVolumes` makes the directories). */
export const volumePaths = (dir: string, volumes: ReadonlyArray<SandboxVolume>): Map<string, string> => {
  const paths = new Map<string, string>()
  for (const volume of volumes)
    paths.set(volume.name, volume.type === "hostPath" ? volume.path : join(dir, volume.name))
  return paths
}

/** Whether `makeVolumes` has anything to make (only hostPath volumes: nothing). */
export const volumesToMake = (volumes: ReadonlyArray<SandboxVolume>): boolean =>
  volumes.some((volume) => volume.type !== "hostPath")

/**
 * Creates the sandbox's volume directories under `dir` (in libuv's thread pool, off the event loop);
 * returns each volume's host path.
 */
export const makeVolumes = async (dir: string, volumes: ReadonlyArray<SandboxVolume>): Promise<Map<string, string>> => {
  const paths = volumePaths(dir, volumes)
  for (const volume of volumes) {
    if (volume.type === "hostPath") continue
    const path = paths.get(volume.name)!
    await mkdir(path, { recursive: true })
    if (volume.type !== "files") continue
    for (const [name, content] of Object.entries(volume.files)) {
      const file = inside(path, name)
      if (file === undefined) continue
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, content)
      await chmod(file, 0o444)
    }
  }
  return paths
}

/** A container's mounts as host paths (a subPath resolved, created as a directory when absent), or the missing volume. */
export const mountDirectories = (
  volumes: ReadonlyMap<string, string>,
  mounts: ReadonlyArray<MountConfig>
): Array<{ readonly mount: MountConfig; readonly path: string }> | { readonly missing: string } => {
  const out: Array<{ readonly mount: MountConfig; readonly path: string }> = []
  for (const mount of mounts) {
    const base = volumes.get(mount.volume)
    if (base === undefined) return { missing: mount.volume }
    const path = mount.subPath === undefined ? base : inside(base, mount.subPath)
    if (path === undefined) return { missing: `${mount.volume}/${mount.subPath}` }
    if (!existsSync(path)) mkdirSync(path, { recursive: true })
    out.push({ mount, path })
  }
  return out
}

/** The host path of a container path under one of its mountPaths (the longest match), if any. */
export const translatePath = (
  mounts: ReadonlyArray<{ readonly mount: MountConfig; readonly path: string }>,
  containerPath: string
): string | undefined => {
  let best: { readonly length: number; readonly path: string } | undefined
  for (const { mount, path } of mounts) {
    const root = mount.mountPath.replace(/\/+$/, "")
    if (containerPath !== root && !containerPath.startsWith(`${root}/`)) continue
    if (best !== undefined && best.length >= root.length) continue
    best = { length: root.length, path: join(path, containerPath.slice(root.length)) }
  }
  return best?.path
}
