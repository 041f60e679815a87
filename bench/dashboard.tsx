/**
 * The dashboard benchmark (issue 6): the Ink dashboard (`App`) over an embedded cluster of P pods
 * with churn (90% `sleep 3600` pods and 10% crash-looping pods, clock at 10x), drawn to an
 * in-memory terminal of 160x40. Measures the time from a keypress written to Ink's stdin (scroll,
 * page, filter) to the frame with its effect written to stdout (p50, p95; under churn, and again
 * with the clock paused), the CPU of that frame (clock paused: its render time), the event loop's
 * delay under churn, the time from a source change notification to its frame, frames per second
 * under churn, and the CPU used while idle (clock paused). Ends with `RESULT dashboard {json}`.
 * The machine's load inflates wall times: the CPU figures say what the dashboard itself costs.
 *
 * Options: `--pods=10000 --nodes=<pods/100> --speed=10 --churn-seconds=5 --idle-seconds=10
 * --seed=store|engine --churn-rate=20 --profile` (`engine`: the pods come from two ReplicaSets run
 * by the engine's kubelets, minutes at 10k; `store`, the default: see `seedStore`; `--profile`: a
 * .cpuprofile of the churn and keypress phases in bench/profiles).
 * React and Ink run their production builds (NODE_ENV=production), as `npm start` would ship, with
 * the render options `podlet` uses (`RenderOptions`).
 */
import { EventEmitter } from "node:events"
import { mkdirSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { loadavg } from "node:os"
import { dirname, join } from "node:path"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import type { ContainerStatus, Lease, Node, Pod, PodStatus } from "@podlet/core"
import { NodeLeaseNamespace, toMicroTime } from "@podlet/core/control/NodeHeartbeat"
import { toRfc3339 } from "@podlet/core/domain/Time"
import type { EmbeddedSource } from "@podlet/tui/source/EmbeddedSource"
import { Clock, Effect } from "effect"

const bsu = "\x1b[?2026h"
const esu = "\x1b[?2026l"
const target = { keyP95Ms: 50, idleCpuPercent: 2 }
const here = dirname(fileURLToPath(import.meta.url))

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * A terminal of fixed size that records each frame Ink writes and when it was complete. Ink wraps
 * a frame in synchronized-output marks (BSU ... ESU) on a TTY: a frame ends at its ESU.
 */
class FakeStdout extends EventEmitter {
  readonly isTTY = true
  readonly columns = 160
  readonly rows = 40
  frames = 0
  last = ""
  private current = ""
  private waiters: Array<(at: number) => void> = []
  write = (chunk: string): boolean => {
    if (chunk === bsu) this.current = ""
    else if (chunk !== esu) this.current += chunk
    else {
      const at = performance.now()
      this.frames++
      this.last = this.current
      const waiters = this.waiters
      this.waiters = []
      for (const w of waiters) w(at)
    }
    return true
  }
  /** resolves with the time of the next write, or undefined after `timeoutMs` */
  nextFrame(timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done)
        resolve(undefined)
      }, timeoutMs)
      const done = (at: number) => {
        clearTimeout(timer)
        resolve(at)
      }
      this.waiters.push(done)
    })
  }
}

/** A raw-mode stdin like ink-testing-library's: emits 'readable' and hands the bytes to read(). */
class FakeStdin extends EventEmitter {
  readonly isTTY = true
  private data: string | null = null
  send(bytes: string): void {
    this.data = bytes
    this.emit("readable")
    this.emit("data", bytes)
  }
  read = (): string | null => {
    const data = this.data
    this.data = null
    return data
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const replicaSet = (name: string, replicas: number, command: string): string => `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "${command}"]
`

const benchNode = (name: string, index: number, now: number): Node => {
  const time = toRfc3339(now)
  const capacity = { cpu: "64", memory: "256Gi", pods: "110" }
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    spec: { podCIDR: `10.${100 + Math.floor(index / 256)}.${index % 256}.0/24` },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: time,
          lastTransitionTime: time
        }
      ],
      addresses: [{ type: "InternalIP", address: `172.19.${Math.floor(index / 256)}.${index % 256}` }]
    }
  }
}

const lease = (node: string, now: number): Lease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: node, namespace: NodeLeaseNamespace },
  spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: toMicroTime(now) }
})

const benchPod = (name: string, app: string, node: string, command: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", labels: { app } },
  spec: {
    nodeName: node,
    containers: [{ name: "main", image: "busybox:1.36", command: ["sh", "-c", command] }]
  }
})

