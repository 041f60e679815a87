/**
 * The scheduler benchmark: a cluster of N nodes (the Cluster facade: store, scheduler, kubelets,
 * simulated runtimes) gets P pods (one `pause` container, image preloaded, no requests), all left to
 * the scheduler; the clock is virtual (the VirtualClock: the engine runs until no task is left, and
 * time moves 1 s only then). Half 1 ends when every pod is Running, half 2 (every pod deleted,
 * graceful) when every pod is gone; both are observed through one watch on pods.
 * Prints pods/s for each half, create-to-Running p50/p99 in virtual and in wall time, wall time,
 * CPU time, peak RSS and the heap after each half; ends with `RESULT scheduler {json}`.
 *
 * `--mode=scheduler` measures the scheduler alone: the store, Node objects and the scheduler, no
 * kubelets; half 1 ends when every pod is bound (PodScheduled=True), half 2 force-deletes them.
 * As the machine may be shared, pods per CPU-second are printed beside pods per wall-second.
 *
 * The whole cluster lives in one heap (about 40 KB per Running pod, more while deletions are
 * recorded): when the heap limit is below 100 KB per pod the bench runs itself again in a node
 * process with a larger `--max-old-space-size` (the work measured is the same).
 *
 * Options: `--pods=100000 --nodes=1000 --mode=full|scheduler --profile --heap` (profile: a
 * .cpuprofile in bench/profiles; heap: a heap snapshot there once every pod is Running).
 * Diagnostic: `--profile=start` or `--profile=delete` profiles only that half; `--threads` splits each
 * half's CPU between the main thread and the process's other threads (V8's GC and compiler helpers),
 * from Linux's per-thread schedstat.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { loadavg } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { getHeapStatistics, writeHeapSnapshot } from "node:v8"
import type { WatchEvent } from "@podlet/core/api/Meta"
import type { Node } from "@podlet/core/api/Objects"
import type { Pod } from "@podlet/core/api/Pod"
import { makeCluster } from "@podlet/core/Cluster"
import { makeScheduler } from "@podlet/core/control/Scheduler"
import { EventRecorderLive } from "@podlet/core/layers/EventRecorderLive"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import type { VirtualClock as Virtual } from "@podlet/core/layers/VirtualClock"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { EventRecorder } from "@podlet/core/services/EventRecorder"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Clock, Effect, Layer, Stream } from "effect"

const here = dirname(fileURLToPath(import.meta.url))
const target = { podsPerSec: 5_000 }
const pauseImage = "registry.k8s.io/pause:3.10"

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const quantile = (values: Float64Array, q: number): number => {
  const sorted = values.slice().sort()
  return sorted.length === 0 ? Number.NaN : (sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)] ?? Number.NaN)
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

const podObject = (i: number): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `p-${i}`, namespace: "default", labels: { bench: "scheduler" } },
  spec: { containers: [{ name: "pause", image: pauseImage, imagePullPolicy: "IfNotPresent" }] }
})

interface Half {
  readonly pods: number
  readonly wallMs: number
  readonly podsPerSec: number
  readonly cpuMs: number
  readonly podsPerCpuSec: number
}

type Mode = "full" | "scheduler"

const nodeName = (i: number): string => `node-${String(i).padStart(4, "0")}`

/** A bare Node object (scheduler mode): 110 pods, 32 CPUs, 128Gi. */
const nodeObject = (i: number): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: nodeName(i), labels: { "kubernetes.io/hostname": nodeName(i) } },
  spec: {},
  status: {
    capacity: { cpu: "32", memory: "128Gi", pods: "110" },
    allocatable: { cpu: "32", memory: "128Gi", pods: "110" }
  }
})

/** CPU ms of the main thread and of all the process's threads so far (Linux schedstat); undefined elsewhere. */
const threadCpuMs = (): { readonly main: number; readonly all: number } | undefined => {
  try {
    let main = 0
    let all = 0
    for (const tid of readdirSync("/proc/self/task")) {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0])
      all += ns
      if (Number(tid) === process.pid) main = ns
    }
    return { main: main / 1e6, all: all / 1e6 }
  } catch {
    return undefined
  }
}

