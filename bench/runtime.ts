/**
 * The process runtime benchmark: create-to-Running latency of P pods (one container `sleep 60`,
 * image preloaded) on a one-node cluster over the process runtime in host mode (the Cluster facade:
 * store, kubelet, real processes, the live clock), against the same P processes started with plain
 * `child_process.spawn` in the same process and run. Two rounds:
 * - sequential: create one pod, wait until the watch shows it Running, then the next (the cost of
 *   one pod: store write, watch, sync, sandbox, spawn, status write, watch); each pod is paired
 *   with one plain spawn right before it, so both see the same machine load;
 * - burst: P plain spawns at once, then all P pods at once; each latency counts from the burst's
 *   start (a client that asks for P pods at once waits from then, whenever its create call runs).
 * - engine (on request): the burst on the simulated runtime, live clock: what the engine alone
 *   costs per pod (no process), to tell the engine's share of the burst from the runtime's;
 * - linux: the sequential round in Linux isolation mode (network namespace, UTS pause process,
 *   runc/crun, memory cgroup per pod), when the machine can (root, Linux, an OCI runtime); target
 *   p99 < 150 ms.
 * Plain spawn: until `spawn` returns in this process (libuv returns once the child has exec'd). A
 * pod is Running once the runtime has the container's pid, which its spawn helper reports after the
 * same `spawn` returns in the helper: both count until the exec. Prints p50/p99, the ratios and this
 * process's CPU time per pod (what the engine and runtime cost, whatever the machine's load), all
 * threads and the main thread alone (the event loop every pod waits on), and ends with `RESULT runtime {json}`. Target (host mode): p50 and p99 within 1.5× plain spawn + 5 ms.
 *
 * Options: `--pods=100` (fewer while iterating), `--rounds=sequential,burst,linux[,engine]` (a round may
 * repeat), `--spawner=helper|direct` (the runtime's spawn helper process, the default, or spawns from
 * this process), `--profile=DIR` (a V8 CPU profile of each round's pods only, plain spawns left out,
 * written to `DIR/<round>-<n>.cpuprofile`), `--timeline` (when each step of create-to-Running
 * happened: the create call, the runtime's calls, Running stored and watched; a diagnostic, its
 * wrapper adds a little to each runtime call), `--marks` (prints `MARK start|end <ns>` on
 * CLOCK_MONOTONIC around each round's pods, to cut a `perf record -k CLOCK_MONOTONIC` of this
 * process to them).
 */
import { spawn } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { join } from "node:path"
import type { Pod } from "@podlet/core/api/Pod"
import type { ClusterOptions } from "@podlet/core/Cluster"
import { makeCluster } from "@podlet/core/Cluster"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import type { RuntimeMode } from "@podlet/platform-node/linux/Detect"
import { chooseMode, machineFacts } from "@podlet/platform-node/linux/Detect"
import { RuntimeProcess, thisMachine } from "@podlet/platform-node/RuntimeProcess"
import { Deferred, Effect, Layer, Stream } from "effect"

const image = "busybox:1.36"
const target = { factor: 1.5, plusMs: 5, linuxP99Ms: 150 }

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

/** Nearest-rank percentile: the ⌈q·n⌉-th smallest (p99 of 100 samples is the 99th, not the maximum). */
const quantile = (values: ReadonlyArray<number>, q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)] ?? Number.NaN
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits

interface Figures {
  readonly p50: number
  readonly p99: number
}

const figures = (latencies: ReadonlyArray<number>): Figures => ({
  p50: round(quantile(latencies, 0.5)),
  p99: round(quantile(latencies, 0.99))
})

const podObject = (name: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    nodeName: "n1",
    terminationGracePeriodSeconds: 0,
    containers: [{ name: "sleep", image, imagePullPolicy: "IfNotPresent", command: ["sleep", "60"] }]
  }
})

/**
 * Plain spawns of `sleep 60` (killed when the round ends): latency from the call (or from `since`,
 * a burst's start) to the return of `spawn`, which libuv gives once the child has exec'd (confirmed
 * by the `spawn` event; in a burst the events come only after every call returned).
 */