/** A crash-looping pod's status at step `step` of its cycle: Running, Error, CrashLoopBackOff, Running… */
const crashStatus = (pod: Pod, step: number, ip: string, now: number): PodStatus => {
  const time = toRfc3339(now)
  const restarts = Math.floor(step / 3)
  const phase = step % 3
  const terminated = { exitCode: 1, reason: "Error", startedAt: time, finishedAt: time }
  const state: ContainerStatus["state"] =
    phase === 0
      ? { running: { startedAt: time } }
      : phase === 1
        ? { terminated }
        : { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container" } }
  return runningStatus(pod, ip, now, {
    ready: phase === 0,
    restartCount: restarts,
    state,
    lastState: restarts > 0 || phase === 2 ? { terminated } : {}
  })
}

const runningStatus = (
  pod: Pod,
  ip: string,
  now: number,
  container: Pick<ContainerStatus, "ready" | "restartCount" | "state" | "lastState">
): PodStatus => {
  const time = toRfc3339(now)
  const ready = container.ready ? "True" : "False"
  return {
    ...pod.status,
    phase: "Running",
    conditions: [
      { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: time },
      { type: "Initialized", status: "True", lastTransitionTime: time },
      { type: "Ready", status: ready, lastTransitionTime: time },
      { type: "ContainersReady", status: ready, lastTransitionTime: time },
      { type: "PodScheduled", status: "True", lastTransitionTime: time }
    ],
    hostIP: "172.19.0.1",
    podIP: ip,
    podIPs: [{ ip }],
    startTime: pod.status?.startTime ?? time,
    containerStatuses: [
      {
        name: "main",
        image: "docker.io/library/busybox:1.36",
        imageID: "docker.io/library/busybox@sha256:bench",
        containerID: `containerd://${pod.metadata.uid ?? ""}`,
        started: container.ready,
        ...container
      }
    ]
  }
}

/**
 * The store seed (`--seed=store`, default): P pods written straight into the embedded cluster's
 * store, bound to P/100 nodes that have no kubelet (their Leases renewed by the churn), 90% running
 * `sleep 3600` and 10% crash-looping. The churn is the status writes a kubelet would make: each
 * virtual second `--churn-rate` crash-looping pods take their next step (Running, Error,
 * CrashLoopBackOff, Running with one more restart). The dashboard sees all of it through its
 * normal path (the source's store watches); the engine's own speed at 10k pods is not measured here.
 */
const seedStore = async (source: EmbeddedSource, pods: number, nodeCount: number, churnRate: number) => {
  const { store } = source.cluster
  const now0 = await source.run(Clock.currentTimeMillis)
  const nodes = Array.from({ length: nodeCount }, (_, i) => `bench-${String(i).padStart(3, "0")}`)
  const crashing = Math.round(pods / 10)
  const latest = new Map<string, Pod>()
  const crashers: Array<string> = []
  const steps = new Map<string, number>()
  await source.run(
    Effect.gen(function* () {
      for (const [i, name] of nodes.entries()) {
        yield* store.create("nodes", benchNode(name, i, now0))
        yield* store.create("leases", lease(name, now0))
      }
      for (let i = 0; i < pods; i++) {
        const crash = i < crashing
        const name = crash ? `crashers-${String(i).padStart(5, "0")}` : `sleepers-${String(i).padStart(5, "0")}`
        const node = nodes[i % nodes.length] ?? ""
        const created = yield* store.create(
          "pods",
          benchPod(name, crash ? "crashers" : "sleepers", node, crash ? "sleep 2; exit 1" : "sleep 3600")
        )
        const ip = `10.${100 + Math.floor((i % nodes.length) / 256)}.${(i % nodes.length) % 256}.${2 + Math.floor(i / nodes.length)}`
        const status = crash
          ? crashStatus(created.object, 0, ip, now0)
          : runningStatus(created.object, ip, now0, {
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: toRfc3339(now0) } },
              lastState: {}
            })
        const running = yield* store.updateStatus("pods", { ...created.object, status })
        latest.set(name, running.object)
        if (crash) {
          crashers.push(name)
          steps.set(name, 0)
        }
      }
    }).pipe(Effect.orDie)
  )

  let lastChurn = now0
  let lastLease = now0
  let next = 0
  let busy = false
  const churnOnce = async () => {
    const now = await source.run(Clock.currentTimeMillis)
    const due = Math.floor(((now - lastChurn) / 1000) * churnRate)
    const renew = now - lastLease >= 10_000
    if (due <= 0 && !renew) return
    if (due > 0) lastChurn = now
    if (renew) lastLease = now
    await source.run(
      Effect.gen(function* () {
        for (let k = 0; k < due && crashers.length > 0; k++) {
          const name = crashers[next++ % crashers.length] ?? ""
          const pod = latest.get(name)
          if (pod === undefined) continue
          const step = (steps.get(name) ?? 0) + 1
          steps.set(name, step)
          const written = yield* store.updateStatus("pods", {
            ...pod,
            status: crashStatus(pod, step, pod.status?.podIP ?? "", now)
          })
          latest.set(name, written.object)
        }
        if (renew)
          for (const node of nodes) {
            const current = yield* store.get<Lease>("leases", NodeLeaseNamespace, node)
            yield* store.update("leases", { ...current, spec: { ...current.spec, renewTime: toMicroTime(now) } })
          }
      }).pipe(Effect.orDie)
    )
  }
  // the kubelets' status writes, on the virtual clock: nothing while it is paused
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    churnOnce().finally(() => {
      busy = false
    })
  }, 100)
  return { stop: () => clearInterval(timer) }
}

