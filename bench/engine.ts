/**
 * The engine benchmark (issue 3): P pods on N nodes (default 10,000 on 91, 110 per node), each with
 * one init container and two app containers (a long-running server and a shell script that
 * crash-loops), bound to their node up front (the scheduler has its own bench), then one hour of
 * virtual time through the Cluster facade's `advance`. Prints wall time, CPU time, syncs/s,
 * events/s, peak RSS and bytes per pod (heap growth after a full GC, per pod); ends with
 * `RESULT engine {json}`. As the machine may be shared, CPU time and the load average are printed
 * beside the wall time.
 *
 * Options: `--pods=10000 --nodes=91 --seconds=3600 --step=3600 --clock=virtual|test --profile --ops --heap
 * --no-fast-path`
 * (step: seconds per `advance` call; clock: the VirtualClock or Effect's TestClock; profile: a
 * .cpuprofile in bench/profiles; ops: count and time the store's calls by method and resource;
 * heap: a heap snapshot at the end, in bench/profiles; no-fast-path: every crash-loop retry and idle
 * sync as a full sync, for comparison).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { loadavg } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { setFlagsFromString, writeHeapSnapshot } from "node:v8"
import { runInNewContext } from "node:vm"
import type { Event } from "@podlet/core/api/Objects"
import type { Pod } from "@podlet/core/api/Pod"
import { makeCluster } from "@podlet/core/Cluster"
import { BackoffFastPath } from "@podlet/core/kubelet/BackoffFastPath"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const here = dirname(fileURLToPath(import.meta.url))
const target = { wallMs: 10_000, bytesPerPod: 20_000 }
const busybox = "busybox:1.36"
const nginx = "nginx:1.27"

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

const nodeName = (i: number): string => `node-${String(i).padStart(3, "0")}`

/** Pod i: an init container, a server, and a script that crash-loops (exit 1 after 5 s). */
const podObject = (i: number, node: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `p-${i}`, namespace: "default", labels: { bench: "engine" } },
  spec: {
    nodeName: node,
    initContainers: [{ name: "init", image: busybox, command: ["sh", "-c", "echo init done"] }],
    containers: [
      { name: "web", image: nginx, ports: [{ containerPort: 80 }] },
      { name: "crash", image: busybox, command: ["sh", "-c", "echo starting; sleep 5; exit 1"] }
    ]
  }
})

/** The id of a new fiber: ids count every fiber started. */
const fiberId = Effect.map(Effect.forkChild(Effect.void), (fiber) => fiber.id)

const heapUsed = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

type ClockKind = "virtual" | "test"

/** Calls and wall time (µs) per `method resource` of the store. */
type OpStats = Map<string, { calls: number; micros: number }>

/** The in-memory store, each call counted and timed (the time includes waits for the store's lock). */
const countingStore = (stats: OpStats): Layer.Layer<ObjectStore> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const timed =
        <Args extends ReadonlyArray<unknown>, A, E>(method: string, f: (...args: Args) => Effect.Effect<A, E>) =>
        (...args: Args): Effect.Effect<A, E> =>
          Effect.suspend(() => {
            const key = `${method} ${String(args[0])}`
            const t0 = performance.now()
            return Effect.ensuring(
              f(...args),
              Effect.sync(() => {
                const entry = stats.get(key) ?? { calls: 0, micros: 0 }
                entry.calls++
                entry.micros += (performance.now() - t0) * 1000
                stats.set(key, entry)
              })
            )
          })
      return ObjectStore.of({
        ...store,
        create: timed("create", store.create),
        get: timed("get", store.get),
        list: timed("list", store.list),
        update: timed("update", store.update),
        updateStatus: timed("updateStatus", store.updateStatus),
        patch: timed("patch", store.patch),
        delete: timed("delete", store.delete),
        bind: timed("bind", store.bind)
      } as ObjectStore["Service"])
    })
  ).pipe(Layer.provide(StoreMemory.layer))

