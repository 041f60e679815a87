// The store's synchronous write core (delete, bind and patch on the backend's synchronous face)
// against the locked path (the same backend without a synchronous face): for any history of
// creates, graceful and forced deletes (preconditions, propagation, dry run, finalizers, owners,
// a terminating namespace), binds, status writes and patches, both give the same results and
// errors, the same objects and the same watch events, in the same order.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Random, Result } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import type { KubeObject, WatchEvent } from "../../src/api/Meta.js"
import { makeBackendMemory } from "../../src/layers/BackendMemory.js"
import { ObjectStoreLive } from "../../src/layers/ObjectStoreLive.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"
import { StorageBackend } from "../../src/services/StorageBackend.js"

type Choice = "right" | "wrong" | "none"

type Op =
  | {
      readonly op: "createPod"
      readonly name: string
      readonly namespace: string
      readonly node: boolean
      readonly finalizer: boolean
      readonly grace: number | undefined
      readonly owned: boolean
    }
  | { readonly op: "createOwner" }
  | {
      readonly op: "delete"
      readonly resource: "pods" | "configmaps"
      readonly name: string
      readonly namespace: string
      readonly grace: number | undefined
      readonly uid: Choice
      readonly rv: Choice
      readonly policy: "Orphan" | "Foreground" | "Background" | undefined
      readonly dryRun: boolean
    }
  | { readonly op: "bind"; readonly name: string; readonly namespace: string; readonly uid: Choice }
  | { readonly op: "status"; readonly name: string; readonly namespace: string; readonly phase: string }
  | { readonly op: "unfinalize"; readonly name: string; readonly namespace: string }
  | {
      readonly op: "label"
      readonly name: string
      readonly namespace: string
      readonly type: "merge" | "json" | "strategic"
      readonly value: number
      readonly status: boolean
    }
  | { readonly op: "advance"; readonly seconds: number }
  | { readonly op: "deleteNamespace" }

const name = fc.constantFrom("a", "b")
const namespace = fc.constantFrom("default", "other")
const choice = fc.constantFrom<Choice>("right", "right", "wrong", "none", "none", "none")

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("createPod" as const),
      name,
      namespace,
      node: fc.boolean(),
      finalizer: fc.boolean(),
      grace: fc.constantFrom(undefined, 0, 1, 30),
      owned: fc.boolean()
    })
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("createOwner" as const) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      resource: fc.constantFrom<"pods" | "configmaps">("pods", "pods", "configmaps"),
      name: fc.constantFrom("a", "b", "owner"),
      namespace,
      grace: fc.constantFrom(undefined, undefined, 0, 1, 5, 60),
      uid: choice,
      rv: choice,
      policy: fc.constantFrom(undefined, "Orphan" as const, "Foreground" as const, "Background" as const),
      dryRun: fc.constantFrom(false, false, false, false, true)
    })
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("bind" as const), name, namespace, uid: choice }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("status" as const),
      name,
      namespace,
      phase: fc.constantFrom("Running", "Succeeded", "Failed")
    })
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unfinalize" as const), name, namespace }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("label" as const),
      name,
      namespace,
      type: fc.constantFrom<"merge" | "json" | "strategic">("merge", "json", "strategic"),
      value: fc.nat(3),
      status: fc.boolean()
    })
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("advance" as const), seconds: fc.constantFrom(1, 2, 10, 40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deleteNamespace" as const) }) }
)

const podOf = (op: Extract<Op, { op: "createPod" }>, ownerUid: string | undefined): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: op.name,
      namespace: op.namespace,
      labels: { tier: "0" },
      ...(op.finalizer ? { finalizers: ["example.com/hold"] } : {}),
      ...(op.owned && ownerUid !== undefined
        ? { ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: ownerUid }] }
        : {})
    },
    spec: {
      ...(op.node ? { nodeName: "n1" } : {}),
      ...(op.grace === undefined ? {} : { terminationGracePeriodSeconds: op.grace }),
      containers: [{ name: "c", image: "busybox:1.36" }]
    }
  }) as KubeObject

const created = (name: string, namespace: string, more: Partial<Extract<Op, { op: "createPod" }>> = {}): Op => ({
  op: "createPod",
  name,
  namespace,
  node: true,
  finalizer: false,
  grace: undefined,
  owned: false,
  ...more
})
const deleted = (name: string, namespace: string, more: Partial<Extract<Op, { op: "delete" }>> = {}): Op => ({
  op: "delete",
  resource: "pods",
  name,
  namespace,
  grace: undefined,
  uid: "none",
  rv: "none",
  policy: undefined,
  dryRun: false,
  ...more
})