const makePlain = () => {
  const children: Array<ReturnType<typeof spawn>> = []
  const one = (since?: number): Promise<number> => {
    const start = since ?? performance.now()
    const child = spawn("sleep", ["60"], { detached: true, stdio: ["ignore", "pipe", "pipe"] })
    const running = performance.now()
    children.push(child)
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve(running - start))
      child.once("error", reject)
    })
  }
  const killAll = (): void => {
    for (const child of children.splice(0)) if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
  }
  return { one, killAll }
}

/** Records a CPU profile of what runs between `start` and `stop` (sampled every 100 µs). */
interface Profiler {
  readonly start: () => Promise<void>
  readonly stop: () => Promise<void>
}

const noProfiler: Profiler = { start: async () => {}, stop: async () => {} }

/** `MARK start|end <CLOCK_MONOTONIC ns>` lines around the measured part (perf's clock with `-k CLOCK_MONOTONIC`). */
const markingProfiler = (inner: Profiler): Profiler => ({
  start: async () => {
    await inner.start()
    process.stdout.write(`MARK start ${process.hrtime.bigint()}\n`)
  },
  stop: async () => {
    process.stdout.write(`MARK end ${process.hrtime.bigint()}\n`)
    await inner.stop()
  }
})

const makeProfiler = (file: string): Profiler => {
  const session = new Session()
  return {
    start: async () => {
      session.connect()
      await session.post("Profiler.enable")
      await session.post("Profiler.setSamplingInterval", { interval: 100 })
      await session.post("Profiler.start")
    },
    stop: async () => {
      const { profile } = await session.post("Profiler.stop")
      writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    }
  }
}

/**
 * `--timeline`: when each step of a pod's create-to-Running happened (`performance.now()`): the
 * create call and its return, the kubelet's runtime calls (`>` called, `<` returned), the Running
 * status delivered to a store observer (as the kubelet's informer hears it) and to the bench's watch.
 */
type Timeline = Map<string, Map<string, number>>

const mark = (timeline: Timeline | undefined, pod: string, step: string): void => {
  if (timeline === undefined) return
  let steps = timeline.get(pod)
  if (steps === undefined) timeline.set(pod, (steps = new Map()))
  if (!steps.has(step)) steps.set(step, performance.now())
}

/** The node's runtime with its sandbox and container calls marked on `timeline`. */
const timedRuntime =
  (timeline: Timeline, runtime: NonNullable<ClusterOptions["runtime"]>): NonNullable<ClusterOptions["runtime"]> =>
  (node) =>
    Layer.effect(
      ContainerRuntime,
      Effect.gen(function* () {
        const inner = yield* ContainerRuntime
        const podOf = new Map<string, string>()
        const timed = <A, E>(pod: string | undefined, step: string, effect: Effect.Effect<A, E>) =>
          pod === undefined
            ? effect
            : Effect.suspend(() => {
                mark(timeline, pod, `${step}>`)
                return Effect.tap(effect, () => Effect.sync(() => mark(timeline, pod, `${step}<`)))
              })
        return ContainerRuntime.of({
          ...inner,
          runPodSandbox: (config) =>
            Effect.tap(timed(config.podName, "sandbox", inner.runPodSandbox(config)), (sandbox) =>
              Effect.sync(() => podOf.set(sandbox.id, config.podName))
            ),
          createContainer: (sandboxId, config) => {
            const pod = podOf.get(sandboxId)
            return Effect.tap(timed(pod, "createContainer", inner.createContainer(sandboxId, config)), (id) =>
              Effect.sync(() => {
                if (pod !== undefined) podOf.set(id, pod)
              })
            )
          },
          startContainer: (id) => timed(podOf.get(id), "startContainer", inner.startContainer(id))
        })
      })
    ).pipe(Layer.provide(runtime(node)))

const timelineSteps = [
  "create>",
  "create<",
  "sandbox>",
  "sandbox<",
  "createContainer>",
  "createContainer<",
  "startContainer>",
  "startContainer<",
  "Running stored",
  "Running watched"
]

