/**
 * The process runtime, host mode: one node's ContainerRuntime where containers are processes of
 * this machine, for any user on any OS Node runs on.
 * - A container is a process group (`spawn` detached, by a small helper process started with the
 *   runtime, `process/Spawner.ts`, so that no fork copies this big process): argv from command/args
 *   or the image config (no registry and no image root filesystem: programs are the host's), env
 *   (the host's PATH and HOME, the image's env, HOSTNAME, what the kubelet resolved,
 *   `PODLET_MOUNT_<VOLUME>`), working dir.
 * - stdout/stderr go to a CRI-format log file per instance (bounded, rotated), read by `logs`.
 * - The end is a terminated state: 0 Completed, else Error with the exit code or 128 + signal;
 *   a missing executable or working dir is StartError (128). When the main process ends, what is
 *   left of its group is killed (as a container's PID namespace goes with its PID 1).
 * - stop = SIGTERM to the group, SIGKILL when the grace period (on the Effect Clock) is over.
 * - Memory limits: the group's resident memory is polled; over the limit it is killed, OOMKilled 137.
 * - exec runs a process with the container's env and working dir; httpGet/tcpSocket/grpc probes go
 *   to 127.0.0.1 (every pod shares the host's network: ports really conflict).
 * - Volumes are sandbox directories (see `process/Volumes.ts`); each pod is told so by a `HostMode`
 *   Warning event, and that it runs unisolated on the host by a Normal one.
 * Nothing outlives its sandbox or the runtime's scope: finalizers (and process exit) kill every group;
 * if this Node process dies without them (SIGKILL, a crash), a watchdog `sh` it tells of every
 * process group sees its pipe close and kills them (and so does the spawn helper, for its own).
 * A sandbox is the directory `<root>/<namespace>_<pod>_<id>` holding `work/` (the default working
 * dir), `volumes/<name>/` and the logs `<container>_<attempt>.log`; it goes with `removePodSandbox`.
 */
import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import {
  accessSync,
  constants,
  existsSync,
  mkdir,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync
} from "node:fs"
import { rm, writeFile } from "node:fs/promises"
import { cpus, hostname, tmpdir, totalmem } from "node:os"
import { basename, delimiter, join } from "node:path"
import type { ClusterOptions, NodeOptions } from "@podlet/core/Cluster"
import { catalogueImageInfo } from "@podlet/core/layers/RegistrySimulated"
import { resolveArgv, startErrorMessage } from "@podlet/core/layers/runtime/Program"
import { makeRuntimeEvents } from "@podlet/core/layers/runtime/RuntimeEvents"
import type {
  ContainerConfig,
  ContainerInfo,
  ContainerRuntimeState,
  ExecResult,
  LogLine,
  MountConfig,
  RuntimeEvent,
  RuntimeNotice,
  Sandbox,
  SandboxConfig
} from "@podlet/core/services/ContainerRuntime"
import { ContainerRuntime, RuntimeError } from "@podlet/core/services/ContainerRuntime"
import type { ImageCache, ImageInfo } from "@podlet/core/services/ImageService"
import { Clock, Deferred, Effect, FiberSet, Layer, PubSub, Scope, Stream } from "effect"
import type { BindMount } from "./linux/Bundle.js"
import type { ModeChoice, RuntimeMode } from "./linux/Detect.js"
import { detectMode, processNodeInfo } from "./linux/Detect.js"
import type { Credentials } from "./linux/Distribution.js"
import type { ImageStore } from "./linux/ImageStore.js"
import { makeImageStore } from "./linux/ImageStore.js"
import type { LinuxContainer, LinuxHost, LinuxSandbox } from "./linux/LinuxHost.js"
import { defaultPath, makeLinuxHost } from "./linux/LinuxHost.js"
import { RegistryOci } from "./linux/RegistryOci.js"
import type { EndCause, ProcessEnd } from "./process/ExitStatus.js"
import { terminationOf } from "./process/ExitStatus.js"
import type { LogLimits } from "./process/LogFile.js"
import { defaultLogLimits, LogFile } from "./process/LogFile.js"
import { grpcProbe, httpProbe, tcpProbe } from "./process/Probes.js"
import { groupRss } from "./process/ProcessTree.js"
import { RegistryHost } from "./process/RegistryHost.js"
import type { Spawned, Spawner, SpawnRequest } from "./process/Spawner.js"
import { spawnDirect, startSpawnHelper } from "./process/Spawner.js"
import {
  makeVolumes,
  mountDirectories,
  mountEnvName,
  translatePath,
  volumePaths,
  volumesToMake
} from "./process/Volumes.js"

export interface RuntimeProcessOptions {
  readonly nodeName: string
  /**
   * `host` (default): containers are plain processes; `linux`: Linux isolation mode (root, an OCI
   * runtime, `ip`; a defect when the machine cannot); `auto`: Linux mode when possible, else host mode
   */
  readonly mode?: RuntimeMode
  /** the node's podCIDR (Linux mode's pod addresses); default 10.244.0.0/24 */
  readonly podCIDR?: string
  /** Linux mode: the image store images are pulled into (`RegistryOci`); an image not in it runs on the host filesystem */
  readonly imageStore?: ImageStore
  /** the node's image store (image configs); images absent from it use the simulated catalogue's config */
  readonly images?: ImageCache
  /** where sandboxes (volumes, logs, working dirs) live; default a new temporary directory, removed at the end */
  readonly root?: string
  /** the IP every sandbox reports (host network); default 127.0.0.1 */
  readonly podIP?: string
  /** per container instance; default the kubelet's 10 MiB × 5 files */
  readonly logLimits?: LogLimits
  /** how often memory limits are checked; default 100 ms */
  readonly memoryPollMillis?: number
  /** network probes give up after this; default 1000 ms */
  readonly probeTimeoutMillis?: number
  /** host environment variables containers get; default PATH, HOME, LANG, TZ */
  readonly inheritEnv?: ReadonlyArray<string>
  /**
   * `helper` (default): containers and execs are spawned by a small helper process
   * (`process/Spawner.ts`); `direct`: by this process
   */
  readonly spawner?: "helper" | "direct"
}