/** Histories through each branch that falls back to the locked path or writes twice. */
const examples: Array<[ReadonlyArray<Op>]> = [
  // graceful, then shortened to 0: the shortened deletion is written, then the pod removed
  [[created("a", "default"), deleted("a", "default"), deleted("a", "default", { grace: 0, uid: "right" })]],
  // the last pod of a terminating namespace: the namespace goes with it
  [[created("a", "other"), { op: "deleteNamespace" }, deleted("a", "other", { grace: 0 })]],
  [[created("a", "other", { node: false, finalizer: true }), { op: "deleteNamespace" }, deleted("a", "other")]],
  [
    [
      created("a", "other", { finalizer: true }),
      { op: "deleteNamespace" },
      { op: "unfinalize", name: "a", namespace: "other" }
    ]
  ],
  // an owner with dependents, by each propagation policy
  [[created("a", "default", { owned: true }), deleted("owner", "default", { resource: "configmaps" })]],
  [
    [
      created("a", "default", { owned: true }),
      deleted("owner", "default", { resource: "configmaps", policy: "Orphan" })
    ]
  ],
  [
    [
      created("a", "default", { owned: true }),
      deleted("owner", "default", { resource: "configmaps", policy: "Foreground" })
    ]
  ],
  // a finalizer holds a forced delete; removing it removes the pod
  [
    [
      created("a", "default", { finalizer: true }),
      deleted("a", "default", { grace: 0 }),
      { op: "unfinalize", name: "a", namespace: "default" }
    ]
  ],
  // bind, then a graceful delete of the bound pod after time passed
  [
    [
      created("a", "default", { node: false }),
      { op: "bind", name: "a", namespace: "default", uid: "right" },
      { op: "advance", seconds: 10 },
      deleted("a", "default", { grace: 5 }),
      deleted("a", "default", { grace: 1, dryRun: true })
    ]
  ]
]

/** A result or an error, every member in order. */
const outcome = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<string> =>
  Effect.map(Effect.result(effect), (result) =>
    Result.isSuccess(result)
      ? `ok ${JSON.stringify(result.success)}`
      : `error ${(result.failure as { _tag?: string })._tag} ${(result.failure as { message?: string }).message} ${JSON.stringify(result.failure)}`
  )

