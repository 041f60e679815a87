/**
 * The store benchmark: N pod creates, N status updates (updateStatus) and a list of every pod, on
 * the memory store and on the SQLite store (temp file), with W watchers on pods measuring delivery
 * latency from the backend commit to each watcher's receipt. The stores are composed as
 * `StoreMemory.layer` and `StoreSqlite.layer` are (ObjectStoreLive over the backend), with the
 * backend wrapped to timestamp each commit. Each store runs in its own child process, so peak RSS
 * is its own. Each write phase stops at N ops or after `--budget` seconds, whichever comes first,
 * so a slow or shared machine still finishes in about two minutes; the ops done are printed. CPU
 * time per op and a calibration (JSON.parse of a pod) sit beside the wall-clock figures. A last
 * phase commits straight to a fresh backend, to separate the backend's cost from the ObjectStore's.
 *
 * Each phase's operations come from `--concurrency` clients at once (64 by default): every create
 * and updateStatus is still its own ObjectStore call, awaited by its client, and its time runs from
 * issue to answer; concurrent clients let the SQLite store share group commits. Watch delivery is
 * timed from the moment a write is durable (its group commit done) to each watcher's receipt.
 *
 * The watchers use the store's `observe` face by default: it is how podlet's own watchers watch
 * (informers, the kubelet's pod watch, NodeLink, and the API's watches on Node). `--watch=stream`
 * gives each watcher the Effect `watch` stream instead (a fiber per watcher, as an SDK user's
 * `Stream` consumer would). A last line per store gives the CPU time of the pod strategy alone
 * (the create's defaulting and validation, no store), the part of a create the store does not own.
 *
 * `npm run bench -- store [--n=100000] [--watchers=100] [--budget=25] [--concurrency=64] [--stores=memory,sqlite] [--watch=observe|stream] [--profile]`
 * (`--profile`: a .cpuprofile per store in bench/profiles; `--profile-phases=DIR`: one .cpuprofile per write
 * phase, create and updateStatus, in DIR; `--update-input=assign`: see `updateInput`; `--threads`: each write
 * phase's CPU per op split into the main thread, the threads the store started (SQLite: its writer) and the rest,
 * from /proc on Linux). Ends with
 * `RESULT store {json}`.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import { strategyFor } from "@podlet/core/api/Strategy"
import { BackendMemory } from "@podlet/core/layers/BackendMemory"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import type { Change, SyncBackend } from "@podlet/core/services/StorageBackend"
import { StorageBackend } from "@podlet/core/services/StorageBackend"
import { BackendSqlite } from "@podlet/platform-node/BackendSqlite"
import { Deferred, Effect, Fiber, Layer, Stream } from "effect"
import { markThreads, type ThreadSplit, threadCpu, threadSplit } from "./threadCpu.js"

type StoreName = "memory" | "sqlite"

interface Phase {
  readonly ops: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** process CPU time (user + system, all threads) per op, watchers included */
  readonly cpuUsPerOp: number
  /** with `--threads` (diagnostic): that CPU split by thread */
  readonly threads?: ThreadSplit
}

interface StoreResult {
  readonly store: StoreName
  readonly watchers: number
  /** the watchers' face of the store: the `watch` stream or `observe` callbacks */
  readonly watchFace: "stream" | "observe"
  readonly create: Phase
  readonly updateStatus: Phase
  /** the first list (sorts the key index after the writes) and the best of two more */
  readonly list: { readonly items: number; readonly firstMs: number; readonly ms: number }
  readonly watch: {
    readonly deliveries: number
    readonly p50Ms: number
    readonly p99Ms: number
    readonly maxMs: number
    /** after the last write, until every watcher had every event */
    readonly drainMs: number
  }
  /** the bare StorageBackend (fresh instance, no ObjectStore, no watchers): N creates then N updates, budget / 5 */
  readonly backend?: Phase
  /** CPU microseconds per create of the pod strategy alone (`isClean`, `prepareForCreate`, `validate`), no store */
  readonly strategyCpuUsPerCreate?: number
  readonly peakRssMb: number
  readonly dbMb?: number
  /** CPU microseconds per JSON.parse of a ~450-byte pod: how fast this machine is right now */
  readonly calibrationUs: number
}

