// `observe`, the store's callback face of a watch (what informers use): for any history and any
// watch options it hands over exactly the events the `watch` stream emits, in the same order;
// too old a resourceVersion fails as the stream does, and an observer left behind by the window
// ends with Expired.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import type { KubeObject, WatchEvent } from "../../src/api/Meta.js"
import type { Pod } from "../../src/api/Pod.js"
import { wakeDeadline } from "../../src/layers/ObjectStoreLive.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import type { WatchOptions } from "../../src/services/ObjectStore.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const pod = (name: string, namespace: string, tier: number, nodeName?: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, labels: { tier: String(tier) } },
  spec: { ...(nodeName === undefined ? {} : { nodeName }), containers: [{ name: "c", image: "busybox:1.36" }] }
})

type Op = {
  readonly op: "create" | "label" | "status" | "bind" | "delete"
  readonly name: string
  readonly namespace: string
  readonly value: number
}

const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom("create", "label", "status", "bind", "delete"),
  name: fc.constantFrom("a", "b", "c"),
  namespace: fc.constantFrom("default", "other"),
  value: fc.nat(2)
}) as fc.Arbitrary<Op>

const write = (store: ObjectStore["Service"], { op, name, namespace, value }: Op) =>
  Effect.ignore(
    op === "create"
      ? store.create("pods", pod(name, namespace, value))
      : op === "label"
        ? store.patch("pods", namespace, name, "merge", { metadata: { labels: { tier: String(value) } } })
        : op === "status"
          ? store.patch(
              "pods",
              namespace,
              name,
              "merge",
              { status: { message: `m${value}` } },
              { subresource: "status" }
            )
          : op === "bind"
            ? store.bind(namespace, name, `n${value}`)
            : store.delete("pods", namespace, name, { gracePeriodSeconds: 0 })
  )

const optionSets: ReadonlyArray<WatchOptions> = [
  {},
  { allowBookmarks: true },
  { namespace: "other" },
  { labelSelector: "tier=1" },
  { labelSelector: "tier!=0", namespace: "default" },
  { fieldSelector: "spec.nodeName=n1" },
  { fieldSelector: "metadata.name=b" },
  { fieldSelector: "status.phase=Pending,metadata.namespace=default" }
]

const line = (e: WatchEvent<KubeObject>) =>
  `${e.type} ${e.object.metadata.namespace ?? ""}/${e.object.metadata.name ?? ""} ${e.object.metadata.resourceVersion}`

