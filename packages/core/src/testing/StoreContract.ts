/**
 * The ObjectStore contract: one @effect/vitest suite that every ObjectStore layer must pass (the
 * in-memory store here, the SQLite store in @podlet/platform-node). It only uses the ObjectStore
 * interface: each test builds a fresh store from the layer, so the layer must start empty.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Layer } from "effect"
import { Effect, Fiber, Random, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import type { DeleteOptions, KubeObject, WatchEvent } from "../api/Meta.js"
import type { ObjectStore as ObjectStoreService, WriteOptions } from "../services/ObjectStore.js"
import { ObjectStore } from "../services/ObjectStore.js"

export interface StoreContractOptions {
  /**
   * The layer's watch history window, when small enough to exceed in a test (a few thousand
   * changes at most): enables the `Expired` tests.
   */
  readonly historyWindow?: number
}

type Store = ObjectStoreService["Service"]

interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}

interface ReplicaSet extends KubeObject {
  readonly spec: { readonly replicas: number; readonly selector: unknown; readonly template: unknown }
}

interface Pod extends KubeObject {
  readonly spec: {
    readonly nodeName?: string
    readonly terminationGracePeriodSeconds?: number
    readonly containers: ReadonlyArray<{
      readonly name: string
      readonly image: string
      readonly env?: ReadonlyArray<unknown>
    }>
  }
  readonly status?: { readonly phase?: string }
}

const configMap = (
  name: string,
  options: {
    readonly namespace?: string
    readonly data?: Record<string, string>
    readonly labels?: Record<string, string>
    readonly finalizers?: ReadonlyArray<string>
    readonly ownerReferences?: KubeObject["metadata"]["ownerReferences"]
  } = {}
): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    ...(options.finalizers === undefined ? {} : { finalizers: options.finalizers }),
    ...(options.ownerReferences === undefined ? {} : { ownerReferences: options.ownerReferences })
  },
  data: options.data ?? { key: "value" }
})

const pod = (
  name: string,
  options: {
    readonly namespace?: string
    readonly nodeName?: string
    readonly grace?: number
    readonly labels?: Record<string, string>
    readonly ownerReferences?: KubeObject["metadata"]["ownerReferences"]
  } = {}
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    ...(options.ownerReferences === undefined ? {} : { ownerReferences: options.ownerReferences })
  },
  spec: {
    ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
    ...(options.grace === undefined ? {} : { terminationGracePeriodSeconds: options.grace }),
    containers: [{ name: "app", image: "nginx:1.25" }]
  }
})

const replicaSet = (name: string): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: "default" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "nginx:1.25" }] } }
  }
})

const namespaceObject = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })

const t0 = Date.parse("2026-01-01T00:00:00Z")

/** Takes `n` events of a watch. */
const take = <T>(stream: Stream.Stream<WatchEvent<T>, unknown>, n: number) =>
  Stream.runCollect(Stream.take(stream, n)).pipe(Effect.orDie)

const rv = (object: KubeObject): number => Number(object.metadata.resourceVersion)

const summary = (events: ReadonlyArray<WatchEvent<KubeObject>>) =>
  events.map((e) => `${e.type} ${e.object.metadata.name ?? ""} ${e.object.metadata.resourceVersion ?? ""}`)

