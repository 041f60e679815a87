/**
 * What Linux mode does on the machine for the process runtime, the way a CRI runtime does:
 * - a pod sandbox is a network namespace with an address of the node's podCIDR (`Network.ts`), a
 *   pause process holding a UTS namespace with the pod's hostname (started by the runtime's spawner;
 *   when it dies the sandbox is no longer ready), and the kubelet-managed `/etc/hosts`,
 *   `/etc/hostname`, `/etc/resolv.conf`;
 * - a container instance is an OCI bundle (`Bundle.ts`) run in the foreground by runc/crun as a
 *   child of this process (its exit status is the container's), in a memory cgroup with the
 *   limit (`Cgroup.ts`); stop signals go to the container's init process.
 * Every resource is told to the runtime's watchdog (`+<token>`) so that it is reclaimed even when
 * this process dies without its finalizers.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, watch } from "node:fs"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { hostsFile, resolvConf } from "@podlet/core/layers/runtime/EtcFiles"
import type { SandboxConfig } from "@podlet/core/services/ContainerRuntime"
import { Deferred, Effect } from "effect"
import type { ProcessEnd } from "../process/ExitStatus.js"
import type { Spawner } from "../process/Spawner.js"
import type { BindMount } from "./Bundle.js"
import { writeBundle } from "./Bundle.js"
import type { CgroupLayout } from "./Cgroup.js"
import { cgroupLayout, makeInstanceCgroup, oomKilled, removeInstanceCgroups, removeRuntimeCgroups } from "./Cgroup.js"
import type { ModeChoice } from "./Detect.js"
import { CommandFailed } from "./Errors.js"
import type { Cidr } from "./Network.js"
import {
  bridgeCommands,
  hostVethCommands,
  leaseAddress,
  parseCidr,
  podNetCommands,
  releaseAddress,
  removeBridgeIfUnused,
  run,
  tearDownPodNetwork
} from "./Network.js"
import { hostRootBinds, prepareHostRootfs } from "./Rootfs.js"

type Linux = Extract<ModeChoice, { mode: "linux" }>

/** A pod sandbox's namespaces and files on this machine. */
export interface LinuxSandbox {
  readonly netns: string
  readonly ip: string
  /** the pause process (its own process group), holding the UTS namespace */
  readonly pausePid: number
  /** `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf` */
  readonly etc: ReadonlyArray<BindMount>
  /** a host-filesystem root made with the sandbox, until a container takes it */
  spareRoot: string | undefined
}

/** What a container instance runs from. */
export interface LinuxContainer {
  readonly ociId: string
  readonly bundle: string
  /** the root filesystem, or undefined for the host's (bound read-only) */
  readonly imageRoot: string | undefined
  /** the OCI runtime's own log (JSON lines) */
  readonly runtimeLog: string
  readonly cgroup: string
  readonly pidFile: string
}

/** The default PATH of containerd when the image sets none. */
export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** The start failure in an OCI runtime's JSON log (`runc run failed: unable to start container process: <detail>`). */
export const runtimeStartFailure = (log: string): string | undefined => {
  for (const line of log.split("\n")) {
    if (line === "") continue
    try {
      const entry = JSON.parse(line) as { readonly level?: string; readonly msg?: string }
      const match = /unable to start container process: (.*)$/.exec(entry.msg ?? "")
      if (entry.level === "error" && match !== null) return match[1]
    } catch {}
  }
  return undefined
}

/** Resolves `path` inside `root` as the container sees it: absolute links stay inside `root`. */
const resolveIn = (root: string, path: string, depth = 0): string | undefined => {
  if (root === "/") return path
  const parts = path.split("/").filter((p) => p !== "")
  let at = ""
  for (const [i, part] of parts.entries()) {
    const next = `${at}/${part}`
    let link: string | undefined
    try {
      link = lstatSync(join(root, next)).isSymbolicLink() ? readlinkSync(join(root, next)) : undefined
    } catch {
      return undefined
    }
    if (link === undefined) {
      at = next
      continue
    }
    if (depth > 16) return undefined
    const target = link.startsWith("/") ? link : join(at === "" ? "/" : at, link)
    const rest = parts.slice(i + 1).join("/")
    return resolveIn(root, rest === "" ? target : `${target}/${rest}`, depth + 1)
  }
  return at === "" ? "/" : at
}