const clockLayer = (kind: ClockKind): Layer.Layer<never> => {
  if (kind === "test") return TestClock.layer() as Layer.Layer<never>
  return VirtualClock.layer()
}

const run = (
  pods: number,
  nodeCount: number,
  seconds: number,
  step: number,
  ops: OpStats | undefined,
  heapSnapshot: boolean,
  fastPath: boolean
) =>
  Effect.gen(function* () {
    const heap0 = heapUsed()
    const fiber0 = yield* fiberId
    const wall0 = performance.now()
    const cpu0 = process.cpuUsage()
    const perNode = Math.ceil(pods / nodeCount)
    const cluster = yield* makeCluster({
      nodes: Array.from({ length: nodeCount }, (_, i) => ({
        name: nodeName(i),
        images: [busybox, nginx],
        pods: String(Math.max(110, perNode)),
        cpu: "64",
        memory: "256Gi"
      })),
      kubernetesService: false,
      ...(ops !== undefined ? { store: countingStore(ops) } : {})
    }).pipe(Effect.provideService(BackoffFastPath, fastPath))
    const setupMs = performance.now() - wall0
    for (let i = 0; i < pods; i++) {
      yield* cluster.store.create("pods", podObject(i, nodeName(Math.floor(i / perNode)))).pipe(Effect.orDie)
    }
    yield* cluster.settle
    const createdMs = performance.now() - wall0
    const createCpu = process.cpuUsage(cpu0)
    const syncs0 = cluster.nodes.reduce((n, node) => n + node.kubelet.syncs(), 0)
    let advanced = 0
    while (advanced < seconds) {
      const d = Math.min(step, seconds - advanced)
      yield* cluster.advance(d * 1000)
      advanced += d
    }
    const wallMs = performance.now() - wall0
    const cpu = process.cpuUsage(cpu0)
    const cpuMs = (cpu.user + cpu.system) / 1000
    const syncs = cluster.nodes.reduce((n, node) => n + node.kubelet.syncs(), 0)
    const fastSyncs = cluster.nodes.reduce((n, node) => n + node.kubelet.fastSyncs(), 0)
    const quietSyncs = cluster.nodes.reduce((n, node) => n + node.kubelet.quietSyncs(), 0)

    // what the hour produced, checked: every pod Running with the crash container restarting
    const listed = yield* cluster.store.list<Pod>("pods").pipe(Effect.orDie)
    let running = 0
    let restarts = 0
    for (const pod of listed.items) {
      if (pod.status?.phase === "Running") running++
      restarts += pod.status?.containerStatuses?.find((s) => s.name === "crash")?.restartCount ?? 0
    }
    const events = yield* cluster.store.list<Event>("events").pipe(Effect.orDie)
    const occurrences = events.items.reduce((n, e) => n + (e.count ?? 1), 0)
    const heap1 = heapUsed()
    if (heapSnapshot) mkdirSync(join(here, "profiles"), { recursive: true })
    if (heapSnapshot)
      process.stdout.write(
        `heap snapshot: ${writeHeapSnapshot(join(here, "profiles", `engine-${pods}.heapsnapshot`))}\n`
      )
    const fibers = (yield* fiberId) - fiber0
    const clock = yield* VirtualClock.get
    return {
      pods,
      nodes: nodeCount,
      virtualSeconds: seconds,
      step,
      setupMs: round(setupMs),
      createAndStartMs: round(createdMs - setupMs),
      createAndStartCpuMs: round((createCpu.user + createCpu.system) / 1000),
      wallMs: round(wallMs),
      cpuMs: round(cpuMs),
      syncs,
      syncsBeforeAdvance: syncs0,
      fastSyncs,
      quietSyncs,
      syncsPerSec: Math.round(syncs / (wallMs / 1000)),
      syncsPerCpuSec: Math.round(syncs / (cpuMs / 1000)),
      events: occurrences,
      eventObjects: events.items.length,
      eventsPerSec: Math.round(occurrences / (wallMs / 1000)),
      eventsPerCpuSec: Math.round(occurrences / (cpuMs / 1000)),
      podsRunning: running,
      fibersStarted: fibers,
      schedulerTasks: clock?.tasksRun() ?? 0,
      crashRestarts: restarts,
      cpuMicrosPerSync: Math.round((cpuMs * 1000) / Math.max(1, syncs)),
      heapGrowthMb: round((heap1 - heap0) / 1024 / 1024),
      bytesPerPod: Math.round((heap1 - heap0) / pods),
      peakRssMb: round(process.resourceUsage().maxRSS / 1024),
      loadAverage: loadavg().map((l) => round(l))
    }
  }).pipe(Effect.scoped)