/** Registers the ObjectStore contract tests for `layer`. */
export const storeContract = (
  name: string,
  layer: Layer.Layer<ObjectStore>,
  options: StoreContractOptions = {}
): void => {
  /** a test body run against a fresh store, at 2026-01-01T00:00:00Z */
  const withStore = <A, E>(body: (store: Store) => Effect.Effect<A, E>) =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      return yield* Effect.gen(function* () {
        return yield* body(yield* ObjectStore)
      }).pipe(Effect.provide(layer, { local: true }))
    })

  describe(`ObjectStore contract: ${name}`, () => {
    describe("create", () => {
      it.effect(
        "sets uid, creationTimestamp, resourceVersion and the default namespace (no generation: a ConfigMap has none)",
        () =>
          withStore((store) =>
            Effect.gen(function* () {
              const { object } = yield* store.create("configmaps", configMap("a"))
              assert.match(
                object.metadata.uid ?? "",
                /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
              )
              assert.strictEqual(object.metadata.creationTimestamp, "2026-01-01T00:00:00Z")
              assert.strictEqual(object.metadata.generation, undefined)
              assert.strictEqual(object.metadata.namespace, "default")
              assert.strictEqual(object.metadata.resourceVersion, yield* store.resourceVersion)
              const got = yield* store.get<ConfigMap>("configmaps", "default", "a")
              assert.deepStrictEqual(got, object)
            })
          )
      )

      it.effect("uids come from the Random service (seedable)", () =>
        Effect.gen(function* () {
          const uidWithSeed = withStore((store) =>
            Effect.map(store.create("configmaps", configMap("a")), (r) => r.object.metadata.uid)
          ).pipe(Random.withSeed("podlet"))
          const first = yield* uidWithSeed
          const second = yield* uidWithSeed
          assert.strictEqual(first, second)
          const other = yield* withStore((store) =>
            Effect.map(store.create("configmaps", configMap("b")), (r) => r.object.metadata.uid)
          ).pipe(Random.withSeed("other"))
          assert.notStrictEqual(first, other)
        })
      )

      it.effect("cluster-scoped objects have no namespace", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("nodes", {
              apiVersion: "v1",
              kind: "Node",
              metadata: { name: "n1", namespace: "default" }
            })
            assert.strictEqual(object.metadata.namespace, undefined)
            const got = yield* store.get("nodes", undefined, "n1")
            assert.strictEqual(got.metadata.name, "n1")
          })
        )
      )

      it.effect("generateName adds five random characters", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const input: ConfigMap = { ...configMap(""), metadata: { generateName: "web-" } }
            const a = yield* store.create("configmaps", input)
            const b = yield* store.create("configmaps", input)
            assert.match(a.object.metadata.name ?? "", /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
            assert.notStrictEqual(a.object.metadata.name, b.object.metadata.name)
          })
        )
      )

      it.effect("a name or generateName is required", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(store.create("configmaps", { ...configMap(""), metadata: {} }))
            assert.strictEqual(error._tag, "Invalid")
            if (error._tag !== "Invalid") return
            assert.deepStrictEqual(error.causes, [
              {
                reason: "FieldValueRequired",
                message: "Required value: name or generateName is required",
                field: "metadata.name"
              }
            ])
          })
        )
      )

      it.effect("a second create of the same name is AlreadyExists", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a"))
            const error = yield* Effect.flip(store.create("configmaps", configMap("a")))
            assert.strictEqual(error._tag, "AlreadyExists")
            // the same name in another namespace is another object
            yield* store.create("configmaps", configMap("a", { namespace: "kube-system" }))
          })
        )
      )

      it.effect("dryRun checks everything and stores nothing", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const before = yield* store.resourceVersion
            const { object } = yield* store.create("configmaps", configMap("a"), { dryRun: true })
            assert.strictEqual(object.metadata.name, "a")
            assert.strictEqual(yield* store.resourceVersion, before)
            const error = yield* Effect.flip(store.get("configmaps", "default", "a"))
            assert.strictEqual(error._tag, "NotFound")
            const invalid = yield* Effect.flip(
              store.create("configmaps", { ...configMap(""), metadata: {} }, { dryRun: true })
            )
            assert.strictEqual(invalid._tag, "Invalid")
          })
        )
      )

      it.effect("objects cannot be created in a namespace that does not exist", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(store.create("configmaps", configMap("a", { namespace: "nope" })))
            assert.strictEqual(error._tag, "NotFound")
            if (error._tag === "NotFound") {
              assert.strictEqual(error.resource, "namespaces")
              assert.strictEqual(error.name, "nope")
            }
          })
        )
      )
    })

    describe("get and resourceVersion", () => {
      it.effect("get of a missing object is NotFound", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(store.get("pods", "default", "missing"))
            assert.strictEqual(error._tag, "NotFound")
            if (error._tag === "NotFound") {
              assert.strictEqual(error.resource, "pods")
              assert.strictEqual(error.name, "missing")
            }
          })
        )
      )

      it.effect("one cluster-wide resourceVersion counter across resources", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const start = Number(yield* store.resourceVersion)
            const a = yield* store.create("configmaps", configMap("a"))
            const b = yield* store.create("pods", pod("p"))
            const c = yield* store.create<KubeObject>("nodes", {
              apiVersion: "v1",
              kind: "Node",
              metadata: { name: "n" }
            })
            assert.isTrue(rv(a.object) > start)
            assert.isTrue(rv(b.object) > rv(a.object))
            assert.isTrue(rv(c.object) > rv(b.object))
            assert.strictEqual(yield* store.resourceVersion, c.object.metadata.resourceVersion)
          })
        )
      )
    })

    describe("namespaces", () => {
      it.effect("default, kube-system, kube-public and kube-node-lease exist at start", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const list = yield* store.list("namespaces")
            const names = list.items.map((n) => n.metadata.name)
            for (const n of ["default", "kube-system", "kube-public", "kube-node-lease"]) assert.include(names, n)
          })
        )
      )

      it.effect("deleting a namespace deletes what is in it, then itself", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("namespaces", namespaceObject("team"))
            yield* store.create("configmaps", configMap("a", { namespace: "team" }))
            yield* store.create("pods", pod("p", { namespace: "team" }))
            yield* store.create("configmaps", configMap("a"))
            const from = yield* store.resourceVersion
            const result = yield* store.delete("namespaces", undefined, "team")
            assert.isTrue(result.deleted)
            assert.strictEqual((yield* Effect.flip(store.get("namespaces", undefined, "team")))._tag, "NotFound")
            assert.strictEqual((yield* Effect.flip(store.get("configmaps", "team", "a")))._tag, "NotFound")
            assert.strictEqual((yield* Effect.flip(store.get("pods", "team", "p")))._tag, "NotFound")
            yield* store.get("configmaps", "default", "a")
            const events = yield* take(store.watch("namespaces", { resourceVersion: from }), 2)
            assert.deepStrictEqual(
              events.map((e) => [e.type, (e.object as { status?: { phase?: string } }).status?.phase]),
              [
                ["MODIFIED", "Terminating"],
                ["DELETED", "Terminating"]
              ]
            )
          })
        )
      )

      it.effect("a terminating namespace refuses new content and goes when its last pod does", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("namespaces", namespaceObject("team"))
            yield* store.create("pods", pod("p", { namespace: "team", nodeName: "node-1", grace: 30 }))
            const result = yield* store.delete("namespaces", undefined, "team")
            assert.isFalse(result.deleted)
            assert.strictEqual((result.object as { status?: { phase?: string } }).status?.phase, "Terminating")
            const error = yield* Effect.flip(store.create("configmaps", configMap("a", { namespace: "team" })))
            assert.strictEqual(error._tag, "Forbidden")
            if (error._tag === "Forbidden") {
              assert.include(
                error.message,
                "unable to create new content in namespace team because it is being terminated"
              )
            }
            const p = yield* store.get<Pod>("pods", "team", "p")
            assert.strictEqual(p.metadata.deletionTimestamp, "2026-01-01T00:00:30Z")
            // the kubelet finishes the pod: delete with grace 0
            yield* store.delete("pods", "team", "p", { gracePeriodSeconds: 0 })
            assert.strictEqual((yield* Effect.flip(store.get("namespaces", undefined, "team")))._tag, "NotFound")
          })
        )
      )
    })

    describe("list", () => {
      const seed = (store: Store) =>
        Effect.gen(function* () {
          yield* store.create("namespaces", namespaceObject("b-ns"))
          yield* store.create("pods", pod("web-2", { labels: { app: "web", tier: "front" }, nodeName: "node-1" }))
          yield* store.create("pods", pod("web-1", { labels: { app: "web", tier: "front" } }))
          yield* store.create(
            "pods",
            pod("db", { labels: { app: "db", tier: "back", legacy: "yes" }, nodeName: "node-2" })
          )
          yield* store.create("pods", pod("other", { namespace: "b-ns", labels: { app: "web" }, nodeName: "node-1" }))
          yield* store.create("pods", pod("nolabels", { namespace: "b-ns" }))
        })
      const names = (items: ReadonlyArray<KubeObject>) => items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)

      it.effect("lists in namespace/name order, in one namespace or all", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* seed(store)
            const all = yield* store.list("pods")
            assert.deepStrictEqual(names(all.items), [
              "b-ns/nolabels",
              "b-ns/other",
              "default/db",
              "default/web-1",
              "default/web-2"
            ])
            assert.strictEqual(all.resourceVersion, yield* store.resourceVersion)
            const inDefault = yield* store.list("pods", { namespace: "default" })
            assert.deepStrictEqual(names(inDefault.items), ["default/db", "default/web-1", "default/web-2"])
          })
        )
      )

      it.effect.each([
        ["app=web", ["b-ns/other", "default/web-1", "default/web-2"]],
        ["app==web,tier=front", ["default/web-1", "default/web-2"]],
        ["app!=web", ["b-ns/nolabels", "default/db"]],
        ["app in (db, web),tier notin (front)", ["b-ns/other", "default/db"]],
        ["legacy", ["default/db"]],
        ["!legacy,app", ["b-ns/other", "default/web-1", "default/web-2"]],
        ["", ["b-ns/nolabels", "b-ns/other", "default/db", "default/web-1", "default/web-2"]]
      ] as const)("label selector %s", ([selector, expected]) =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* seed(store)
            const list = yield* store.list("pods", { labelSelector: selector })
            assert.deepStrictEqual(names(list.items), [...expected])
          })
        )
      )

      it.effect.each([
        ["metadata.name=db", ["default/db"]],
        ["spec.nodeName=node-1", ["b-ns/other", "default/web-2"]],
        ["spec.nodeName=", ["b-ns/nolabels", "default/web-1"]],
        ["metadata.namespace!=default,spec.nodeName==node-1", ["b-ns/other"]]
      ] as const)("field selector %s", ([selector, expected]) =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* seed(store)
            const list = yield* store.list("pods", { fieldSelector: selector })
            assert.deepStrictEqual(names(list.items), [...expected])
          })
        )
      )

      it.effect("bad selectors are BadRequest", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const unsupported = yield* Effect.flip(store.list("pods", { fieldSelector: "foo=bar" }))
            assert.deepStrictEqual(
              [unsupported._tag, unsupported.message],
              ["BadRequest", "field label not supported: foo"]
            )
            const bad = yield* Effect.flip(store.list("pods", { labelSelector: "app in web" }))
            assert.strictEqual(bad._tag, "BadRequest")
            assert.include(bad.message, "unable to parse requirement")
            const watchError = yield* Effect.flip(Stream.runDrain(store.watch("pods", { fieldSelector: "foo=bar" })))
            assert.strictEqual(watchError._tag, "BadRequest")
          })
        )
      )

      it.effect("limit and continue page through every object once", () =>
        withStore((store) =>
          Effect.gen(function* () {
            for (let i = 0; i < 7; i++) yield* store.create("configmaps", configMap(`cm-${i}`))
            const first = yield* store.list("configmaps", { namespace: "default", limit: 3 })
            assert.deepStrictEqual(
              first.items.map((i) => i.metadata.name),
              ["cm-0", "cm-1", "cm-2"]
            )
            assert.strictEqual(first.remainingItemCount, 4)
            assert.isString(first.continue)
            // a write between pages does not change the list's resourceVersion
            yield* store.create("configmaps", configMap("zz"))
            const second = yield* store.list("configmaps", {
              namespace: "default",
              limit: 3,
              continue: first.continue!
            })
            assert.deepStrictEqual(
              second.items.map((i) => i.metadata.name),
              ["cm-3", "cm-4", "cm-5"]
            )
            assert.strictEqual(second.resourceVersion, first.resourceVersion)
            const third = yield* store.list("configmaps", {
              namespace: "default",
              limit: 3,
              continue: second.continue!
            })
            assert.deepStrictEqual(
              third.items.map((i) => i.metadata.name),
              ["cm-6", "zz"]
            )
            assert.strictEqual(third.continue, undefined)
            const bad = yield* Effect.flip(store.list("configmaps", { continue: "not-a-token" }))
            assert.strictEqual(bad._tag, "BadRequest")
          })
        )
      )

      it.effect("limit with a selector counts matching items", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* seed(store)
            const first = yield* store.list("pods", { labelSelector: "app=web", limit: 2 })
            assert.deepStrictEqual(names(first.items), ["b-ns/other", "default/web-1"])
            const rest = yield* store.list("pods", { labelSelector: "app=web", limit: 2, continue: first.continue! })
            assert.deepStrictEqual(names(rest.items), ["default/web-2"])
          })
        )
      )
    })

    describe("update", () => {
      it.effect("a stale resourceVersion is a Conflict; none is unconditional", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("configmaps", configMap("a"))
            const updated = yield* store.update("configmaps", { ...object, data: { key: "v2" } })
            assert.isTrue(rv(updated.object) > rv(object))
            const stale = yield* Effect.flip(store.update("configmaps", { ...object, data: { key: "v3" } }))
            assert.strictEqual(stale._tag, "Conflict")
            if (stale._tag === "Conflict") {
              assert.strictEqual(
                stale.message,
                'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again'
              )
            }
            const { resourceVersion: _, ...meta } = object.metadata
            const unconditional = yield* store.update("configmaps", { ...object, metadata: meta, data: { key: "v4" } })
            assert.deepStrictEqual(unconditional.object.data, { key: "v4" })
            assert.strictEqual(unconditional.object.metadata.uid, object.metadata.uid)
            assert.strictEqual(unconditional.object.metadata.creationTimestamp, object.metadata.creationTimestamp)
          })
        )
      )

      it.effect("an unchanged update writes nothing", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("configmaps", configMap("a"))
            const before = yield* store.resourceVersion
            const same = yield* store.update("configmaps", object)
            assert.strictEqual(same.object.metadata.resourceVersion, object.metadata.resourceVersion)
            assert.strictEqual(yield* store.resourceVersion, before)
          })
        )
      )

      it.effect("update of a missing object is NotFound", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(store.update("configmaps", configMap("nope")))
            assert.strictEqual(error._tag, "NotFound")
          })
        )
      )

      it.effect("PUT ignores status; PUT status changes only status", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("pods", pod("p", { nodeName: "node-1" }))
            const phase = object.status?.phase
            const put = yield* store.update<Pod>("pods", {
              ...object,
              metadata: { ...object.metadata, labels: { a: "b" } },
              status: { phase: "Running" }
            })
            assert.strictEqual(put.object.status?.phase, phase)
            assert.deepStrictEqual(put.object.metadata.labels, { a: "b" })
            const status = yield* store.updateStatus<Pod>("pods", {
              ...put.object,
              metadata: { ...put.object.metadata, labels: { c: "d" } },
              status: { phase: "Running" }
            })
            assert.strictEqual(status.object.status?.phase, "Running")
            assert.deepStrictEqual(status.object.metadata.labels, { a: "b" })
            assert.isTrue(rv(status.object) > rv(put.object))
          })
        )
      )

      it.effect("a ReplicaSet's spec change bumps metadata.generation; a label change does not", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create<ReplicaSet>("replicasets", replicaSet("rs"))
            assert.strictEqual(object.metadata.generation, 1)
            const relabelled = yield* store.update<ReplicaSet>("replicasets", {
              ...object,
              metadata: { ...object.metadata, labels: { a: "b" } }
            })
            assert.strictEqual(relabelled.object.metadata.generation, 1)
            const scaled = yield* store.update<ReplicaSet>("replicasets", {
              ...relabelled.object,
              spec: { ...relabelled.object.spec, replicas: 3 }
            })
            assert.strictEqual(scaled.object.metadata.generation, 2)
          })
        )
      )

      it.effect(
        "kinds without a generation get none on change: a ConfigMap's data; a pod (v1.32) on a spec change or a graceful delete",
        () =>
          withStore((store) =>
            Effect.gen(function* () {
              const { object } = yield* store.create<ConfigMap>("configmaps", configMap("c"))
              const changed = yield* store.update<ConfigMap>("configmaps", { ...object, data: { k: "changed" } })
              assert.strictEqual(changed.object.metadata.generation, undefined)
              const created = yield* store.create<Pod>("pods", pod("g", { nodeName: "node-1" }))
              assert.strictEqual(created.object.metadata.generation, undefined)
              const reimaged = yield* store.update<Pod>("pods", {
                ...created.object,
                spec: { ...created.object.spec, containers: [{ name: "app", image: "nginx:1.26" }] }
              })
              assert.strictEqual(reimaged.object.metadata.generation, undefined)
              const deleting = yield* store.delete("pods", "default", "g", { gracePeriodSeconds: 30 })
              assert.strictEqual(deleting.object.metadata.generation, undefined)
            })
          )
      )
    })

    describe("binding", () => {
      it.effect("bind sets nodeName and PodScheduled=True in one write; a second bind is a Conflict", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create<Pod>("pods", pod("p"))
            const from = yield* store.resourceVersion
            const bound = yield* store.bind<Pod>("default", "p", "node-1", { uid: object.metadata.uid! })
            assert.strictEqual(bound.object.spec.nodeName, "node-1")
            const conditions = (bound.object.status as { conditions?: ReadonlyArray<{ type: string; status: string }> })
              .conditions
            assert.strictEqual(conditions?.find((c) => c.type === "PodScheduled")?.status, "True")
            assert.strictEqual(Number(yield* store.resourceVersion), Number(from) + 1)
            assert.strictEqual((yield* Effect.flip(store.bind("default", "p", "node-2")))._tag, "Conflict")
            assert.strictEqual((yield* Effect.flip(store.bind("default", "nope", "node-1")))._tag, "NotFound")
          })
        )
      )
    })

    describe("patch", () => {
      it.effect("merge patch adds and removes labels", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a", { labels: { old: "x", keep: "y" } }))
            const { object } = yield* store.patch<ConfigMap>("configmaps", "default", "a", "merge", {
              metadata: { labels: { old: null, new: "z" } }
            })
            assert.deepStrictEqual(object.metadata.labels, { keep: "y", new: "z" })
          })
        )
      )

      it.effect("JSON patch applies operations in order; a failed test is BadRequest", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a"))
            const { object } = yield* store.patch<ConfigMap>("configmaps", "default", "a", "json", [
              { op: "add", path: "/data/other", value: "1" },
              { op: "replace", path: "/data/key", value: "2" }
            ])
            assert.deepStrictEqual(object.data, { key: "2", other: "1" })
            const error = yield* Effect.flip(
              store.patch("configmaps", "default", "a", "json", [{ op: "test", path: "/data/key", value: "nope" }])
            )
            assert.strictEqual(error._tag, "BadRequest")
          })
        )
      )

      it.effect("strategic merge patch merges containers by name", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("pods", pod("p"))
            const { object } = yield* store.patch<Pod>("pods", "default", "p", "strategic", {
              spec: { containers: [{ name: "app", image: "nginx:1.26" }] }
            })
            assert.strictEqual(object.spec.containers.length, 1)
            assert.strictEqual(object.spec.containers[0]?.image, "nginx:1.26")
          })
        )
      )

      it.effect("a patch carrying a stale resourceVersion is a Conflict; patching a missing object NotFound", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("configmaps", configMap("a"))
            yield* store.patch("configmaps", "default", "a", "merge", { data: { key: "b" } })
            const stale = yield* Effect.flip(
              store.patch("configmaps", "default", "a", "merge", {
                metadata: { resourceVersion: object.metadata.resourceVersion },
                data: { key: "c" }
              })
            )
            assert.strictEqual(stale._tag, "Conflict")
            const missing = yield* Effect.flip(store.patch("configmaps", "default", "zz", "merge", {}))
            assert.strictEqual(missing._tag, "NotFound")
          })
        )
      )

      it.effect("a status patch changes only status", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("pods", pod("p", { nodeName: "node-1" }))
            const { object } = yield* store.patch<Pod>(
              "pods",
              "default",
              "p",
              "merge",
              { metadata: { labels: { ignored: "yes" } }, status: { phase: "Running" } },
              { subresource: "status" }
            )
            assert.strictEqual(object.status?.phase, "Running")
            assert.strictEqual(object.metadata.labels, undefined)
          })
        )
      )
    })

    describe("delete", () => {
      it.effect("objects without grace or finalizers go at once", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("configmaps", configMap("a"))
            const result = yield* store.delete("configmaps", "default", "a")
            assert.isTrue(result.deleted)
            assert.strictEqual(result.object.metadata.uid, object.metadata.uid)
            assert.strictEqual((yield* Effect.flip(store.get("configmaps", "default", "a")))._tag, "NotFound")
            assert.strictEqual((yield* Effect.flip(store.delete("configmaps", "default", "a")))._tag, "NotFound")
          })
        )
      )

      it.effect("an unscheduled pod goes at once", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("pods", pod("p", { grace: 30 }))
            const result = yield* store.delete("pods", "default", "p")
            assert.isTrue(result.deleted)
          })
        )
      )

      it.effect(
        "a scheduled pod is marked with deletionTimestamp = now + grace, then removed by a grace-0 delete",
        () =>
          withStore((store) =>
            Effect.gen(function* () {
              yield* store.create("pods", pod("p", { nodeName: "node-1" }))
              yield* TestClock.adjust("100 seconds")
              const marked = yield* store.delete("pods", "default", "p")
              assert.isFalse(marked.deleted)
              assert.strictEqual(marked.object.metadata.deletionTimestamp, "2026-01-01T00:02:10Z")
              assert.strictEqual(marked.object.metadata.deletionGracePeriodSeconds, 30)
              // a second delete without a shorter grace changes nothing
              const again = yield* store.delete("pods", "default", "p")
              assert.isFalse(again.deleted)
              assert.strictEqual(again.object.metadata.resourceVersion, marked.object.metadata.resourceVersion)
              // a shorter grace shortens it, from the original request time
              const shorter = yield* store.delete("pods", "default", "p", { gracePeriodSeconds: 5 })
              assert.isFalse(shorter.deleted)
              assert.strictEqual(shorter.object.metadata.deletionTimestamp, "2026-01-01T00:01:45Z")
              assert.strictEqual(shorter.object.metadata.deletionGracePeriodSeconds, 5)
              const final = yield* store.delete("pods", "default", "p", { gracePeriodSeconds: 0 })
              assert.isTrue(final.deleted)
              assert.strictEqual((yield* Effect.flip(store.get("pods", "default", "p")))._tag, "NotFound")
            })
          )
      )

      it.effect("gracePeriodSeconds overrides terminationGracePeriodSeconds; a terminal pod goes at once", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("pods", pod("p", { nodeName: "node-1", grace: 60 }))
            const spec = yield* store.delete("pods", "default", "p")
            assert.strictEqual(spec.object.metadata.deletionGracePeriodSeconds, 60)
            yield* store.create("pods", pod("q", { nodeName: "node-1" }))
            const short = yield* store.delete("pods", "default", "q", { gracePeriodSeconds: 5 })
            assert.strictEqual(short.object.metadata.deletionTimestamp, "2026-01-01T00:00:05Z")
            const { object } = yield* store.create("pods", pod("r", { nodeName: "node-1" }))
            yield* store.updateStatus<Pod>("pods", { ...object, status: { phase: "Succeeded" } })
            assert.isTrue((yield* store.delete("pods", "default", "r")).deleted)
          })
        )
      )

      it.effect("preconditions on uid and resourceVersion", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("configmaps", configMap("a"))
            const uid = yield* Effect.flip(
              store.delete("configmaps", "default", "a", { preconditions: { uid: "other" } })
            )
            assert.strictEqual(uid._tag, "Conflict")
            const version = yield* Effect.flip(
              store.delete("configmaps", "default", "a", { preconditions: { resourceVersion: "1" } })
            )
            assert.strictEqual(version._tag, "Conflict")
            const ok = yield* store.delete("configmaps", "default", "a", {
              preconditions: { uid: object.metadata.uid!, resourceVersion: object.metadata.resourceVersion! }
            })
            assert.isTrue(ok.deleted)
          })
        )
      )

      it.effect("finalizers hold an object until the last one is removed by an update", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a", { finalizers: ["example.com/a", "example.com/b"] }))
            const marked = yield* store.delete("configmaps", "default", "a")
            assert.isFalse(marked.deleted)
            assert.strictEqual(marked.object.metadata.deletionTimestamp, "2026-01-01T00:00:00Z")
            const one = yield* store.update("configmaps", {
              ...marked.object,
              metadata: { ...marked.object.metadata, finalizers: ["example.com/b"] }
            })
            yield* store.get("configmaps", "default", "a")
            const added = yield* Effect.flip(
              store.update("configmaps", {
                ...one.object,
                metadata: { ...one.object.metadata, finalizers: ["example.com/b", "example.com/c"] }
              })
            )
            assert.strictEqual(added._tag, "Invalid")
            const from = yield* store.resourceVersion
            yield* store.update("configmaps", { ...one.object, metadata: { ...one.object.metadata, finalizers: [] } })
            assert.strictEqual((yield* Effect.flip(store.get("configmaps", "default", "a")))._tag, "NotFound")
            const events = yield* take(store.watch("configmaps", { resourceVersion: from }), 2)
            assert.deepStrictEqual(
              events.map((e) => [e.type, e.object.metadata.finalizers]),
              [
                ["MODIFIED", []],
                ["DELETED", []]
              ]
            )
          })
        )
      )

      it.effect("a pod with a finalizer outlives its grace-0 delete until the finalizer goes", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("pods", pod("p", { nodeName: "node-1" }))
            yield* store.update("pods", {
              ...object,
              metadata: { ...object.metadata, finalizers: ["example.com/hold"] }
            })
            yield* store.delete("pods", "default", "p")
            const forced = yield* store.delete("pods", "default", "p", { gracePeriodSeconds: 0 })
            assert.isFalse(forced.deleted)
            assert.strictEqual(forced.object.metadata.deletionGracePeriodSeconds, 0)
            const from = yield* store.resourceVersion
            yield* store.patch("pods", "default", "p", "json", [{ op: "remove", path: "/metadata/finalizers" }])
            assert.strictEqual((yield* Effect.flip(store.get("pods", "default", "p")))._tag, "NotFound")
            const events = yield* take(store.watch("pods", { resourceVersion: from }), 2)
            assert.deepStrictEqual(
              events.map((e) => [e.type, e.object.metadata.uid]),
              [
                ["MODIFIED", object.metadata.uid],
                ["DELETED", object.metadata.uid]
              ]
            )
          })
        )
      )

      it.effect("a dry-run delete changes nothing", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a"))
            yield* store.create("pods", pod("p", { nodeName: "node-1" }))
            const before = yield* store.resourceVersion
            const options = { dryRun: ["All"] } as unknown as DeleteOptions & WriteOptions
            assert.isTrue((yield* store.delete("configmaps", "default", "a", options)).deleted)
            const marked = yield* store.delete("pods", "default", "p", options)
            assert.isFalse(marked.deleted)
            assert.strictEqual(marked.object.metadata.deletionGracePeriodSeconds, 30)
            assert.strictEqual(yield* store.resourceVersion, before)
            yield* store.get("configmaps", "default", "a")
            assert.strictEqual((yield* store.get("pods", "default", "p")).metadata.deletionTimestamp, undefined)
          })
        )
      )

      const owned = (owner: KubeObject) => [
        { apiVersion: "v1", kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true }
      ]

      it.effect("Background propagation deletes dependents after the owner", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object: owner } = yield* store.create("configmaps", configMap("owner"))
            yield* store.create("configmaps", configMap("child", { ownerReferences: owned(owner) }))
            yield* store.create("pods", pod("p", { ownerReferences: owned(owner) }))
            yield* store.create("configmaps", configMap("unrelated"))
            const from = yield* store.resourceVersion
            yield* store.delete("configmaps", "default", "owner", { propagationPolicy: "Background" })
            assert.strictEqual((yield* Effect.flip(store.get("configmaps", "default", "child")))._tag, "NotFound")
            assert.strictEqual((yield* Effect.flip(store.get("pods", "default", "p")))._tag, "NotFound")
            yield* store.get("configmaps", "default", "unrelated")
            const events = yield* take(store.watch("configmaps", { resourceVersion: from }), 2)
            assert.deepStrictEqual(
              summary(events).map((s) => s.split(" ").slice(0, 2).join(" ")),
              ["DELETED owner", "DELETED child"]
            )
          })
        )
      )

      it.effect("Foreground propagation deletes dependents first", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object: owner } = yield* store.create("configmaps", configMap("owner"))
            yield* store.create("configmaps", configMap("child", { ownerReferences: owned(owner) }))
            const from = yield* store.resourceVersion
            const result = yield* store.delete("configmaps", "default", "owner", { propagationPolicy: "Foreground" })
            assert.isTrue(result.deleted)
            const events = yield* take(store.watch("configmaps", { resourceVersion: from }), 2)
            assert.deepStrictEqual(
              summary(events).map((s) => s.split(" ").slice(0, 2).join(" ")),
              ["DELETED child", "DELETED owner"]
            )
          })
        )
      )

      it.effect("Orphan propagation removes the ownerReference and keeps the dependent", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object: owner } = yield* store.create("configmaps", configMap("owner"))
            const other = { apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "other-uid" }
            yield* store.create("configmaps", configMap("child", { ownerReferences: [...owned(owner), other] }))
            yield* store.delete("configmaps", "default", "owner", { propagationPolicy: "Orphan" })
            const child = yield* store.get("configmaps", "default", "child")
            assert.deepStrictEqual(child.metadata.ownerReferences, [other])
          })
        )
      )
    })

    describe("watch", () => {
      it.effect("from a resourceVersion: ADDED, MODIFIED, DELETED in order", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const from = yield* store.resourceVersion
            const a = yield* store.create("configmaps", configMap("a"))
            const b = yield* store.update("configmaps", { ...a.object, data: { key: "2" } })
            const c = yield* store.delete("configmaps", "default", "a")
            yield* store.create("pods", pod("p"))
            const events = yield* take(store.watch("configmaps", { resourceVersion: from }), 3)
            assert.deepStrictEqual(
              events.map((e) => e.type),
              ["ADDED", "MODIFIED", "DELETED"]
            )
            assert.deepStrictEqual(events[0]?.object, a.object)
            assert.deepStrictEqual(events[1]?.object, b.object)
            assert.strictEqual(events[2]?.object.metadata.uid, c.object.metadata.uid)
            assert.isTrue(rv(events[2]!.object) > rv(b.object))
          })
        )
      )

      it.effect("resourceVersion 0 or unset: synthetic ADDED for current objects, then live changes", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a"))
            yield* store.create("configmaps", configMap("b"))
            yield* store.delete("configmaps", "default", "b")
            const fiber = yield* Effect.forkChild(take(store.watch("configmaps", { resourceVersion: "0" }), 2))
            const unset = yield* Effect.forkChild(take(store.watch("configmaps"), 2))
            yield* Effect.yieldNow
            yield* store.create("configmaps", configMap("c"))
            for (const f of [fiber, unset]) {
              const events = yield* Fiber.join(f)
              assert.deepStrictEqual(
                summary(events).map((s) => s.split(" ").slice(0, 2).join(" ")),
                ["ADDED a", "ADDED c"]
              )
            }
          })
        )
      )

      it.effect("namespace and selector filters; objects leaving the selector are DELETED, entering ADDED", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const from = yield* store.resourceVersion
            const a = yield* store.create("configmaps", configMap("a", { labels: { app: "web" } }))
            yield* store.create("configmaps", configMap("b", { labels: { app: "db" } }))
            yield* store.create("configmaps", configMap("c", { namespace: "kube-system", labels: { app: "web" } }))
            const moved = yield* store.update("configmaps", {
              ...a.object,
              metadata: { ...a.object.metadata, labels: { app: "db" } }
            })
            yield* store.update("configmaps", { ...moved.object, data: { key: "changed while out" } })
            const back = yield* store.patch("configmaps", "default", "a", "merge", {
              metadata: { labels: { app: "web" } }
            })
            yield* store.delete("configmaps", "default", "a")
            const events = yield* take(
              store.watch("configmaps", { resourceVersion: from, namespace: "default", labelSelector: "app=web" }),
              4
            )
            assert.deepStrictEqual(
              events.map((e) => e.type),
              ["ADDED", "DELETED", "ADDED", "DELETED"]
            )
            assert.deepStrictEqual(events[2]?.object, back.object)
            const byName = yield* take(
              store.watch("configmaps", { resourceVersion: from, fieldSelector: "metadata.name=c" }),
              1
            )
            assert.strictEqual(byName[0]?.object.metadata.namespace, "kube-system")
          })
        )
      )

      it.effect("bookmarks: the end of the initial events, then one per idle interval", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("a"))
            const current = yield* store.resourceVersion
            const initial = yield* take(store.watch("configmaps", { allowBookmarks: true }), 2)
            assert.deepStrictEqual(
              initial.map((e) => e.type),
              ["ADDED", "BOOKMARK"]
            )
            assert.strictEqual(initial[1]?.object.metadata.resourceVersion, current)
            assert.strictEqual(initial[1]?.object.kind, "ConfigMap")
            const fiber = yield* Effect.forkChild(
              take(store.watch("configmaps", { allowBookmarks: true, resourceVersion: current }), 1)
            )
            yield* Effect.yieldNow
            yield* store.create("pods", pod("p"))
            yield* TestClock.adjust("61 seconds")
            const idle = yield* Fiber.join(fiber)
            assert.strictEqual(idle[0]?.type, "BOOKMARK")
            assert.strictEqual(idle[0]?.object.metadata.resourceVersion, yield* store.resourceVersion)
          })
        )
      )

      it.effect("the DELETED event of a graceful pod deletion carries the pod's uid and last state", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const { object } = yield* store.create("pods", pod("p", { nodeName: "node-1" }))
            const from = yield* store.resourceVersion
            yield* store.delete("pods", "default", "p")
            yield* TestClock.adjust("30 seconds")
            yield* store.delete("pods", "default", "p", { gracePeriodSeconds: 0 })
            const events = yield* take(
              store.watch("pods", { resourceVersion: from, fieldSelector: "metadata.name=p" }),
              3
            )
            // the grace-0 delete is written (deletionGracePeriodSeconds 0), then the pod goes
            assert.deepStrictEqual(
              events.map((e) => [
                e.type,
                e.object.metadata.uid,
                e.object.metadata.deletionTimestamp,
                e.object.metadata.deletionGracePeriodSeconds
              ]),
              [
                ["MODIFIED", object.metadata.uid, "2026-01-01T00:00:30Z", 30],
                ["MODIFIED", object.metadata.uid, "2026-01-01T00:00:00Z", 0],
                ["DELETED", object.metadata.uid, "2026-01-01T00:00:00Z", 0]
              ]
            )
          })
        )
      )

      it.effect("cluster-scoped and event watches", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create<KubeObject>("nodes", { apiVersion: "v1", kind: "Node", metadata: { name: "n2" } })
            yield* store.create<KubeObject>("nodes", { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } })
            const nodes = yield* take(store.watch("nodes", { resourceVersion: "0" }), 2)
            assert.deepStrictEqual(
              nodes.map((e) => [e.type, e.object.metadata.name]),
              [
                ["ADDED", "n1"],
                ["ADDED", "n2"]
              ]
            )
            const from = yield* store.resourceVersion
            const event = (name: string, involved: string): KubeObject =>
              ({
                apiVersion: "v1",
                kind: "Event",
                metadata: { name },
                involvedObject: { kind: "Pod", name: involved, namespace: "default" },
                reason: "Started",
                type: "Normal"
              }) as KubeObject
            yield* store.create("events", event("a.1", "a"))
            yield* store.create("events", event("b.1", "b"))
            yield* store.create("events", event("a.2", "a"))
            const forA = yield* take(
              store.watch("events", { resourceVersion: from, fieldSelector: "involvedObject.name=a,type=Normal" }),
              2
            )
            assert.deepStrictEqual(
              forA.map((e) => e.object.metadata.name),
              ["a.1", "a.2"]
            )
          })
        )
      )

      it.effect("a malformed resourceVersion is BadRequest", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(Stream.runDrain(store.watch("configmaps", { resourceVersion: "abc" })))
            assert.strictEqual(error._tag, "BadRequest")
          })
        )
      )

      if (options.historyWindow !== undefined) {
        const window = options.historyWindow
        it.effect("a resourceVersion older than the history window is Expired; so is an old continue token", () =>
          withStore((store) =>
            Effect.gen(function* () {
              const from = yield* store.resourceVersion
              yield* store.create("configmaps", configMap("a"))
              yield* store.create("configmaps", configMap("b"))
              const page = yield* store.list("configmaps", { limit: 1 })
              for (let i = 0; i < window + 10; i++) {
                yield* store.patch("configmaps", "default", "a", "merge", { data: { key: String(i) } })
              }
              const error = yield* Effect.flip(Stream.runDrain(store.watch("configmaps", { resourceVersion: from })))
              assert.strictEqual(error._tag, "Expired")
              assert.include(error.message, "too old resource version")
              const continued = yield* Effect.flip(store.list("configmaps", { limit: 1, continue: page.continue! }))
              assert.strictEqual(continued._tag, "Expired")
            })
          )
        )
      }
    })

    describe("concurrency", () => {
      it.effect("20 writers retrying on Conflict lose no update", () =>
        withStore((store) =>
          Effect.gen(function* () {
            yield* store.create("configmaps", configMap("counter", { data: { n: "0" } }))
            const increment = Effect.gen(function* () {
              const current = yield* store.get<ConfigMap>("configmaps", "default", "counter")
              yield* Effect.yieldNow
              yield* store.update("configmaps", { ...current, data: { n: String(Number(current.data?.n) + 1) } })
            }).pipe(Effect.retry({ while: (e) => e._tag === "Conflict", schedule: Schedule.forever }))
            const writer = Effect.forEach(Array.from({ length: 10 }), () => increment, { discard: true })
            yield* Effect.forEach(Array.from({ length: 20 }), () => writer, { concurrency: "unbounded", discard: true })
            const final = yield* store.get<ConfigMap>("configmaps", "default", "counter")
            assert.strictEqual(final.data?.n, "200")
          })
        )
      )

      it.effect("concurrent watchers, some joining mid-write, each see every change once and in order", () =>
        withStore((store) =>
          Effect.gen(function* () {
            const from = yield* store.resourceVersion
            const writes = 300
            const watch = take(store.watch("configmaps", { resourceVersion: from }), writes)
            const early = yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.forkChild(watch))
            const writer = yield* Effect.forkChild(
              Effect.forEach(
                Array.from({ length: writes }, (_, i) => i),
                (i) =>
                  Effect.andThen(
                    i % 3 === 0
                      ? store.create("configmaps", configMap(`cm-${i}`))
                      : store.patch("configmaps", "default", `cm-${i - (i % 3)}`, "merge", {
                          data: { key: String(i) }
                        }),
                    i % 25 === 0 ? Effect.yieldNow : Effect.void
                  ),
                { discard: true }
              )
            )
            const late: Array<Fiber.Fiber<Array<WatchEvent<KubeObject>>>> = []
            for (let i = 0; i < 5; i++) {
              yield* Effect.yieldNow
              late.push(yield* Effect.forkChild(watch))
            }
            yield* Fiber.join(writer)
            const expected = Array.from({ length: writes }, (_, i) => Number(from) + i + 1)
            for (const fiber of [...early, ...late]) {
              const events = yield* Fiber.join(fiber)
              assert.deepStrictEqual(
                events.map((e) => rv(e.object)),
                expected
              )
            }
          })
        )
      )
    })

    describe("properties", () => {
      it.effect("watches replayed from any resourceVersion equal the store's history", () =>
        Effect.gen(function* () {
          type Op = { readonly op: "create" | "update" | "delete"; readonly name: string; readonly value: number }
          const opArb = fc.record({
            op: fc.constantFrom("create", "update", "delete"),
            name: fc.constantFrom("a", "b", "c"),
            value: fc.nat(9)
          }) as fc.Arbitrary<Op>
          const run = (ops: ReadonlyArray<Op>, cut: number) =>
            withStore((store) =>
              Effect.gen(function* () {
                const start = Number(yield* store.resourceVersion)
                for (const { op, name, value } of ops) {
                  const data = { key: String(value) }
                  const write =
                    op === "create"
                      ? store.create("configmaps", configMap(name, { data }))
                      : op === "update"
                        ? store.patch("configmaps", "default", name, "merge", { data })
                        : store.delete("configmaps", "default", name)
                  yield* Effect.ignore(write)
                }
                const end = Number(yield* store.resourceVersion)
                const history = yield* take(store.watch("configmaps", { resourceVersion: String(start) }), end - start)
                assert.deepStrictEqual(
                  history.map((e) => rv(e.object)),
                  Array.from({ length: end - start }, (_, i) => start + i + 1)
                )
                // the history replayed ends in the listed state
                const last = new Map<string, KubeObject>()
                for (const e of history) {
                  if (e.type === "DELETED") last.delete(e.object.metadata.name!)
                  else last.set(e.object.metadata.name!, e.object)
                }
                const list = yield* store.list("configmaps", { namespace: "default" })
                assert.deepStrictEqual(
                  list.items,
                  [...last.keys()].sort().map((k) => last.get(k)!)
                )
                const from = start + Math.floor(cut * (end - start + 1))
                const replay = yield* take(store.watch("configmaps", { resourceVersion: String(from) }), end - from)
                assert.deepStrictEqual(
                  replay,
                  history.filter((e) => rv(e.object) > from)
                )
              })
            )
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(
                fc.array(opArb, { maxLength: 40 }),
                fc.double({ min: 0, max: 0.999, noNaN: true }),
                (ops, cut) => Effect.runPromise(run(ops, cut).pipe(Effect.provide(TestClock.layer())))
              ),
              { numRuns: 40 }
            )
          )
        })
      )
    })
  })
}
