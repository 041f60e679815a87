/**
 * The simulated container runtime: one node's containerd. Containers behave as their YAML says, on
 * Effect's Clock (virtual under TestClock):
 * - a shell, a builtin or a script file runs in the shell interpreter (one fiber per process);
 * - a command that only waits (`sleep 3600`, `sh -c "sleep 3600"`, `tail -f /dev/null`) is an entry on
 *   the runtime's one timer fiber;
 * - a server (nginx, redis, any program the simulation does not know) binds the container's declared
 *   ports and the image's exposed ports and runs until signalled: no fiber, only state;
 * - `node`/`python` with no arguments read an empty stdin and exit 0; an executable the image does not
 *   have fails to start (`StartError`, 128).
 * Exit reasons are containerd's: Completed (0), Error, OOMKilled (137, memory above the limit),
 * StartError (128). SIGTERM goes to the process (a script ignores it unless it traps it, as PID 1
 * does; a server exits 143, the pause image 0 as its `sigdown` does); SIGKILL after the grace period is 137.
 * Each instance has its own filesystem (built on first use, gone with the instance); emptyDir and
 * hostPath volumes outlive instances; configMap/secret volumes are read-only.
 * Logs: per instance, the newest 10,000 lines / 1 MiB (`LogBuffer`), timestamped with the Clock.
 * Per-container state is a few hundred bytes (a sleeping or server container ~2-3 KB with its
 * sandbox; a running script adds its fiber and shell); hot paths are `Effect.fnUntraced` or synchronous.
 */
import { Cause, Clock, Deferred, Effect, Fiber, Layer, PubSub, Scope, Stream } from "effect"
import { sameJson } from "../domain/SameJson.js"
import type {
  ContainerConfig,
  ContainerInfo,
  ContainerRuntimeState,
  ExecResult,
  LogLine,
  RuntimeEvent,
  Sandbox,
  SandboxConfig
} from "../services/ContainerRuntime.js"
import { ContainerRuntime, RuntimeError } from "../services/ContainerRuntime.js"
import type { ImageCache, ImageInfo } from "../services/ImageService.js"
import type { MemoryFacade, NetworkFacade, ProcessContext, SignalName } from "../sim/Process.js"
import { Signals, signalNumbers } from "../sim/Process.js"
import type { FsDir, FsNode } from "../sim/VirtualFs.js"
import { FsShapes, makeDir, parentOf, VirtualFs } from "../sim/VirtualFs.js"
import { catalogueImageInfo } from "./RegistrySimulated.js"
import { hostsFile, resolvConf } from "./runtime/EtcFiles.js"
import { fakeDigest, parseImageRef } from "./runtime/ImageRef.js"
import { defaultLogLimits, LogBuffer } from "./runtime/LogBuffer.js"
import type { Program, ServerKind } from "./runtime/Program.js"
import { classifyProgram, imageLacks, resolveArgv } from "./runtime/Program.js"
import { makeRuntimeEvents } from "./runtime/RuntimeEvents.js"
import type { ServerResponse } from "./runtime/Servers.js"
import { refusesToStart, serverHttp, serverImageFiles, serverTool, startLines } from "./runtime/Servers.js"
import type { ProcessRunner } from "./runtime/SimInterpreter.js"
import { argvKey, simInterpreter } from "./runtime/SimInterpreter.js"
import { Offsets } from "./runtime/Small.js"
import type { TimerEntry } from "./runtime/Timers.js"
import { makeTimers } from "./runtime/Timers.js"
import type { Listener, SimNetwork } from "./SimNetwork.js"

export type { ProcessRunner } from "./runtime/SimInterpreter.js"
export { simInterpreter } from "./runtime/SimInterpreter.js"

export interface RuntimeSimulatedOptions {
  readonly nodeName: string
  /** the node's pod CIDR, e.g. `10.244.1.0/24` */
  readonly podCIDR: string
  /** the cluster's pod network (shared by every node's runtime) */
  readonly network: SimNetwork
  /** the node's image store, for image configs and IDs; images absent from it use the default catalogue */
  readonly images?: ImageCache
  /** default: the shell interpreter of `sim/` (`simInterpreter`) */
  readonly interpreter?: ProcessRunner
  /** per container instance; default 10,000 lines / 1 MiB */
  readonly logLimits?: { readonly maxLines: number; readonly maxBytes: number }
  /** cluster DNS domain for `/etc/resolv.conf`; default `cluster.local` */
  readonly clusterDomain?: string
  /**
   * build a container's filesystem whenever classification looks at its files (the reference the
   * default, lazy path is tested against); default false
   */
  readonly eagerFilesystem?: boolean
  /**
   * run `sh -c` scripts of only plain `echo`, `sleep` and `exit` commands on the runtime's timers
   * (`scriptTimeline`) instead of in the interpreter: no fiber per process; default true with the
   * default interpreter, false with another
   */
  readonly scriptTimelines?: boolean
}

interface SandboxState {
  readonly id: string
  readonly podUid: string
  readonly config: SandboxConfig
  readonly ip: string
  state: "ready" | "notready"
  readonly createdAt: number
  /** (one shared empty map for a pod without volumes) */
  readonly volumes: ReadonlyMap<string, FsNode>
  /** `/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf`, built when a container first uses its filesystem */
  etc: Readonly<Record<string, string>> | undefined
  /** per image, the last environment made for a container of it and the container env it was made from */
  envs: Array<ContainerEnv> | undefined
  /**
   * in creation order; replaced, not grown in place, so it holds no spare capacity (`concat`: a spread
   * into an array literal, `push` or `filter` leave room for ~17)
   */
  containers: ReadonlyArray<Instance>
}