const targets = { memoryWritesPerSec: 200_000, sqliteWritesPerSec: 20_000, watchP99Ms: 5 }

const here = dirname(fileURLToPath(import.meta.url))

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const round = (x: number): number => Math.round(x * 1000) / 1000

const quantile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)] ?? Number.NaN)

const summarize = (durations: Float64Array, totalMs: number, cpu: NodeJS.CpuUsage, threads?: ThreadSplit): Phase => {
  const sorted = durations.slice().sort()
  return {
    ops: durations.length,
    opsPerSec: Math.round(durations.length / (totalMs / 1000)),
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    cpuUsPerOp: round((cpu.user + cpu.system) / Math.max(1, durations.length)),
    ...(threads === undefined ? {} : { threads })
  }
}

const calibrate = (): number => {
  const json = JSON.stringify(pod(0))
  let sink = 0
  const before = process.cpuUsage()
  for (let i = 0; i < 20_000; i++) sink += (JSON.parse(json) as KubeObject).kind.length
  const cpu = process.cpuUsage(before)
  return sink > 0 ? round((cpu.user + cpu.system) / 20_000) : Number.NaN
}

/** commit time of each resourceVersion, written by the timed backend */
let commitAt = new Float64Array(0)

/** Records when `changes` became durable: at once, or when their group commit is (`whenDurable`). */
const stamp = (changes: ReadonlyArray<Change>, sync: SyncBackend | undefined): void => {
  const record = () => {
    const now = performance.now()
    for (const change of changes) commitAt[change.resourceVersion] = now
  }
  if (sync?.whenDurable === undefined) record()
  else sync.whenDurable(record)
}

/** The backend with every commit's durable time recorded in `commitAt` (by resourceVersion). */
const timed = <E>(backend: Layer.Layer<StorageBackend, E>): Layer.Layer<StorageBackend, E> =>
  Layer.effect(
    StorageBackend,
    Effect.map(StorageBackend, (inner) => {
      const sync = inner.sync
      return StorageBackend.of({
        ...inner,
        commit: (mutations) =>
          Effect.map(inner.commit(mutations), (changes) => {
            stamp(changes, undefined)
            return changes
          }),
        ...(sync === undefined
          ? {}
          : {
              sync: {
                ...sync,
                commit: (mutations) => {
                  const result = sync.commit(mutations)
                  if (Array.isArray(result)) stamp(result, sync)
                  return result
                }
              }
            })
      })
    })
  ).pipe(Layer.provide(backend))

/** The pod every create writes (`storeAB.ts` writes the same). */
export const pod = (i: number): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `web-${i}`, namespace: "default", labels: { app: "web", shard: String(i % 16) } },
    spec: {
      containers: [
        {
          name: "app",
          image: "nginx:1.27",
          ports: [{ containerPort: 80 }],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } }
        }
      ],
      nodeName: "node-1"
    }
  }) as KubeObject

/** `--threads` (diagnostic, passed to the child as BENCH_THREADS=1): each write phase's CPU split by thread */
const splitThreads = process.env["BENCH_THREADS"] === "1"

/** concurrent clients issuing the operations of a phase (set by `--concurrency`) */
let concurrency = 64

/**
 * Runs `op(i)` for i < n or until `budgetMs` passed, from `concurrency` clients at once (each op
 * is its own store operation, awaited by its client); each op's duration in ms, issue to answer.
 */
const phase = <E>(n: number, budgetMs: number, op: (i: number) => Effect.Effect<unknown, E>) =>
  Effect.map(timedPhase(n, budgetMs, op), (t) => summarize(t.durations, t.totalMs, t.cpu, t.threads))