/**
 * Per step: min, p50, p90 and max of its time since the pod's start (the create call, or the
 * burst's start) and of the gap from the step before; then the steps of the three slowest pods.
 */
const timelineLines = (timeline: Timeline, since: (pod: string) => number): Array<string> => {
  const lines: Array<string> = []
  for (const step of timelineSteps) {
    const at: Array<number> = []
    const gaps: Array<number> = []
    for (const [pod, steps] of timeline) {
      const t = steps.get(step)
      if (t === undefined) continue
      at.push(t - since(pod))
      const before = timelineSteps.slice(0, timelineSteps.indexOf(step)).findLast((s) => steps.has(s))
      if (before !== undefined) gaps.push(t - steps.get(before)!)
    }
    if (at.length === 0) continue
    lines.push(
      `  ${step.padEnd(18)} at min ${round(Math.min(...at))} p50 ${round(quantile(at, 0.5))} p90 ${round(quantile(at, 0.9))} max ${round(Math.max(...at))}` +
        (gaps.length === 0
          ? ""
          : `; since the step before p50 ${round(quantile(gaps, 0.5))} p90 ${round(quantile(gaps, 0.9))} max ${round(Math.max(...gaps))}`)
    )
  }
  const total = (steps: Map<string, number>, pod: string): number => (steps.get("Running watched") ?? 0) - since(pod)
  const slowest = [...timeline].sort(([a, x], [b, y]) => total(y, b) - total(x, a)).slice(0, 3)
  for (const [pod, steps] of slowest) {
    const gaps: Array<string> = []
    let before: number | undefined
    for (const step of timelineSteps) {
      const t = steps.get(step)
      if (t === undefined) continue
      gaps.push(`${step} +${round(t - (before ?? since(pod)))}`)
      before = t
    }
    lines.push(`  slow ${pod}: ${gaps.join(", ")}`)
  }
  return lines
}

/** Pods on the process runtime: latency from `create` to the watch showing the pod Running. */
const podsOnProcessRuntime = (
  count: number,
  burst: boolean,
  mode: RuntimeMode | "simulated" = "host",
  spawner: "helper" | "direct" = "helper",
  profiler: Profiler = noProfiler,
  timeline?: Timeline
) =>
  Effect.gen(function* () {
    const runtime = mode === "simulated" ? {} : RuntimeProcess.clusterOptions({ mode, spawner })
    const cluster = yield* makeCluster({
      ...runtime,
      ...(timeline === undefined || runtime.runtime === undefined
        ? {}
        : { runtime: timedRuntime(timeline, runtime.runtime) }),
      nodes: [{ ...thisMachine("n1"), images: [image] }],
      kubernetesService: false
    })
    if (timeline !== undefined && cluster.store.observe !== undefined) {
      yield* cluster.store.observe<Pod>(
        "pods",
        { namespace: "default" },
        {
          onEvents: (events) => {
            for (const event of events)
              if (event.object.status?.phase === "Running")
                mark(timeline, event.object.metadata.name ?? "", "Running stored")
          },
          onEnd: () => {}
        }
      )
    }
    const running = new Map<string, Deferred.Deferred<number>>()
    for (let i = 0; i < count; i++) running.set(`p-${i}`, Deferred.makeUnsafe<number>())
    yield* cluster.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          const pod = event.object
          if (pod.status?.phase !== "Running") return
          const done = running.get(pod.metadata.name ?? "")
          if (done === undefined) return
          mark(timeline, pod.metadata.name ?? "", "Running watched")
          Deferred.doneUnsafe(done, Effect.succeed(performance.now()))
        })
      ),
      Effect.forkScoped
    )
    yield* Effect.yieldNow
    const one = (i: number, since?: number) =>
      Effect.gen(function* () {
        const start = since ?? performance.now()
        mark(timeline, `p-${i}`, "create>")
        yield* cluster.store.create("pods", podObject(`p-${i}`)).pipe(Effect.orDie)
        mark(timeline, `p-${i}`, "create<")
        const at = yield* Deferred.await(running.get(`p-${i}`)!)
        return at - start
      })
    const plain = makePlain()
    const indexes = Array.from({ length: count }, (_, i) => i)
    let plainLatencies: ReadonlyArray<number>
    let latencies: ReadonlyArray<number>
    let wall0: number
    let plainCpu = zeroCpu
    let cpu: CpuReading
    if (burst) {
      const before = readCpu()
      const plain0 = performance.now()
      plainLatencies = yield* Effect.promise(() => Promise.all(indexes.map(() => plain.one(plain0))))
      plainCpu = cpuSince(before)
      plain.killAll()
      yield* Effect.promise(profiler.start)
      wall0 = performance.now()
      const cpu0 = readCpu()
      latencies = yield* Effect.forEach(indexes, (i) => one(i, wall0), { concurrency: "unbounded" })
      cpu = cpuSince(cpu0)
      yield* Effect.promise(profiler.stop)
    } else {
      const pairs: Array<number> = []
      yield* Effect.promise(profiler.start)
      wall0 = performance.now()
      const cpu0 = readCpu()
      latencies = yield* Effect.forEach(indexes, (i) =>
        Effect.gen(function* () {
          const before = readCpu()
          pairs.push(yield* Effect.promise(() => plain.one()))
          plainCpu = cpuPlus(plainCpu, cpuSince(before))
          return yield* one(i)
        })
      )
      cpu = cpuMinus(cpuSince(cpu0), plainCpu)
      yield* Effect.promise(profiler.stop)
      plainLatencies = pairs
      plain.killAll()
    }
    return {
      latencies,
      plain: plainLatencies,
      wallMs: performance.now() - wall0,
      startedAt: wall0,
      cpuPerPod: cpuPer(cpu, count),
      plainCpuPerSpawn: cpuPer(plainCpu, count)
    }
  }).pipe(Effect.scoped)

