// What the history window dropped is not kept alive: not by the resource's log, not by an indexed
// log that gets no more changes (a node with no more pods), not by the backend's change log.
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Scheduler, Scope } from "effect"
import type { KubeObject } from "../../src/api/Meta.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** A macrotask turn (a WeakRef made in this job is kept until the job ends), then a full GC. */
const collect = Effect.promise(async () => {
  await new Promise((resolve) => setTimeout(resolve, 0))
  gc()
})

describe("history window", () => {
  it.effect("a dropped version is released by every log once the window passes it", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const scope = yield* Scope.make()
      // an indexed log for n1 (a kubelet's watch), which nothing is appended to after the pod goes
      yield* store.observe!(
        "pods",
        { fieldSelector: "spec.nodeName=n1" },
        { onEvents: () => {}, onEnd: () => {} }
      ).pipe(Scope.provide(scope))
      // only weak references to the versions escape this step
      const refs = yield* Effect.gen(function* () {
        const created = yield* store.create("pods", {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", namespace: "default" },
          spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox:1.36" }] }
        } as KubeObject)
        const deleted = yield* store.delete("pods", "default", "p", { gracePeriodSeconds: 0 })
        return [new WeakRef(created.object), new WeakRef(deleted.object)]
      })
      // past the window (100) and the sweep of logs that get no changes (every 4096 publishes),
      // short of the backend log's slice (4096 dropped entries): each release is needed
      for (let i = 0; i < 4150; i++) {
        yield* store.create("configmaps", {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `c${i}`, namespace: "default" }
        } as KubeObject)
      }
      yield* collect
      expect(refs.map((ref) => ref.deref() === undefined)).toEqual([true, true])
      yield* Scope.close(scope, Effect.void as never)
    }).pipe(Effect.provide(StoreMemory.layerWith({ historyWindow: 100 })))
  )

  it.effect("a watcher woken on a log that gets no more changes still reads it when a sweep comes soon after", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const scope = yield* Scope.make()
      const seen: Array<string> = []
      const ended: Array<unknown> = []
      yield* store.observe!(
        "pods",
        { fieldSelector: "spec.nodeName=n1" },
        {
          onEvents: (events) => {
            for (const event of events) seen.push(`${event.type} ${event.object.metadata.name}`)
          },
          onEnd: (error) => void ended.push(error)
        }
      ).pipe(Scope.provide(scope))
      // each round: a pod on n1 (the watcher is woken), then 150 other changes before it runs. The
      // sweeps (every 4096 publishes) land 19 changes later in each round's 151, so some land 101-150
      // changes after a round's pod: past the window (100), inside the sweep's lag (one more window)
      const rounds = 8 * 28
      for (let round = 0; round < rounds; round++) {
        yield* Effect.gen(function* () {
          yield* store.create("pods", {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: `p${round}`, namespace: "default" },
            spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox:1.36" }] }
          } as KubeObject)
          for (let i = 0; i < 150; i++) {
            yield* store.create("configmaps", {
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: `c${round}-${i}`, namespace: "default" }
            } as KubeObject)
          }
        }).pipe(Effect.provideService(Scheduler.PreventSchedulerYield, true))
        // the watcher runs
        for (let i = 0; i < 3; i++) yield* Effect.yieldNow
        if (ended.length > 0) break
      }
      expect(ended).toEqual([])
      expect(seen).toEqual(Array.from({ length: rounds }, (_, round) => `ADDED p${round}`))
      yield* Scope.close(scope, Effect.void as never)
    }).pipe(Effect.provide(StoreMemory.layerWith({ historyWindow: 100 })))
  )
})