const timedPhase = <E>(n: number, budgetMs: number, op: (i: number) => Effect.Effect<unknown, E>) =>
  Effect.gen(function* () {
    const durations = new Float64Array(n)
    const start = performance.now()
    const cpu = process.cpuUsage()
    const threadsBefore = splitThreads ? threadCpu() : undefined
    let next = 0
    let stop = false
    const client = Effect.gen(function* () {
      while (!stop && next < n) {
        const i = next++
        const t = performance.now()
        yield* op(i)
        const done = performance.now()
        durations[i] = done - t
        if (done - start > budgetMs) stop = true
      }
    })
    yield* Effect.all(
      Array.from({ length: Math.max(1, concurrency) }, () => client),
      { concurrency: "unbounded", discard: true }
    )
    const totalMs = performance.now() - start
    const cpuUsed = process.cpuUsage(cpu)
    const threads = threadsBefore === undefined ? undefined : threadSplit(threadsBefore, threadCpu(), next)
    return { durations: durations.subarray(0, next), totalMs, cpu: cpuUsed, threads }
  })

/**
 * How the updateStatus clients build their input (`--update-input=spread|assign`, diagnostic): the
 * spreads (default), or the same object with `Object.assign` (on Node 20 a spread adding a member
 * its base lacks, here `podIP`, takes microseconds: the client's share of the phase's CPU)
 */
let updateInput: "spread" | "assign" = "spread"

/** where each write phase's own CPU profile goes (`--profile-phases=DIR`), or "" for none */
let phaseProfiles = ""

