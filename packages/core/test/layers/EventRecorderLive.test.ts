import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import type { Event, ObjectReference } from "../../src/api/Objects.js"
import {
  copyReference,
  EventRecorderLive,
  makeEventSequence,
  sameReference,
  spamBurst,
  spamRefillMillis,
  tryAccept,
  uniqueHex
} from "../../src/layers/EventRecorderLive.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { type EventRecord, EventRecorder } from "../../src/services/EventRecorder.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

describe("client-go's spam filter (token bucket: burst 25, one token per 300 s)", () => {
  it.each([
    // [tokens before, ms since the last take, accepted, tokens after]
    [25, 0, true, 24],
    [1, 0, true, 0],
    [0, 0, false, 0],
    [0, spamRefillMillis - 1, false, (spamRefillMillis - 1) / spamRefillMillis],
    [0, spamRefillMillis, true, 0],
    [0, 100 * spamRefillMillis, true, spamBurst - 1]
  ])("%d tokens, %d ms later: accepted %s, %d left", (tokens, elapsed, accepted, left) => {
    const bucket = { tokens, at: 1_000 }
    expect(tryAccept(bucket, 1_000 + elapsed)).toBe(accepted)
    expect(bucket.tokens).toBeCloseTo(left, 9)
  })
})

const record = (reason: string): EventRecord => ({
  involvedObject: { kind: "Pod", namespace: "default", name: "p", uid: "u1", apiVersion: "v1" },
  type: "Warning",
  reason,
  message: `${reason} happened`,
  source: { component: "kubelet", host: "n1" }
})

const recorder = (spamFilter: boolean) =>
  EventRecorderLive.layerWith(makeEventSequence(), { spamFilter }).pipe(Layer.provideMerge(StoreMemory.layer))

const countsOf = Effect.gen(function* () {
  const store = yield* ObjectStore
  const list = yield* store.list<Event>("events", { namespace: "default" })
  return Object.fromEntries(list.items.map((e) => [e.reason, e.count]))
})

describe("EventRecorderLive", () => {
  it.effect("counts repeats of one event on one Event object", () =>
    Effect.gen(function* () {
      const events = yield* EventRecorder
      for (let i = 0; i < 40; i++) yield* events.record(record("BackOff"))
      expect(yield* countsOf).toEqual({ BackOff: 40 })
    }).pipe(Effect.provide(recorder(false)))
  )

  it.effect(
    "with the spam filter: 25 writes per source and object, then one per 5 minutes carrying every occurrence",
    () =>
      Effect.gen(function* () {
        const events = yield* EventRecorder
        for (let i = 0; i < 30; i++) yield* events.record(record("BackOff"))
        // the burst is per object, across reasons: the 26th..30th occurrence and this one are not written
        yield* events.record(record("Unhealthy"))
        expect(yield* countsOf).toEqual({ BackOff: 25 })
        yield* TestClock.adjust(spamRefillMillis)
        yield* events.record(record("BackOff"))
        expect(yield* countsOf).toEqual({ BackOff: 31 })
        // another object has its own bucket
        yield* events.record({
          ...record("Started"),
          involvedObject: { ...record("x").involvedObject, name: "q", uid: "u2" }
        })
        expect(yield* countsOf).toEqual({ BackOff: 31, Started: 1 })
      }).pipe(Effect.provide(recorder(true)))
  )

  it.effect("keeps apart occurrences that differ in any field of client-go's event key", () =>
    Effect.gen(function* () {
      const events = yield* EventRecorder
      const base = record("BackOff")
      const variants: ReadonlyArray<EventRecord> = [
        base,
        { ...base, source: { component: "kubelet", host: "n2" } },
        { ...base, source: { component: "scheduler", host: "n1" } },
        // (namespace too, but an Event is written to its object's namespace, and only default exists here)
        ...(["kind", "name", "uid", "apiVersion", "fieldPath"] as const).map((field) => ({
          ...base,
          involvedObject: { ...base.involvedObject, [field]: `other-${field}` }
        })),
        { ...base, type: "Normal" as const },
        { ...base, reason: "Other" },
        { ...base, message: "other message" }
      ]
      for (let round = 0; round < 3; round++) for (const v of variants) yield* events.record(v)
      const store = yield* ObjectStore
      const list = yield* store.list<Event>("events")
      expect(list.items.length).toBe(variants.length)
      expect(list.items.every((e) => e.count === 3)).toBe(true)
    }).pipe(Effect.provide(recorder(false)))
  )

  it.effect("forgets the least recently created of 4,096 events: its next occurrence starts a new Event", () =>
    Effect.gen(function* () {
      const events = yield* EventRecorder
      const nth = (i: number): EventRecord => ({
        ...record("Started"),
        involvedObject: { ...record("x").involvedObject, name: `p${i % 100}`, uid: `u${i % 100}` },
        message: `occurrence ${i}`
      })
      for (let i = 0; i <= 4096; i++) yield* events.record(nth(i))
      // the first was dropped to make room for the 4,097th; the second is still counted on its Event
      yield* events.record(nth(1))
      yield* events.record(nth(0))
      const store = yield* ObjectStore
      const list = yield* store.list<Event>("events")
      const first = list.items.filter((e) => e.message === "occurrence 0").map((e) => e.count)
      const second = list.items.filter((e) => e.message === "occurrence 1").map((e) => e.count)
      expect(first).toEqual([1, 1])
      expect(second).toEqual([2])
    }).pipe(Effect.provide(recorder(false)))
  )

  it.effect("the table of kinds starting again (4,096 distinct) loses no count and mixes up no members", () =>
    Effect.gen(function* () {
      const events = yield* EventRecorder
      const other = (i: number): EventRecord => ({
        ...record("Started"),
        involvedObject: { ...record("x").involvedObject, name: "q", uid: "u2" },
        message: `other ${i}`
      })
      const a = (reason: string): EventRecord => ({
        ...record(reason),
        involvedObject: { ...record("x").involvedObject, fieldPath: "spec.containers{a}" },
        message: "same message"
      })
      // 4,095 kinds, then A's (the table is full), then one more: the table starts again, A's observation stays
      for (let i = 0; i < 4095; i++) yield* events.record(other(i))
      yield* events.record(a("Pulled"))
      yield* events.record(other(4095))
      yield* events.record(a("Pulled"))
      yield* events.record(a("Created"))
      yield* events.record(a("Pulled"))
      const store = yield* ObjectStore
      const list = yield* store.list<Event>("events")
      const mine = list.items
        .filter((e) => e.involvedObject.uid === "u1")
        .map((e) => [e.reason, e.message, e.involvedObject.fieldPath, e.count])
        .sort()
      expect(mine).toEqual([
        ["Created", "same message", "spec.containers{a}", 1],
        ["Pulled", "same message", "spec.containers{a}", 3]
      ])
      expect(list.items.filter((e) => e.involvedObject.uid === "u2").length).toBe(4096)
    }).pipe(Effect.provide(recorder(false)))
  )

  it.effect("Events of one involved object share an equal involvedObject; a different one is its own", () =>
    Effect.gen(function* () {
      const events = yield* EventRecorder
      const container = (fieldPath: string, resourceVersion: string) => ({
        ...record("x").involvedObject,
        resourceVersion,
        fieldPath
      })
      const at = (reason: string, ref: EventRecord["involvedObject"]): EventRecord => ({
        ...record(reason),
        involvedObject: ref
      })
      // each occurrence with its own (equal) reference, as the kubelet builds one per event
      yield* events.record(at("Pulled", container("spec.containers{a}", "5")))
      yield* events.record(at("Created", container("spec.containers{a}", "5")))
      yield* events.record(at("Started", container("spec.containers{a}", "5")))
      yield* events.record(at("Pulled", container("spec.containers{b}", "5")))
      yield* events.record(at("Killing", container("spec.containers{a}", "6")))
      const store = yield* ObjectStore
      const list = yield* store.list<Event>("events")
      const of = (reason: string, field: string) =>
        list.items.find((e) => e.reason === reason && e.involvedObject.fieldPath === field)!.involvedObject
      const a = of("Pulled", "spec.containers{a}")
      expect(of("Created", "spec.containers{a}")).toBe(a)
      expect(of("Started", "spec.containers{a}")).toBe(a)
      expect(of("Pulled", "spec.containers{b}")).not.toBe(a)
      expect(of("Killing", "spec.containers{a}")).toEqual({ ...a, resourceVersion: "6" })
      // the shared reference is exactly what was recorded: members and order
      expect(Object.keys(a)).toEqual(["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"])
      expect(a).toEqual(container("spec.containers{a}", "5"))
    }).pipe(Effect.provide(recorder(false)))
  )
})

