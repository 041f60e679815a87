/**
 * `isClean`, the one walk the create path takes instead of three: when it says yes, the reference
 * walks (unknown fields, prune, type check) must find nothing, and a create prepared with the
 * `clean` hint must equal one prepared without it. Values are generated from the field catalogue
 * itself (every kind, every field), then broken at one random place.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { isClean, typeCauses } from "../../src/api/Decode.js"
import type { KubeObject } from "../../src/api/Meta.js"
import { resourceForKind } from "../../src/api/Resources.js"
import { prune, shapeForKind, unknownFieldsOf } from "../../src/api/Shape.js"
import { changedMembers, strategyFor, typesKeptByDefaulting } from "../../src/api/Strategy.js"
import { anyKind, type Breakage, broken, objectOf } from "./arbitraries.js"

describe("isClean", () => {
  it("a clean object from the catalogue is clean (the fast path is taken)", () => {
    fc.assert(
      fc.property(anyKind, ([kind, object]) => {
        expect(isClean(shapeForKind(kind)!, object)).toBe(true)
      }),
      { numRuns: 1000 }
    )
  })

  it("yes means the reference walks find nothing: no unknown field, prune returns the object, no type cause", () => {
    fc.assert(
      fc.property(
        anyKind,
        fc.nat(),
        fc.constantFrom<Breakage>("unknown", "null", "wrongType"),
        ([kind, object], at, how) => {
          const shape = shapeForKind(kind)!
          const value = broken(object, at, how)
          if (!isClean(shape, value)) return
          expect(unknownFieldsOf(shape, value)).toEqual([])
          expect(prune(shape, value)).toBe(value)
          expect(typeCauses(value)).toEqual([])
        }
      ),
      { numRuns: 1500 }
    )
  })

  it("no for each kind of breakage it exists to catch", () => {
    const shape = shapeForKind("Pod")!
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "a" }, spec: { containers: [{ name: "c" }] } }
    expect(isClean(shape, pod)).toBe(true)
    expect(isClean(shape, { ...pod, spec: { containers: [{ name: "c", imagee: "x" }] } })).toBe(false)
    expect(isClean(shape, { ...pod, metadata: { name: "a", labels: { a: null } } })).toBe(false)
    expect(isClean(shape, { ...pod, metadata: { name: "a", labels: null } })).toBe(false)
    expect(isClean(shape, { ...pod, spec: { containers: [null] } })).toBe(false)
    expect(isClean(shape, { ...pod, spec: { containers: [{ name: "c", ports: [{ containerPort: "80" }] }] } })).toBe(
      false
    )
    expect(isClean(shape, { ...pod, metadata: { name: "a", constructor: "x" } })).toBe(false)
    // a nullable time may be null: prune keeps it and the type check skips it
    const status = { conditions: [{ type: "Ready", status: "True", lastProbeTime: null }] }
    expect(isClean(shape, { ...pod, status })).toBe(true)
  })
})

describe("create with the clean hint", () => {
  it("equals create without it, and defaulting keeps a clean object's types", () => {
    fc.assert(
      fc.property(anyKind, ([kind, object]) => {
        const resource = resourceForKind(kind)?.resource
        if (resource === undefined) return
        const strategy = strategyFor(resource)
        const input = object as unknown as KubeObject
        expect(strategy.isClean(input)).toBe(true)
        const context = { now: "2026-01-01T00:00:00Z", uid: "u-1" }
        const hinted = strategy.prepareForCreate(input, { ...context, clean: true })
        const reference = strategy.prepareForCreate(input, context)
        expect(hinted).toEqual(reference)
        // for the other kinds defaulting may write an `undefined` member, a type cause: the hint skips nothing
        if (typesKeptByDefaulting(reference)) expect(typeCauses(reference)).toEqual([])
        expect(strategy.validate(hinted, true)).toEqual(strategy.validate(reference))
        expect(strategy.unknownFields(input)).toEqual([])
      }),
      { numRuns: 1000 }
    )
  })

  it("a broken object is never clean for the strategy unless the reference finds nothing", () => {
    fc.assert(
      fc.property(
        anyKind,
        fc.nat(),
        fc.constantFrom<Breakage>("unknown", "null", "wrongType"),
        ([kind, object], at, how) => {
          const resource = resourceForKind(kind)?.resource
          if (resource === undefined) return
          const strategy = strategyFor(resource)
          const input = broken(object, at, how) as KubeObject
          if (!strategy.isClean(input)) return
          const context = { now: "2026-01-01T00:00:00Z", uid: "u-1" }
          expect(strategy.unknownFields(input)).toEqual([])
          const reference = strategy.prepareForCreate(input, context)
          expect(strategy.prepareForCreate(input, { ...context, clean: true })).toEqual(reference)
          expect(strategy.validate(reference, true)).toEqual(strategy.validate(reference))
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("an object of another kind than the resource's is not clean for it", () => {
    expect(strategyFor("pods").isClean({ apiVersion: "v1", kind: "Node", metadata: { name: "a" } })).toBe(false)
  })
})

describe("update with the clean hint", () => {
  const context = { now: "2026-01-01T00:00:00Z", uid: "u-1" }
  /** a stored object, and an update of it: one top-level member taken from another object of the kind */
  const update = anyKind.chain(([kind, first]) =>
    fc.tuple(
      fc.constant(kind),
      fc.constant(first),
      objectOf(kind),
      fc.constantFrom("status", "spec", "metadata", "data", "type", "subsets"),
      fc.nat(),
      fc.constantFrom<Breakage | "none">("none", "unknown", "null", "wrongType")
    )
  )

  it("equals update without it; yes means no unknown field among the changed members", () => {
    fc.assert(
      fc.property(update, ([kind, first, second, member, at, how]) => {
        const resource = resourceForKind(kind)?.resource
        if (resource === undefined) return
        const strategy = strategyFor(resource)
        const old = strategy.prepareForCreate(first as unknown as KubeObject, context)
        const replaced = (second as Record<string, unknown>)[member]
        const value = how === "none" || replaced === undefined ? replaced : broken({ v: replaced }, at, how)
        const changed = (how === "none" || replaced === undefined ? value : (value as { v: unknown }).v) as unknown
        const candidate = { ...old, ...(changed === undefined ? {} : { [member]: changed }) } as KubeObject
        const clean = strategy.isCleanUpdate(candidate, old)
        if (how === "none") expect(clean).toBe(true)
        if (!clean) return
        expect(strategy.unknownFields(changedMembers(candidate, old))).toEqual([])
        const reference = strategy.prepareForUpdate(candidate, old)
        expect(strategy.prepareForUpdate(candidate, old, true)).toEqual(reference)
        if (typesKeptByDefaulting(reference)) expect(typeCauses(changedMembers(reference, old))).toEqual([])
        expect(strategy.validateUpdate(reference, old, true)).toEqual(strategy.validateUpdate(reference, old))
      }),
      { numRuns: 1500 }
    )
  })

  it("a status write's candidate (the stored object with the input's status) is clean when the input is", () => {
    // the store's status path skips its second walk on this implication
    fc.assert(
      fc.property(update, ([kind, first, second, member, at, how]) => {
        const resource = resourceForKind(kind)?.resource
        if (resource === undefined) return
        const strategy = strategyFor(resource)
        const old = strategy.prepareForCreate(first as unknown as KubeObject, context)
        // the stored object with one member replaced (possibly broken), or another object altogether
        const replaced = (second as Record<string, unknown>)[member]
        const value = how === "none" || replaced === undefined ? replaced : broken({ v: replaced }, at, how)
        const changed = (how === "none" || replaced === undefined ? value : (value as { v: unknown }).v) as unknown
        const input = (at % 4 === 0 ? { ...old, ...second } : { ...old, [member]: changed }) as KubeObject & {
          readonly status?: unknown
        }
        // as the store's `withStatus` builds it: the status replaced, or removed when the input has none
        const { status: _status, ...rest } = old as KubeObject & { readonly status?: unknown }
        const candidate = (input.status === undefined ? rest : { ...old, status: input.status }) as KubeObject
        if (strategy.isCleanUpdate(input, old)) expect(strategy.isCleanUpdate(candidate, old)).toBe(true)
      }),
      { numRuns: 1500 }
    )
  })

  it("a status write sharing spec and metadata checks only its status", () => {
    const strategy = strategyFor("pods")
    const old = strategy.prepareForCreate(
      { apiVersion: "v1", kind: "Pod", metadata: { name: "a" }, spec: { containers: [{ name: "c" }] } } as KubeObject,
      context
    )
    const write = (status: unknown) => ({ ...old, status }) as KubeObject
    expect(strategy.isCleanUpdate(write({ phase: "Running", podIP: "10.0.0.1" }), old)).toBe(true)
    expect(strategy.isCleanUpdate(write({ phase: "Running", podIPP: "10.0.0.1" }), old)).toBe(false)
    expect(strategy.isCleanUpdate(write({ phase: 1 }), old)).toBe(false)
    // a spec of its own (not the stored one) is walked too
    expect(
      strategy.isCleanUpdate({ ...write({}), spec: { containers: [{ name: "c", bad: 1 }] } } as KubeObject, old)
    ).toBe(false)
  })
})