/** `effect` with a CPU profile of it alone in `phaseProfiles` (`<store>-<name>.cpuprofile`), when asked for. */
const profiled = <A, E>(name: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> => {
  if (phaseProfiles === "") return effect
  const session = new Session()
  const post = (method: string) =>
    Effect.callback<unknown>((resume) => {
      session.post(method, (error, result) => resume(error === null ? Effect.succeed(result) : Effect.die(error)))
    })
  return Effect.gen(function* () {
    session.connect()
    yield* post("Profiler.enable")
    yield* post("Profiler.start")
    const result = yield* effect
    const { profile } = (yield* post("Profiler.stop")) as { readonly profile: unknown }
    session.disconnect()
    mkdirSync(phaseProfiles, { recursive: true })
    writeFileSync(join(phaseProfiles, `${name}.cpuprofile`), JSON.stringify(profile))
    return result
  })
}

/** how the watchers watch: the `watch` stream (a fiber each) or `observe` (callbacks, as informers do) */
let watchFace: "stream" | "observe" = "observe"

/** A watcher on pods from `base`: samples receipt times (every 8th version) and counts events. */
const watcher = (objects: ObjectStore["Service"], base: number, n: number) =>
  Effect.gen(function* () {
    const sampleEvery = 8
    const receipts = new Float64Array(Math.floor((2 * n) / sampleEvery) + 1)
    const state = { received: 0, target: Number.POSITIVE_INFINITY }
    const caughtUp = yield* Deferred.make<void>()
    /** one batch received: the sampled receipt times, and whether the watcher has every event */
    const receive = (events: ReadonlyArray<WatchEvent<KubeObject>>): boolean => {
      const now = performance.now()
      const first = Number(events[0]!.object.metadata.resourceVersion) - base
      const last = Number(events[events.length - 1]!.object.metadata.resourceVersion) - base
      if (last - first === events.length - 1) {
        // consecutive versions (only pods are written): the sampled ones without reading each event
        for (let i = Math.ceil(first / sampleEvery) * sampleEvery; i <= last; i += sampleEvery) {
          receipts[i / sampleEvery] = now
        }
      } else {
        for (const event of events) {
          const i = Number(event.object.metadata.resourceVersion) - base
          if (i % sampleEvery === 0) receipts[i / sampleEvery] = now
        }
      }
      state.received += events.length
      return state.received >= state.target
    }
    const options = { resourceVersion: String(base) }
    const observe = objects.observe
    const fiber = yield* Effect.forkChild(
      watchFace === "observe" && observe !== undefined
        ? Effect.scoped(
            Effect.andThen(
              observe("pods", options, {
                onEvents: (events) => {
                  if (receive(events)) Deferred.doneUnsafe(caughtUp, Effect.void)
                },
                onEnd: (error) => Deferred.doneUnsafe(caughtUp, Effect.die(error))
              }),
              Effect.never
            )
          )
        : Stream.runForEachArray(objects.watch("pods", options), (events) =>
            Effect.suspend(() => (receive(events) ? Deferred.succeed(caughtUp, undefined) : Effect.void))
          )
    )
    /** waits until `target` events arrived, then stops the watch */
    const finish = (target: number) =>
      Effect.gen(function* () {
        state.target = target
        if (state.received < target) yield* Deferred.await(caughtUp)
        yield* Fiber.interrupt(fiber)
      })
    return { receipts, sampleEvery, finish }
  })

/** Commits straight to a fresh backend: `n` creates then `n` updates of the same keys. */
const backendPhase = (n: number, budgetMs: number) =>
  Effect.gen(function* () {
    const backend = yield* StorageBackend
    const objects: Array<KubeObject> = []
    for (let i = 0; i < n; i++) {
      const object = pod(i)
      objects.push({
        ...object,
        metadata: { ...object.metadata, uid: `uid-${i}` },
        status: { phase: "Pending" }
      } as KubeObject)
    }
    const versions = new Float64Array(n)
    const commit = (i: number, object: KubeObject) =>
      Effect.map(
        backend.commit([{ key: `pods/default/${object.metadata.name}`, object, expect: versions[i] as number }]),
        ([change]) => {
          versions[i] = change?.resourceVersion ?? 0
        }
      )
    // the creates, then the updates (a client's update never races the create of its key)
    const creates = yield* timedPhase(n, budgetMs / 2, (i) => commit(i, objects[i] as KubeObject))
    const updates = yield* timedPhase(creates.durations.length, budgetMs / 2, (i) => {
      const object = objects[i] as KubeObject
      return commit(i, { ...object, status: { phase: "Running" } } as KubeObject)
    })
    const durations = new Float64Array(creates.durations.length + updates.durations.length)
    durations.set(creates.durations)
    durations.set(updates.durations, creates.durations.length)
    return summarize(
      durations,
      creates.totalMs + updates.totalMs,
      {
        user: creates.cpu.user + updates.cpu.user,
        system: creates.cpu.system + updates.cpu.system
      },
      creates.threads === undefined || updates.threads === undefined
        ? undefined
        : {
            mainUs: round(
              (creates.threads.mainUs * creates.durations.length + updates.threads.mainUs * updates.durations.length) /
                durations.length
            ),
            newUs: round(
              (creates.threads.newUs * creates.durations.length + updates.threads.newUs * updates.durations.length) /
                durations.length
            ),
            restUs: round(
              (creates.threads.restUs * creates.durations.length + updates.threads.restUs * updates.durations.length) /
                durations.length
            )
          }
    )
  })

/**
 * The pod strategy's share of a create, measured alone: the clean check, defaulting and
 * validation the store runs for each pod, on the same pods, with nothing kept.
 */
const strategyCpu = (n: number): number => {
  const strategy = strategyFor("pods")
  const count = Math.min(n, 20_000)
  let sink = 0
  const before = process.cpuUsage()
  for (let i = 0; i < count; i++) {
    const input = pod(i)
    const clean = strategy.isClean(input)
    const object = strategy.prepareForCreate(input, { now: "2026-01-01T00:00:00Z", uid: `uid-${i}`, clean })
    sink += strategy.validate(object, clean).length + 1
  }
  const cpu = process.cpuUsage(before)
  return sink > 0 ? round((cpu.user + cpu.system) / count) : Number.NaN
}

/** One store's run, in this process. */
const measure = (store: StoreName, n: number, watchers: number, budgetMs: number) =>
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    const base = Number(yield* objects.resourceVersion)
    const watches = []
    for (let w = 0; w < watchers; w++) watches.push(yield* watcher(objects, base, n))
    yield* Effect.yieldNow

    const created: Array<KubeObject> = []
    const create = yield* profiled(
      `${store}-create`,
      phase(n, budgetMs, (i) =>
        Effect.map(objects.create("pods", pod(i)), ({ object }) => {
          created.push(object)
        })
      )
    )
    const updateStatus = yield* profiled(
      `${store}-updateStatus`,
      phase(created.length, budgetMs, (i) => {
        const current = created[i] as KubeObject & { readonly status?: object }
        const podIP = `10.0.${(i >> 8) & 255}.${i & 255}`
        return objects.updateStatus(
          "pods",
          updateInput === "spread"
            ? { ...current, status: { ...current.status, phase: "Running", podIP } }
            : Object.assign(Object.assign({}, current), {
                status: Object.assign(Object.assign({}, current.status), { phase: "Running", podIP })
              })
        )
      })
    )
    const lastWrite = performance.now()
    const writes = create.ops + updateStatus.ops
    for (const watch of watches) yield* watch.finish(writes)
    const drainMs = round(performance.now() - lastWrite)

    const delays: Array<number> = []
    for (const { receipts, sampleEvery } of watches) {
      for (let s = 1; s * sampleEvery <= writes; s++) {
        delays.push((receipts[s] as number) - (commitAt[base + s * sampleEvery] as number))
      }
    }
    const sortedDelays = Float64Array.from(delays).sort()

    const lists: Array<number> = []
    let items = 0
    for (let r = 0; r < 3; r++) {
      const start = performance.now()
      items = (yield* objects.list("pods", { namespace: "default" })).items.length
      lists.push(performance.now() - start)
    }

    const result: StoreResult = {
      store,
      watchers,
      watchFace,
      create,
      updateStatus,
      list: { items, firstMs: round(lists[0] ?? Number.NaN), ms: round(Math.min(...lists.slice(1))) },
      watch: {
        deliveries: writes * watchers,
        p50Ms: round(quantile(sortedDelays, 0.5)),
        p99Ms: round(quantile(sortedDelays, 0.99)),
        maxMs: round(sortedDelays[sortedDelays.length - 1] ?? Number.NaN),
        drainMs
      },
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      calibrationUs: calibrate()
    }
    return result
  })