/**
 * CPU time in ms: this process's (every thread: libuv's pool, V8's compiler and GC helpers), its main
 * thread's alone (the event loop every pod waits on) and the process runtime's helper processes'
 * (the spawn helper and the watchdog, children of this process). Linux: from `schedstat`; elsewhere
 * the main thread counts as the process and the helpers as 0.
 */
interface CpuReading {
  readonly process: number
  readonly main: number
  readonly helpers: number
}

const zeroCpu: CpuReading = { process: 0, main: 0, helpers: 0 }
const helperMarkers = ["podlet-spawn-helper", "podlet-watchdog"]

/** On-CPU nanoseconds of task `task` (`/proc/<pid>/task/<tid>`), from its schedstat. */
const taskNanos = (task: string): number => Number(readFileSync(`${task}/schedstat`, "utf8").split(" ")[0])

const helperMillis = (): number => {
  let nanos = 0
  const children = readFileSync(`/proc/self/task/${process.pid}/children`, "utf8").split(" ").filter(Boolean)
  for (const pid of children) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8")
      if (!helperMarkers.some((marker) => cmdline.includes(marker))) continue
      for (const tid of readdirSync(`/proc/${pid}/task`)) nanos += taskNanos(`/proc/${pid}/task/${tid}`)
    } catch {
      // the child ended meanwhile
    }
  }
  return nanos / 1e6
}

const readCpu = (): CpuReading => {
  const usage = process.cpuUsage()
  const all = (usage.user + usage.system) / 1000
  try {
    return { process: all, main: taskNanos(`/proc/self/task/${process.pid}`) / 1e6, helpers: helperMillis() }
  } catch {
    return { process: all, main: all, helpers: 0 }
  }
}

const cpuMinus = (a: CpuReading, b: CpuReading): CpuReading => ({
  process: a.process - b.process,
  main: a.main - b.main,
  helpers: a.helpers - b.helpers
})
const cpuPlus = (a: CpuReading, b: CpuReading): CpuReading => ({
  process: a.process + b.process,
  main: a.main + b.main,
  helpers: a.helpers + b.helpers
})
const cpuSince = (before: CpuReading): CpuReading => cpuMinus(readCpu(), before)
const cpuPer = (cpu: CpuReading, count: number): CpuReading => ({
  process: round(cpu.process / count),
  main: round(cpu.main / count),
  helpers: round(cpu.helpers / count)
})