interface ContainerEnv {
  readonly image: ImageInfo
  readonly from: ContainerConfig["env"]
  readonly env: Readonly<Record<string, string>>
}

const noVolumes: ReadonlyMap<string, FsNode> = new Map()
const noEnv: ContainerConfig["env"] = []
const noMounts: ContainerConfig["mounts"] = []
const noPorts: ContainerConfig["ports"] = []

/** One container instance; every field is present from creation so all instances share one shape. */
interface Instance {
  readonly id: string
  readonly sandbox: SandboxState
  /**
   * the create's config (without the sandbox's `HOSTNAME` entry: `env` has it), or an equal one
   * but for `attempt` an earlier instance keeps (a restart, or the same container of a replica pod)
   */
  readonly config: ContainerConfig
  /** the create's `config.attempt` */
  readonly attempt: number
  readonly image: ImageInfo
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  state: ContainerRuntimeState
  /** (these three as `times` keeps them) */
  readonly createdAt: number
  startedAt: number | undefined
  finishedAt: number | undefined
  exitCode: number | undefined
  reason: string | undefined
  message: string | undefined
  program: Program | undefined
  /** what its running process holds (made on first use while running, dropped when it ends) */
  proc: Running | undefined
  fs: VirtualFs | undefined
  /**
   * set when classification looked at files before the filesystem was built: the program whose
   * image files it starts with then (the filesystem is built on first real use, as it was then)
   */
  fsFixed: { readonly program: Program | undefined } | undefined
  logs: LogBuffer | undefined
}

/** A running instance's process state: most instances have exited, and keep none of it. */
interface Running {
  fiber: Fiber.Fiber<unknown, unknown> | undefined
  timer: TimerEntry | undefined
  /** running exec processes: they die with the container */
  execs: Set<Fiber.Fiber<number>> | undefined
  signals: Signals | undefined
  exited: Deferred.Deferred<void> | undefined
  net: NetworkFacade | undefined
  mem: MemoryFacade | undefined
  /** bytes allocated */
  memory: number
}

/**
 * A server's listening port: `http` answers from the instance's files (a method: no closure and
 * context per server).
 */
class ServerListener implements Listener {
  readonly owner: string
  constructor(
    readonly port: number,
    private readonly inst: Instance,
    readonly server: ServerKind,
    private readonly files: (inst: Instance) => VirtualFs | undefined
  ) {
    this.owner = inst.id
  }
  http(path: string): ServerResponse | undefined {
    return serverHttp(this.server, this.files(this.inst), path)
  }
}

/** The instance's process state while it runs (made on first use); afterwards whatever it kept, if anything. */
const running = (inst: Instance): Running | undefined => {
  if (inst.proc !== undefined || inst.state !== "running") return inst.proc
  inst.proc = {
    fiber: undefined,
    timer: undefined,
    execs: undefined,
    signals: undefined,
    exited: undefined,
    net: undefined,
    mem: undefined,
    memory: 0
  }
  return inst.proc
}

