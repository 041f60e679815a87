/**
 * The store benchmark: N pod creates, N status updates (updateStatus) and a full list, on the
 * memory store and on the SQLite store (temp file), with W watchers on pods measuring delivery
 * latency from the backend commit to each watcher's receipt. The stores are `StoreMemory.layer`
 * and `StoreSqlite.layer` as composed there (ObjectStoreLive over the backend), with the backend
 * wrapped to timestamp each commit. Each store runs in its own child process, so peak RSS is its
 * own. CPU time per op is printed beside wall-clock figures, as the machine may be shared.
 * Ends with one line `RESULT store {json}`.
 *
 * Options: `--n=100000 --watchers=100 --stores=memory,sqlite --profile` (profile: a .cpuprofile
 * per store in bench/profiles).
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { KubeObject } from "@podlet/core/api/Meta"
import { BackendMemory } from "@podlet/core/layers/BackendMemory"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { StorageBackend } from "@podlet/core/services/StorageBackend"
import { BackendSqlite } from "@podlet/platform-node/BackendSqlite"
import { Effect, Fiber, Layer, Stream } from "effect"

type StoreName = "memory" | "sqlite"

interface Latency {
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** process CPU time (user + system) per op, watchers included */
  readonly cpuUsPerOp: number
}

interface StoreResult {
  readonly store: StoreName
  readonly n: number
  readonly watchers: number
  readonly create: Latency
  readonly updateStatus: Latency
  readonly list: { readonly items: number; readonly ms: number; readonly itemsPerSec: number }
  readonly watch: {
    readonly events: number
    readonly p50Ms: number
    readonly p99Ms: number
    readonly maxMs: number
    /** after the last write, until every watcher had every event */
    readonly drainMs: number
  }
  readonly peakRssMb: number
  readonly dbMb?: number
}

const targets = { memoryWritesPerSec: 200_000, sqliteWritesPerSec: 20_000, watchP99Ms: 5 }

const here = dirname(fileURLToPath(import.meta.url))

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const quantile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN)

const summarize = (durations: Float64Array, totalMs: number, cpu: NodeJS.CpuUsage): Latency => {
  const sorted = durations.slice().sort()
  return {
    opsPerSec: Math.round(durations.length / (totalMs / 1000)),
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    cpuUsPerOp: round((cpu.user + cpu.system) / durations.length)
  }
}

/** commit time of each resourceVersion, written by the timed backend */
let commitAt = new Float64Array(0)

/** The backend with every commit's time recorded in `commitAt` (by resourceVersion). */
const timed = <E>(backend: Layer.Layer<StorageBackend, E>): Layer.Layer<StorageBackend, E> =>
  Layer.effect(
    StorageBackend,
    Effect.map(StorageBackend, (inner) =>
      StorageBackend.of({
        ...inner,
        commit: (mutations) =>
          Effect.map(inner.commit(mutations), (changes) => {
            const now = performance.now()
            for (const change of changes) commitAt[change.resourceVersion] = now
            return changes
          })
      })
    )
  ).pipe(Layer.provide(backend))

const round = (x: number): number => Math.round(x * 1000) / 1000

const pod = (i: number): KubeObject =>
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

/** One store's run, in this process. */
const measure = (store: StoreName, n: number, watchers: number) =>
  Effect.gen(function* () {
    const objects = yield* ObjectStore
    const base = Number(yield* objects.resourceVersion)
    const total = 2 * n
    const sampleEvery = 8
    const receipts = Array.from({ length: watchers }, () => new Float64Array(Math.floor(total / sampleEvery) + 1))
    const fibers = []
    for (let w = 0; w < watchers; w++) {
      const receipt = receipts[w] as Float64Array
      const watch = objects.watch("pods", { resourceVersion: String(base) }).pipe(Stream.take(total))
      const fiber = yield* Effect.forkChild(
        Stream.runForEachArray(watch, (events) =>
          Effect.sync(() => {
            const now = performance.now()
            for (const event of events) {
              const i = Number(event.object.metadata.resourceVersion) - base
              if (i % sampleEvery === 0) receipt[i / sampleEvery] = now
            }
          })
        )
      )
      fibers.push(fiber)
    }
    yield* Effect.yieldNow

    const created: Array<KubeObject> = new Array(n)
    const createDurations = new Float64Array(n)
    let start = performance.now()
    let cpu = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const t = performance.now()
      const { object } = yield* objects.create("pods", pod(i))
      createDurations[i] = performance.now() - t
      created[i] = object
    }
    const create = summarize(createDurations, performance.now() - start, process.cpuUsage(cpu))

    const updateDurations = new Float64Array(n)
    start = performance.now()
    cpu = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const current = created[i] as KubeObject & { readonly status?: object }
      const t = performance.now()
      yield* objects.updateStatus("pods", {
        ...current,
        status: { ...current.status, phase: "Running", podIP: `10.0.${(i >> 8) & 255}.${i & 255}` }
      })
      updateDurations[i] = performance.now() - t
    }
    const lastWrite = performance.now()
    const updateStatus = summarize(updateDurations, lastWrite - start, process.cpuUsage(cpu))

    for (const fiber of fibers) yield* Fiber.join(fiber)
    const drainMs = round(performance.now() - lastWrite)
    const delays: Array<number> = []
    for (const receipt of receipts) {
      for (let s = 1; s < receipt.length; s++) {
        const i = s * sampleEvery
        if (i > total) break
        delays.push((receipt[s] as number) - (commitAt[base + i] as number))
      }
    }
    const sortedDelays = Float64Array.from(delays).sort()

    start = performance.now()
    const listed = yield* objects.list("pods", { namespace: "default" })
    const listMs = performance.now() - start

    const result: StoreResult = {
      store,
      n,
      watchers,
      create,
      updateStatus,
      list: {
        items: listed.items.length,
        ms: round(listMs),
        itemsPerSec: Math.round(listed.items.length / (listMs / 1000))
      },
      watch: {
        events: total * watchers,
        p50Ms: round(quantile(sortedDelays, 0.5)),
        p99Ms: round(quantile(sortedDelays, 0.99)),
        maxMs: round(sortedDelays[sortedDelays.length - 1] ?? Number.NaN),
        drainMs
      },
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024)
    }
    return result
  })