/**
 * Scroll, page and filter keys, as a terminal sends them; each changes the frame, and the whole
 * sequence starts from the top of the list.
 */
const keySequence: ReadonlyArray<readonly [string, string]> = [
  ...Array.from({ length: 15 }, () => ["scroll", "j"] as const),
  ...Array.from({ length: 15 }, () => ["scroll", "k"] as const),
  ...Array.from({ length: 5 }, () => ["page", "\x1b[6~"] as const),
  ...Array.from({ length: 5 }, () => ["page", "\x1b[5~"] as const),
  ["filter", "/"],
  ...[..."crash"].map((c) => ["filter", c] as const),
  ["filter", "\r"],
  ...Array.from({ length: 5 }, () => ["scroll", "j"] as const),
  ...Array.from({ length: 5 }, () => ["scroll", "k"] as const),
  ["filter", "/"],
  ["filter", "\r"]
]

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  // before React and Ink load: their production builds
  process.env.NODE_ENV = "production"
  // colours on, as in a terminal: without them the selection (inverse) is invisible and a scroll
  // inside the first screen draws no new frame
  process.env.FORCE_COLOR = "1"
  const pods = Number(option(args, "pods", "10000"))
  const nodeCount = Number(option(args, "nodes", String(Math.max(1, Math.ceil(pods / 100)))))
  const speed = Number(option(args, "speed", "10"))
  const churnSeconds = Number(option(args, "churn-seconds", "5"))
  const idleSeconds = Number(option(args, "idle-seconds", "10"))
  const seed = option(args, "seed", "store")
  const churnRate = Number(option(args, "churn-rate", "20"))
  const crashing = Math.round(pods / 10)
  const sleeping = pods - crashing

  const { createElement } = await import("react")
  const { render } = await import("ink")
  const { App } = await import("@podlet/tui/ui/App")
  const { renderOptions } = await import("@podlet/tui/ui/RenderOptions")
  const { makeEmbeddedSource } = await import("@podlet/tui/source/EmbeddedSource")

  const setupStart = performance.now()
  let churn = { stop: () => {} }
  let source: EmbeddedSource
  if (seed === "engine") {
    const nodes = Array.from({ length: nodeCount }, (_, i) => `node-${String(i).padStart(3, "0")}`)
    source = await makeEmbeddedSource({ cluster: { nodes }, speed, paused: true })
    await source.apply(replicaSet("sleepers", sleeping, "sleep 3600"))
    await source.apply(replicaSet("crashers", crashing, "sleep 2; exit 1"))
    for (let i = 0; i < 30 && source.snapshot().pods.length < pods; i++) await source.advance(5_000)
    await source.advance(30_000)
  } else {
    source = await makeEmbeddedSource({ cluster: { nodes: ["node-1", "node-2", "node-3"] }, speed, paused: true })
    churn = await seedStore(source, pods, nodeCount, churnRate)
    // the source's watches deliver the last writes on the event loop
    for (let i = 0; i < 100 && source.snapshot().pods.length < pods; i++) await sleep(50)
  }
  const setupMs = performance.now() - setupStart
  const podCount = source.snapshot().pods.length
  process.stdout.write(
    `setup (${seed} seed): ${podCount} pods on ${nodeCount} nodes in ${round(setupMs / 1000)} s (load ${loadavg()
      .map((l) => round(l, 2))
      .join(" ")})\n`
  )

  // Source notifications, timed from the moment the source calls the app's listener to the next frame.
  const notifyFrameMs: Array<number> = []
  let notifications = 0
  const timedSource = Object.assign(Object.create(source) as typeof source, {
    subscribe: (listener: () => void) =>
      source.subscribe(() => {
        notifications++
        const at = performance.now()
        const frames = stdout.frames
        listener()
        // a frame written during the listener was rendered synchronously; otherwise time the next one
        if (stdout.frames > frames) notifyFrameMs.push(performance.now() - at)
        else
          void stdout.nextFrame(1_000).then((t) => {
            if (t !== undefined) notifyFrameMs.push(t - at)
          })
      })
  })

  const stdout = new FakeStdout()
  const stdin = new FakeStdin()
  const firstStart = performance.now()
  const instance = render(createElement(App, { source: timedSource, readManifest: async () => "" }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    ...renderOptions,
    exitOnCtrlC: false,
    patchConsole: false
  })
  let failure: unknown
  instance.waitUntilExit().catch((e: unknown) => {
    failure = e
  })
  const firstFrameMs = performance.now() - firstStart
  if (!stdout.last.includes(`pods (${podCount})`)) throw new Error(`first frame lacks the pods: ${stdout.last}`)

  // --profile: a .cpuprofile of the churn and keypress phases in bench/profiles
  const session = args.includes("--profile") ? new Session() : undefined
  if (session !== undefined) {
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
  }
  // how long the event loop was held (a keypress waits for whatever holds it), during churn and keys
  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  loopDelay.enable()

  // churn: the clock runs at `speed`, the app redraws on the source's notifications
  await source.setClock({ paused: false, speed })
  const churnFrames0 = stdout.frames
  const churnCpu0 = process.cpuUsage()
  const churnStart = performance.now()
  await sleep(churnSeconds * 1000)
  const churnWall = performance.now() - churnStart
  const churnCpu = process.cpuUsage(churnCpu0)
  const churnFps = ((stdout.frames - churnFrames0) / churnWall) * 1000
  const churnCpuPercent = ((churnCpu.user + churnCpu.system) / 1000 / churnWall) * 100

  // keypresses: each waits for its frame (a slow frame must not hide behind the next key)
  const pressKeys = async () => {
    const ms: Record<string, Array<number>> = { scroll: [], page: [], filter: [] }
    // CPU of this process from the keypress to its frame (on a loaded machine wall time also counts waiting)
    const cpuMs: Array<number> = []
    let missed = 0
    // from the top of the unfiltered list (Esc clears the filter, g goes to the top)
    for (const bytes of ["\x1b", "g"]) {
      const frame = stdout.nextFrame(500)
      stdin.send(bytes)
      await frame
    }
    for (const [kind, bytes] of keySequence) {
      await sleep(20 + Math.random() * 40)
      const frame = stdout.nextFrame(2_000)
      const cpu0 = process.cpuUsage()
      const at = performance.now()
      stdin.send(bytes)
      const t = await frame
      const cpu = process.cpuUsage(cpu0)
      cpuMs.push((cpu.user + cpu.system) / 1000)
      if (t === undefined) {
        missed++
        if (process.env.DASH_DEBUG)
          process.stderr.write(`no frame for ${JSON.stringify(bytes)}: ${JSON.stringify(stdout.last.slice(-300))}\n`)
      } else ms[kind]?.push(t - at)
    }
    return { ms, all: Object.values(ms).flat(), missed, cpuMs }
  }
  // under churn: the engine's ticks share the event loop with the keys
  const churnKeys = await pressKeys()
  const keyMs = churnKeys.ms
  const allKeys = churnKeys.all
  const missed = churnKeys.missed
  const filtered = stdout.last
  loopDelay.disable()
  if (session !== undefined) {
    const { profile } = await session.post("Profiler.stop")
    mkdirSync(join(here, "profiles"), { recursive: true })
    const file = join(here, "profiles", `dashboard-${podCount}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    process.stdout.write(`profile: ${file}\n`)
  }
  // clock paused: the dashboard's own cost
  await source.setClock({ paused: true })
  await sleep(1_000)
  const pausedKeys = await pressKeys()

  // idle: clock paused, nothing to draw; measured after the key phase's garbage is collected
  await sleep(2_000)
  const idleFrames0 = stdout.frames
  const idleCpu0 = process.cpuUsage()
  const idleStart = performance.now()
  await sleep(idleSeconds * 1000)
  const idleWall = performance.now() - idleStart
  const idleCpu = process.cpuUsage(idleCpu0)
  const idleCpuPercent = ((idleCpu.user + idleCpu.system) / 1000 / idleWall) * 100
  const idleFrames = stdout.frames - idleFrames0

  instance.unmount()
  churn.stop()
  await source.close()
  if (failure !== undefined) throw failure

  const result = {
    pods: podCount,
    nodes: nodeCount,
    speed,
    setupSeconds: round(setupMs / 1000),
    firstFrameMs: round(firstFrameMs),
    keys: allKeys.length,
    missedKeys: missed,
    keyToFrameP50Ms: round(percentile(allKeys, 50)),
    keyToFrameP95Ms: round(percentile(allKeys, 95)),
    scrollP95Ms: round(percentile(keyMs.scroll ?? [], 95)),
    pageP95Ms: round(percentile(keyMs.page ?? [], 95)),
    filterP95Ms: round(percentile(keyMs.filter ?? [], 95)),
    keyCpuP50Ms: round(percentile(churnKeys.cpuMs, 50)),
    keyCpuP95Ms: round(percentile(churnKeys.cpuMs, 95)),
    pausedKeyToFrameP50Ms: round(percentile(pausedKeys.all, 50)),
    pausedKeyToFrameP95Ms: round(percentile(pausedKeys.all, 95)),
    // with the clock paused nothing else runs between a key and its frame: its CPU is the frame's render
    frameRenderCpuP50Ms: round(percentile(pausedKeys.cpuMs, 50)),
    frameRenderCpuP95Ms: round(percentile(pausedKeys.cpuMs, 95)),
    loopDelayP50Ms: round(loopDelay.percentile(50) / 1e6),
    loopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
    loopDelayMaxMs: round(loopDelay.max / 1e6),
    notifications,
    notifyToFrameP50Ms: round(percentile(notifyFrameMs, 50)),
    notifyToFrameP95Ms: round(percentile(notifyFrameMs, 95)),
    churnFps: round(churnFps),
    churnCpuPercent: round(churnCpuPercent),
    idleCpuPercent: round(idleCpuPercent, 2),
    idleFrames,
    loadavg1: round(loadavg()[0] ?? 0, 2),
    targets: target,
    met:
      percentile(allKeys, 95) <= target.keyP95Ms &&
      idleCpuPercent < target.idleCpuPercent &&
      missed + pausedKeys.missed === 0
  }
  process.stdout.write(
    `keypress -> frame: p50 ${result.keyToFrameP50Ms} ms, p95 ${result.keyToFrameP95Ms} ms (${allKeys.length} keys, ${missed} without a frame; scroll p95 ${result.scrollP95Ms}, page p95 ${result.pageP95Ms}, filter p95 ${result.filterP95Ms})\n` +
      `keypress -> frame, clock paused: p50 ${result.pausedKeyToFrameP50Ms} ms, p95 ${result.pausedKeyToFrameP95Ms} ms (${pausedKeys.missed} without a frame)\n` +
      `CPU from keypress to frame under churn: p50 ${result.keyCpuP50Ms} ms, p95 ${result.keyCpuP95Ms} ms\n` +
      `frame render (CPU of a keypress's frame, clock paused): p50 ${result.frameRenderCpuP50Ms} ms, p95 ${result.frameRenderCpuP95Ms} ms\n` +
      `event loop delay under churn: p50 ${result.loopDelayP50Ms} ms, p99 ${result.loopDelayP99Ms} ms, max ${result.loopDelayMaxMs} ms\n` +
      `notification -> frame: p50 ${result.notifyToFrameP50Ms} ms, p95 ${result.notifyToFrameP95Ms} ms (${notifications} notifications)\n` +
      `churn at ${speed}x: ${result.churnFps} frames/s, CPU ${result.churnCpuPercent}% of a core\n` +
      `idle (paused): CPU ${result.idleCpuPercent}% of a core, ${idleFrames} frames\n` +
      `last frame while filtering: ${filtered.split("\n")[1] ?? ""}\n` +
      `RESULT dashboard ${JSON.stringify(result)}\n`
  )
}