interface SandboxState {
  readonly id: string
  readonly podUid: string
  readonly config: SandboxConfig
  readonly dir: string
  readonly ip: string
  state: "ready" | "notready"
  /** `stopPodSandbox` ran: its containers killed, Linux mode's namespaces and address released */
  stopped: boolean
  readonly createdAt: number
  /** volume name → host path */
  readonly volumes: Map<string, string>
  readonly containers: Array<Instance>
  /** container names already told that their mounts are directories */
  readonly told: Set<string>
  /** host mode: `dir/work` exists (made by `makeWork` or by the first container's spawn) */
  workMade: boolean
  /** Linux mode: the sandbox's namespaces */
  readonly linux?: LinuxSandbox
}

interface Instance {
  readonly id: string
  readonly sandbox: SandboxState
  readonly config: ContainerConfig
  readonly image: ImageInfo
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  /** the working dir the spec asked for, when it must exist on the host */
  readonly requiredCwd: string | undefined
  readonly mounts: ReadonlyArray<{ readonly mount: MountConfig; readonly path: string }>
  readonly log: LogFile
  state: ContainerRuntimeState
  readonly createdAt: number
  startedAt?: number
  finishedAt?: number
  exitCode?: number
  reason?: string
  message?: string
  /** the process group (= the main process's pid) while running */
  pid?: number
  end?: ProcessEnd
  cause: EndCause
  /** the main process is gone (its `exit` event) */
  readonly exited: Deferred.Deferred<void>
  /** the instance is recorded as exited */
  readonly finished: Deferred.Deferred<void>
  /** process groups of exec processes: they die with the container */
  readonly execs: Set<number>
  /** Linux mode: the OCI container (the pid above is its runtime's `run` process) */
  readonly linux?: LinuxContainer
}

const wrappers = new Set(["docker-entrypoint.sh", "entrypoint.sh", "tini", "dumb-init"])
const terminationMessageLimit = 4096
const execOutputLimit = 64 * 1024
/** How long the log pipes may stay open after the main process ended (a daemon that left the group). */
const pipeCloseMillis = 1000
/** How long the watchdog may be left behind on what runs (`track`). */
const trackMillis = 20
/** Bound on waiting for a SIGKILLed process to be reaped. */
const killWaitMillis = 5000

/** Sends `signal` to process group `pgid`; false when the group is gone. */
const signalGroup = (pgid: number, signal: NodeJS.Signals | 0): boolean => {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * The watchdog: a `sh` reading `+<token>` / `-<token>` / `0` (forget all) lines on a pipe from this
 * process. EOF comes when this process ends, however it ends: then it reclaims what it still knows
 * (a number is a process group to SIGKILL; Linux mode's `c:<id>` an OCI container to delete,
 * `n:<name>` a network namespace, `f:<path>` an address lease), kills what is left in the cgroups
 * `$5…` and removes them, and removes `removeDir` (`$1`, the runtime's own temporary root).
 * `$2` `$3` `$4`: the OCI runtime, its state root, `ip`.
 */
const watchdogScript = `tokens=" "
while read -r line; do
  case "$line" in
    0) tokens=" " ;;
    +*) tokens="$tokens\${line#+} " ;;
    -*) g="\${line#-}"; case "$tokens" in *" $g "*) tokens="\${tokens%% $g *} \${tokens#* $g }" ;; esac ;;
  esac
done
for g in $tokens; do case "$g" in *:*) ;; *) kill -9 "-$g" 2>/dev/null ;; esac; done
dir="$1"; oci="$2"; ociroot="$3"; ip="$4"; shift 4
for c in "$@"; do find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null; done
for g in $tokens; do
  case "$g" in
    c:*) "$oci" --root "$ociroot" delete -f "\${g#c:}" >/dev/null 2>&1 ;;
    n:*) "$ip" netns del "\${g#n:}" >/dev/null 2>&1 ;;
    f:*) rm -f "\${g#f:}" ;;
    m:*) umount -l "\${g#m:}" 2>/dev/null ;;
  esac
done
[ $# -gt 0 ] && sleep 0.2
for c in "$@"; do find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
[ -n "$ip" ] && [ -z "$(ls /run/podlet/ipam 2>/dev/null)" ] && "$ip" link del podlet0 >/dev/null 2>&1
[ -n "$dir" ] && rm -rf "$dir"`

/** Starts the watchdog; undefined when it cannot start. */
const startWatchdog = (
  removeDir: string | undefined,
  linux?: {
    readonly oci: string
    readonly ociRoot: string
    readonly ip: string
    readonly cgroups: ReadonlyArray<string>
  }
): ChildProcess | undefined => {
  try {
    const args = [removeDir ?? "", linux?.oci ?? "", linux?.ociRoot ?? "", linux?.ip ?? "", ...(linux?.cgroups ?? [])]
    const child = spawn("sh", ["-c", watchdogScript, "podlet-watchdog", ...args], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"]
    })
    child.on("error", () => {})
    child.stdin?.on("error", () => {})
    child.unref()
    ;(child.stdin as { unref?: () => void } | null)?.unref?.()
    return child.pid === undefined ? undefined : child
  } catch {
    return undefined
  }
}

/** Is `file` an executable file on `PATH` (or at that path when it has a slash)? */
const executableExists = (file: string, path: string): boolean => {
  const candidates = file.includes("/") ? [file] : path.split(delimiter).map((dir) => join(dir, file))
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK)
      return statSync(candidate).isFile()
    } catch {
      return false
    }
  })
}

/** runc's words for an exec that failed (`startErrorMessage` wraps them). */
export const execFailure = (file: string, error: NodeJS.ErrnoException): string => {
  if (error.code === "ENOENT") {
    return file.includes("/")
      ? `exec: "${file}": stat ${file}: no such file or directory`
      : `exec: "${file}": executable file not found in $PATH`
  }
  if (error.code === "EACCES") return `exec: "${file}": permission denied`
  return `exec: "${file}": ${error.message}`
}

/**
 * The argv host mode runs: containerd's merge of command/args with the image's entrypoint/cmd, less
 * an image entrypoint wrapper (`docker-entrypoint.sh`, tini) the host does not have.
 */
export const hostArgv = (
  config: Pick<ContainerConfig, "command" | "args">,
  image: ImageInfo["config"],
  exists: (file: string) => boolean
): ReadonlyArray<string> | undefined => {
  const argv = resolveArgv(config.command, config.args, image)
  if (argv === undefined || config.command.length > 0) return argv
  const exe = argv[0]!
  if (exe !== image.entrypoint[0] || !wrappers.has(basename(exe)) || exists(exe)) return argv
  const rest = argv[1] === "--" ? argv.slice(2) : argv.slice(1)
  return rest.length === 0 ? undefined : rest
}