/** What the two modes share: a store to write pods to and a time origin. */
interface Engine {
  readonly store: ObjectStore["Service"]
  readonly startedAt: number
  /** kubelet pod syncs so far, and of them the quiet ones (full mode) */
  readonly syncs?: () => { readonly syncs: number; readonly quiet: number }
}

/** Scheduler mode: the store, Node objects and the scheduler (with the event recorder), no kubelets. */
const schedulerOnly = (nodeCount: number) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const recorder = yield* EventRecorder
    for (let i = 0; i < nodeCount; i++) {
      const created = yield* store.create("nodes", nodeObject(i)).pipe(Effect.orDie)
      yield* store.updateStatus("nodes", { ...created.object, status: nodeObject(i).status }).pipe(Effect.orDie)
    }
    yield* makeScheduler({ store, recorder })
    return { store, startedAt: yield* Clock.currentTimeMillis } satisfies Engine
  }).pipe(Effect.provide(EventRecorderLive.layer.pipe(Layer.provideMerge(StoreMemory.layer))))

/**
 * A diagnostic probe a preloaded module may install (e.g. counting Effect operations): called with
 * "start", "running" and "deleted" at the halves' boundaries.
 */
const probe = (at: "start" | "running" | "deleted"): void => {
  const hook = (globalThis as { readonly __podletBenchProbe?: (at: string) => void }).__podletBenchProbe
  hook?.(at)
}

/** Starts and stops the CPU profile around one half (`--profile=start|delete`). */
interface HalfProfile {
  readonly half: "start" | "delete"
  readonly begin: () => Promise<void>
  readonly end: () => Promise<void>
}

