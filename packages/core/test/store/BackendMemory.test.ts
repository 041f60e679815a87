// The in-memory StorageBackend: versions, atomic commits, ordered prefix lists, bounded change log.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { KubeObject } from "../../src/api/Meta.js"
import { makeBackendMemory } from "../../src/layers/BackendMemory.js"

const obj = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } })

describe("BackendMemory", () => {
  it.effect("commits each mutation under the next revision and stamps resourceVersion", () =>
    Effect.gen(function* () {
      const backend = makeBackendMemory()
      assert.strictEqual(yield* backend.revision, 0)
      const changes = yield* backend.commit([
        { key: "configmaps/default/a", object: obj("a"), expect: 0 },
        { key: "configmaps/default/b", object: obj("b") }
      ])
      assert.deepStrictEqual(
        changes.map((c) => [c.type, c.key, c.resourceVersion, c.object.metadata.resourceVersion]),
        [
          ["ADDED", "configmaps/default/a", 1, "1"],
          ["ADDED", "configmaps/default/b", 2, "2"]
        ]
      )
      const modified = yield* backend.commit([{ key: "configmaps/default/a", object: obj("a2"), expect: 1 }])
      assert.strictEqual(modified[0]?.type, "MODIFIED")
      const deleted = yield* backend.commit([{ key: "configmaps/default/b", object: undefined }])
      assert.deepStrictEqual([deleted[0]?.type, deleted[0]?.object.metadata.resourceVersion], ["DELETED", "4"])
      assert.strictEqual(yield* backend.revision, 4)
      assert.strictEqual((yield* backend.get("configmaps/default/a"))?.object.metadata.name, "a2")
      assert.strictEqual(yield* backend.get("configmaps/default/b"), undefined)
    })
  )

  it.effect("keeps each resource's objects apart, whichever resource was read last", () =>
    Effect.gen(function* () {
      const backend = makeBackendMemory()
      const sync = backend.sync!
      // same namespace and name in resources whose names share a prefix, written and read in turns
      for (const resource of ["pods", "podsx", "pod", "events", "pods"]) {
        assert.isTrue(Array.isArray(sync.commit([{ key: `${resource}/ns/a`, object: obj(resource) }])))
      }
      for (const resource of ["events", "pod", "pods", "podsx", "pods", "events"]) {
        assert.strictEqual(sync.get(`${resource}/ns/a`)?.object.metadata.name, resource)
        assert.strictEqual((yield* backend.get(`${resource}/ns/a`))?.object.metadata.name, resource)
      }
      assert.strictEqual(sync.get("nodes//a"), undefined)
      assert.strictEqual(sync.get("podsy/ns/a"), undefined)
      assert.deepStrictEqual(
        (yield* backend.list("pods/")).map((o) => o.key),
        ["pods/ns/a"]
      )
      assert.deepStrictEqual(yield* backend.list("nodes/"), [])
      // a multi-mutation commit across resources, then a delete of one of them
      sync.commit([
        { key: "pods/ns/b", object: obj("b") },
        { key: "events/ns/b", object: obj("eb") },
        { key: "pods/ns/a", object: undefined }
      ])
      assert.deepStrictEqual(
        (yield* backend.list("pods/")).map((o) => o.key),
        ["pods/ns/b"]
      )
      assert.deepStrictEqual(
        (yield* backend.list("events/")).map((o) => [o.key, o.object.metadata.name]),
        [
          ["events/ns/a", "events"],
          ["events/ns/b", "eb"]
        ]
      )
      assert.strictEqual(sync.get("pods/ns/a"), undefined)
    })
  )

  it.effect("a failed expectation writes nothing at all", () =>
    Effect.gen(function* () {
      const backend = makeBackendMemory()
      yield* backend.commit([{ key: "k/ns/a", object: obj("a") }])
      const conflict = yield* Effect.flip(
        backend.commit([
          { key: "k/ns/b", object: obj("b"), expect: 0 },
          { key: "k/ns/a", object: obj("a"), expect: 0 }
        ])
      )
      assert.deepStrictEqual(conflict, { _tag: "CommitConflict", key: "k/ns/a", actual: 1 })
      assert.strictEqual(yield* backend.get("k/ns/b"), undefined)
      assert.strictEqual(yield* backend.revision, 1)
      const missing = yield* Effect.flip(backend.commit([{ key: "k/ns/zz", object: undefined }]))
      assert.strictEqual(missing.actual, 0)
    })
  )

  it.effect("lists by prefix in key order, after a key, up to a limit", () =>
    Effect.gen(function* () {
      const backend = makeBackendMemory()
      for (const key of ["pods/b/x", "pods/a/z", "pods/a/y", "configmaps/a/q", "pods/c/w"]) {
        yield* backend.commit([{ key, object: obj(key) }])
      }
      const keys = (items: ReadonlyArray<{ readonly key: string }>) => items.map((i) => i.key)
      assert.deepStrictEqual(keys(yield* backend.list("pods/")), ["pods/a/y", "pods/a/z", "pods/b/x", "pods/c/w"])
      assert.deepStrictEqual(keys(yield* backend.list("pods/a/")), ["pods/a/y", "pods/a/z"])
      assert.deepStrictEqual(keys(yield* backend.list("pods/", "pods/a/z", 2)), ["pods/b/x", "pods/c/w"])
      yield* backend.commit([{ key: "pods/a/z", object: undefined }])
      yield* backend.commit([{ key: "pods/a/a", object: obj("a") }])
      assert.deepStrictEqual(keys(yield* backend.list("pods/")), ["pods/a/a", "pods/a/y", "pods/b/x", "pods/c/w"])
      yield* backend.commit([{ key: "pods/a/z", object: obj("z") }])
      assert.deepStrictEqual(keys(yield* backend.list("pods/a/")), ["pods/a/a", "pods/a/y", "pods/a/z"])
      assert.deepStrictEqual(keys(yield* backend.list("nodes/")), [])
    })
  )

  it.effect("keeps the last historyWindow changes", () =>
    Effect.gen(function* () {
      const backend = makeBackendMemory({ historyWindow: 5 })
      for (let i = 0; i < 8; i++) yield* backend.commit([{ key: "k/ns/a", object: obj(String(i)) }])
      const since5 = yield* backend.changesSince(5)
      assert.deepStrictEqual(
        since5?.map((c) => c.resourceVersion),
        [6, 7, 8]
      )
      assert.deepStrictEqual(
        (yield* backend.changesSince(3))?.map((c) => c.resourceVersion),
        [4, 5, 6, 7, 8]
      )
      assert.strictEqual(yield* backend.changesSince(2), undefined)
      assert.deepStrictEqual(yield* backend.changesSince(8), [])
    })
  )

  it("the synchronous face reads what was last written, for any mix of reads, writes and deletes", () => {
    const backend = makeBackendMemory()
    const sync = backend.sync!
    /** the model: key -> [resourceVersion, name] */
    const model = new Map<string, readonly [number, string]>()
    let revision = 0
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const keys = ["k/ns/a", "k/ns/b", "k/ns/c"]
    // keys built afresh each time (equal strings, other objects), as the store builds them
    const fresh = (key: string) => ["k", "ns", key.slice(5)].join("/")
    for (let step = 0; step < 2000; step++) {
      const key = keys[random(keys.length)]!
      const op = random(5)
      if (op === 0) sync.get(fresh(key))
      else if (op === 1 || op === 2) {
        const name = `v${step}`
        const expect = random(4) === 0 ? 99 : (model.get(key)?.[0] ?? 0)
        const result = sync.commit([{ key: fresh(key), object: obj(name), expect, owned: random(2) === 0 }])
        if (expect === (model.get(key)?.[0] ?? 0)) model.set(key, [++revision, name])
        else assert.isFalse(Array.isArray(result))
      } else if (op === 3) {
        const result = sync.commit([{ key: fresh(key), object: undefined }])
        if (model.delete(key)) ++revision
        else assert.isFalse(Array.isArray(result))
      } else {
        // two keys in one commit
        const other = keys[(keys.indexOf(key) + 1) % keys.length]!
        sync.commit([
          { key, object: obj(`m${step}`) },
          { key: other, object: obj(`n${step}`) }
        ])
        model.set(key, [++revision, `m${step}`])
        model.set(other, [++revision, `n${step}`])
      }
      // read back starting at any key (the last one read or written among them)
      const first = random(keys.length)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[(first + i) % keys.length]!
        const stored = sync.get(fresh(k))
        const expected: ReadonlyArray<unknown> | undefined = model.get(k)
        const actual: ReadonlyArray<unknown> | undefined =
          stored === undefined ? undefined : [stored.resourceVersion, stored.object.metadata.name]
        assert.deepStrictEqual(actual, expected)
      }
    }
  })
})
