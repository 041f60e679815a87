/**
 * The OCI bundle of one container instance, as containerd's CRI plugin generates it: `config.json`
 * with the process (argv, env, cwd, root), new PID, mount and IPC namespaces, the pod's network and
 * UTS namespaces joined by path, the usual `/proc`, `/dev`, `/sys` mounts, the volumes bound at
 * their mountPath, the default capability set, and a cgroup path (relative: under the runtime's own
 * cgroup). A pure function of its input (`ociConfig`), written by `writeBundle`.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"

/** A bind mount into the container. */
export interface BindMount {
  readonly source: string
  readonly destination: string
  readonly readOnly: boolean
}

export interface BundleInput {
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  /** the root filesystem directory */
  readonly rootfs: string
  readonly netns: string
  readonly utsns: string
  readonly mounts: ReadonlyArray<BindMount>
  readonly cgroupsPath: string
}

/** containerd's default capabilities. */
export const defaultCapabilities: ReadonlyArray<string> = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE"
]

const maskedPaths = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware"
]

const readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

const systemMounts = [
  { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
  {
    destination: "/dev",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "strictatime", "mode=755", "size=65536k"]
  },
  {
    destination: "/dev/pts",
    type: "devpts",
    source: "devpts",
    options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]
  },
  {
    destination: "/dev/shm",
    type: "tmpfs",
    source: "shm",
    options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]
  },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  {
    destination: "/sys/fs/cgroup",
    type: "cgroup",
    source: "cgroup",
    options: ["nosuid", "noexec", "nodev", "relatime", "ro"]
  }
]

/** The `config.json` of a container instance. */
export const ociConfig = (input: BundleInput) => {
  const caps = [...defaultCapabilities]
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...input.args],
      env: Object.entries(input.env).map(([name, value]) => `${name}=${value}`),
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
      oomScoreAdj: 0
    },
    root: { path: input.rootfs, readonly: false },
    mounts: [
      ...systemMounts,
      ...input.mounts.map((m) => ({
        destination: m.destination,
        type: "bind",
        source: m.source,
        options: ["rbind", "rprivate", m.readOnly ? "ro" : "rw"]
      }))
    ],
    linux: {
      namespaces: [
        { type: "pid" },
        { type: "mount" },
        { type: "ipc" },
        { type: "network", path: input.netns },
        { type: "uts", path: input.utsns }
      ],
      cgroupsPath: input.cgroupsPath,
      maskedPaths,
      readonlyPaths
    }
  }
}

/** Writes `<dir>/config.json` (in libuv's thread pool); returns the bundle directory. */
export const writeBundle = async (dir: string, input: BundleInput): Promise<string> => {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, "config.json"), JSON.stringify(ociConfig(input)))
  return dir
}