const run = (
  pods: number,
  nodeCount: number,
  mode: Mode,
  heapSnapshot: boolean,
  halfProfile?: HalfProfile,
  threads = false
) =>
  Effect.gen(function* () {
    const wall0 = performance.now()
    const engine: Engine =
      mode === "full"
        ? yield* Effect.map(
            makeCluster({
              nodes: Array.from({ length: nodeCount }, (_, i) => ({ name: nodeName(i), images: [pauseImage] })),
              kubernetesService: false
            }),
            (cluster): Engine => ({
              store: cluster.store,
              startedAt: cluster.startedAt,
              syncs: () => {
                let syncs = 0
                let quiet = 0
                for (const node of cluster.nodes) {
                  syncs += node.kubelet.syncs()
                  quiet += node.kubelet.quietSyncs()
                }
                return { syncs, quiet }
              }
            })
          )
        : yield* schedulerOnly(nodeCount)
    const clock = yield* Clock.Clock
    const virtual = clock as Virtual
    // the nodes' registration (RegisteredNode events, first heartbeats) belongs to the setup, not to the pods
    yield* virtual.settle
    const setupMs = performance.now() - wall0
    const index = new Map<string, number>()
    const createdWall = new Float64Array(pods)
    const createdVirtual = new Float64Array(pods)
    const runningWall = new Float64Array(pods).fill(Number.NaN)
    const runningVirtual = new Float64Array(pods).fill(Number.NaN)
    let running = 0
    let deleted = 0
    /** pod watch events of the bench's pods (each is one write to a pod) */
    let podWrites = 0
    /** a line on stderr every tenth of the pods (a long run shows it is moving) */
    const tenth = Math.max(1, Math.floor(pods / 10))
    const progress = (what: string, n: number): void => {
      const cpu = process.cpuUsage()
      process.stderr.write(
        `  ${n} ${what}: wall ${round((performance.now() - wall0) / 1000)} s, cpu ${round((cpu.user + cpu.system) / 1e6)} s\n`
      )
    }
    /** full: Running; scheduler: bound */
    const reached = (pod: Pod): boolean =>
      mode === "full" ? pod.status?.phase === "Running" : (pod.spec.nodeName ?? "") !== ""
    /** one batch of the bench's pod watch */
    const receive = (events: ReadonlyArray<WatchEvent<Pod>>): void => {
      for (const event of events) {
        const i = index.get(event.object.metadata.name ?? "")
        if (i === undefined) continue
        podWrites++
        if (event.type === "DELETED") {
          if (++deleted % tenth === 0) progress("deleted", deleted)
        } else if (Number.isNaN(runningWall[i]!) && reached(event.object)) {
          runningWall[i] = performance.now()
          runningVirtual[i] = clock.currentTimeMillisUnsafe()
          if (++running % tenth === 0) progress(mode === "full" ? "Running" : "bound", running)
        }
      }
    }
    /** why the bench's watch ended, if it did (the run then stops) */
    let watchEnded: unknown
    // the bench's own watch (a `kubectl get pods -w`) costs as little as the store lets it: its callback face if it has one
    const observe = engine.store.observe
    if (observe !== undefined) {
      yield* observe<Pod>("pods", undefined, {
        onEvents: receive,
        onEnd: (error) => {
          watchEnded = error
        }
      })
    } else {
      yield* engine.store.watch<Pod>("pods").pipe(
        Stream.runForEachArray((events) => Effect.sync(() => receive(events))),
        Effect.forkScoped({ startImmediately: true })
      )
    }

    /** Runs the engine until `done`, moving the virtual clock 1 s whenever no task is left to run. */
    const until = (done: () => boolean) =>
      Effect.gen(function* () {
        yield* virtual.settle
        const limit = virtual.currentTimeMillisUnsafe() + 3_600_000
        while (!done()) {
          if (watchEnded !== undefined) {
            return yield* Effect.die(new Error(`the bench's pod watch ended: ${String(watchEnded)}`))
          }
          if (virtual.currentTimeMillisUnsafe() >= limit) {
            return yield* Effect.die(
              new Error(`not done after an hour of virtual time: ${running} Running, ${deleted} deleted`)
            )
          }
          yield* virtual.advance(1000)
        }
      })

    const revision0 = Number(yield* engine.store.resourceVersion)
    if (halfProfile?.half === "start") yield* Effect.promise(halfProfile.begin)
    probe("start")
    const tasks0 = virtual.tasksRun()
    const threads0 = threads ? threadCpuMs() : undefined
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < pods; i++) {
      index.set(`p-${i}`, i)
      createdWall[i] = performance.now()
      createdVirtual[i] = clock.currentTimeMillisUnsafe()
      yield* engine.store.create("pods", podObject(i))
    }
    const createdMs = performance.now() - t0
    yield* until(() => running === pods)
    const t1 = performance.now()
    const cpu1 = process.cpuUsage(cpu0)
    const threads1 = threads0 !== undefined ? threadCpuMs() : undefined
    probe("running")
    if (halfProfile?.half === "start") yield* Effect.promise(halfProfile.end)
    const heapAfterRunningMb = round(process.memoryUsage().heapUsed / 2 ** 20)
    if (heapSnapshot) {
      mkdirSync(join(here, "profiles"), { recursive: true })
      const file = writeHeapSnapshot(join(here, "profiles", `scheduler-${pods}x${nodeCount}.heapsnapshot`))
      process.stdout.write(`heap snapshot: ${file}\n`)
    }
    const syncsFirst = engine.syncs?.()
    const tasksFirst = virtual.tasksRun() - tasks0
    const writesFirst = Number(yield* engine.store.resourceVersion) - revision0
    const podWritesFirst = podWrites
    const grace = mode === "full" ? {} : { gracePeriodSeconds: 0 }
    if (halfProfile?.half === "delete") yield* Effect.promise(halfProfile.begin)
    for (let i = 0; i < pods; i++) yield* engine.store.delete("pods", "default", `p-${i}`, grace).pipe(Effect.ignore)
    yield* until(() => deleted === pods)
    const t2 = performance.now()
    const cpu = process.cpuUsage(cpu0)
    const threads2 = threads1 !== undefined ? threadCpuMs() : undefined
    probe("deleted")
    if (halfProfile?.half === "delete") yield* Effect.promise(halfProfile.end)
    const heapAfterDeleteMb = round(process.memoryUsage().heapUsed / 2 ** 20)
    const syncsAll = engine.syncs?.()
    const cpuFirst = (cpu1.user + cpu1.system) / 1000
    const cpuSecond = (cpu.user + cpu.system) / 1000 - cpuFirst

    const latencyWall = runningWall.map((r, i) => r - createdWall[i]!)
    const latencyVirtual = runningVirtual.map((r, i) => r - createdVirtual[i]!)
    const half = (ms: number, cpuMs: number): Half => ({
      pods,
      wallMs: round(ms),
      podsPerSec: Math.round(pods / (ms / 1000)),
      cpuMs: round(cpuMs),
      podsPerCpuSec: Math.round(pods / (cpuMs / 1000))
    })
    return {
      mode,
      pods,
      nodes: nodeCount,
      setupMs: round(setupMs),
      createLoopMs: round(createdMs),
      scheduleAndRun: half(t1 - t0, cpuFirst),
      deleteAll: half(t2 - t1, cpuSecond),
      storeWritesPerPod: {
        scheduleAndRun: round(writesFirst / pods),
        deleteAll: round((Number(yield* engine.store.resourceVersion) - revision0 - writesFirst) / pods),
        /** of which writes to the pod itself (the rest: Events, Leases, Nodes) */
        podScheduleAndRun: round(podWritesFirst / pods),
        podDeleteAll: round((podWrites - podWritesFirst) / pods)
      },
      /** fiber resumptions through the scheduler per pod (a measure of the engine's work) */
      tasksPerPod: {
        scheduleAndRun: round(tasksFirst / pods),
        deleteAll: round((virtual.tasksRun() - tasks0 - tasksFirst) / pods)
      },
      /** kubelet pod syncs per pod (quiet: found nothing to do) */
      ...(syncsFirst !== undefined && syncsAll !== undefined
        ? {
            syncsPerPod: {
              scheduleAndRun: round(syncsFirst.syncs / pods, 2),
              scheduleAndRunQuiet: round(syncsFirst.quiet / pods, 2),
              deleteAll: round((syncsAll.syncs - syncsFirst.syncs) / pods, 2),
              deleteAllQuiet: round((syncsAll.quiet - syncsFirst.quiet) / pods, 2)
            }
          }
        : {}),
      /** µs of CPU per pod on the main thread and on the other threads (`--threads`) */
      ...(threads0 !== undefined && threads1 !== undefined && threads2 !== undefined
        ? {
            cpuUsPerPodByThread: {
              scheduleAndRunMain: round(((threads1.main - threads0.main) * 1000) / pods),
              scheduleAndRunOther: round(
                ((threads1.all - threads1.main - (threads0.all - threads0.main)) * 1000) / pods
              ),
              deleteAllMain: round(((threads2.main - threads1.main) * 1000) / pods),
              deleteAllOther: round(((threads2.all - threads2.main - (threads1.all - threads1.main)) * 1000) / pods)
            }
          }
        : {}),
      createToRunning: {
        virtualP50Ms: quantile(latencyVirtual, 0.5),
        virtualP99Ms: quantile(latencyVirtual, 0.99),
        wallP50Ms: round(quantile(latencyWall, 0.5)),
        wallP99Ms: round(quantile(latencyWall, 0.99))
      },
      virtualSeconds: round((clock.currentTimeMillisUnsafe() - engine.startedAt) / 1000),
      wallMs: round(t2 - wall0),
      cpuMs: round((cpu.user + cpu.system) / 1000),
      peakRssMb: round(process.resourceUsage().maxRSS / 1024),
      heapAfterRunningMb,
      heapAfterDeleteMb,
      loadAverage: round(loadavg()[0] ?? 0)
    }
  }).pipe(Effect.scoped, Effect.provide(VirtualClock.layer({ maxTasksPerInstant: Number.MAX_SAFE_INTEGER })))

