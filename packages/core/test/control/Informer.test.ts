// Shared informers (client-go SharedInformerFactory): one watch and one cache per resource for every
// controller; a handler added late first hears the cached objects as ADDED; the namespace index.
// Each test runs on both faces of the store's watch: `observe` (callbacks) and the `watch` stream.
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

/** The store as an informer sees it: with `observe`, or with the `watch` stream only; watches counted. */
const face = (store: ObjectStore["Service"], callbacks: boolean) => {
  const counter = { watches: 0 }
  const observe = store.observe
  const { observe: _observe, ...rest } = store
  const counted = ObjectStore.of({
    ...rest,
    watch: (resource, options) => {
      counter.watches++
      return store.watch(resource, options)
    },
    ...(callbacks && observe !== undefined
      ? {
          observe: (resource, options, observer) => {
            counter.watches++
            return observe(resource, options, observer)
          }
        }
      : {})
  })
  return { counted, counter }
}

describe.each([
  ["observe", true],
  ["watch stream", false]
])("shared informers (%s)", (_name, callbacks) => {
  it.effect("one watch per resource; a late handler hears the cache as ADDED, then every change", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const { counted, counter } = face(store, callbacks)
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
      expect(counter.watches).toBe(1)
      expect([...pods.inNamespace("other")].map((p) => p.metadata.name)).toEqual(["b"])
      expect([...pods.inNamespace("default")]).toEqual([])
      expect(pods.get("other/b")?.metadata.name).toBe("b")
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("a watch the window left behind is listed again: deletions meanwhile reach the handlers", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const { counted, counter } = face(store, callbacks)
      yield* store.create("pods", pod("a")).pipe(Effect.orDie)
      yield* store.create("pods", pod("b")).pipe(Effect.orDie)
      const informers = yield* makeSharedInformers(counted)
      const seen: Array<string> = []
      const pods = yield* informers.informer<Pod>("pods", (e) => seen.push(line(e)))
      yield* until(() => seen.length === 2)
      // more changes than the window holds, without yielding: the informer's watch expires
      yield* store.delete("pods", "default", "a", { gracePeriodSeconds: 0 }).pipe(Effect.orDie)
      for (let i = 0; i < 6; i++) yield* store.create("pods", pod(`c${i}`)).pipe(Effect.orDie)
      yield* until(() => pods.size() === 7 && counter.watches === 2)
      expect(seen.slice(0, 2)).toEqual(["ADDED a", "ADDED b"])
      expect(seen).toContain("DELETED a (had old)")
      expect(seen.filter((l) => l.startsWith("ADDED c"))).toHaveLength(6)
      expect(pods.get("default/a")).toBeUndefined()
    }).pipe(Effect.provide(StoreMemory.layerWith({ historyWindow: 3 })))
  )
})
