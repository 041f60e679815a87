// Write throughput and watch fan-out of the in-memory store (not a test: a script that prints its
// figures). Run from packages/core: `../../node_modules/.bin/tsx test/store/fanout.ts [writes] [watchers] [window]`.
import { Effect, Fiber, Stream } from "effect"
import type { KubeObject } from "../../src/api/Meta.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const writes = Number(process.argv[2] ?? 100_000)
const watchers = Number(process.argv[3] ?? 100)
const window = process.argv[4] === undefined ? undefined : Number(process.argv[4])

const configMap = (i: number, value: string): KubeObject =>
  ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}` }, data: { k: value } }) as KubeObject

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000)}/s`

const program = Effect.gen(function* () {
  const store = yield* ObjectStore
  let t = performance.now()
  for (let i = 0; i < writes; i++) yield* store.create("configmaps", configMap(i, "0"))
  console.log(`create ${writes}: ${rate(writes, performance.now() - t)}`)
  t = performance.now()
  for (let i = 0; i < writes; i++) yield* store.update("configmaps", configMap(i % 1000, `u${i}`))
  console.log(`update ${writes}: ${rate(writes, performance.now() - t)}`)

  const from = Number(yield* store.resourceVersion)
  const sentAt = new Float64Array(writes + 1)
  const latencies: Array<number> = []
  const fibers = yield* Effect.forEach(Array.from({ length: watchers }), () =>
    Effect.forkChild(
      Stream.runForEachArray(
        Stream.take(store.watch("configmaps", { resourceVersion: String(from) }), writes),
        (events) =>
          Effect.sync(() => {
            const now = performance.now()
            for (const e of events) latencies.push(now - sentAt[Number(e.object.metadata.resourceVersion) - from]!)
          })
      )
    )
  )
  yield* Effect.yieldNow
  t = performance.now()
  for (let i = 0; i < writes; i++) {
    sentAt[i + 1] = performance.now()
    yield* store.update("configmaps", configMap(i % 1000, `w${i}`))
    if (i % 64 === 0) yield* Effect.yieldNow
  }
  const written = performance.now() - t
  yield* Effect.forEach(fibers, Fiber.join, { discard: true })
  const delivered = performance.now() - t
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]?.toFixed(2)
  console.log(
    `${writes} writes x ${watchers} watchers: writes ${rate(writes, written)}, all delivered in ${delivered.toFixed(0)} ms; ` +
      `delivery p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`
  )
})

Effect.runPromise(
  program.pipe(
    Effect.provide(window === undefined ? StoreMemory.layer : StoreMemory.layerWith({ historyWindow: window }))
  )
)