/** Child entry: runs one store and prints `CHILD {json}`. */
const child = async (store: StoreName, n: number, watchers: number): Promise<void> => {
  const dir = store === "sqlite" ? mkdtempSync(join(tmpdir(), "podlet-bench-")) : undefined
  const path = dir === undefined ? "" : join(dir, "store.db")
  commitAt = new Float64Array(2 * n + 1024)
  const backend: Layer.Layer<StorageBackend, unknown> =
    store === "memory" ? BackendMemory.layer : BackendSqlite.layer({ path })
  const layer = ObjectStoreLive.layer.pipe(Layer.provide(timed(backend)))
  try {
    const result = await Effect.runPromise(Effect.provide(measure(store, n, watchers), layer))
    const dbMb = dir === undefined ? undefined : Math.round(statSync(path).size / 1e6)
    process.stdout.write(`CHILD ${JSON.stringify(dbMb === undefined ? result : { ...result, dbMb })}\n`)
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }
}

const runChild = (store: StoreName, n: number, watchers: number, profile: boolean): Promise<StoreResult> =>
  new Promise((resolve, reject) => {
    const profiles = join(here, "profiles")
    if (profile) mkdirSync(profiles, { recursive: true })
    const flags = profile
      ? ["--cpu-prof", `--cpu-prof-dir=${profiles}`, `--cpu-prof-name=store-${store}.cpuprofile`]
      : []
    const proc = spawn(
      process.execPath,
      [...process.execArgv, ...flags, fileURLToPath(import.meta.url), store, String(n), String(watchers)],
      { stdio: ["ignore", "pipe", "inherit"] }
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

const describe = (r: StoreResult): string =>
  [
    `${r.store}: ${r.n} pods, ${r.watchers} watchers, peak RSS ${r.peakRssMb} MB${r.dbMb === undefined ? "" : `, db ${r.dbMb} MB`}`,
    `  create        ${String(r.create.opsPerSec).padStart(8)} ops/s  p50 ${r.create.p50Ms} ms  p99 ${r.create.p99Ms} ms  cpu ${r.create.cpuUsPerOp} us/op`,
    `  updateStatus  ${String(r.updateStatus.opsPerSec).padStart(8)} ops/s  p50 ${r.updateStatus.p50Ms} ms  p99 ${r.updateStatus.p99Ms} ms  cpu ${r.updateStatus.cpuUsPerOp} us/op`,
    `  list          ${r.list.items} items in ${r.list.ms} ms (${r.list.itemsPerSec} items/s)`,
    `  watch         ${r.watch.events} deliveries  p50 ${r.watch.p50Ms} ms  p99 ${r.watch.p99Ms} ms  max ${r.watch.maxMs} ms  drain ${r.watch.drainMs} ms`
  ].join("\n")

/** `npm run bench -- store [--n=100000] [--watchers=100] [--stores=memory,sqlite] [--profile]` */
export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const n = Number(option(args, "n", "100000"))
  const watchers = Number(option(args, "watchers", "100"))
  const stores = option(args, "stores", "memory,sqlite").split(",") as Array<StoreName>
  const profile = args.includes("--profile")
  const results: Partial<Record<StoreName, StoreResult>> = {}
  for (const store of stores) {
    const result = await runChild(store, n, watchers, profile)
    results[store] = result
    process.stdout.write(`${describe(result)}\n`)
  }
  const writes = (r: StoreResult | undefined) =>
    r === undefined ? undefined : Math.min(r.create.opsPerSec, r.updateStatus.opsPerSec)
  const met = {
    memoryWrites: (writes(results.memory) ?? 0) >= targets.memoryWritesPerSec,
    sqliteWrites: (writes(results.sqlite) ?? 0) >= targets.sqliteWritesPerSec,
    watchP99: Object.values(results).every((r) => r.watch.p99Ms < targets.watchP99Ms)
  }
  process.stdout.write(`targets ${JSON.stringify(targets)} met ${JSON.stringify(met)}\n`)
  process.stdout.write(`RESULT store ${JSON.stringify({ ...results, targets, met })}\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [store, n, watchers] = process.argv.slice(2)
  await child(store as StoreName, Number(n), Number(watchers))
}