/** This machine as a cluster node: its hostname, CPUs and memory, InternalIP 127.0.0.1. */
export const thisMachine = (name: string = hostname()): NodeOptions => ({
  name,
  cpu: String(cpus().length),
  memory: `${Math.floor(totalmem() / 1024)}Ki`,
  internalIP: "127.0.0.1"
})

/** The process runtime's `ContainerRuntime` (host mode). */
export const RuntimeProcess = {
  layer: (options: RuntimeProcessOptions): Layer.Layer<ContainerRuntime> =>
    Layer.effect(ContainerRuntime, make(options)),
  /**
   * `makeCluster` options for a cluster on this machine: one node (`thisMachine`), the process
   * runtime, the host-mode registry (every image resolves to the host filesystem).
   */
  clusterOptions: (
    options: Omit<RuntimeProcessOptions, "nodeName" | "images" | "imageStore"> & {
      readonly nodeName?: string
      /**
       * Linux mode: pull real images from this registry (`docker.io` references; others from their
       * own host) into `imageStoreDir`; without it images resolve to the host filesystem
       */
      readonly registry?: string
      readonly registryCredentials?: Credentials
      /** default `<tmpdir>/podlet-images` */
      readonly imageStoreDir?: string
    } = {}
  ): Pick<ClusterOptions, "nodes" | "runtime" | "imageRegistry"> => {
    const { registry, registryCredentials, imageStoreDir, ...runtime } = options
    const store = registry === undefined ? undefined : makeImageStore(imageStoreDir ?? join(tmpdir(), "podlet-images"))
    // decided once here so the node's status says the mode its runtime will use
    const requested = runtime.mode ?? "host"
    const nodeInfo = processNodeInfo(requested, detectMode(requested))
    return {
      nodes: [{ ...thisMachine(options.nodeName), nodeInfo }],
      runtime: (node) =>
        RuntimeProcess.layer({
          ...runtime,
          nodeName: node.name,
          images: node.images,
          podCIDR: node.podCIDR,
          ...(store === undefined ? {} : { imageStore: store })
        }),
      imageRegistry:
        store === undefined || registry === undefined
          ? RegistryHost.layer
          : RegistryOci.layer({
              registry,
              store,
              ...(registryCredentials === undefined ? {} : { credentials: registryCredentials })
            })
    }
  }
}

