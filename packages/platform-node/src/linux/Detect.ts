/**
 * Which mode the process runtime runs in: Linux isolation (root on Linux with an OCI runtime and
 * `ip`: pod sandboxes with their own network and UTS namespaces, containers through runc/crun) or
 * host mode (containers are plain processes). `auto` picks Linux mode when the machine can do it,
 * else host mode with the reason; `linux` insists (the reason is then an error to report).
 */
import { accessSync, constants, readFileSync, statSync } from "node:fs"
import { delimiter, join } from "node:path"

/** What a runtime is asked for. */
export type RuntimeMode = "auto" | "host" | "linux"

/** What this machine offers Linux mode. */
export interface MachineFacts {
  readonly platform: string
  readonly uid: number | undefined
  /** OCI runtimes on PATH, by name (`runc`, `crun`), with their absolute paths */
  readonly ociRuntimes: ReadonlyMap<string, string>
  /** absolute path of `ip`, if any */
  readonly ip: string | undefined
  /** absolute path of `unshare`, if any */
  readonly unshare: string | undefined
  /** cgroup v1 with controllers also enabled in the v2 hierarchy (crun refuses such a hybrid) */
  readonly hybridCgroups: boolean
}

/** The decision: Linux mode with its OCI runtime, or host mode and why. */
export type ModeChoice =
  | {
      readonly mode: "linux"
      readonly oci: string
      readonly ociName: string
      readonly ip: string
      readonly unshare: string
    }
  | { readonly mode: "host"; readonly reason: string }

/** The OCI runtime Linux mode uses: crun, else runc; runc only on a hybrid cgroup machine (crun refuses it). */
export const pickOciRuntime = (
  runtimes: ReadonlyMap<string, string>,
  hybridCgroups: boolean
): { readonly name: string; readonly path: string } | undefined => {
  const order = hybridCgroups ? ["runc"] : ["crun", "runc"]
  for (const name of order) {
    const path = runtimes.get(name)
    if (path !== undefined) return { name, path }
  }
  return undefined
}

/** Linux mode when requested or possible; otherwise host mode with the first thing missing. */
export const chooseMode = (requested: RuntimeMode, facts: MachineFacts): ModeChoice => {
  if (requested === "host") return { mode: "host", reason: "host mode was requested" }
  if (facts.platform !== "linux") return { mode: "host", reason: `not Linux (${facts.platform})` }
  if (facts.uid !== 0) return { mode: "host", reason: `not root (uid ${facts.uid ?? "unknown"})` }
  const oci = pickOciRuntime(facts.ociRuntimes, facts.hybridCgroups)
  if (oci === undefined) {
    return {
      mode: "host",
      reason:
        facts.hybridCgroups && facts.ociRuntimes.has("crun")
          ? "no usable OCI runtime (crun refuses hybrid cgroups; install runc)"
          : "no OCI runtime (install crun or runc)"
    }
  }
  if (facts.ip === undefined) return { mode: "host", reason: "no `ip` command (install iproute2)" }
  if (facts.unshare === undefined) return { mode: "host", reason: "no `unshare` command (install util-linux)" }
  return { mode: "linux", oci: oci.path, ociName: oci.name, ip: facts.ip, unshare: facts.unshare }
}

/** The absolute path of an executable on `PATH`, if any. */
export const which = (file: string, path: string = process.env["PATH"] ?? ""): string | undefined => {
  for (const dir of [...path.split(delimiter), "/usr/sbin", "/sbin"]) {
    if (dir === "") continue
    const candidate = join(dir, file)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return undefined
}

const hybrid = (): boolean => {
  try {
    statSync("/sys/fs/cgroup/memory")
    return readFileSync("/sys/fs/cgroup/unified/cgroup.controllers", "utf8").trim() !== ""
  } catch {
    return false
  }
}

/** What this machine offers (reads PATH and /sys). */
export const machineFacts = (): MachineFacts => {
  const ociRuntimes = new Map<string, string>()
  for (const name of ["crun", "runc"]) {
    const path = which(name)
    if (path !== undefined) ociRuntimes.set(name, path)
  }
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    ociRuntimes,
    ip: which("ip"),
    unshare: which("unshare"),
    hybridCgroups: process.platform === "linux" && hybrid()
  }
}

let told = false

/** Decides the mode for this machine; prints it once per process when it was detected (`auto`, `linux`). */
export const detectMode = (requested: RuntimeMode): ModeChoice => {
  const choice = chooseMode(requested, machineFacts())
  if (!told && requested !== "host") {
    told = true
    process.stderr.write(
      choice.mode === "linux"
        ? `podlet: process runtime in Linux isolation mode (${choice.ociName})\n`
        : `podlet: process runtime in host mode: ${choice.reason}\n`
    )
  }
  return choice
}

/**
 * How a node on the process runtime describes itself (`status.nodeInfo`): `osImage` and
 * `containerRuntimeVersion` say the mode (and why host mode, when it is not what was asked).
 */
export const processNodeInfo = (
  requested: RuntimeMode,
  choice: ModeChoice
): { readonly osImage: string; readonly containerRuntimeVersion: string } =>
  choice.mode === "linux"
    ? {
        osImage: `podlet process runtime (linux isolation, ${choice.ociName})`,
        containerRuntimeVersion: `podlet-process://linux+${choice.ociName}`
      }
    : {
        osImage:
          requested === "host"
            ? "podlet process runtime (host mode)"
            : `podlet process runtime (host mode: ${choice.reason})`,
        containerRuntimeVersion: "podlet-process://host"
      }