/** Child entry: runs one store and prints `CHILD {json}`. */
const child = async (
  store: StoreName,
  n: number,
  watchers: number,
  budgetMs: number,
  clients: number,
  face: string,
  profiles: string,
  input: string
): Promise<void> => {
  updateInput = input === "assign" ? "assign" : "spread"
  concurrency = clients
  phaseProfiles = profiles
  watchFace = face === "stream" ? "stream" : "observe"
  const dir = store === "sqlite" ? mkdtempSync(join(tmpdir(), "podlet-bench-")) : undefined
  const path = dir === undefined ? "" : join(dir, "store.db")
  commitAt = new Float64Array(2 * n + 1024)
  if (splitThreads) markThreads()
  const backend: Layer.Layer<StorageBackend, unknown> =
    store === "memory" ? BackendMemory.layer : BackendSqlite.layer({ path })
  const layer = ObjectStoreLive.layer.pipe(Layer.provide(timed(backend)))
  try {
    const measured = await Effect.runPromise(Effect.provide(measure(store, n, watchers, budgetMs), layer))
    const dbMb = dir === undefined ? undefined : Math.round(statSync(path).size / 1e6)
    const bare: Layer.Layer<StorageBackend, unknown> =
      store === "memory" ? BackendMemory.layer : BackendSqlite.layer({ path: join(dir ?? "", "backend.db") })
    const backend = await Effect.runPromise(Effect.provide(backendPhase(n, budgetMs / 5), bare))
    const result: StoreResult = {
      ...measured,
      backend,
      strategyCpuUsPerCreate: strategyCpu(n),
      ...(dbMb === undefined ? {} : { dbMb })
    }
    process.stdout.write(`CHILD ${JSON.stringify(result)}\n`)
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }
}

