/**
 * The pod strategy's fast paths against the step-by-step composition they replace: a create
 * prepared in one copy must equal (members, values and key order) what withCreateMeta (no
 * generation: pods have none at v1.32), `defaultPod` and the initial status give one after the other, and validation
 * must give the same causes, on random valid, sparse and broken pods.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { pruneUnknown } from "../../src/api/Decode.js"
import { defaultPod } from "../../src/api/Defaults.js"
import { copyOf, extend } from "../../src/api/Extend.js"
import type { KubeObject } from "../../src/api/Meta.js"
import type { Pod } from "../../src/api/Pod.js"
import { podQOSClass } from "../../src/api/QOS.js"
import { type CreateContext, schedulingGatedCondition, strategyFor } from "../../src/api/Strategy.js"
import { type Breakage, broken, objectOf } from "./arbitraries.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The create steps as they were, one copy each (the reference). */
const referenceCreate = (object: KubeObject, context: CreateContext): KubeObject => {
  try {
    const pruned = context.clean === true ? object : pruneUnknown(object)
    const given = pruned.metadata
    let meta: KubeObject = pruned
    if (
      !(
        given.uid !== undefined &&
        given.uid !== "" &&
        given.creationTimestamp !== undefined &&
        given.creationTimestamp !== "" &&
        !("deletionTimestamp" in given) &&
        !("deletionGracePeriodSeconds" in given)
      )
    ) {
      const m: Mutable<KubeObject["metadata"]> = copyOf(given)
      if (m.uid === undefined || m.uid === "") m.uid = context.uid
      if (m.creationTimestamp === undefined || m.creationTimestamp === "") m.creationTimestamp = context.now
      if ("deletionTimestamp" in m) delete m.deletionTimestamp
      if ("deletionGracePeriodSeconds" in m) delete m.deletionGracePeriodSeconds
      meta = extend(pruned, { metadata: m })
    }
    const pod = defaultPod(meta as Pod)
    const gated = (pod.spec?.schedulingGates ?? []).length > 0
    const qosClass = podQOSClass(pod.spec)
    const out = copyOf(pod) as Mutable<Pod>
    out.status = gated
      ? { phase: "Pending", qosClass, conditions: [schedulingGatedCondition] }
      : { phase: "Pending", qosClass }
    return out
  } catch {
    return object
  }
}

/** Equal as JSON (key order included) and as values (`undefined` members included). */
const expectSame = (actual: unknown, expected: unknown): void => {
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected))
  expect(actual).toEqual(expected)
}

/** Pods from the catalogue, made likelier to be valid: a name, a namespace, named containers with images. */
const pods = fc
  .tuple(
    objectOf("Pod"),
    fc.boolean(),
    fc.constantFrom<Breakage | "none">("none", "none", "unknown", "null", "wrongType"),
    fc.nat()
  )
  .map(([raw, tidy, how, at]) => {
    const o = raw as Record<string, unknown> & { spec?: Record<string, unknown> }
    const pod =
      tidy && o.spec !== undefined
        ? {
            ...o,
            metadata: { ...(o.metadata as object), namespace: "default" },
            spec: {
              ...o.spec,
              containers: ((o.spec.containers as Array<Record<string, unknown>> | undefined) ?? [{}]).map((c, i) => ({
                ...c,
                name: `c${i}`,
                image: "nginx:1.27"
              }))
            }
          }
        : o
    return how === "none" ? pod : (broken(pod, at, how) as Record<string, unknown>)
  })

const contexts = fc.constantFrom<CreateContext>(
  { now: "2026-01-01T00:00:00Z", uid: "u-1" },
  { now: "2026-01-01T00:00:00Z", uid: "u-2", clean: true }
)