/** `npm run bench -- engine [--pods=N --nodes=M --seconds=S --step=S --clock=virtual|test --profile]` */
export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const pods = Number(option(args, "pods", "10000"))
  const nodes = Number(option(args, "nodes", "91"))
  const seconds = Number(option(args, "seconds", "3600"))
  const step = Number(option(args, "step", String(seconds)))
  const clock: ClockKind = option(args, "clock", "virtual") === "test" ? "test" : "virtual"
  const profile = args.includes("--profile")
  const session = profile ? new Session() : undefined
  if (session !== undefined) {
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
  }
  const layer = clockLayer(clock)
  const ops: OpStats | undefined = args.includes("--ops") ? new Map() : undefined
  const result = {
    clock,
    ...(await Effect.runPromise(
      run(pods, nodes, seconds, step, ops, args.includes("--heap"), !args.includes("--no-fast-path")).pipe(
        Effect.provide(layer)
      )
    ))
  }
  if (session !== undefined) {
    const { profile: cpuProfile } = await session.post("Profiler.stop")
    const dir = join(here, "profiles")
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `engine-${pods}x${nodes}.cpuprofile`)
    writeFileSync(file, JSON.stringify(cpuProfile))
    process.stdout.write(`profile: ${file}\n`)
  }
  const lines = [
    `engine bench (${result.clock} clock): ${result.pods} pods on ${result.nodes} nodes, ${result.virtualSeconds} s virtual in steps of ${result.step} s (load average ${result.loadAverage.join(" ")})`,
    `  setup ${result.setupMs} ms, create + start ${result.createAndStartMs} ms (setup + create + start: cpu ${result.createAndStartCpuMs} ms)`,
    `  wall ${result.wallMs} ms (target < ${target.wallMs}), cpu ${result.cpuMs} ms`,
    `  syncs ${result.syncs}: ${result.syncsPerSec}/s wall, ${result.syncsPerCpuSec}/CPU-s (${result.cpuMicrosPerSync} µs of CPU per sync, everything included); ${result.fastSyncs} crash-loop retries without a worker turn, ${result.quietSyncs} syncs with nothing to do without SyncPod`,
    `  events ${result.events} (${result.eventObjects} objects): ${result.eventsPerSec}/s wall, ${result.eventsPerCpuSec}/CPU-s`,
    `  pods Running ${result.podsRunning}/${result.pods}, crash restarts ${result.crashRestarts}`,
    `  fibers started ${result.fibersStarted}, scheduler tasks ${result.schedulerTasks} (VirtualClock only)`,
    `  peak RSS ${result.peakRssMb} MB, heap growth ${result.heapGrowthMb} MB: ${result.bytesPerPod} bytes per pod (target < ${target.bytesPerPod})`
  ]
  if (ops !== undefined) {
    lines.push("  store calls (count, total ms, µs per call):")
    for (const [key, entry] of [...ops].sort((a, b) => b[1].micros - a[1].micros)) {
      lines.push(
        `    ${key.padEnd(28)} ${String(entry.calls).padStart(9)} ${(entry.micros / 1000).toFixed(0).padStart(8)} ms ${(entry.micros / entry.calls).toFixed(1).padStart(8)} µs`
      )
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`)
  const meetsTarget = { wall: result.wallMs < target.wallMs, bytesPerPod: result.bytesPerPod < target.bytesPerPod }
  process.stdout.write(`RESULT engine ${JSON.stringify({ ...result, target, meetsTarget })}\n`)
}