const runChild = (store: StoreName, args: ReadonlyArray<string>, profile: boolean): Promise<StoreResult> =>
  new Promise((resolve, reject) => {
    const profiles = join(here, "profiles")
    if (profile) mkdirSync(profiles, { recursive: true })
    const flags = profile
      ? ["--cpu-prof", `--cpu-prof-dir=${profiles}`, `--cpu-prof-name=store-${store}.cpuprofile`]
      : []
    const proc = spawn(
      process.execPath,
      [...process.execArgv, ...flags, fileURLToPath(import.meta.url), store, ...args],
      {
        stdio: ["ignore", "pipe", "inherit"]
      }
    )
    let out = ""
    proc.stdout.setEncoding("utf8")
    proc.stdout.on("data", (chunk: string) => {
      out += chunk
    })
    proc.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("CHILD "))
      if (code !== 0 || line === undefined) reject(new Error(`${store} run failed (exit ${code}): ${out}`))
      else resolve(JSON.parse(line.slice("CHILD ".length)) as StoreResult)
    })
  })

const phaseLine = (name: string, p: Phase): string =>
  `  ${name.padEnd(13)} ${String(p.opsPerSec).padStart(7)} ops/s  p50 ${p.p50Ms} ms  p99 ${p.p99Ms} ms  cpu ${p.cpuUsPerOp} us/op  (${p.ops} ops)${
    p.threads === undefined
      ? ""
      : `  [main ${p.threads.mainUs}, store threads ${p.threads.newUs}, rest ${p.threads.restUs} us/op]`
  }`

const describe = (r: StoreResult): string =>
  [
    `${r.store}: ${r.watchers} watchers (${r.watchFace}), peak RSS ${r.peakRssMb} MB${r.dbMb === undefined ? "" : `, db ${r.dbMb} MB`}, calibration ${r.calibrationUs} us/JSON.parse`,
    phaseLine("create", r.create),
    phaseLine("updateStatus", r.updateStatus),
    `  list          ${r.list.items} items: first ${r.list.firstMs} ms, then ${r.list.ms} ms`,
    `  watch         ${r.watch.deliveries} deliveries  p50 ${r.watch.p50Ms} ms  p99 ${r.watch.p99Ms} ms  max ${r.watch.maxMs} ms  drain ${r.watch.drainMs} ms`,
    ...(r.backend === undefined ? [] : [phaseLine("bare backend", r.backend)]),
    ...(r.strategyCpuUsPerCreate === undefined
      ? []
      : [`  pod strategy  cpu ${r.strategyCpuUsPerCreate} us per create (defaulting and validation alone)`])
  ].join("\n")

/** Runs each store in a child process and prints the figures, then `RESULT store {json}`. */
export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const n = Number(option(args, "n", "100000"))
  const watchers = Number(option(args, "watchers", "100"))
  const budgetMs = Number(option(args, "budget", "25")) * 1000
  const clients = option(args, "concurrency", "64")
  const stores = option(args, "stores", "memory,sqlite").split(",") as Array<StoreName>
  if (args.includes("--threads")) process.env["BENCH_THREADS"] = "1"
  const results: Partial<Record<StoreName, StoreResult>> = {}
  for (const store of stores) {
    const result = await runChild(
      store,
      [
        String(n),
        String(watchers),
        String(budgetMs),
        clients,
        option(args, "watch", "observe"),
        option(args, "profile-phases", ""),
        option(args, "update-input", "spread")
      ],
      args.includes("--profile")
    )
    results[store] = result
    process.stdout.write(`${describe(result)}\n`)
  }
  const writes = (r: StoreResult | undefined) =>
    r === undefined ? 0 : Math.min(r.create.opsPerSec, r.updateStatus.opsPerSec)
  const met = {
    memoryWrites: writes(results.memory) >= targets.memoryWritesPerSec,
    sqliteWrites: writes(results.sqlite) >= targets.sqliteWritesPerSec,
    watchP99: Object.values(results).every((r) => r.watch.p99Ms < targets.watchP99Ms)
  }
  process.stdout.write(`targets ${JSON.stringify(targets)} met ${JSON.stringify(met)}\n`)
  process.stdout.write(`RESULT store ${JSON.stringify({ ...results, targets, met })}\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [store, n, watchers, budgetMs, clients, face, profiles, input] = process.argv.slice(2)
  await child(
    store as StoreName,
    Number(n),
    Number(watchers),
    Number(budgetMs),
    Number(clients ?? "64"),
    face ?? "observe",
    profiles ?? "",
    input ?? "spread"
  )
}