describe("observe", () => {
  it.effect("hands over what the watch stream emits, for any history and options, live and resumed", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { maxLength: 25 }),
          fc.array(opArb, { maxLength: 25 }),
          fc.constantFrom(...optionSets),
          fc.constantFrom<"now" | "start" | "snapshot">("now", "start", "snapshot"),
          (before, after, options, from) =>
            Effect.runPromise(
              Effect.scoped(
                Effect.gen(function* () {
                  const store = yield* ObjectStore
                  yield* store.create("namespaces", {
                    apiVersion: "v1",
                    kind: "Namespace",
                    metadata: { name: "other" }
                  })
                  const start = yield* store.resourceVersion
                  for (const op of before) yield* write(store, op)
                  const resourceVersion =
                    from === "snapshot" ? "0" : from === "start" ? start : yield* store.resourceVersion
                  const watchOptions = { ...options, resourceVersion }
                  const streamed: Array<WatchEvent<KubeObject>> = []
                  const fiber = yield* Stream.runForEach(store.watch("pods", watchOptions), (e) =>
                    Effect.sync(() => {
                      streamed.push(e)
                    })
                  ).pipe(Effect.forkChild({ startImmediately: true }))
                  const observed: Array<WatchEvent<KubeObject>> = []
                  const ended: Array<unknown> = []
                  yield* store.observe!("pods", watchOptions, {
                    onEvents: (events) => {
                      observed.push(...events)
                    },
                    onEnd: (error) => {
                      ended.push(error)
                    }
                  })
                  for (const op of after) yield* write(store, op)
                  for (let i = 0; i < 50; i++) yield* Effect.yieldNow
                  yield* Fiber.interrupt(fiber)
                  expect(ended).toEqual([])
                  expect(observed.map(line)).toEqual(streamed.map(line))
                  expect(observed).toEqual(streamed)
                })
              ).pipe(Effect.provide(StoreMemory.layer), Effect.provide(TestClock.layer()))
            )
        ),
        { numRuns: 150 }
      )
    )
  )

  it.effect("the initial events arrive before observe returns; nothing after the scope closes", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.create("pods", pod("a", "default", 0))
      const seen: Array<string> = []
      const scope = yield* Scope.make()
      yield* store.observe!(
        "pods",
        { allowBookmarks: true },
        { onEvents: (events) => seen.push(...events.map((e) => e.type)), onEnd: () => {} }
      ).pipe(Scope.provide(scope))
      expect(seen).toEqual(["ADDED", "BOOKMARK"])
      yield* store.create("pods", pod("b", "default", 0))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      expect(seen).toEqual(["ADDED", "BOOKMARK", "ADDED"])
      yield* Scope.close(scope, Exit.void)
      yield* store.create("pods", pod("c", "default", 0))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      expect(seen).toEqual(["ADDED", "BOOKMARK", "ADDED"])
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("a resourceVersion older than the window fails as the watch does", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      for (let i = 0; i < 10; i++) yield* store.create("pods", pod(`p${i}`, "default", 0))
      const streamed = yield* Effect.flip(Stream.runDrain(store.watch("pods", { resourceVersion: "1" })))
      const observed = yield* Effect.flip(
        Effect.scoped(store.observe!("pods", { resourceVersion: "1" }, { onEvents: () => {}, onEnd: () => {} }))
      )
      expect(observed).toEqual(streamed)
      expect(observed._tag).toBe("Expired")
    }).pipe(Effect.provide(StoreMemory.layerWith({ historyWindow: 3 })))
  )

  it.effect("an observer the window left behind ends with Expired", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const ended: Array<unknown> = []
      const from = yield* store.resourceVersion
      yield* store.observe!("pods", { resourceVersion: from }, { onEvents: () => {}, onEnd: (e) => ended.push(e) })
      // writes that do not yield: the observer's wake runs after the window has moved on
      for (let i = 0; i < 8; i++) yield* store.create("pods", pod(`p${i}`, "default", 0))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      expect(ended.map((e) => (e as { _tag?: string })._tag)).toEqual(["Expired"])
    }).pipe(Effect.scoped, Effect.provide(StoreMemory.layerWith({ historyWindow: 3 })))
  )

  it.effect("an observer that throws ends with what it threw and hears nothing more", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const ended: Array<unknown> = []
      let calls = 0
      const boom = new Error("handler failed")
      yield* store.observe!(
        "pods",
        { resourceVersion: yield* store.resourceVersion },
        {
          onEvents: () => {
            calls++
            throw boom
          },
          onEnd: (e) => ended.push(e)
        }
      )
      yield* store.create("pods", pod("a", "default", 0))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      yield* store.create("pods", pod("b", "default", 0))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      expect(ended).toEqual([boom])
      expect(calls).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(StoreMemory.layer))
  )

  it.effect("writes to resources whose names share a start land in each one's own watch, in order", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const resources = ["pods", "poddisruptionbudgets", "configmaps"] as const
      const seen: Record<string, Array<string>> = { pods: [], poddisruptionbudgets: [], configmaps: [] }
      for (const resource of resources) {
        yield* store.observe!(
          resource,
          { resourceVersion: yield* store.resourceVersion },
          {
            onEvents: (events) => {
              for (const e of events) seen[resource]!.push(`${e.type} ${e.object.kind} ${e.object.metadata.name}`)
            },
            onEnd: () => {}
          }
        )
      }
      const order = [0, 0, 1, 0, 2, 2, 1, 1, 0, 2]
      for (let i = 0; i < order.length; i++) {
        const resource = resources[order[i]!]!
        const name = `x${i}`
        const object =
          resource === "pods"
            ? pod(name, "default", 0)
            : resource === "configmaps"
              ? { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: {} }
              : {
                  apiVersion: "policy/v1",
                  kind: "PodDisruptionBudget",
                  metadata: { name, namespace: "default" },
                  spec: { minAvailable: 1, selector: { matchLabels: { a: "b" } } }
                }
        yield* store.create(resource, object as KubeObject)
      }
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      const expected = (r: number, kind: string) => order.flatMap((o, i) => (o === r ? [`ADDED ${kind} x${i}`] : []))
      expect(seen).toEqual({
        pods: expected(0, "Pod"),
        poddisruptionbudgets: expected(1, "PodDisruptionBudget"),
        configmaps: expected(2, "ConfigMap")
      })
    }).pipe(Effect.scoped, Effect.provide(StoreMemory.layer))
  )

  it("a wake behind a busy writer waits longer the more it resumes: streams, then callbacks (ms)", () => {
    const waiters = (streams: number, observers: number) => [
      ...Array.from({ length: streams }, () => ({})),
      ...Array.from({ length: observers }, () => ({ observer: true }))
    ]
    const table: ReadonlyArray<readonly [number, number, number]> = [
      [0, 1, 0.25],
      [0, 50, 0.25],
      [0, 100, 0.5],
      [0, 400, 1.5],
      [1, 0, 0.25],
      [10, 100, 0.65],
      [50, 0, 0.75],
      [100, 0, 1.5],
      [400, 3, 1.5]
    ]
    for (const [streams, observers, ms] of table) expect(wakeDeadline(waiters(streams, observers))).toBeCloseTo(ms, 9)
  })
})