const within = (runtime: Figures, plain: Figures): boolean =>
  runtime.p50 <= plain.p50 * target.factor + target.plusMs && runtime.p99 <= plain.p99 * target.factor + target.plusMs

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const pods = Number(option(args, "pods", "100"))
  const rounds = option(args, "rounds", "sequential,burst,linux").split(",")
  const spawner = option(args, "spawner", "helper") === "direct" ? "direct" : "helper"
  const profileDir = option(args, "profile", "")
  const marks = args.includes("--marks")
  const timelines = args.includes("--timeline")
  if (profileDir !== "") mkdirSync(profileDir, { recursive: true })
  const linux = chooseMode("auto", machineFacts())
  // warm-up: the first spawns and the first cluster pay for module loading and JIT
  await Effect.runPromise(podsOnProcessRuntime(10, false, "host", spawner))
  const lines: Array<string> = []
  const result: Record<string, unknown> = { pods, spawner }
  let ok = true
  for (const [n, round_] of rounds.entries()) {
    const burst = round_ === "burst" || round_ === "engine"
    if (round_ === "linux" && linux.mode !== "linux") {
      lines.push(`linux: skipped (${linux.reason})`)
      result[round_] = { skipped: linux.reason }
      continue
    }
    const timeline: Timeline | undefined = timelines ? new Map() : undefined
    const measured = await Effect.runPromise(
      podsOnProcessRuntime(
        pods,
        burst,
        round_ === "linux" ? "linux" : round_ === "engine" ? "simulated" : "host",
        spawner,
        (marks ? markingProfiler : (p: Profiler) => p)(
          profileDir === "" ? noProfiler : makeProfiler(join(profileDir, `${round_}-${n}.cpuprofile`))
        ),
        timeline
      )
    )
    if (timeline !== undefined) {
      const since = (pod: string): number =>
        burst ? measured.startedAt : (timeline.get(pod)?.get("create>") ?? measured.startedAt)
      lines.push(`${round_} timeline (ms since ${burst ? "the burst's start" : "the create call"}):`)
      lines.push(...timelineLines(timeline, since))
    }
    const plain = figures(measured.plain)
    const host = figures(measured.latencies)
    const ratio = { p50: round(host.p50 / plain.p50), p99: round(host.p99 / plain.p99) }
    const pass = round_ === "linux" ? host.p99 < target.linuxP99Ms : round_ === "engine" ? true : within(host, plain)
    ok &&= pass
    const cpu = {
      perPodMs: measured.cpuPerPod.process,
      mainPerPodMs: measured.cpuPerPod.main,
      helpersPerPodMs: measured.cpuPerPod.helpers,
      plainPerSpawnMs: measured.plainCpuPerSpawn.process,
      plainMainPerSpawnMs: measured.plainCpuPerSpawn.main
    }
    lines.push(
      `${round_}: ${pods} pods create-to-Running p50 ${host.p50} ms, p99 ${host.p99} ms (wall ${round(measured.wallMs, 0)} ms, ` +
        `CPU ${cpu.perPodMs} ms/pod, main thread ${cpu.mainPerPodMs}, helpers ${cpu.helpersPerPodMs}); plain spawn p50 ${plain.p50} ms, p99 ${plain.p99} ms ` +
        `(CPU ${cpu.plainPerSpawnMs} ms/spawn, main thread ${cpu.plainMainPerSpawnMs}); ` +
        `ratio p50 ${ratio.p50}x, p99 ${ratio.p99}x; ` +
        (round_ === "linux"
          ? `target p99 < ${target.linuxP99Ms} ms: ${pass ? "met" : "missed"}`
          : `target ≤ 1.5x + 5 ms: ${pass ? "met" : "missed"}`)
    )
    result[round_] = { host, plain, ratio, cpu, wallMs: round(measured.wallMs, 0), targetMet: pass }
  }
  result["targetMet"] = ok
  process.stdout.write(`${lines.join("\n")}\n`)
  process.stdout.write(`RESULT runtime ${JSON.stringify({ ...result, target })}\n`)
}