/** Runs `ops` on a store over `backend` and returns every outcome, the final objects and every watch event. */
const run = (ops: ReadonlyArray<Op>, synchronous: boolean) =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } })
      const start = yield* store.resourceVersion
      // an owner for the pods created with `owned` (deleted and created again by the history)
      yield* store.create("configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "owner", namespace: "default" }
      } as KubeObject)
      const lines: Array<string> = []
      const current = (resource: string, ns: string, n: string) =>
        Effect.option(store.get(resource, resource === "namespaces" ? undefined : ns, n))
      const pick = (chosen: Choice, value: string | undefined) =>
        chosen === "none" ? undefined : chosen === "wrong" ? "wrong" : value
      for (const op of ops) {
        switch (op.op) {
          case "createPod": {
            const owner = yield* current("configmaps", "default", "owner")
            const ownerUid = owner._tag === "Some" ? owner.value.metadata.uid : undefined
            lines.push(yield* outcome(store.create("pods", podOf(op, ownerUid))))
            break
          }
          case "createOwner":
            lines.push(
              yield* outcome(
                store.create("configmaps", {
                  apiVersion: "v1",
                  kind: "ConfigMap",
                  metadata: { name: "owner", namespace: "default" }
                } as KubeObject)
              )
            )
            break
          case "delete": {
            const ns = op.resource === "configmaps" ? "default" : op.namespace
            const found = yield* current(op.resource, ns, op.name)
            const meta = found._tag === "Some" ? found.value.metadata : undefined
            const uid = pick(op.uid, meta?.uid)
            const rv = pick(op.rv, meta?.resourceVersion)
            const preconditions = {
              ...(uid === undefined ? {} : { uid }),
              ...(rv === undefined ? {} : { resourceVersion: rv })
            }
            lines.push(
              yield* outcome(
                store.delete(op.resource, ns, op.name, {
                  ...(op.grace === undefined ? {} : { gracePeriodSeconds: op.grace }),
                  ...(uid === undefined && rv === undefined ? {} : { preconditions }),
                  ...(op.policy === undefined ? {} : { propagationPolicy: op.policy }),
                  ...(op.dryRun ? { dryRun: ["All"] } : {})
                })
              )
            )
            break
          }
          case "bind": {
            const found = yield* current("pods", op.namespace, op.name)
            const uid = pick(op.uid, found._tag === "Some" ? found.value.metadata.uid : undefined)
            lines.push(yield* outcome(store.bind(op.namespace, op.name, "n2", uid === undefined ? {} : { uid })))
            break
          }
          case "status": {
            const found = yield* current("pods", op.namespace, op.name)
            if (found._tag === "None") break
            lines.push(
              yield* outcome(store.updateStatus("pods", { ...found.value, status: { phase: op.phase } } as KubeObject))
            )
            break
          }
          case "unfinalize":
            lines.push(
              yield* outcome(store.patch("pods", op.namespace, op.name, "merge", { metadata: { finalizers: null } }))
            )
            break
          case "label": {
            const patch =
              op.type === "json"
                ? [{ op: "add", path: "/metadata/labels/tier", value: String(op.value) }]
                : { metadata: { labels: { tier: String(op.value) } } }
            lines.push(
              yield* outcome(
                store.patch(
                  "pods",
                  op.namespace,
                  op.name,
                  op.type,
                  op.status ? { status: { message: `m${op.value}` } } : patch,
                  op.status ? { subresource: "status" } : undefined
                )
              )
            )
            break
          }
          case "advance":
            yield* TestClock.adjust(op.seconds * 1000)
            break
          case "deleteNamespace":
            lines.push(yield* outcome(store.delete("namespaces", undefined, "other")))
            break
        }
      }
      for (const resource of ["pods", "configmaps", "namespaces"]) {
        lines.push(`list ${resource} ${JSON.stringify((yield* store.list(resource)).items)}`)
        const events: Array<WatchEvent<KubeObject>> = []
        yield* store.observe!(
          resource,
          { resourceVersion: start },
          {
            onEvents: (batch) => events.push(...batch),
            onEnd: (error) => events.push({ type: "ERROR", object: error } as never)
          }
        )
        lines.push(`events ${resource} ${JSON.stringify(events)}`)
      }
      return lines
    })
  ).pipe(
    Effect.provide(
      ObjectStoreLive.layer.pipe(
        Layer.provide(
          Layer.sync(StorageBackend, () => {
            const backend = makeBackendMemory()
            if (synchronous) return backend
            const { sync: _sync, ...asynchronous } = backend
            return StorageBackend.of(asynchronous)
          })
        )
      )
    ),
    Effect.provide(TestClock.layer()),
    Random.withSeed("fast-write")
  )

describe("synchronous write core", () => {
  it.effect("delete, bind and patch give the locked path's results, objects and events on random histories", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
          const fast = await Effect.runPromise(run(ops, true))
          const locked = await Effect.runPromise(run(ops, false))
          expect(fast).toEqual(locked)
        }),
        { numRuns: 300, examples }
      )
    )
  )

  it.effect("on a backend with a synchronous face, the hot deletes, bind and patch never use the Effect face", () => {
    let strict = false
    const backend = Layer.sync(StorageBackend, () => {
      const inner = makeBackendMemory()
      const guarded = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
        Effect.suspend(() => (strict ? Effect.die(new Error("the Effect face was used")) : effect))
      return StorageBackend.of({
        ...inner,
        get: (key) => guarded(inner.get(key)),
        commit: (mutations) => guarded(inner.commit(mutations))
      })
    })
    const pod = (name: string): KubeObject =>
      ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default" },
        spec: { containers: [{ name: "c", image: "busybox:1.36" }] }
      }) as KubeObject
    return Effect.gen(function* () {
      const store = yield* ObjectStore
      strict = true
      const a = (yield* store.create("pods", pod("a"))).object
      yield* store.create("pods", pod("b"))
      yield* store.bind("default", "a", "n1", { uid: a.metadata.uid! })
      yield* store.patch("pods", "default", "a", "merge", { status: { message: "m" } }, { subresource: "status" })
      const marked = yield* store.delete("pods", "default", "a", {})
      expect([marked.deleted, marked.object.metadata.deletionGracePeriodSeconds]).toEqual([false, 30])
      const removed = yield* store.delete("pods", "default", "a", {
        gracePeriodSeconds: 0,
        preconditions: { uid: a.metadata.uid! }
      })
      expect(removed.deleted).toBe(true)
      expect((yield* store.delete("pods", "default", "b", { gracePeriodSeconds: 0 })).deleted).toBe(true)
      const missing = yield* Effect.flip(store.delete("pods", "default", "b"))
      expect(missing._tag).toBe("NotFound")
    }).pipe(Effect.provide(ObjectStoreLive.layer.pipe(Layer.provide(backend))))
  })
})
