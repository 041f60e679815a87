/**
 * In-process A/B of the memory store (diagnostic, not a bench of an issue): loads ObjectStoreLive and
 * BackendMemory from two or more source trees (e.g. `git archive <commit> packages/core | tar -x -C
 * /tmp/ab/<commit>`, with `packages/core/node_modules` copied beside it) into ONE process and runs the
 * store bench's write phases on each in turn, alternating the order every round. Separate processes
 * on this shared VM differ by more than a commit does (the calibration moves 1.7x in minutes);
 * interleaved rounds in one process see the same machine. Same clients as `bench/store.ts`: 64
 * concurrent Effect clients, N creates then N updateStatus, W `observe` watchers on pods.
 *
 * `node --max-semi-space-size=32 --import tsx bench/storeAB.ts <tree> <tree> ... [--n=20000]
 * [--rounds=6] [--watchers=100]`, best pinned (`taskset -c 1`). Prints CPU µs per op for each run,
 * then per tree the median and minimum over the rounds after the first (JIT warm-up).
 */
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { type Context, Deferred, Effect, Layer } from "effect"
import { pod } from "./store.js"

interface Tree {
  readonly root: string
  readonly layer: Layer.Layer<never>
  readonly tag: Context.Key<ObjectStore, ObjectStore["Service"]>
}

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const cpuUs = (before: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(before)
  return used.user + used.system
}

/** CPU µs per op of `op(i)` for i < n, from 64 concurrent clients (as `bench/store.ts` runs a phase). */
const phase = <E>(n: number, op: (i: number) => Effect.Effect<unknown, E>) =>
  Effect.gen(function* () {
    const before = process.cpuUsage()
    let next = 0
    const client = Effect.gen(function* () {
      while (next < n) yield* op(next++)
    })
    yield* Effect.all(
      Array.from({ length: 64 }, () => client),
      { concurrency: "unbounded", discard: true }
    )
    return cpuUs(before) / n
  })

const run = (tree: Tree, n: number, watchers: number) =>
  Effect.gen(function* () {
    const objects = yield* tree.tag
    const base = Number(yield* objects.resourceVersion)
    const everything = 2 * n * watchers
    let received = 0
    const caughtUp = yield* Deferred.make<void>()
    const observe = objects.observe
    if (observe === undefined) return yield* Effect.die(new Error(`${tree.root}: the store has no observe`))
    for (let w = 0; w < watchers; w++) {
      yield* Effect.forkChild(
        Effect.scoped(
          Effect.andThen(
            observe(
              "pods",
              { resourceVersion: String(base) },
              {
                onEvents: (events: ReadonlyArray<WatchEvent<KubeObject>>) => {
                  received += events.length
                  if (received >= everything) Deferred.doneUnsafe(caughtUp, Effect.void)
                },
                onEnd: () => undefined
              }
            ),
            Effect.never
          )
        )
      )
    }
    yield* Effect.yieldNow
    const created: Array<KubeObject> = []
    const create = yield* phase(n, (i) =>
      Effect.map(objects.create("pods", pod(i)), ({ object }) => {
        created.push(object)
      })
    )
    const updateStatus = yield* phase(n, (i) => {
      const current = created[i] as KubeObject & { readonly status?: object }
      const podIP = `10.0.${(i >> 8) & 255}.${i & 255}`
      return objects.updateStatus("pods", { ...current, status: { ...current.status, phase: "Running", podIP } })
    })
    if (watchers > 0) yield* Deferred.await(caughtUp)
    return { create, updateStatus }
  })

const load = async (root: string): Promise<Tree> => {
  const src = `${root.replace(/\/$/, "")}/packages/core/src`
  const live = await import(`${src}/layers/ObjectStoreLive.ts`)
  const memory = await import(`${src}/layers/BackendMemory.ts`)
  const service = await import(`${src}/services/ObjectStore.ts`)
  return {
    root,
    layer: live.ObjectStoreLive.layer.pipe(Layer.provide(memory.BackendMemory.layer)),
    tag: service.ObjectStore
  }
}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN
}

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const roots = args.filter((a) => !a.startsWith("--"))
  const n = Number(option(args, "n", "20000"))
  const rounds = Number(option(args, "rounds", "6"))
  const watchers = Number(option(args, "watchers", "100"))
  const trees = await Promise.all(roots.map(load))
  const figures = new Map<string, Array<{ create: number; updateStatus: number }>>()
  for (let r = 0; r < rounds; r++) {
    for (const tree of r % 2 === 0 ? trees : [...trees].reverse()) {
      const result = await Effect.runPromise(
        Effect.scoped(Effect.provide(run(tree, n, watchers), tree.layer)) as Effect.Effect<{
          create: number
          updateStatus: number
        }>
      )
      process.stdout.write(
        `round ${r} ${tree.root}: create ${result.create.toFixed(2)} updateStatus ${result.updateStatus.toFixed(2)} µs/op\n`
      )
      if (r > 0 || rounds === 1) figures.set(tree.root, [...(figures.get(tree.root) ?? []), result])
    }
  }
  for (const [root, runs] of figures) {
    const creates = runs.map((x) => x.create)
    const updates = runs.map((x) => x.updateStatus)
    process.stdout.write(
      `${root}: create median ${median(creates).toFixed(2)} min ${Math.min(...creates).toFixed(2)}, updateStatus median ${median(updates).toFixed(2)} min ${Math.min(...updates).toFixed(2)} µs/op (${runs.length} rounds)\n`
    )
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2))