/** `npm run bench -- scheduler [--pods=N --nodes=M --profile]` */
/** The heap the run may need (MB): 100 KB per pod above a 1 GB base. */
const heapNeededMb = (pods: number): number => Math.ceil(1024 + pods * 0.1)

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const pods = Number(option(args, "pods", "100000"))
  const nodes = Number(option(args, "nodes", "1000"))
  const neededMb = heapNeededMb(pods)
  if (getHeapStatistics().heap_size_limit / 2 ** 20 < neededMb && process.env.PODLET_BENCH_REEXEC === undefined) {
    process.stdout.write(`(running again with --max-old-space-size=${neededMb})\n`)
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, `--max-old-space-size=${neededMb}`, ...process.argv.slice(1)],
      { stdio: "inherit", env: { ...process.env, PODLET_BENCH_REEXEC: "1" } }
    )
    process.exitCode = child.status ?? 1
    return
  }
  const mode: Mode = option(args, "mode", "full") === "scheduler" ? "scheduler" : "full"
  const profileHalf = option(args, "profile", "")
  const half = profileHalf === "start" || profileHalf === "delete" ? profileHalf : undefined
  const session = args.includes("--profile") || half !== undefined ? new Session() : undefined
  const begin = async (): Promise<void> => {
    if (session === undefined) return
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
  }
  const end = async (): Promise<void> => {
    if (session === undefined) return
    const { profile: cpuProfile } = await session.post("Profiler.stop")
    const dir = join(here, "profiles")
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `scheduler-${pods}x${nodes}${half !== undefined ? `-${half}` : ""}.cpuprofile`)
    writeFileSync(file, JSON.stringify(cpuProfile))
    process.stdout.write(`profile: ${file}\n`)
  }
  if (half === undefined) await begin()
  const result = await Effect.runPromise(
    run(
      pods,
      nodes,
      mode,
      args.includes("--heap"),
      half !== undefined ? { half, begin, end } : undefined,
      args.includes("--threads")
    )
  )
  if (half === undefined) await end()
  const lines = [
    `scheduler bench (${result.mode}): ${result.pods} pods on ${result.nodes} nodes (setup ${result.setupMs} ms, load average ${result.loadAverage})`,
    `  ${result.mode === "full" ? "schedule + start" : "schedule + bind  "}: ${result.scheduleAndRun.podsPerSec} pods/s wall, ${result.scheduleAndRun.podsPerCpuSec} pods/CPU-s (${result.scheduleAndRun.wallMs} ms; target >= ${target.podsPerSec})`,
    `  delete all      : ${result.deleteAll.podsPerSec} pods/s wall, ${result.deleteAll.podsPerCpuSec} pods/CPU-s (${result.deleteAll.wallMs} ms)`,
    `  create→Running:   virtual p50 ${result.createToRunning.virtualP50Ms} ms, p99 ${result.createToRunning.virtualP99Ms} ms; wall p50 ${result.createToRunning.wallP50Ms} ms, p99 ${result.createToRunning.wallP99Ms} ms`,
    `  store writes per pod: ${result.storeWritesPerPod.scheduleAndRun} (schedule + start; ${result.storeWritesPerPod.podScheduleAndRun} to the pod), ${result.storeWritesPerPod.deleteAll} (delete; ${result.storeWritesPerPod.podDeleteAll} to the pod)`,
    `  scheduler tasks per pod: ${result.tasksPerPod.scheduleAndRun} (schedule + start), ${result.tasksPerPod.deleteAll} (delete)`,
    ...(result.syncsPerPod !== undefined
      ? [
          `  kubelet syncs per pod: ${result.syncsPerPod.scheduleAndRun} (schedule + start; ${result.syncsPerPod.scheduleAndRunQuiet} quiet), ${result.syncsPerPod.deleteAll} (delete; ${result.syncsPerPod.deleteAllQuiet} quiet)`
        ]
      : []),
    ...(result.cpuUsPerPodByThread !== undefined
      ? [
          `  CPU µs per pod by thread: ${result.cpuUsPerPodByThread.scheduleAndRunMain} main + ${result.cpuUsPerPodByThread.scheduleAndRunOther} other (schedule + start), ${result.cpuUsPerPodByThread.deleteAllMain} main + ${result.cpuUsPerPodByThread.deleteAllOther} other (delete)`
        ]
      : []),
    `  virtual time ${result.virtualSeconds} s, wall ${result.wallMs} ms, cpu ${result.cpuMs} ms, peak RSS ${result.peakRssMb} MB, heap ${result.heapAfterRunningMb} MB (all Running), ${result.heapAfterDeleteMb} MB (all deleted)`
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
  process.stdout.write(`RESULT scheduler ${JSON.stringify({ ...result, target })}\n`)
}
