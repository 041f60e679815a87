// Shared informers (client-go SharedInformerFactory): one watch and one cache per resource for every
// controller; a handler added late first hears the cached objects as ADDED; the namespace index.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import type { InformerEvent } from "../../src/control/Informer.js"
import { makeSharedInformers } from "../../src/control/Informer.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const pod = (name: string, namespace = "default"): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace },
  spec: { containers: [{ name: "c", image: "busybox:1.36" }] }
})

/** Lets the informer's watch fiber run until `done` (bounded: no sleeping). */
const until = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1_000 && !done(); i++) yield* Effect.yieldNow
    expect(done()).toBe(true)
  })

const line = (event: InformerEvent<Pod>): string =>
  `${event.type} ${event.object.metadata.name}${event.old === undefined ? "" : " (had old)"}`

describe("shared informers", () => {
  it.effect("one watch per resource; a late handler hears the cache as ADDED, then every change", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      let watches = 0
      const counted = ObjectStore.of({
        ...store,
        watch: (resource, options) => {
          watches++
          return store.watch(resource, options)
        }
      })
      yield* store
        .create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } })
        .pipe(Effect.orDie)
      yield* store.create("pods", pod("a")).pipe(Effect.orDie)
      const informers = yield* makeSharedInformers(counted)
      const first: Array<string> = []
      const pods = yield* informers.informer<Pod>("pods", (e) => first.push(line(e)))
      yield* store.create("pods", pod("b", "other")).pipe(Effect.orDie)
      yield* until(() => first.length === 2)
      const second: Array<string> = []
      const same = yield* informers.informer<Pod>("pods", (e) => second.push(line(e)))
      expect(same).toBe(pods)
      expect(second).toEqual(["ADDED a", "ADDED b"])
      yield* store.delete("pods", "default", "a", { gracePeriodSeconds: 0 }).pipe(Effect.orDie)
      yield* until(() => second.length === 3)
      expect(first).toEqual(["ADDED a", "ADDED b", "DELETED a (had old)"])
      expect(second).toEqual(["ADDED a", "ADDED b", "DELETED a (had old)"])
      expect(watches).toBe(1)
      expect([...pods.inNamespace("other")].map((p) => p.metadata.name)).toEqual(["b"])
      expect([...pods.inNamespace("default")]).toEqual([])
      expect(pods.get("other/b")?.metadata.name).toBe("b")
    }).pipe(Effect.provide(StoreMemory.layer))
  )
})