describe("sameReference", () => {
  it.each([
    [{ kind: "Pod", name: "p" }, { kind: "Pod", name: "p" }, true],
    [{ kind: "Pod", name: "p" }, { name: "p", kind: "Pod" }, false],
    [{ kind: "Pod", name: "p" }, { kind: "Pod", name: "q" }, false],
    [{ kind: "Pod" }, { kind: "Pod", name: "p" }, false],
    [{ kind: "Pod", fieldPath: undefined }, { kind: "Pod" }, false]
  ])("%o and %o: %s", (a, b, same) => {
    expect(sameReference(a as ObjectReference, b as ObjectReference)).toBe(same)
  })
})

describe("copyReference: same members in the same order, the given field path", () => {
  const container = {
    kind: "Pod",
    namespace: "default",
    name: "p",
    uid: "u",
    apiVersion: "v1",
    resourceVersion: "5",
    fieldPath: "spec.containers{a}"
  }
  it.each<[string, ObjectReference]>([
    ["a container's, as the kubelet builds it", container],
    ["without a resourceVersion", { kind: "Pod", namespace: "default", name: "p", uid: "u", fieldPath: "x" }],
    ["the pod's own", { kind: "Pod", namespace: "default", name: "p", uid: "u", apiVersion: "v1" }],
    ["members in another order", { fieldPath: "spec.containers{a}", kind: "Pod", name: "p", uid: "u" }]
  ])("%s", (_, reference) => {
    const path = `${reference.fieldPath ?? ""}`
    const copy = copyReference(reference, path)
    expect(copy).not.toBe(reference)
    expect(Object.entries(copy)).toEqual(Object.entries(reference))
    if (reference.fieldPath !== undefined) expect(copy.fieldPath).toBe(path)
  })
})

describe("uniqueHex: an Event name's suffix, (now * 10^6 + n) in hex", () => {
  const exact = (now: number, n: number) => (BigInt(now) * 1_000_000n + BigInt(n)).toString(16)
  it.each([
    [0, 0],
    [0, 15],
    [1, 0],
    [2 ** 24 - 1, 2 ** 32 - 1],
    [2 ** 24, 0],
    [1_700_000_000_000, 0],
    [1_700_000_000_000, 123_456],
    [Number.MAX_SAFE_INTEGER, 2 ** 32 - 1],
    // outside the fast path (BigInt)
    [5, 2 ** 32],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
  ])("%d ms, %d", (now, n) => {
    expect(uniqueHex(now, n)).toBe(exact(now, n))
  })
  it("equals the BigInt computation", () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 2 ** 33 }), (now, n) => {
        expect(uniqueHex(now, n)).toBe(exact(now, n))
      }),
      { numRuns: 2_000 }
    )
  })
})