describe("pod create in one copy", () => {
  const strategy = strategyFor("pods")

  it("equals the step-by-step create, key order included, with the same causes", () => {
    fc.assert(
      fc.property(pods, contexts, (raw, context) => {
        const input = raw as unknown as KubeObject
        // another kind (a broken `kind`) takes the generic path, not the one under test
        if (input.kind !== "Pod") return
        // the hint only where the store gives it
        const ctx =
          context.clean === true && !strategy.isClean(input) ? { now: context.now, uid: context.uid } : context
        const reference = referenceCreate(input, ctx)
        const prepared = strategy.prepareForCreate(input, ctx)
        expectSame(prepared, reference)
        expect(strategy.validate(prepared, ctx.clean)).toEqual(strategyFor("pods").validate(reference))
      }),
      { numRuns: 400 }
    )
  })

  it("as the store calls it (uid, creationTimestamp and generation set) and with deletion members to drop", () => {
    const base = {
      apiVersion: "v1",
      kind: "Pod",
      spec: { containers: [{ name: "c", image: "nginx", resources: { limits: { cpu: "1", memory: "1Gi" } } }] }
    }
    const metas: ReadonlyArray<unknown> = [
      { name: "a", namespace: "default", uid: "x", creationTimestamp: "2026-01-01T00:00:00Z", generation: 1 },
      { name: "a", uid: "x", creationTimestamp: "2026-01-01T00:00:00Z" },
      { name: "a", uid: "", creationTimestamp: "", generation: 3 },
      { name: "a", deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 30, labels: { a: "b" } },
      { name: "a", uid: "x", creationTimestamp: "t", deletionGracePeriodSeconds: 0, generation: 1 },
      // metadata no decoder produced: copied member by member as the steps did (validation then rejects it)
      "not-a-number"
    ]
    for (const metadata of metas) {
      const input = { ...base, metadata } as KubeObject
      const context = { now: "2026-02-02T00:00:00Z", uid: "u-9" }
      const prepared = strategy.prepareForCreate(input, context)
      expectSame(prepared, referenceCreate(input, context))
      // nothing to set: the given metadata is kept as it is
      if (metas.indexOf(metadata) === 0) expect(prepared.metadata).toBe(metadata)
    }
  })

  it("with the store's metadata in the context equals the create of the object carrying it, in any member order", () => {
    fc.assert(
      fc.property(pods, fc.nat(), (raw, turn) => {
        const given = raw as unknown as KubeObject
        if (given.kind !== "Pod" || !strategy.isClean(given)) return
        // the members rotated: the usual order (one literal) and others (a copy)
        const keys = Object.keys(given)
        const input = Object.fromEntries(
          keys.map((_, i) => {
            const key = keys[(i + turn) % keys.length]!
            return [key, (given as unknown as Record<string, unknown>)[key]]
          })
        ) as unknown as KubeObject
        // as the store makes it: the client's members but the server's, then the server's
        const {
          deletionTimestamp: _t,
          deletionGracePeriodSeconds: _g,
          name: _n,
          namespace: _ns,
          uid: _u,
          creationTimestamp: _c,
          generation: _gen,
          resourceVersion: _rv,
          ...rest
        } = input.metadata
        const metadata = {
          ...rest,
          name: "n",
          namespace: "default",
          uid: "u-3",
          creationTimestamp: "2026-01-01T00:00:00Z",
          generation: 1
        }
        const context = { now: "2026-01-01T00:00:00Z", uid: "u-3", clean: true }
        const prepared = strategy.prepareForCreate(input, { ...context, metadata })
        expectSame(prepared, referenceCreate(extend(input, { metadata }), context))
        expectSame(prepared, strategy.prepareForCreate(extend(input, { metadata }), context))
        // nothing left to set: the store's metadata is used as it is
        expect(prepared.metadata).toBe(metadata)
      }),
      { numRuns: 400 }
    )
  })

  it("with the store's metadata in the context, other kinds as well", () => {
    const inputs = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels: { a: "b" } }, data: { k: "v" } },
      { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80 }] } },
      { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "r" }, spec: { template: { spec: {} } } }
    ] as unknown as ReadonlyArray<KubeObject>
    const resources = ["namespaces", "configmaps", "services", "replicasets"]
    inputs.forEach((input, i) => {
      const s = strategyFor(resources[i]!)
      const metadata = { ...input.metadata, uid: "u-4", creationTimestamp: "2026-01-01T00:00:00Z", generation: 1 }
      const context = { now: "2026-01-01T00:00:00Z", uid: "u-4", clean: s.isClean(input) }
      expectSame(
        s.prepareForCreate(input, { ...context, metadata }),
        s.prepareForCreate(extend(input, { metadata }), context)
      )
    })
  })

  it("leaves an object it cannot default as it is, as the steps did", () => {
    const inputs = [
      { apiVersion: "v1", kind: "Pod", metadata: { name: "a" }, spec: { containers: "ab" } },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "a" }, spec: { containers: [], initContainers: 3 } },
      { apiVersion: "v1", kind: "Pod", spec: {} }
    ] as unknown as ReadonlyArray<KubeObject>
    for (const input of inputs) {
      const context = { now: "2026-02-02T00:00:00Z", uid: "u-9" }
      expect(strategy.prepareForCreate(input, context)).toBe(input)
      expect(referenceCreate(input, context)).toBe(input)
    }
  })
})