const mix32 = (x: number): number => {
  let h = Math.imul(x ^ (x >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return (h ^ (h >>> 16)) >>> 0
}

/** two lowercase hex digits per byte value */
const hexBytes = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/** `x.toString(16).padStart(8, "0")` for a uint32, without the radix conversion's cost */
export const hex32 = (x: number): string =>
  hexBytes[x >>> 24]! + hexBytes[(x >>> 16) & 255]! + hexBytes[(x >>> 8) & 255]! + hexBytes[x & 255]!

const protocolTcp = (p: { readonly protocol: string }): boolean =>
  p.protocol === "" || p.protocol.toUpperCase() === "TCP"

/**
 * The config as an instance keeps it: arrays equal to the previous instance's (a restart of the same
 * container) are that instance's, so an instance and the one before it share them.
 */
const compactConfig = (config: ContainerConfig, before: Instance | undefined): ContainerConfig => {
  if (before === undefined) return config
  const old = before.config
  return {
    ...config,
    command: sameJson(config.command, old.command) ? old.command : config.command,
    args: sameJson(config.args, old.args) ? old.args : config.args,
    env: sameJson(config.env, old.env) ? old.env : config.env,
    mounts: sameJson(config.mounts, old.mounts) ? old.mounts : config.mounts,
    ports: sameJson(config.ports, old.ports) ? old.ports : config.ports
  }
}

/** The same members in the same order with equal values, `attempt` aside. */
const sameButAttempt = (a: ContainerConfig, b: ContainerConfig): boolean => {
  const ka = Object.keys(a) as Array<keyof ContainerConfig>
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!
    if (k !== kb[i]) return false
    if (k !== "attempt" && !sameJson(a[k], b[k])) return false
  }
  return true
}

const terminationMessageLimit = 4096
const programCacheLimit = 4096

interface InstanceHooks {
  readonly fsOf: (inst: Instance) => VirtualFs
  readonly networkFacade: (inst: Instance) => NetworkFacade
  readonly memoryFacade: (inst: Instance) => MemoryFacade
  readonly signal: (inst: Instance, sig: SignalName) => void
}

/** A process's view of its container; the filesystem and facades are built on first use. */
class InstanceContext implements ProcessContext {
  constructor(
    private readonly inst: Instance,
    readonly pid: number,
    readonly stdout: (line: string) => Effect.Effect<void>,
    readonly stderr: (line: string) => Effect.Effect<void>,
    readonly signals: Signals,
    private readonly hooks: InstanceHooks
  ) {}
  get env(): Readonly<Record<string, string>> {
    return this.inst.env
  }
  get hostname(): string {
    return this.inst.sandbox.config.hostname
  }
  get cwd(): string {
    return this.inst.cwd
  }
  get fs(): VirtualFs {
    return this.hooks.fsOf(this.inst)
  }
  get network(): NetworkFacade {
    const proc = running(this.inst)
    if (proc === undefined) return this.hooks.networkFacade(this.inst)
    proc.net ??= this.hooks.networkFacade(this.inst)
    return proc.net
  }
  get memory(): MemoryFacade {
    const proc = running(this.inst)
    if (proc === undefined) return this.hooks.memoryFacade(this.inst)
    proc.mem ??= this.hooks.memoryFacade(this.inst)
    return proc.mem
  }
  signalProcess(target: number, sig: SignalName): Effect.Effect<boolean> {
    return Effect.sync(() => {
      if (target !== 1 || this.inst.state !== "running") return false
      this.hooks.signal(this.inst, sig)
      return true
    })
  }
}

/** The simulated `ContainerRuntime` of one node. */
export const RuntimeSimulated = {
  layer: (options: RuntimeSimulatedOptions): Layer.Layer<ContainerRuntime> =>
    Layer.effect(ContainerRuntime, make(options))
}

const make = Effect.fnUntraced(function* (options: RuntimeSimulatedOptions) {
  const clock = yield* Clock.Clock
  const scope = yield* Effect.scope
  const pubsub = yield* PubSub.unbounded<RuntimeEvent>()
  const timers = yield* makeTimers(clock, scope)
  yield* Scope.addFinalizer(scope, PubSub.shutdown(pubsub))

  const { network } = options
  const interpreter = options.interpreter ?? simInterpreter
  const scriptTimelines = options.scriptTimelines ?? interpreter === simInterpreter
  const limits = options.logLimits ?? defaultLogLimits
  const clusterDomain = options.clusterDomain ?? "cluster.local"
  const sandboxes = new Map<string, SandboxState>()
  const byPod = new Map<string, Array<SandboxState>>()
  const instances = new Map<string, Instance>()
  /** node-level hostPath directories */
  const hostPaths = new Map<string, FsDir>()
  const fallbackImages = new Map<string, ImageInfo>()
  /** pod UID → the revision of its last runtime change (the kubelet's backoff fast path) */
  const revisions = new Map<string, number>()
  let revision = 0
  const changed = (podUid: string): void => {
    revisions.set(podUid, ++revision)
  }
  let counter = 0
  let execPid = 100

  const now = (): number => clock.currentTimeMillisUnsafe()
  /** instances' and their log lines' times, kept small */
  const times = new Offsets()
  const timeOf = (kept: number): number => times.time(kept)
  const idSuffix = fakeDigest(options.nodeName).slice(7 + 16)
  /** 64 hex digits like containerd's, distinct in their first 16 (what `crictl ps` shows) */
  const newId = (): string => {
    const n = ++counter
    const id = hex32(mix32(n)) + hex32(mix32(n ^ 0x5bd1e995)) + idSuffix
    // flattened: a string built with `+` is otherwise kept as a tree of its pieces (V8)
    id.charCodeAt(0)
    return id
  }
  const { publish, observeEvents } = makeRuntimeEvents(pubsub)

  const imageEnvs = new WeakMap<ImageInfo, Readonly<Record<string, string>>>()
  /** The image's ENV as a record (with `HOME=/root` unless set), computed once per image. */
  const imageEnv = (image: ImageInfo): Readonly<Record<string, string>> => {
    let env = imageEnvs.get(image)
    if (env === undefined) {
      const record: Record<string, string> = { HOME: "/root" }
      for (const entry of image.config.env ?? []) {
        const eq = entry.indexOf("=")
        if (eq > 0) record[entry.slice(0, eq)] = entry.slice(eq + 1)
      }
      env = record
      imageEnvs.set(image, env)
    }
    return env
  }

  /**
   * The image's ENV, `HOSTNAME`, then the container's env; one object per sandbox and image for equal
   * container envs (a restarted container, or two containers of one image with the same env).
   */
  const containerEnv = (
    sb: SandboxState,
    image: ImageInfo,
    config: ContainerConfig
  ): Readonly<Record<string, string>> => {
    const envs = sb.envs
    const i = envs === undefined ? -1 : envs.findIndex((e) => e.image === image)
    const known = i < 0 ? undefined : envs![i]!
    if (known !== undefined && sameJson(known.from, config.env)) return known.env
    // members added one by one to a copy follow V8's cached transitions: one hidden class for all such envs
    // (a spread literal adding HOSTNAME gets a class of its own per object)
    const env: Record<string, string> = Object.assign({}, imageEnv(image))
    env.HOSTNAME = sb.config.hostname
    for (const e of config.env) env[e.name] = e.value
    const entry: ContainerEnv = { image, from: config.env, env }
    if (envs === undefined) sb.envs = [entry]
    else if (i < 0) sb.envs = envs.concat(entry)
    else envs[i] = entry
    return env
  }

  const imageOf = (image: string): ImageInfo => {
    const cached = options.images?.get(image)
    if (cached !== undefined) return cached
    let info = fallbackImages.get(image)
    if (info === undefined) {
      info = catalogueImageInfo(image)
      fallbackImages.set(image, info)
    }
    return info
  }

  // ---- logs ------------------------------------------------------------------------------------

  const appendLog = (inst: Instance, stream: "stdout" | "stderr", line: string): void => {
    inst.logs ??= new LogBuffer(limits.maxLines, limits.maxBytes)
    inst.logs.append(times.keep(now()), stream, line)
  }

  // ---- filesystem ------------------------------------------------------------------------------

  const volumeNode = (sb: SandboxState, volume: string, subPath: string | undefined): FsNode | undefined => {
    const root = sb.volumes.get(volume)
    if (root === undefined || subPath === undefined || subPath === "") return root
    let node: FsNode = root
    for (const segment of subPath.split("/").filter((s) => s !== "" && s !== ".")) {
      if (node._tag !== "Dir") return undefined
      let next = node.entries.get(segment)
      if (next === undefined) {
        next = makeDir()
        node.entries.set(segment, next)
      }
      node = next
    }
    return node
  }

  /** The files a new filesystem of a container of `sb` running `program` starts with. */
  const filesOf = (sb: SandboxState, program: Program | undefined): Readonly<Record<string, string>> => {
    sb.etc ??= {
      "/etc/hostname": `${sb.config.hostname}\n`,
      "/etc/hosts": hostsFile(sb.config, sb.ip),
      "/etc/resolv.conf": resolvConf(sb.config.namespace, clusterDomain)
    }
    return program?._tag === "Server" ? { ...sb.etc, ...serverImageFiles[program.server] } : sb.etc
  }

  /**
   * The files a server answers from: the image's own (undefined) until something mounts over them
   * or writes to the container.
   */
  const serverFiles = (inst: Instance): VirtualFs | undefined =>
    inst.fs ?? (inst.config.mounts.length > 0 || inst.fsFixed !== undefined ? fsOf(inst) : undefined)

  const fsOf = (inst: Instance): VirtualFs => {
    if (inst.fs !== undefined) return inst.fs
    const sb = inst.sandbox
    const files = filesOf(sb, inst.fsFixed !== undefined ? inst.fsFixed.program : inst.program)
    const mounts = []
    for (const m of inst.config.mounts) {
      const node = volumeNode(sb, m.volume, m.subPath)
      if (node === undefined) continue
      const readOnly = m.readOnly || sb.config.volumes.some((v) => v.name === m.volume && v.type === "files")
      mounts.push({ path: m.mountPath, node, readOnly })
    }
    const fs = VirtualFs.make({ files, mounts })
    if (inst.cwd !== "/") fs.mkdir(inst.cwd, true)
    inst.fs = fs
    return fs
  }

  const shapes = new FsShapes(programCacheLimit)
  const eagerFilesystem = options.eagerFilesystem === true

  /** The files the instance's filesystem starts with, fixed as of this first look (it is built later). */
  const fixedFiles = (inst: Instance): Readonly<Record<string, string>> => {
    inst.fsFixed ??= { program: inst.program }
    return filesOf(inst.sandbox, inst.fsFixed.program)
  }

  /**
   * The main program is known only after its argv was checked against the files (`/usr/sbin/nginx`):
   * a server's image files then join the filesystem fixed or built during that check, except where a
   * volume is mounted (the volume's content wins, as over the image's files).
   */
  const withImageFiles = (inst: Instance, program: Program): void => {
    if (program._tag !== "Server") return
    const files = serverImageFiles[program.server]
    if (files === undefined) return
    if (inst.fsFixed !== undefined && inst.fsFixed.program === undefined) inst.fsFixed = { program }
    const fs = inst.fs
    if (fs === undefined) return
    for (const [path, content] of Object.entries(files)) {
      const mounted = inst.config.mounts.some((m) => {
        const at = m.mountPath.replace(/\/+$/, "")
        return path === at || path.startsWith(`${at}/`)
      })
      if (mounted || fs.exists(path)) continue
      fs.mkdir(parentOf(path), true)
      fs.writeFile(path, content, false)
    }
  }

  /** Does `path` exist in the instance's filesystem, without building it when it has no mounts. */
  const fsExists = (inst: Instance, path: string): boolean =>
    inst.fs !== undefined || inst.config.mounts.length > 0 || eagerFilesystem
      ? fsOf(inst).exists(path)
      : shapes.exists(fixedFiles(inst), inst.cwd, path)

  // ---- process lifecycle -----------------------------------------------------------------------

  /** The process ended: record it, free its ports and memory, tell the PLEG. Idempotent. */
  const finish = (inst: Instance, exitCode: number, reason: string): void => {
    if (inst.state !== "running") return
    inst.state = "exited"
    const at = now()
    inst.finishedAt = times.keep(at)
    inst.exitCode = exitCode
    inst.reason = reason
    changed(inst.sandbox.podUid)
    const path = inst.config.terminationMessagePath
    const fs = inst.fs ?? (inst.fsFixed !== undefined ? shapes.of(fixedFiles(inst), inst.cwd) : undefined)
    if (path !== undefined && path !== "" && fs?.isFile(path)) {
      const text = fsOf(inst).readFile(path)
      if (text !== "") inst.message = text.slice(0, terminationMessageLimit)
    }
    network.unlistenOwner(inst.sandbox.id, inst.id)
    const proc = inst.proc
    inst.proc = undefined
    if (proc !== undefined) {
      if (proc.timer !== undefined) timers.cancel(proc.timer)
      if (proc.exited !== undefined) Deferred.doneUnsafe(proc.exited, Effect.void)
      if (proc.execs !== undefined) for (const exec of proc.execs) exec.interruptUnsafe()
    }
    publish({ type: "ContainerExited", podUid: inst.sandbox.podUid, containerId: inst.id, at })
  }

  /** SIGKILL or OOM kill: the process ends now with `exitCode`. */
  const kill = (inst: Instance, exitCode: number, reason: string): void => {
    const fiber = inst.proc?.fiber
    finish(inst, exitCode, reason)
    fiber?.interruptUnsafe()
  }

  /** Deliver a signal to the container's main process (stopContainer, `kill 1` from an exec). */
  const signal = (inst: Instance, sig: SignalName): void => {
    if (inst.state !== "running") return
    if (sig === "KILL") {
      kill(inst, 137, "Error")
      return
    }
    const program = inst.program
    if (program?._tag === "Sleep" || program?._tag === "Exit") return
    if (program?._tag === "Server") {
      if (sig === "QUIT" && program.server === "nginx") kill(inst, 0, "Completed")
      else if (program.server === "pause" && (sig === "TERM" || sig === "INT")) {
        // build/pause/linux/pause.c: SIGTERM and SIGINT run `sigdown` (psignal, then exit(0))
        appendLog(inst, "stderr", `Shutting down, got signal: ${sig === "TERM" ? "Terminated" : "Interrupt"}`)
        kill(inst, 0, "Completed")
      } else if (sig === "TERM" || sig === "INT" || sig === "QUIT") kill(inst, 128 + signalNumbers[sig], "Error")
      return
    }
    inst.proc?.signals?.deliverUnsafe(sig)
  }

  const awaitExit = (inst: Instance): Effect.Effect<void> => {
    if (inst.state !== "running") return Effect.void
    const proc = running(inst)!
    proc.exited ??= Deferred.makeUnsafe<void>()
    return Deferred.await(proc.exited)
  }

  const networkFacade = (inst: Instance): NetworkFacade => {
    const sandboxId = inst.sandbox.id
    return {
      listen: (port) =>
        Effect.sync(() =>
          network.listen(sandboxId, { port, owner: inst.id }) ? "ok" : ("bind: Address already in use" as const)
        ),
      close: (port) => Effect.sync(() => network.unlisten(sandboxId, port, inst.id)),
      connect: (host, port) => Effect.sync(() => network.connect(sandboxId, host, port)._tag === "Connected"),
      resolve: (name) => Effect.sync(() => network.resolve(sandboxId, name)),
      http: (host, port, path) =>
        Effect.sync(() => {
          const result = network.connect(sandboxId, host, port)
          return result._tag === "Connected" ? result.listener.http?.(path) : undefined
        })
    }
  }

  const memoryFacade = (inst: Instance): MemoryFacade => ({
    allocate: (bytes) =>
      Effect.suspend(() => {
        if (inst.state !== "running") return Effect.interrupt
        const proc = running(inst)!
        proc.memory += bytes
        const limit = inst.config.memoryLimit
        if (limit !== undefined && proc.memory > limit) {
          kill(inst, 137, "OOMKilled")
          return Effect.interrupt
        }
        return Effect.void
      }),
    release: (bytes) =>
      Effect.sync(() => {
        const proc = inst.proc
        if (proc !== undefined) proc.memory = Math.max(0, proc.memory - bytes)
      })
  })

  const processContext = (
    inst: Instance,
    pid: number,
    stdout: (line: string) => Effect.Effect<void>,
    stderr: (line: string) => Effect.Effect<void>,
    signals: Signals
  ): ProcessContext => new InstanceContext(inst, pid, stdout, stderr, signals, instanceHooks)

  const instanceHooks: InstanceHooks = { fsOf, networkFacade, memoryFacade, signal }

  const serverPorts = (inst: Instance, program: Extract<Program, { _tag: "Server" }>): ReadonlyArray<number> => {
    const ports = new Set<number>(program.ports)
    for (const p of inst.config.ports) if (protocolTcp(p)) ports.add(p.containerPort)
    for (const p of inst.image.config.exposedPorts) ports.add(p)
    return [...ports]
  }

  const bindFailure = (program: Extract<Program, { _tag: "Server" }>, port: number): string =>
    program.server === "nginx"
      ? `nginx: [emerg] bind() to 0.0.0.0:${port} failed (98: Address already in use)`
      : `listen tcp :${port}: bind: address already in use`

  /** Runs the timeline's steps from `from`: prints, then waits on the timers, to the exit. */
  const runTimeline = (inst: Instance, program: Extract<Program, { _tag: "Timeline" }>, from: number): void => {
    if (inst.state !== "running") return
    for (let i = from; i < program.steps.length; i++) {
      const step = program.steps[i]!
      if (step._tag === "Echo") appendLog(inst, "stdout", step.line)
      else {
        running(inst)!.timer = timers.schedule(now() + step.millis, () => runTimeline(inst, program, i + 1))
        return
      }
    }
    finish(inst, program.code, program.code === 0 ? "Completed" : "Error")
  }

  /** Start the main process; returns once it runs (or has already exited). */
  const launch = (inst: Instance, program: Exclude<Program, { _tag: "StartError" }>) => {
    inst.state = "running"
    const at = now()
    inst.startedAt = times.keep(at)
    changed(inst.sandbox.podUid)
    publish({ type: "ContainerStarted", podUid: inst.sandbox.podUid, containerId: inst.id, at })
    if (program._tag === "Exit") {
      finish(inst, program.code, program.code === 0 ? "Completed" : "Error")
      return Effect.void
    }
    if (program._tag === "Sleep") {
      if (program.millis === 0) finish(inst, 0, "Completed")
      else if (program.millis !== Number.POSITIVE_INFINITY) {
        running(inst)!.timer = timers.schedule(at + program.millis, () => finish(inst, 0, "Completed"))
      }
      return Effect.void
    }
    if (program._tag === "Timeline" && scriptTimelines) {
      runTimeline(inst, program, 0)
      return Effect.void
    }
    if (program._tag === "Server") {
      const refused = refusesToStart(program.server, inst.env)
      if (refused !== undefined) {
        for (const line of refused) appendLog(inst, "stderr", line)
        finish(inst, 1, "Error")
        return Effect.void
      }
      for (const port of serverPorts(inst, program)) {
        if (!network.listen(inst.sandbox.id, new ServerListener(port, inst, program.server, serverFiles))) {
          appendLog(inst, "stderr", bindFailure(program, port))
          finish(inst, 1, "Error")
          return Effect.void
        }
      }
      for (const line of startLines[program.server] ?? []) appendLog(inst, "stdout", line)
      return Effect.void
    }
    const signals = new Signals()
    running(inst)!.signals = signals
    const ctx = processContext(
      inst,
      1,
      (line) => Effect.sync(() => appendLog(inst, "stdout", line)),
      (line) => Effect.sync(() => appendLog(inst, "stderr", line)),
      signals
    )
    const body = Effect.exit(interpreter.runArgv(program.argv, ctx)).pipe(
      Effect.flatMap((exit) =>
        Effect.sync(() => {
          if (exit._tag === "Success") finish(inst, exit.value, exit.value === 0 ? "Completed" : "Error")
          else if (inst.state === "running" && !Cause.hasInterruptsOnly(exit.cause)) {
            appendLog(inst, "stderr", `simulation error: ${String(exit.cause)}`)
            finish(inst, 1, "Error")
          }
        })
      )
    )
    return Effect.forkIn(body, scope, { startImmediately: true }).pipe(
      Effect.flatMap((fiber) =>
        Effect.sync(() => {
          if (inst.state === "running") running(inst)!.fiber = fiber
        })
      )
    )
  }

  /**
   * Configs by container name and spec hash: a container's config, shared by every instance that
   * has an equal one but for `attempt` (its restarts, and the same container of the pod's replicas).
   * Given without a leading `HOSTNAME` entry of the sandbox's hostname (`withoutHostname`). Bounded.
   */
  const configs = new Map<string, ContainerConfig>()
  const sharedConfig = (config: ContainerConfig, before: Instance | undefined): ContainerConfig => {
    if (before !== undefined && sameButAttempt(config, before.config)) return before.config
    const key = `${config.name}\u0000${config.hash}`
    const known = configs.get(key)
    if (known !== undefined && sameButAttempt(config, known)) return known
    const kept = before === undefined ? withSharedArrays(config) : compactConfig(config, before)
    if (configs.size >= programCacheLimit) configs.clear()
    configs.set(key, kept)
    return kept
  }

  /**
   * `config` without a leading `HOSTNAME` entry equal to the sandbox's hostname: the kubelet's, which
   * makes every replica's config differ (the instance's `env` has it; `containerEnv` sets it anyway).
   */
  const withoutHostname = (sb: SandboxState, config: ContainerConfig): ContainerConfig => {
    const first = config.env[0]
    if (first === undefined || first.name !== "HOSTNAME" || first.value !== sb.config.hostname) return config
    return { ...config, env: config.env.length === 1 ? noEnv : config.env.slice(1) }
  }

  /** The config with its command, args and ports the runtime's shared equal arrays, and no empty array of its own. */
  const withSharedArrays = (config: ContainerConfig): ContainerConfig => ({
    ...config,
    command: internArgv(config.command),
    args: internArgv(config.args),
    env: config.env.length === 0 ? noEnv : config.env,
    mounts: config.mounts.length === 0 ? noMounts : config.mounts,
    ports: internPorts(config.ports)
  })

  /** One array per distinct port list. Bounded. */
  const portLists = new Map<string, ContainerConfig["ports"]>()
  const internPorts = (ports: ContainerConfig["ports"]): ContainerConfig["ports"] => {
    if (ports.length === 0) return noPorts
    const key = ports.map((p) => `${p.containerPort}/${p.protocol}`).join(",")
    const known = portLists.get(key)
    if (known !== undefined && sameJson(known, ports)) return known
    if (portLists.size >= programCacheLimit) portLists.clear()
    portLists.set(key, ports)
    return ports
  }

  /** One array per distinct argv, of its exact length: containers running the same command share it. Bounded. */
  const argvs = new Map<string, ReadonlyArray<string>>()
  const internArgv = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
    const key = argvKey(argv)
    const known = argvs.get(key)
    if (known !== undefined && known.length === argv.length && known.every((a, i) => a === argv[i])) return known
    if (argvs.size >= programCacheLimit) argvs.clear()
    const kept = argv.slice()
    argvs.set(key, kept)
    return kept
  }

  /** Programs by image (its config) and argv, when the answer did not depend on the container's files. Bounded. */
  const programCache = new WeakMap<ImageInfo, Map<string, Program>>()

  const classify = (inst: Instance, argv: ReadonlyArray<string>): Program => {
    let programs = programCache.get(inst.image)
    if (programs === undefined) {
      programs = new Map()
      programCache.set(inst.image, programs)
    }
    const key = `${inst.cwd}\u0000${argvKey(argv)}`
    const cached = programs.get(key)
    if (cached !== undefined) return cached
    let readFiles = false
    const program = classifyProgram(argv, {
      image: inst.image.config,
      isCommand: interpreter.isCommand,
      lacks: imageLacks(parseImageRef(inst.image.ref)?.repository ?? ""),
      exists: (path) => {
        readFiles = true
        return fsExists(inst, path)
      },
      workingDir: inst.cwd
    })
    if (!readFiles) {
      if (programs.size >= programCacheLimit) programs.clear()
      programs.set(key, program)
    }
    return program
  }

  // ---- info ------------------------------------------------------------------------------------

  const sandboxInfo = (sb: SandboxState): Sandbox => ({
    id: sb.id,
    podUid: sb.podUid,
    ip: sb.ip,
    state: sb.state,
    createdAt: sb.createdAt
  })

  const containerInfo = (inst: Instance): ContainerInfo => {
    const info: {
      -readonly [K in keyof ContainerInfo]: ContainerInfo[K]
    } = {
      id: inst.id,
      sandboxId: inst.sandbox.id,
      podUid: inst.sandbox.podUid,
      name: inst.config.name,
      image: inst.image.ref,
      imageRef: inst.image.imageID,
      attempt: inst.attempt,
      hash: inst.config.hash,
      state: inst.state,
      createdAt: times.time(inst.createdAt)
    }
    if (inst.startedAt !== undefined) info.startedAt = times.time(inst.startedAt)
    if (inst.finishedAt !== undefined) info.finishedAt = times.time(inst.finishedAt)
    if (inst.exitCode !== undefined) info.exitCode = inst.exitCode
    if (inst.reason !== undefined) info.reason = inst.reason
    if (inst.message !== undefined) info.message = inst.message
    return info
  }

  const containerName = (sb: SandboxState, config: ContainerConfig): string =>
    `${config.name}_${sb.config.podName}_${sb.config.namespace}_${sb.podUid}_${config.attempt}`

  // ---- CRI -------------------------------------------------------------------------------------

  const runPodSandbox = Effect.fnUntraced(function* (config: SandboxConfig) {
    const id = newId()
    const attached = network.attach({
      sandboxId: id,
      podCIDR: options.podCIDR,
      namespace: config.namespace,
      hostname: config.hostname,
      ...(config.fqdn !== undefined ? { fqdn: config.fqdn } : {}),
      ...(config.hostAliases !== undefined ? { hostAliases: config.hostAliases } : {})
    })
    if ("error" in attached) {
      return yield* new RuntimeError({
        reason: "CreatePodSandboxError",
        message: `rpc error: code = Unknown desc = ${attached.error}`
      })
    }
    const volumes = new Map<string, FsNode>()
    for (const volume of config.volumes) {
      if (volume.type === "emptyDir") volumes.set(volume.name, makeDir())
      else if (volume.type === "files") volumes.set(volume.name, makeDir(volume.files))
      else {
        let dir = hostPaths.get(volume.path)
        if (dir === undefined) {
          dir = makeDir()
          hostPaths.set(volume.path, dir)
        }
        volumes.set(volume.name, dir)
      }
    }
    const sb: SandboxState = {
      id,
      podUid: config.podUid,
      config,
      ip: attached.ip,
      state: "ready",
      createdAt: now(),
      volumes: volumes.size === 0 ? noVolumes : volumes,
      etc: undefined,
      envs: undefined,
      containers: []
    }
    sandboxes.set(id, sb)
    const list = byPod.get(config.podUid)
    if (list === undefined) byPod.set(config.podUid, [sb])
    else byPod.set(config.podUid, list.concat(sb))
    changed(config.podUid)
    return sandboxInfo(sb)
  })

  const stopPodSandbox = (sandboxId: string) =>
    Effect.sync(() => {
      const sb = sandboxes.get(sandboxId)
      if (sb === undefined || sb.state === "notready") return
      // not ready before its containers die: whoever hears of their exits sees the sandbox gone too
      sb.state = "notready"
      for (const inst of sb.containers) kill(inst, 137, "Error")
      changed(sb.podUid)
      network.detach(sb.id)
      publish({ type: "SandboxChanged", podUid: sb.podUid, at: now() })
    })

  const removeInstance = (inst: Instance): void => {
    kill(inst, 137, "Error")
    instances.delete(inst.id)
    const list = inst.sandbox.containers
    // `filter` leaves spare capacity (~110 bytes for a few); the copy is of its exact length
    if (list.includes(inst)) inst.sandbox.containers = list.filter((c) => c !== inst).slice()
    changed(inst.sandbox.podUid)
  }

  const removePodSandbox = (sandboxId: string) =>
    Effect.gen(function* () {
      const sb = sandboxes.get(sandboxId)
      if (sb === undefined) return
      yield* stopPodSandbox(sandboxId)
      for (const inst of [...sb.containers]) removeInstance(inst)
      sandboxes.delete(sandboxId)
      const list = byPod.get(sb.podUid)
      if (list !== undefined) {
        const rest = list.filter((s) => s !== sb).slice()
        if (rest.length === 0) byPod.delete(sb.podUid)
        else byPod.set(sb.podUid, rest)
      }
      if (byPod.has(sb.podUid)) changed(sb.podUid)
      else revisions.delete(sb.podUid)
    })

  const createContainer = Effect.fnUntraced(function* (sandboxId: string, config: ContainerConfig) {
    const sb = sandboxes.get(sandboxId)
    if (sb === undefined || sb.state !== "ready") {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to create containerd container: sandbox "${sandboxId}" is not ready`
      })
    }
    const taken = sb.containers.find((c) => c.config.name === config.name && c.attempt === config.attempt)
    if (taken !== undefined) {
      const name = containerName(sb, config)
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to reserve container name "${name}": name "${name}" is reserved for "${taken.id}"`
      })
    }
    const id = newId()
    const image = imageOf(config.image)
    const argv = resolveArgv(config.command, config.args, image.config)
    if (argv === undefined) {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to generate container "${id}" spec: failed to generate spec: no command specified`
      })
    }
    const missing = config.mounts.find((m) => !sb.volumes.has(m.volume))
    if (missing !== undefined) {
      return yield* new RuntimeError({
        reason: "CreateContainerError",
        message: `failed to generate container "${id}" spec: volume "${missing.volume}" not found in the pod sandbox`
      })
    }
    // the same env with or without the entry (`containerEnv` sets HOSTNAME first)
    const own = withoutHostname(sb, config)
    const env = containerEnv(sb, image, own)
    const before = sb.containers.findLast((c) => c.config.name === config.name)
    const inst: Instance = {
      id,
      sandbox: sb,
      config: sharedConfig(own, before),
      attempt: config.attempt,
      image,
      argv: internArgv(argv),
      env,
      cwd: config.workingDir || image.config.workingDir || "/",
      state: "created",
      createdAt: times.keep(now()),
      startedAt: undefined,
      finishedAt: undefined,
      exitCode: undefined,
      reason: undefined,
      message: undefined,
      program: undefined,
      proc: undefined,
      fs: undefined,
      fsFixed: undefined,
      logs: undefined
    }
    instances.set(id, inst)
    sb.containers = sb.containers.concat(inst)
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
    if (inst.sandbox.state !== "ready") {
      return yield* new RuntimeError({
        reason: "RunContainerError",
        message: `failed to start containerd task "${containerId}": sandbox "${inst.sandbox.id}" is not ready`
      })
    }
    const program = classify(inst, inst.argv)
    inst.program = program
    withImageFiles(inst, program)
    if (program._tag === "StartError") {
      inst.state = "exited"
      const at = now()
      inst.startedAt = times.keep(at)
      inst.finishedAt = inst.startedAt
      changed(inst.sandbox.podUid)
      inst.exitCode = 128
      inst.reason = "StartError"
      inst.message = program.message
      publish({ type: "ContainerExited", podUid: inst.sandbox.podUid, containerId: inst.id, at })
      return yield* new RuntimeError({ reason: "RunContainerError", message: program.message })
    }
    yield* launch(inst, program)
  })

  const stopContainer = Effect.fnUntraced(function* (containerId: string, gracePeriodSeconds: number) {
    const inst = instances.get(containerId)
    if (inst === undefined || inst.state !== "running") return
    signal(inst, "TERM")
    if (inst.state === "running" && gracePeriodSeconds > 0) {
      yield* Effect.timeoutOption(awaitExit(inst), gracePeriodSeconds * 1000)
    }
    if (inst.state === "running") kill(inst, 137, "Error")
  })

  const removeContainer = (containerId: string) =>
    Effect.sync(() => {
      const inst = instances.get(containerId)
      if (inst !== undefined) removeInstance(inst)
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
    if (inst.program?._tag === "Server" && !interpreter.isCommand(argv)) {
      const sandboxId = inst.sandbox.id
      const tool = serverTool(argv, {
        connect: (host, port) => network.connect(sandboxId, host, port)._tag === "Connected",
        signalMain: (sig) => signal(inst, sig)
      })
      if (tool !== undefined) return tool satisfies ExecResult
    }
    const program = classify(inst, argv)
    if (program._tag !== "Interpreter" && program._tag !== "Timeline" && program._tag !== "Sleep") {
      if (program._tag === "StartError") {
        return {
          exitCode: 126,
          output: program.message.replace(
            /^.*unable to start container process: /,
            "OCI runtime exec failed: exec failed: unable to start container process: "
          )
        } satisfies ExecResult
      }
      return { exitCode: 0, output: "" } satisfies ExecResult
    }
    const lines: Array<string> = []
    const capture = (line: string) => Effect.sync(() => void lines.push(line))
    const ctx = processContext(inst, ++execPid, capture, capture, new Signals())
    // the exec runs in its own fiber: the container's death (or an OOM kill from inside it) ends it, not the caller
    const fiber = yield* Effect.forkIn(
      interpreter.runArgv(program._tag === "Sleep" ? argv : program.argv, ctx),
      scope,
      { startImmediately: true }
    )
    // (an exec that ended the container already has no container to die with)
    const proc = running(inst)
    const execs = proc === undefined ? new Set<Fiber.Fiber<number>>() : (proc.execs ??= new Set())
    execs.add(fiber)
    const result = yield* Effect.timeoutOption(Fiber.await(fiber), timeoutSeconds * 1000).pipe(
      Effect.ensuring(Effect.sync(() => execs.delete(fiber)))
    )
    const output = lines.length === 0 ? "" : `${lines.join("\n")}\n`
    if (result._tag === "None") {
      yield* Fiber.interrupt(fiber)
      return { exitCode: -1, output: `command "${argv.join(" ")}" timed out` } satisfies ExecResult
    }
    const exit = result.value
    return { exitCode: exit._tag === "Success" ? exit.value : 137, output } satisfies ExecResult
  })

  const probePort = (sandboxId: string, port: number, kind: "http" | "tcp" | "grpc", path?: string) =>
    Effect.sync(() => {
      const sb = sandboxes.get(sandboxId)
      if (sb === undefined || sb.state !== "ready") return false
      const listener = network.listener(sandboxId, port)
      if (listener === undefined) return false
      if (kind !== "http") return true
      const answer = listener.http?.(path ?? "/")
      return answer === undefined || (answer.status >= 200 && answer.status < 400)
    })

  const logs = (containerId: string) =>
    Effect.sync((): ReadonlyArray<LogLine> => instances.get(containerId)?.logs?.read(timeOf) ?? [])

  const service: ContainerRuntime["Service"] = {
    /** changes with whatever `listSandboxes(uid)` / `listContainers(uid)` report (`kubelet/BackoffFastPath.ts`) */
    podRevisionUnsafe: (podUid: string): number => revisions.get(podUid) ?? -1,
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
    removeContainer,
    listContainers,
    exec,
    probePort,
    logs,
    killContainer: (containerId, exitCode, reason) =>
      Effect.sync(() => {
        const inst = instances.get(containerId)
        if (inst === undefined || inst.state !== "running") return false
        kill(inst, exitCode, reason)
        return true
      }),
    events: Stream.fromPubSub(pubsub),
    observeEvents
  }
  return ContainerRuntime.of(service)
})