const make = Effect.fnUntraced(function* (options: RuntimeProcessOptions) {
  const clock = yield* Clock.Clock
  const scope = yield* Effect.scope
  const pubsub = yield* PubSub.unbounded<RuntimeEvent>()
  const ownRoot = options.root === undefined
  const root = options.root ?? mkdtempSync(join(tmpdir(), `podlet-${options.nodeName}-`))
  mkdirSync(root, { recursive: true })
  const podIP = options.podIP ?? "127.0.0.1"
  const logLimits = options.logLimits ?? defaultLogLimits
  const pollMillis = options.memoryPollMillis ?? 100
  const probeTimeout = options.probeTimeoutMillis ?? 1000
  const hostEnv: Record<string, string> = {}
  for (const name of options.inheritEnv ?? ["PATH", "HOME", "LANG", "TZ"]) {
    const value = process.env[name]
    if (value !== undefined) hostEnv[name] = value
  }
  const hostPath = hostEnv["PATH"] ?? process.env["PATH"] ?? ""
  const choice: ModeChoice = detectMode(options.mode ?? "host")
  if (options.mode === "linux" && choice.mode !== "linux") {
    return yield* Effect.die(new Error(`Linux isolation mode is not possible on this machine: ${choice.reason}`))
  }
  const runtimeId = randomBytes(4).toString("hex")
  const machineName = hostname()

  const sandboxes = new Map<string, SandboxState>()
  const byPod = new Map<string, Array<SandboxState>>()
  const instances = new Map<string, Instance>()
  /**
   * pod UID → the revision of its last change in what `listSandboxes` / `listContainers` report
   * (`podRevisionUnsafe`, the kubelet's fast path); absent when the pod has nothing
   */
  const revisions = new Map<string, number>()
  let revision = 0
  const changed = (podUid: string): void => {
    revisions.set(podUid, ++revision)
  }
  /** instances whose process runs */
  const running = new Set<Instance>()

  const now = (): number => clock.currentTimeMillisUnsafe()
  /** random bytes for ids, taken 32 at a time (one `randomBytes` call per 128 ids) */
  let idPool = Buffer.alloc(0)
  const newId = (): string => {
    if (idPool.length < 32) idPool = randomBytes(4096)
    const id = idPool.toString("hex", 0, 32)
    idPool = idPool.subarray(32)
    return id
  }
  const { publish, observeEvents } = makeRuntimeEvents(pubsub)
  const notify = (podUid: string, notice: RuntimeNotice): void => publish({ type: "Notice", podUid, at: now(), notice })

  const imageOf = (image: string): ImageInfo => options.images?.get(image) ?? catalogueImageInfo(image)

  /** Linux mode: signals the container's init process (SIGTERM to an init without a handler does nothing); false when unknown. */
  const signalInit = (inst: Instance, signal: NodeJS.Signals): boolean => {
    const pid = inst.linux === undefined ? undefined : linux?.initPid(inst.linux)
    if (pid === undefined) return false
    try {
      process.kill(pid, signal)
      return true
    } catch {
      return false
    }
  }

  /** Kills every process group this runtime started (runtime scope end, Node's exit). */
  const killAll = (): void => {
    for (const inst of running) {
      signalInit(inst, "SIGKILL")
      if (inst.pid !== undefined) signalGroup(inst.pid, "SIGKILL")
      for (const group of inst.execs) signalGroup(group, "SIGKILL")
    }
  }
  process.on("exit", killAll)
  let watchdog: ChildProcess | undefined
  /** lines for the watchdog not yet written */
  let trackLines = ""
  let flushArmed: "turn" | "timer" | undefined
  const flushTrack = (): void => {
    const lines = trackLines
    trackLines = ""
    flushArmed = undefined
    if (lines !== "") watchdog?.stdin?.write(lines)
  }
  /**
   * Tells the watchdog a process group (or a Linux-mode resource) started (`+`) or ended (`-`), in
   * order: at the end of this turn of the event loop (`setImmediate`), or within `trackMillis`
   * when only process groups of the spawn helper changed (the helper kills those if this process
   * dies): then a burst makes one write, and one wake-up of the watchdog's `sh`, instead of one per
   * turn (each costs this process its CPU for a while on a busy machine).
   */
  const track = (change: "+" | "-", token: number | string): void => {
    trackLines += `${change}${token}\n`
    if (typeof token === "string" || spawner.helperPid() === undefined) {
      if (flushArmed !== "turn") setImmediate(flushTrack)
      flushArmed = "turn"
    } else if (flushArmed === undefined) {
      setTimeout(flushTrack, trackMillis).unref()
      flushArmed = "timer"
    }
  }
  const spawner: Spawner = options.spawner === "direct" ? spawnDirect : yield* startSpawnHelper
  const linux: LinuxHost | undefined =
    choice.mode === "linux"
      ? makeLinuxHost(choice, {
          runtimeId,
          podCIDR: options.podCIDR ?? "10.244.0.0/24",
          root,
          track,
          spawner,
          path: hostPath,
          hostRoots: options.imageStore === undefined
        })
      : undefined
  watchdog = startWatchdog(
    ownRoot ? root : undefined,
    linux === undefined
      ? undefined
      : {
          oci: choice.mode === "linux" ? choice.oci : "",
          ociRoot: linux.ociRoot,
          ip: linux.choice.ip,
          cgroups: linux.layout.all
        }
  )
  yield* Scope.addFinalizer(
    scope,
    Effect.gen(function* () {
      process.off("exit", killAll)
      const left = [...running]
      killAll()
      flushTrack()
      watchdog?.stdin?.end("0\n")
      yield* Effect.forEach(left, (inst) => Effect.timeoutOption(Deferred.await(inst.exited), killWaitMillis), {
        concurrency: "unbounded",
        discard: true
      })
      spawner.close()
      // the fibers recording ends are gone with the scope: record what ended
      for (const inst of left) if (Deferred.isDoneUnsafe(inst.exited)) finish(inst)
      for (const inst of instances.values()) inst.log.close()
      if (linux !== undefined) {
        yield* Effect.forEach([...sandboxes.values()], (sb) => stopPodSandbox(sb.id), { discard: true })
        yield* Effect.forEach(
          [...instances.values()],
          (inst) => (inst.linux === undefined ? Effect.void : linux.removeContainer(inst.linux)),
          { discard: true }
        )
        yield* linux.shutdown
      }
      // retried: a directory another removal or a late log write is still emptying fails with ENOTEMPTY
      if (ownRoot) rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 })
      yield* PubSub.shutdown(pubsub)
    })
  )

  /** Forks what records a container's end; interrupted when the scope closes, before the finalizer above. */
  const runFork = yield* FiberSet.makeRuntime<never, void, never>()

  // ---- process lifecycle -----------------------------------------------------------------------

  const terminationMessage = (inst: Instance): string | undefined => {
    const path = inst.config.terminationMessagePath
    if (path === undefined || path === "") return undefined
    const host = translatePath(inst.mounts, path)
    if (host === undefined || !existsSync(host)) return undefined
    try {
      const text = readFileSync(host, "utf8")
      return text === "" ? undefined : text.slice(0, terminationMessageLimit)
    } catch {
      return undefined
    }
  }

  /** The process ended: record it, kill its execs, tell the PLEG. Idempotent. */
  const finish = (inst: Instance): void => {
    if (inst.state !== "running") return
    const end = inst.end ?? { code: null, signal: "SIGKILL" }
    const startFailure = inst.linux === undefined ? undefined : linux?.startFailure(inst.linux)
    if (
      inst.linux !== undefined &&
      inst.cause._tag === "Exited" &&
      end.code === 137 &&
      linux?.wasOomKilled(inst.linux)
    ) {
      inst.cause = { _tag: "OutOfMemory" }
    }
    const termination =
      startFailure !== undefined && inst.cause._tag === "Exited"
        ? { exitCode: 128, reason: "StartError" }
        : terminationOf(end, inst.cause)
    inst.state = "exited"
    changed(inst.sandbox.podUid)
    inst.finishedAt = now()
    inst.exitCode = termination.exitCode
    inst.reason = termination.reason
    const message =
      termination.reason === "StartError" && startFailure !== undefined
        ? startErrorMessage(startFailure)
        : terminationMessage(inst)
    if (message !== undefined) inst.message = message
    inst.log.close()
    for (const group of inst.execs) {
      signalGroup(group, "SIGKILL")
      track("-", group)
    }
    inst.execs.clear()
    running.delete(inst)
    if (inst.pid !== undefined) track("-", inst.pid)
    if (inst.linux !== undefined) track("-", `c:${inst.linux.ociId}`)
    Deferred.doneUnsafe(inst.finished, Effect.void)
    publish({ type: "ContainerExited", podUid: inst.sandbox.podUid, containerId: inst.id, at: inst.finishedAt })
  }

  /** The main process ended: waits for its pipes (bounded), then records the exit. */
  const recordEnd = (inst: Instance, child: Spawned, closed: Deferred.Deferred<void>) =>
    Effect.gen(function* () {
      const drained = yield* Effect.timeoutOption(Deferred.await(closed), pipeCloseMillis)
      if (drained._tag === "None") child.release()
      finish(inst)
    })

  /** The start failed (StartError, 128): the instance is exited and the kubelet is told. */
  const startFailed = (inst: Instance, detail: string) =>
    Effect.gen(function* () {
      const message = startErrorMessage(detail)
      inst.state = "exited"
      changed(inst.sandbox.podUid)
      inst.startedAt = now()
      inst.finishedAt = inst.startedAt
      inst.exitCode = 128
      inst.reason = "StartError"
      inst.message = message
      Deferred.doneUnsafe(inst.exited, Effect.void)
      Deferred.doneUnsafe(inst.finished, Effect.void)
      publish({ type: "ContainerExited", podUid: inst.sandbox.podUid, containerId: inst.id, at: inst.finishedAt })
      return yield* new RuntimeError({ reason: "RunContainerError", message })
    })

  /** Kills the instance's group with SIGKILL and waits (bounded) until it is recorded as exited. */
  const killNow = (inst: Instance) =>
    Effect.gen(function* () {
      if (inst.state !== "running") return
      signalInit(inst, "SIGKILL")
      if (inst.pid !== undefined) signalGroup(inst.pid, "SIGKILL")
      const done = yield* Effect.timeoutOption(Deferred.await(inst.finished), killWaitMillis)
      if (done._tag === "None") finish(inst)
    })

  // ---- info ------------------------------------------------------------------------------------

  const sandboxInfo = (sb: SandboxState): Sandbox => ({
    id: sb.id,
    podUid: sb.podUid,
    ip: sb.ip,
    state: sb.state,
    createdAt: sb.createdAt
  })

  const containerInfo = (inst: Instance): ContainerInfo => ({
    id: inst.id,
    sandboxId: inst.sandbox.id,
    podUid: inst.sandbox.podUid,
    name: inst.config.name,
    image: inst.image.ref,
    imageRef: inst.image.imageID,
    attempt: inst.config.attempt,
    hash: inst.config.hash,
    state: inst.state,
    createdAt: inst.createdAt,
    ...(inst.startedAt !== undefined ? { startedAt: inst.startedAt } : {}),
    ...(inst.finishedAt !== undefined ? { finishedAt: inst.finishedAt } : {}),
    ...(inst.exitCode !== undefined ? { exitCode: inst.exitCode } : {}),
    ...(inst.reason !== undefined ? { reason: inst.reason } : {}),
    ...(inst.message !== undefined ? { message: inst.message } : {})
  })

  const containerName = (sb: SandboxState, config: ContainerConfig): string =>
    `${config.name}_${sb.config.podName}_${sb.config.namespace}_${sb.podUid}_${config.attempt}`

  // ---- memory limits ---------------------------------------------------------------------------

  const watchMemory = Effect.gen(function* () {
    while (true) {
      yield* Effect.sleep(pollMillis)
      const limited: Array<Instance> = []
      for (const inst of running)
        if (inst.config.memoryLimit !== undefined && inst.pid !== undefined) limited.push(inst)
      if (limited.length === 0) continue
      const usage = yield* groupRss(new Set(limited.map((inst) => inst.pid!)))
      for (const inst of limited) {
        const rss = usage.get(inst.pid!) ?? 0
        if (rss <= inst.config.memoryLimit! || inst.state !== "running" || inst.cause._tag !== "Exited") continue
        inst.cause = { _tag: "OutOfMemory" }
        signalGroup(inst.pid!, "SIGKILL")
      }
    }
  })
  if (linux === undefined) yield* Effect.forkIn(watchMemory, scope)

  // ---- CRI -------------------------------------------------------------------------------------

  const runPodSandbox = Effect.fnUntraced(function* (config: SandboxConfig) {
    const id = newId()
    const dir = join(root, `${config.namespace}_${config.podName}_${id.slice(0, 8)}`)
    // volumes are made here, in libuv's thread pool; the directory itself and `work/` too in host
    // mode, not waited for (`makeWork`); else the first container's spawn makes them (the spawn
    // helper, off this event loop: no pod of a burst waits on a directory); Linux mode's `/etc` files
    // make it there
    const volumeDir = join(dir, "volumes")
    const volumes = !volumesToMake(config.volumes)
      ? volumePaths(volumeDir, config.volumes)
      : yield* Effect.tryPromise({
          try: () => makeVolumes(volumeDir, config.volumes),
          catch: (error) =>
            new RuntimeError({
              reason: "CreatePodSandboxError",
              message: `rpc error: code = Unknown desc = failed to create the sandbox directory ${dir}: ${String(error)}`
            })
        })
    /** the pause process died before the sandbox was recorded */
    let pauseDied = false
    const net =
      linux === undefined
        ? undefined
        : yield* linux
            .createSandbox(id, dir, config, () => {
              pauseDied = true
              sandboxLost(id)
            })
            .pipe(
              Effect.mapError(
                (failure) =>
                  new RuntimeError({
                    reason: "CreatePodSandboxError",
                    message: `rpc error: code = Unknown desc = failed to setup network for sandbox "${id}": ${failure.command}: ${failure.stderr}`
                  })
              )
            )
    const sb: SandboxState = {
      id,
      podUid: config.podUid,
      config,
      dir,
      ip: net?.ip ?? podIP,
      state: "ready",
      stopped: false,
      createdAt: now(),
      volumes,
      containers: [],
      told: new Set(),
      workMade: false,
      ...(net === undefined ? {} : { linux: net })
    }
    sandboxes.set(id, sb)
    changed(config.podUid)
    if (linux === undefined) makeWork(sb)
    const list = byPod.get(config.podUid)
    if (list === undefined) byPod.set(config.podUid, [sb])
    else list.push(sb)
    if (net !== undefined && linux !== undefined) {
      if (pauseDied) sandboxLost(id)
      notify(config.podUid, {
        type: "Normal",
        reason: "LinuxMode",
        message: `containers run isolated through ${linux.choice.ociName}: network namespace ${net.netns} with pod IP ${net.ip}, hostname ${config.hostname}; images without a registry resolve to the host filesystem (the host's system directories bound read-only); sandbox directory ${dir}`
      })
      return sandboxInfo(sb)
    }
    notify(config.podUid, {
      type: "Normal",
      reason: "HostMode",
      message: `containers run as processes of ${machineName} without isolation: the host's programs (images resolve to the host filesystem, no registry), the host's network (pod IP ${podIP}) and users; sandbox directory ${dir}`
    })
    return sandboxInfo(sb)
  })

  /** host-mode `work/` directories being made by `makeWork` */
  let makingWork = 0
  /**
   * Host mode: makes the sandbox's `work/` (and the sandbox directory) in libuv's thread pool while
   * the kubelet goes on to the container, so that the spawn need not (`workMade`); one at a time: in
   * a burst the spawn requests carry their directory, as they would if this had not finished.
   */
  const makeWork = (sb: SandboxState): void => {
    if (makingWork > 0) return
    makingWork++
    mkdir(join(sb.dir, "work"), { recursive: true }, (error) => {
      makingWork--
      if (!sandboxes.has(sb.id)) rm(sb.dir, { recursive: true, force: true }).catch(() => {})
      else if (error === null) sb.workMade = true
    })
  }

  /**
   * Linux mode: the sandbox's pause process died (killed from outside, or with the spawn helper):
   * the sandbox is not ready, as the PLEG sees a dead sandbox, and the kubelet re-creates it.
   */
  const sandboxLost = (sandboxId: string): void => {
    const sb = sandboxes.get(sandboxId)
    if (sb === undefined || sb.state !== "ready") return
    sb.state = "notready"
    changed(sb.podUid)
    publish({ type: "SandboxChanged", podUid: sb.podUid, at: now() })
  }

  const stopPodSandbox = (sandboxId: string) =>
    Effect.gen(function* () {
      const sb = sandboxes.get(sandboxId)
      if (sb === undefined || sb.stopped) return
      yield* Effect.forEach(sb.containers, killNow, { concurrency: "unbounded", discard: true })
      const wasReady = sb.state === "ready"
      sb.state = "notready"
      sb.stopped = true
      if (wasReady) changed(sb.podUid)
      if (sb.linux !== undefined && linux !== undefined) yield* linux.destroySandbox(sb.linux)
      if (wasReady) publish({ type: "SandboxChanged", podUid: sb.podUid, at: now() })
    })

  const removeInstance = (inst: Instance) =>
    Effect.gen(function* () {
      yield* killNow(inst)
      if (inst.linux !== undefined && linux !== undefined) yield* linux.removeContainer(inst.linux)
      inst.log.remove()
      instances.delete(inst.id)
      const list = inst.sandbox.containers
      const i = list.indexOf(inst)
      if (i >= 0) list.splice(i, 1)
      changed(inst.sandbox.podUid)
    })

  const removePodSandbox = (sandboxId: string) =>
    Effect.gen(function* () {
      const sb = sandboxes.get(sandboxId)
      if (sb === undefined) return
      yield* stopPodSandbox(sandboxId)
      yield* Effect.forEach([...sb.containers], removeInstance, { discard: true })
      sandboxes.delete(sandboxId)
      const list = byPod.get(sb.podUid)
      if (list !== undefined) {
        const rest = list.filter((s) => s !== sb)
        if (rest.length === 0) byPod.delete(sb.podUid)
        else byPod.set(sb.podUid, rest)
      }
      if (byPod.has(sb.podUid)) changed(sb.podUid)
      else revisions.delete(sb.podUid)
      // in libuv's thread pool: removing a directory tree takes milliseconds on a busy disk
      yield* Effect.promise(() => rm(sb.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }))
    })

  const createContainer = Effect.fnUntraced(function* (sandboxId: string, config: ContainerConfig) {
    const sb = sandboxes.get(sandboxId)
    if (sb === undefined || sb.state !== "ready") {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to create containerd container: sandbox "${sandboxId}" is not ready`
      })
    }
    const taken = sb.containers.find((c) => c.config.name === config.name && c.config.attempt === config.attempt)
    if (taken !== undefined) {
      const name = containerName(sb, config)
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to reserve container name "${name}": name "${name}" is reserved for "${taken.id}"`
      })
    }
    const id = newId()
    const image = imageOf(config.image)
    if (linux !== undefined && sb.linux !== undefined)
      return yield* createLinuxContainer(linux, sb, sb.linux, config, id, image)
    const argv = hostArgv(config, image.config, (file) => executableExists(file, hostPath))
    if (argv === undefined) {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to generate container "${id}" spec: failed to generate spec: no command specified`
      })
    }
    const mounts = mountDirectories(sb.volumes, config.mounts)
    if ("missing" in mounts) {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to generate container "${id}" spec: volume "${mounts.missing}" not found in the pod sandbox`
      })
    }
    const env: Record<string, string> = { ...hostEnv }
    for (const entry of image.config.env ?? []) {
      const eq = entry.indexOf("=")
      if (eq > 0 && entry.slice(0, eq) !== "PATH") env[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
    env["HOSTNAME"] = sb.config.hostname
    for (const e of config.env) env[e.name] = e.value
    for (const { mount, path } of mounts) env[mountEnvName(mount.volume)] = path
    const work = join(sb.dir, "work")
    const wanted = config.workingDir || undefined
    const imageDir = image.config.workingDir || undefined
    const cwd =
      wanted !== undefined
        ? (translatePath(mounts, wanted) ?? wanted)
        : imageDir !== undefined
          ? (translatePath(mounts, imageDir) ?? (existsSync(imageDir) ? imageDir : work))
          : work
    const inst: Instance = {
      id,
      sandbox: sb,
      config,
      image,
      argv,
      env,
      cwd,
      requiredCwd: wanted === undefined ? undefined : cwd,
      mounts,
      log: new LogFile(join(sb.dir, `${config.name}_${config.attempt}.log`), logLimits, now),
      state: "created",
      createdAt: now(),
      cause: { _tag: "Exited" },
      exited: Deferred.makeUnsafe<void>(),
      finished: Deferred.makeUnsafe<void>(),
      execs: new Set()
    }
    instances.set(id, inst)
    sb.containers.push(inst)
    changed(sb.podUid)
    if (mounts.length > 0 && !sb.told.has(config.name)) {
      sb.told.add(config.name)
      notify(sb.podUid, {
        type: "Warning",
        reason: "HostMode",
        container: config.name,
        message: `host mode cannot mount volumes at their mountPath: ${mounts
          .map(
            ({ mount, path }) =>
              `${mount.mountPath} (volume ${mount.volume}) is ${path}, in $${mountEnvName(mount.volume)}`
          )
          .join("; ")}`
      })
    }
    return id
  })

  /** Linux mode's createContainer: the container's own env and root, volumes bound at their mountPath, an OCI bundle. */
  const createLinuxContainer = Effect.fnUntraced(function* (
    host: LinuxHost,
    sb: SandboxState,
    net: LinuxSandbox,
    config: ContainerConfig,
    id: string,
    image: ImageInfo
  ) {
    const env: Record<string, string> = {}
    for (const entry of image.config.env ?? []) {
      const eq = entry.indexOf("=")
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
    env["PATH"] ??= defaultPath
    env["HOSTNAME"] = sb.config.hostname
    for (const e of config.env) env[e.name] = e.value
    env["HOME"] ??= "/root"
    const containerPath = env["PATH"]
    const argv = hostArgv(config, image.config, (file) => executableExists(file, containerPath))
    if (argv === undefined) {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to generate container "${id}" spec: failed to generate spec: no command specified`
      })
    }
    const found = mountDirectories(sb.volumes, config.mounts)
    if ("missing" in found) {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to generate container "${id}" spec: volume "${found.missing}" not found in the pod sandbox`
      })
    }
    const apiData = new Set(sb.config.volumes.filter((v) => v.type === "files").map((v) => v.name))
    const binds: Array<BindMount> = found.map(({ mount, path }) => ({
      source: path,
      destination: mount.mountPath,
      readOnly: mount.readOnly || apiData.has(mount.volume)
    }))
    const mounts = [...found]
    const termPath = config.terminationMessagePath
    /** the termination-message file, written with the bundle (an error, or undefined once written) */
    let termWritten: Promise<unknown> = Promise.resolve(undefined)
    if (termPath !== undefined && termPath !== "" && translatePath(found, termPath) === undefined) {
      const file = join(sb.dir, `${config.name}_${config.attempt}.termination-log`)
      termWritten = writeFile(file, "").then(
        () => undefined,
        (error: unknown) => error ?? new Error("termination-log")
      )
      binds.push({ source: file, destination: termPath, readOnly: false })
      mounts.push({ mount: { volume: "", mountPath: termPath, readOnly: false }, path: file })
    }
    const cwd = config.workingDir || image.config.workingDir || "/"
    const imageRoot = options.imageStore?.rootfsOf(image.imageID)
    const rootfs =
      imageRoot === undefined
        ? undefined
        : yield* host.mountOverlay(imageRoot, join(sb.dir, `${id.slice(0, 12)}.layer`)).pipe(
            Effect.mapError(
              (failure) =>
                new RuntimeError({
                  reason: "CreateContainerError",
                  message: `failed to create containerd container: failed to mount rootfs component: ${failure.stderr}`
                })
            )
          )
    const container = yield* Effect.tryPromise({
      try: async () => {
        const [prepared, termError] = await Promise.all([
          host.prepareContainer(id, sb.dir, net, {
            args: argv,
            env,
            cwd,
            mounts: binds,
            memoryLimit: config.memoryLimit,
            ...(rootfs === undefined ? {} : { rootfs })
          }),
          termWritten
        ])
        if (termError !== undefined) throw termError
        return prepared
      },
      catch: (error) =>
        new RuntimeError({
          reason: "CreateContainerError",
          message: `failed to create containerd container: ${String(error)}`
        })
    })
    const inst: Instance = {
      id,
      sandbox: sb,
      config,
      image,
      argv,
      env,
      cwd,
      requiredCwd: undefined,
      mounts,
      log: new LogFile(join(sb.dir, `${config.name}_${config.attempt}.log`), logLimits, now),
      state: "created",
      createdAt: now(),
      cause: { _tag: "Exited" },
      exited: Deferred.makeUnsafe<void>(),
      finished: Deferred.makeUnsafe<void>(),
      execs: new Set(),
      linux: container
    }
    instances.set(id, inst)
    sb.containers.push(inst)
    changed(sb.podUid)
    return id
  })

  const startContainer = Effect.fnUntraced(function* (containerId: string) {
    const inst = instances.get(containerId)
    if (inst === undefined) {
      return yield* new RuntimeError({
        reason: "RunContainerError",
        message: `failed to start containerd task "${containerId}": not found`
      })
    }
    if (inst.state !== "created") {
      return yield* new RuntimeError({
        reason: "RunContainerError",
        message: `failed to start containerd task "${containerId}": cannot start a container in the ${inst.state} state`
      })
    }
    if (inst.requiredCwd !== undefined && !existsSync(inst.requiredCwd)) {
      return yield* startFailed(
        inst,
        `chdir to cwd ("${inst.requiredCwd}") set in config.json failed: no such file or directory`
      )
    }
    const file = inst.argv[0]!
    const oci = inst.linux === undefined || linux === undefined ? undefined : { host: linux, container: inst.linux }
    if (oci !== undefined && !oci.host.executableIn(oci.container, file, inst.env["PATH"] ?? defaultPath)) {
      return yield* startFailed(inst, execFailure(file, Object.assign(new Error("not found"), { code: "ENOENT" })))
    }
    const sb = inst.sandbox
    const request: SpawnRequest =
      oci === undefined
        ? {
            file,
            args: inst.argv.slice(1),
            cwd: inst.cwd,
            env: inst.env,
            ...(sb.workMade ? {} : { mkdir: join(sb.dir, "work") })
          }
        : {
            file: oci.host.choice.oci,
            args: oci.host.runArgs(oci.container),
            cwd: inst.sandbox.dir,
            env: { PATH: hostPath }
          }
    const closed = Deferred.makeUnsafe<void>()
    /** set once the start is published: from then on the `exit` listener records the end */
    let started: Spawned | undefined
    const spawned = yield* spawner
      .spawn(request, {
        output: (stream, chunk) => inst.log.write(stream, chunk),
        exit: (end) => {
          inst.end = end
          if (inst.pid !== undefined) signalGroup(inst.pid, "SIGKILL")
          Deferred.doneUnsafe(inst.exited, Effect.void)
          if (started !== undefined) runFork(recordEnd(inst, started, closed))
        },
        close: () => Deferred.doneUnsafe(closed, Effect.void)
      })
      .pipe(Effect.result)
    if (spawned._tag === "Failure") {
      const error = spawned.failure
      return yield* startFailed(
        inst,
        error.syscall === "mkdir"
          ? `chdir to cwd ("${inst.cwd}") set in config.json failed: ${error.message}`
          : execFailure(file, error)
      )
    }
    sb.workMade = true
    const child = spawned.success
    const pid = child.pid
    inst.pid = pid
    inst.state = "running"
    changed(inst.sandbox.podUid)
    inst.startedAt = now()
    running.add(inst)
    track("+", pid)
    if (inst.linux !== undefined) track("+", `c:${inst.linux.ociId}`)
    // the helper may have heard the end before this fiber resumed: the rest of the group goes now
    if (Deferred.isDoneUnsafe(inst.exited)) signalGroup(pid, "SIGKILL")
    if (oci !== undefined) {
      // CRI's StartContainer returns once the task runs: the OCI runtime's init has exec'd the program
      // (its pid file appears after `create`; the exec follows within milliseconds)
      yield* Effect.raceFirst(oci.host.pidFileWritten(oci.container), Deferred.await(inst.exited)).pipe(
        Effect.timeoutOption(killWaitMillis)
      )
      const deadline = Date.now() + killWaitMillis
      while (!oci.host.running(oci.container) && !Deferred.isDoneUnsafe(inst.exited) && Date.now() < deadline) {
        yield* Effect.sleep(1)
      }
    }
    publish({ type: "ContainerStarted", podUid: inst.sandbox.podUid, containerId: inst.id, at: inst.startedAt })
    // no fiber waits while the process runs: its end is recorded from the `exit` listener (or now)
    started = child
    if (Deferred.isDoneUnsafe(inst.exited)) runFork(recordEnd(inst, child, closed))
  })

  const stopContainer = Effect.fnUntraced(function* (containerId: string, gracePeriodSeconds: number) {
    const inst = instances.get(containerId)
    if (inst === undefined || inst.state !== "running" || inst.pid === undefined) return
    if (inst.linux === undefined) signalGroup(inst.pid, "SIGTERM")
    else if (!signalInit(inst, "SIGTERM")) process.kill(inst.pid, "SIGTERM")
    if (gracePeriodSeconds > 0) {
      yield* Effect.timeoutOption(Deferred.await(inst.finished), gracePeriodSeconds * 1000)
    }
    yield* killNow(inst)
  })

  const listContainers = (podUid: string) =>
    Effect.sync(() => {
      const out: Array<ContainerInfo> = []
      for (const sb of byPod.get(podUid) ?? []) for (const inst of sb.containers) out.push(containerInfo(inst))
      return out.sort((a, b) => a.createdAt - b.createdAt || a.attempt - b.attempt)
    })

  const exec = Effect.fnUntraced(function* (containerId: string, argv: ReadonlyArray<string>, timeoutSeconds: number) {
    const inst = instances.get(containerId)
    if (inst === undefined || inst.state !== "running") {
      return { exitCode: -1, output: "cannot exec in a stopped state: unknown" } satisfies ExecResult
    }
    const file = argv[0]
    const failed = (error: NodeJS.ErrnoException): ExecResult => ({
      exitCode: 126,
      output: `OCI runtime exec failed: exec failed: unable to start container process: ${execFailure(file ?? "", error)}: unknown`
    })
    if (file === undefined) return failed(Object.assign(new Error("no command"), { code: "ENOENT" }))
    const oci = inst.linux === undefined || linux === undefined ? undefined : { host: linux, container: inst.linux }
    if (oci !== undefined && !oci.host.executableIn(oci.container, file, inst.env["PATH"] ?? defaultPath)) {
      return failed(Object.assign(new Error("not found"), { code: "ENOENT" }))
    }
    const request: SpawnRequest =
      oci === undefined
        ? { file, args: argv.slice(1), cwd: inst.cwd, env: inst.env }
        : {
            file: oci.host.choice.oci,
            args: oci.host.execArgs(oci.container, argv),
            cwd: inst.sandbox.dir,
            env: { PATH: hostPath }
          }
    let output = ""
    const ended = Deferred.makeUnsafe<ProcessEnd>()
    const drained = Deferred.makeUnsafe<void>()
    const spawned = yield* spawner
      .spawn(request, {
        output: (_stream, chunk) => {
          if (output.length < execOutputLimit)
            output += chunk.toString("utf8").slice(0, execOutputLimit - output.length)
        },
        exit: (end) => Deferred.doneUnsafe(ended, Effect.succeed(end)),
        close: () => Deferred.doneUnsafe(drained, Effect.void)
      })
      .pipe(Effect.result)
    if (spawned._tag === "Failure") return failed(spawned.failure)
    const pid = spawned.success.pid
    inst.execs.add(pid)
    track("+", pid)
    const closed = Deferred.await(drained)
    const result = yield* Effect.timeoutOption(Deferred.await(ended), timeoutSeconds * 1000)
    if (result._tag === "None") {
      signalGroup(pid, "SIGKILL")
      inst.execs.delete(pid)
      track("-", pid)
      return { exitCode: -1, output: `command "${argv.join(" ")}" timed out` } satisfies ExecResult
    }
    yield* Effect.timeoutOption(closed, pipeCloseMillis)
    if (!signalGroup(pid, 0)) {
      inst.execs.delete(pid)
      track("-", pid)
    }
    const end = result.value
    return { exitCode: terminationOf(end, { _tag: "Exited" }).exitCode, output } satisfies ExecResult
  })

  const probePort = (sandboxId: string, port: number, kind: "http" | "tcp" | "grpc", path?: string) => {
    const sb = sandboxes.get(sandboxId)
    if (sb === undefined || sb.state !== "ready") return Effect.succeed(false)
    if (kind === "http") return httpProbe(sb.ip, port, path ?? "/", probeTimeout)
    if (kind === "grpc") return grpcProbe(sb.ip, port, probeTimeout)
    return tcpProbe(sb.ip, port, probeTimeout)
  }

  const logs = (containerId: string) =>
    Effect.sync((): ReadonlyArray<LogLine> => instances.get(containerId)?.log.read() ?? [])

  const killContainer = (containerId: string, exitCode: number, reason: string) =>
    Effect.gen(function* () {
      const inst = instances.get(containerId)
      if (inst === undefined || inst.state !== "running") return false
      inst.cause = { _tag: "Injected", exitCode, reason }
      yield* killNow(inst)
      return true
    })

  return ContainerRuntime.of({
    runPodSandbox,
    stopPodSandbox,
    removePodSandbox,
    listSandboxes: (podUid) =>
      Effect.sync(() =>
        podUid === undefined ? [...sandboxes.values()].map(sandboxInfo) : (byPod.get(podUid) ?? []).map(sandboxInfo)
      ),
    createContainer,
    startContainer,
    stopContainer,
    removeContainer: (containerId) =>
      Effect.suspend(() => {
        const inst = instances.get(containerId)
        return inst === undefined ? Effect.void : removeInstance(inst)
      }),
    listContainers,
    exec,
    probePort,
    logs,
    killContainer,
    events: Stream.fromPubSub(pubsub),
    observeEvents,
    podRevisionUnsafe: (podUid) => revisions.get(podUid) ?? -1
  })
})