/** Is `file` (a path, or a name searched on `path`) an executable file inside `root`? */
export const executableInRoot = (root: string, file: string, path: string): boolean => {
  const candidates = file.includes("/") ? [file] : path.split(":").map((dir) => join(dir, file))
  return candidates.some((candidate) => {
    const resolved = resolveIn(root, candidate)
    if (resolved === undefined) return false
    try {
      const stat = statSync(join(root, resolved))
      return stat.isFile() && (stat.mode & 0o111) !== 0
    } catch {
      return false
    }
  })
}

/** Tells the watchdog of a resource (`+token`) or that it is gone (`-token`). */
export type Track = (change: "+" | "-", token: string | number) => void

/** The machine side of Linux mode for one runtime. */
export const makeLinuxHost = (
  choice: Linux,
  options: {
    readonly runtimeId: string
    readonly podCIDR: string
    readonly root: string
    readonly track: Track
    /** starts the pause processes (and so owns them: they die with a spawn helper) */
    readonly spawner: Spawner
    /** the PATH the pause process's `sh` searches */
    readonly path: string
    /** containers may run on the host's filesystem (no image store): a sandbox makes one such root ahead */
    readonly hostRoots: boolean
  }
) => {
  const cidr: Cidr = parseCidr(options.podCIDR) ?? { base: (10 << 24) | (244 << 16), prefix: 24 }
  const layout: CgroupLayout = cgroupLayout(options.runtimeId)
  const ociRoot = `/run/podlet/${choice.ociName}`

  const fail = (command: string, stderr: string) => new CommandFailed({ command, stderr })

  /**
   * One `sh`, started by the runtime's spawner (the spawn helper: no fork of this big process),
   * builds the pod's network and becomes the pause process: the bridge (kept when it exists: another
   * runtime may have made it, or removed it meanwhile), `ip netns add`, the veth batch, the batch
   * inside the namespace, then `unshare --uts` with the pod's hostname (written to
   * `/proc/sys/kernel/hostname`: no `hostname` process) and `sleep infinity`.
   * Resolves with its pid once the hostname is set; `onExit` is called if it ends after that.
   */
  const startSandbox = (netns: string, hostEnd: string, ip: string, hostname: string, onExit: () => void) =>
    Effect.gen(function* () {
      const script = `set -e
[ -d /sys/class/net/podlet0 ] || printf '%s' "$7" | "$1" -force -batch - >/dev/null 2>&1 || true
printf 'netns add %s\n%s' "$2" "$3" | "$1" -batch -
printf '%s' "$4" | "$1" -n "$2" -batch -
exec "$5" --uts -- sh -c 'printf %s "$0" >/proc/sys/kernel/hostname && echo ok && exec sleep infinity' "$6"`
      const up = Deferred.makeUnsafe<void, CommandFailed>()
      let err = ""
      let exited: ProcessEnd | undefined
      const spawned = yield* options.spawner
        .spawn(
          {
            file: "sh",
            args: [
              "-c",
              script,
              "podlet-sandbox",
              choice.ip,
              netns,
              hostVethCommands(netns, hostEnd),
              podNetCommands(ip, cidr),
              choice.unshare,
              hostname,
              bridgeCommands(cidr)
            ],
            cwd: "/",
            env: { PATH: options.path }
          },
          {
            output: (stream, chunk) => {
              if (stream === "stdout") Deferred.doneUnsafe(up, Effect.void)
              else if (err.length < 4096) err += chunk.toString()
            },
            exit: (end) => {
              exited = end
              if (Deferred.isDoneUnsafe(up)) onExit()
            },
            // a failure is told once stderr is read to its end
            close: () => {
              const end = exited
              if (end === undefined || Deferred.isDoneUnsafe(up)) return
              const detail = err.trim() || `exit ${end.code ?? end.signal}`
              Deferred.doneUnsafe(up, Effect.fail(fail("ip (pod network)", detail)))
            }
          }
        )
        .pipe(Effect.mapError((error) => fail("sh (pod sandbox)", error.message)))
      yield* Deferred.await(up)
      return spawned.pid
    })

  /** A pod sandbox's network, pause process and `/etc` files; `onPauseExit` is called if the pause process dies. */
  const createSandbox = Effect.fnUntraced(function* (
    id: string,
    dir: string,
    config: SandboxConfig,
    onPauseExit: () => void
  ) {
    const short = id.slice(0, 12)
    const netns = `podlet-${short}`
    const ip = leaseAddress(cidr, options.runtimeId)
    if (ip === undefined) {
      return yield* fail(
        "host-local IPAM",
        `failed to allocate for range 0: no IP addresses available in range set: ${options.podCIDR}`
      )
    }
    options.track("+", `f:/run/podlet/ipam/${ip}`)
    const undo = Effect.sync(() => {
      releaseAddress(ip)
      options.track("-", `f:/run/podlet/ipam/${ip}`)
    })
    options.track("+", `n:${netns}`)
    const etcDir = join(dir, "etc")
    const spareRoot = options.hostRoots ? join(dir, "spare.rootfs") : undefined
    // while the network and the pause process come up: the `/etc` files and a host root for the
    // first container (libuv's thread pool; it holds what the OCI runtime then needs at once)
    const files = Effect.promise(async () => {
      await mkdir(etcDir, { recursive: true })
      await Promise.all([
        writeFile(join(etcDir, "hosts"), hostsFile(config, ip)),
        writeFile(join(etcDir, "hostname"), `${config.hostname}\n`),
        writeFile(join(etcDir, "resolv.conf"), resolvConf(config.namespace)),
        ...(spareRoot === undefined ? [] : [prepareHostRootfs(spareRoot)])
      ])
    })
    const [pausePid] = yield* Effect.all(
      [
        startSandbox(netns, `vp${short.slice(0, 10)}`, ip, config.hostname, onPauseExit).pipe(
          Effect.tapError(() => Effect.andThen(tearDownPodNetwork(choice.ip, netns), undo))
        ),
        files
      ],
      { concurrency: 2 }
    )
    options.track("+", pausePid)
    const etc: Array<BindMount> = ["hosts", "hostname", "resolv.conf"].map((name) => ({
      source: join(etcDir, name),
      destination: `/etc/${name}`,
      readOnly: false
    }))
    return { netns, ip, pausePid, etc, spareRoot } satisfies LinuxSandbox
  })

  /** Moves a sandbox's spare host root to `rootfs` in a new `bundle`; false when it cannot. */
  const takeSpareRoot = (spare: string, bundle: string, rootfs: string): Promise<boolean> =>
    mkdir(bundle, { recursive: true })
      .then(() => rename(spare, rootfs))
      .then(
        () => true,
        () => false
      )

  /** Kills the pause process, deletes the namespace and releases the address. */
  const destroySandbox = (sb: LinuxSandbox) =>
    Effect.gen(function* () {
      try {
        process.kill(-sb.pausePid, "SIGKILL")
      } catch {}
      options.track("-", sb.pausePid)
      yield* tearDownPodNetwork(choice.ip, sb.netns)
      options.track("-", `n:${sb.netns}`)
      releaseAddress(sb.ip)
      options.track("-", `f:/run/podlet/ipam/${sb.ip}`)
    })

  /**
   * Writes an instance's bundle (host-filesystem root unless `rootfs` is given) and makes its cgroup;
   * the directories and files in libuv's thread pool, off the event loop.
   */
  const prepareContainer = async (
    instanceId: string,
    dir: string,
    sb: LinuxSandbox,
    spec: {
      readonly args: ReadonlyArray<string>
      readonly env: Readonly<Record<string, string>>
      readonly cwd: string
      readonly mounts: ReadonlyArray<BindMount>
      readonly memoryLimit: number | undefined
      readonly rootfs?: string
    }
  ): Promise<LinuxContainer> => {
    const ociId = `podlet-${instanceId.slice(0, 24)}`
    const bundle = join(dir, `${instanceId.slice(0, 12)}.bundle`)
    const rootfs = spec.rootfs ?? join(bundle, "rootfs")
    const spare = spec.rootfs === undefined ? sb.spareRoot : undefined
    sb.spareRoot = undefined
    const hostBinds =
      spec.rootfs !== undefined
        ? await mkdir(rootfs, { recursive: true }).then(() => [])
        : spare !== undefined && (await takeSpareRoot(spare, bundle, rootfs))
          ? hostRootBinds()
          : await prepareHostRootfs(rootfs)
    const cgroup = makeInstanceCgroup(layout, ociId, spec.memoryLimit)
    await writeBundle(bundle, {
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      rootfs,
      netns: `/run/netns/${sb.netns}`,
      utsns: `/proc/${sb.pausePid}/ns/uts`,
      mounts: [...hostBinds, ...sb.etc, ...spec.mounts],
      cgroupsPath: `${layout.relative}/${ociId}/c`
    })
    return {
      ociId,
      bundle,
      imageRoot: spec.rootfs,
      runtimeLog: join(bundle, "runtime.log"),
      cgroup,
      pidFile: join(bundle, "pid")
    }
  }

  /** `runc run` of the bundle, in the foreground: the spawn arguments. */
  const runArgs = (c: LinuxContainer): ReadonlyArray<string> => [
    "--root",
    ociRoot,
    "--log",
    c.runtimeLog,
    "--log-format",
    "json",
    "run",
    "--bundle",
    c.bundle,
    "--pid-file",
    c.pidFile,
    c.ociId
  ]

  /** `runc exec` arguments for a command in the running container. */
  const execArgs = (c: LinuxContainer, argv: ReadonlyArray<string>): ReadonlyArray<string> => [
    "--root",
    ociRoot,
    "exec",
    c.ociId,
    ...argv
  ]

  /** The container's init process (host pid), once the runtime wrote it. */
  const initPid = (c: LinuxContainer): number | undefined => {
    try {
      const pid = Number(readFileSync(c.pidFile, "utf8").trim())
      return Number.isInteger(pid) && pid > 0 ? pid : undefined
    } catch {
      return undefined
    }
  }

  /** Resolves when the OCI runtime has written the init's pid file (it exists after `create`). */
  const pidFileWritten = (c: LinuxContainer) =>
    Effect.callback<void>((resume) => {
      if (existsSync(c.pidFile)) return resume(Effect.void)
      // the bundle's other files (the runtime's log) change too: only the pid file's name is looked at
      const watcher = watch(c.bundle, (_event, name) => {
        if ((name !== null && name !== "pid") || !existsSync(c.pidFile)) return
        watcher.close()
        resume(Effect.void)
      })
      watcher.on("error", () => {})
      if (existsSync(c.pidFile)) {
        watcher.close()
        resume(Effect.void)
      }
      return Effect.sync(() => watcher.close())
    })

  /** Has the container's init exec'd the container's program (it is no longer the OCI runtime's `init`)? */
  const running = (c: LinuxContainer): boolean => {
    const pid = initPid(c)
    if (pid === undefined) return false
    try {
      return readlinkSync(`/proc/${pid}/exe`) !== choice.oci
    } catch {
      return true
    }
  }

  /** Is `file` an executable the container can run (searched on its `PATH` inside its root)? */
  const executableIn = (c: LinuxContainer, file: string, path: string): boolean =>
    executableInRoot(c.imageRoot ?? "/", file, path)

  /** Why the OCI runtime could not start the process (`exec: "x": …`), read from its log; undefined when it started. */
  const startFailure = (c: LinuxContainer): string | undefined => {
    try {
      return runtimeStartFailure(readFileSync(c.runtimeLog, "utf8"))
    } catch {
      return undefined
    }
  }

  /** Did the kernel's OOM killer end the instance? (read after its exit) */
  const wasOomKilled = (c: LinuxContainer): boolean => oomKilled(layout, c.cgroup)

  /** Mounts `<dir>/rootfs`: an overlay of the image's root (read-only) and the instance's own layer. */
  const mountOverlay = (lower: string, dir: string) =>
    Effect.gen(function* () {
      const [upper, work, merged] = ["upper", "work", "rootfs"].map((name) => join(dir, name)) as [
        string,
        string,
        string
      ]
      for (const path of [upper, work, merged]) mkdirSync(path, { recursive: true })
      options.track("+", `m:${merged}`)
      yield* run("mount", [
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
        merged
      ])
      return merged
    })

  /** Deletes what is left of the instance (runtime state, cgroups, its overlay). */
  const removeContainer = (c: LinuxContainer) =>
    Effect.gen(function* () {
      if (c.imageRoot !== undefined) {
        yield* run("umount", ["-l", c.imageRoot]).pipe(Effect.ignore)
        options.track("-", `m:${c.imageRoot}`)
      }
      if (existsSync(join(ociRoot, c.ociId)))
        yield* run(choice.oci, ["--root", ociRoot, "delete", "-f", c.ociId]).pipe(Effect.ignore)
      removeInstanceCgroups(layout, c.ociId)
    })

  /** The runtime ends: its cgroups and (when no runtime uses it any more) the bridge. */
  const shutdown = Effect.gen(function* () {
    removeRuntimeCgroups(layout)
    yield* removeBridgeIfUnused(choice.ip)
  })

  return {
    choice,
    layout,
    ociRoot,
    createSandbox,
    destroySandbox,
    prepareContainer,
    mountOverlay,
    runArgs,
    execArgs,
    initPid,
    pidFileWritten,
    running,
    executableIn,
    startFailure,
    wasOomKilled,
    removeContainer,
    shutdown
  }
}

export type LinuxHost = ReturnType<typeof makeLinuxHost>
