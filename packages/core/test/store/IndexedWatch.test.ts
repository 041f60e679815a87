// Watches with one equality field selector (a kubelet's `spec.nodeName=<node>`) read an indexed log:
// they see exactly what a filtered watch of every change would show, live and replayed.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import type { KubeObject, WatchEvent } from "../../src/api/Meta.js"
import type { Pod } from "../../src/api/Pod.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const pod = (name: string, nodeName?: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: [{ name: "c", image: "busybox:1.36" }] }
})

const lines = (events: ReadonlyArray<WatchEvent<KubeObject>>) =>
  events.map((e) => `${e.type} ${e.object.metadata.name} ${(e.object as Pod).status?.message ?? ""}`)

/** Pod changes on two nodes: p1 created unbound then bound to n1, p2 on n2, p3 on n1 deleted. */
const changes = (store: ObjectStore["Service"]) =>
  Effect.gen(function* () {
    yield* store.create("pods", pod("p1"))
    yield* store.create("pods", pod("p2", "n2"))
    yield* store.bind("default", "p1", "n1")
    const p1 = yield* store.get<Pod>("pods", "default", "p1")
    yield* store.updateStatus("pods", { ...p1, status: { ...p1.status, message: "one" } })
    const p2 = yield* store.get<Pod>("pods", "default", "p2")
    yield* store.updateStatus("pods", { ...p2, status: { ...p2.status, message: "two" } })
    yield* store.create("pods", pod("p3", "n1"))
    yield* store.delete("pods", "default", "p3", { gracePeriodSeconds: 0 })
  }).pipe(Effect.orDie)

const expectedN1 = ["ADDED p1 ", "MODIFIED p1 one", "ADDED p3 ", "DELETED p3 "]

describe("indexed watches", () => {
  it.effect("a live spec.nodeName watch sees its node's pods only: bound (ADDED), changed, deleted", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const from = yield* store.resourceVersion
      const n1 = yield* Stream.runCollect(
        Stream.take(store.watch("pods", { resourceVersion: from, fieldSelector: "spec.nodeName=n1" }), 4)
      ).pipe(Effect.forkChild({ startImmediately: true }))
      const n2 = yield* Stream.runCollect(
        Stream.take(store.watch("pods", { resourceVersion: from, fieldSelector: "spec.nodeName=n2" }), 2)
      ).pipe(Effect.forkChild({ startImmediately: true }))
      yield* changes(store)
      expect(lines(yield* Fiber.join(n1))).toEqual(expectedN1)
      expect(lines(yield* Fiber.join(n2))).toEqual(["ADDED p2 ", "MODIFIED p2 two"])
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("a watch from an older resourceVersion replays what happened before its index existed", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const from = yield* store.resourceVersion
      yield* changes(store)
      const replayed = yield* Stream.runCollect(
        Stream.take(store.watch("pods", { resourceVersion: from, fieldSelector: "spec.nodeName=n1" }), 4)
      )
      expect(lines(replayed)).toEqual(expectedN1)
      // the same answer as the unindexed filter (two requirements) gives
      const filtered = yield* Stream.runCollect(
        Stream.take(
          store.watch("pods", { resourceVersion: from, fieldSelector: "spec.nodeName=n1,metadata.namespace=default" }),
          4
        )
      )
      expect(lines(filtered)).toEqual(expectedN1)
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("an initial list (resourceVersion 0) then live changes", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* changes(store)
      const watch = yield* Stream.runCollect(
        Stream.take(store.watch("pods", { fieldSelector: "spec.nodeName=n1" }), 2)
      ).pipe(Effect.forkChild({ startImmediately: true }))
      yield* store.create("pods", pod("p4", "n1")).pipe(Effect.orDie)
      expect(lines(yield* Fiber.join(watch))).toEqual(["ADDED p1 one", "ADDED p4 "])
    }).pipe(Effect.provide(StoreMemory.layer))
  )
})
