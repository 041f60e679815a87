// Owned writes (`Mutation.owned`): a backend stamps the store's fresh copy in place instead of
// copying it. The result must equal the copying path's, key order included, and no object a
// caller handed in or got back earlier may change.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Random } from "effect"
import type { KubeObject } from "../../src/api/Meta.js"
import { makeBackendMemory } from "../../src/layers/BackendMemory.js"
import { ObjectStoreLive } from "../../src/layers/ObjectStoreLive.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"
import type { Mutation } from "../../src/services/StorageBackend.js"
import { StorageBackend } from "../../src/services/StorageBackend.js"

const pod = (name: string, phase: string, resourceVersion?: string): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      labels: { app: "web" }
    },
    spec: { containers: [{ name: "app", image: "nginx" }] },
    status: { phase }
  }) as KubeObject

/** The memory backend with `owned` dropped from every mutation: the copying path. */
const copyingBackend = Layer.sync(StorageBackend, () => {
  const inner = makeBackendMemory()
  const strip = (mutations: ReadonlyArray<Mutation>): ReadonlyArray<Mutation> =>
    mutations.map(({ owned: _owned, ...m }) => m)
  return StorageBackend.of({
    ...inner,
    commit: (mutations) => inner.commit(strip(mutations)),
    sync: { get: inner.sync!.get, commit: (mutations) => inner.sync!.commit(strip(mutations)) }
  })
})

const owningBackend = Layer.sync(StorageBackend, () => makeBackendMemory())

/** Every member in order, nested (deepStrictEqual does not compare key order). */
const ordered = (value: unknown): string => JSON.stringify(value)

describe("owned writes", () => {
  it.effect("the memory backend stamps an owned object in place, as the copying path would", () =>
    Effect.gen(function* () {
      const copying = makeBackendMemory()
      const owning = makeBackendMemory()
      const writes: ReadonlyArray<(owned: boolean) => Mutation> = [
        (owned) => ({ key: "pods/default/a", object: pod("a", "Pending"), expect: 0, owned }),
        (owned) => ({ key: "pods/default/b", object: pod("b", "Pending"), owned }),
        (owned) => ({ key: "pods/default/a", object: pod("a", "Running", "1"), expect: 1, owned }),
        (owned) => ({ key: "pods/default/b", object: undefined, expect: 2, owned })
      ]
      for (const write of writes) {
        const input = write(false)
        const before = ordered(input.object)
        const copied = yield* copying.commit([input])
        // without `owned` the input is not touched
        assert.strictEqual(ordered(input.object), before)
        const ownedInput = write(true)
        const owned = yield* owning.commit([ownedInput])
        assert.strictEqual(ordered(owned), ordered(copied))
        if (ownedInput.object !== undefined) assert.strictEqual(owned[0]!.object, ownedInput.object)
      }
      assert.strictEqual(ordered(yield* owning.list("pods/")), ordered(yield* copying.list("pods/")))
      assert.strictEqual(ordered(yield* owning.changesSince(0)), ordered(yield* copying.changesSince(0)))
    })
  )

  it.effect("the store changes no object a caller gave or got: create, update, updateStatus", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const input = pod("web", "Pending")
      const inputText = ordered(input)
      const created = (yield* store.create("pods", input)).object
      assert.strictEqual(ordered(input), inputText)
      const createdText = ordered(created)
      assert.strictEqual(created.metadata.resourceVersion, yield* store.resourceVersion)

      // a status write built from the stored object shares its metadata and spec
      const statusInput = { ...created, status: { phase: "Running" } } as KubeObject
      const statusText = ordered(statusInput)
      const running = (yield* store.updateStatus("pods", statusInput)).object
      assert.strictEqual(ordered(statusInput), statusText)
      assert.strictEqual(ordered(created), createdText)
      assert.notStrictEqual(running.metadata, created.metadata)
      assert.strictEqual(running.metadata.resourceVersion, yield* store.resourceVersion)
      assert.deepStrictEqual(
        { ...running.metadata, resourceVersion: "x" },
        { ...created.metadata, resourceVersion: "x" }
      )

      const runningText = ordered(running)
      const labelled = {
        ...running,
        metadata: { ...running.metadata, labels: { app: "web", tier: "front" } }
      } as KubeObject
      const labelledText = ordered(labelled)
      const updated = (yield* store.update("pods", labelled)).object
      assert.strictEqual(ordered(labelled), labelledText)
      assert.strictEqual(ordered(running), runningText)
      assert.notStrictEqual(updated.metadata, labelled.metadata)
      assert.deepStrictEqual(updated.metadata.labels, { app: "web", tier: "front" })

      // what a get returns is what the write returned, and it stays as it was
      const got = yield* store.get("pods", "default", "web")
      assert.strictEqual(got, updated)
      assert.strictEqual(ordered(created), createdText)
    }).pipe(Effect.provide(ObjectStoreLive.layer.pipe(Layer.provide(owningBackend))))
  )

  it.effect("the store's writes and watch events equal the copying path's, key order included", () =>
    Effect.gen(function* () {
      const run = (backend: Layer.Layer<StorageBackend>) =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const results: Array<unknown> = []
          for (let i = 0; i < 6; i++) {
            const created = (yield* store.create("pods", {
              ...pod(`p${i}`, "Pending"),
              metadata: { generateName: "p-" }
            } as KubeObject)).object
            results.push(created)
            const running = (yield* store.updateStatus("pods", {
              ...created,
              status: { phase: "Running" }
            } as KubeObject)).object
            results.push(running)
            results.push(
              (yield* store.update("pods", {
                ...running,
                metadata: { ...running.metadata, labels: { n: String(i) } }
              } as KubeObject)).object
            )
            results.push(
              yield* store.create("configmaps", {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: `c${i}` },
                data: { i: String(i) }
              } as KubeObject)
            )
          }
          results.push(yield* store.list("pods"))
          results.push(yield* store.list("configmaps"))
          return ordered(results)
        }).pipe(Effect.provide(ObjectStoreLive.layer.pipe(Layer.provide(backend))), Random.withSeed("owned"))
      assert.strictEqual(yield* run(owningBackend), yield* run(copyingBackend))
    })
  )
})
