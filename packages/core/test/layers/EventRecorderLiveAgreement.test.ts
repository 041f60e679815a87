/**
 * The recorder against a reference copy of its earlier implementation: random sequences of
 * occurrences (objects, sources, field paths, reasons, messages, times across spam-filter refills,
 * filtered counts as the kubelet's crash-loop fast path asks them) write the same Events (every
 * member, in the same order) and answer the same.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import type { Event, ObjectReference } from "../../src/api/Objects.js"
import {
  EventRecorderLive,
  makeEventSequence,
  spamBurst,
  spamRefillMillis
} from "../../src/layers/EventRecorderLive.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { type EventRecord, EventRecorder } from "../../src/services/EventRecorder.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"
import { EventRecorderReference } from "./EventRecorderLiveReference.js"

type Op =
  | { readonly _tag: "record"; readonly event: EventRecord; readonly times: number }
  | { readonly _tag: "advance"; readonly millis: number }
  /** occurrences recorded lately (0: the last) or random ones (-1), as the fast path asks */
  | { readonly _tag: "filtered"; readonly picks: ReadonlyArray<readonly [number, EventRecord]> }

const objects: ReadonlyArray<ObjectReference> = [
  { kind: "Pod", namespace: "default", name: "a", uid: "ua", apiVersion: "v1" },
  { kind: "Pod", namespace: "default", name: "b", uid: "ub", apiVersion: "v1", resourceVersion: "7" },
  { kind: "Pod", namespace: "default", name: "a", uid: "ua2", apiVersion: "v1" },
  { kind: "Node", name: "n1", uid: "n1" },
  { kind: "Pod", namespace: "other", name: "a" }
]
const fieldPaths = [undefined, "spec.containers{c}", "spec.containers{d}"]
const sources = [{ component: "kubelet", host: "n1" }, { component: "kubelet", host: "n2" }, { component: "scheduler" }]

const eventArb: fc.Arbitrary<EventRecord> = fc
  .record({
    // mostly one object, so its bucket runs dry
    object: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: objects.length - 1 })),
    fieldPath: fc.integer({ min: 0, max: fieldPaths.length - 1 }),
    source: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: sources.length - 1 })),
    warning: fc.boolean(),
    reason: fc.constantFrom("BackOff", "Started", "Pulled"),
    message: fc.integer({ min: 0, max: 2 })
  })
  .map(({ fieldPath, message, object, reason, source, warning }) => {
    const base = objects[object]!
    const path = fieldPaths[fieldPath]
    return {
      // a fresh reference per occurrence, as the kubelet builds one
      involvedObject: path === undefined ? { ...base } : { ...base, fieldPath: path },
      type: warning ? ("Warning" as const) : ("Normal" as const),
      reason,
      // built per occurrence (not the same string object)
      message: `${reason} message ${message}`,
      source: sources[source]!
    }
  })

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(eventArb, fc.constantFrom(1, 2, 30))
      .map(([event, times]) => ({ _tag: "record" as const, event, times }))
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(0, 1, 999, 60_000, 299_999, 300_000, 900_000, 9_000_000)
      .map((millis) => ({ _tag: "advance" as const, millis }))
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(fc.integer({ min: -1, max: 4 }), eventArb), { minLength: 1, maxLength: 3 })
      .map((picks) => ({ _tag: "filtered" as const, picks }))
  }
)

const start = 1_700_000_000_000

/** Runs `ops` against a recorder; the Events written (in name order: creation order) and the answers. */
const run = (layer: Layer.Layer<EventRecorder, never, ObjectStore>, ops: ReadonlyArray<Op>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(start)
    const recorder = yield* EventRecorder
    const store = yield* ObjectStore
    const answers: Array<boolean> = []
    const recorded: Array<EventRecord> = []
    for (const op of ops) {
      if (op._tag === "record") {
        recorded.push(op.event)
        for (let i = 0; i < op.times; i++) yield* recorder.record(op.event)
      } else if (op._tag === "advance") yield* TestClock.adjust(op.millis)
      else {
        const filtered = recorder.filtered!
        const events = op.picks.map(([pick, random]) =>
          pick < 0 || recorded.length === 0 ? random : recorded[Math.max(0, recorded.length - 1 - pick)]!
        )
        const prepared = events.map((e) => filtered.prepareEventUnsafe(e))
        answers.push(filtered.countFilteredUnsafe(prepared, start))
        // and at the current time
        const now = yield* Effect.clockWith((clock) => Effect.succeed(clock.currentTimeMillisUnsafe()))
        answers.push(filtered.countFilteredUnsafe(prepared, now))
      }
    }
    // at last every occurrence again, past a full refill: the Events then carry every count
    yield* TestClock.adjust(spamBurst * spamRefillMillis)
    for (const event of recorded) yield* recorder.record(event)
    const events = (yield* store.list<Event>("events")).items
    return { answers, events: [...events].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)) }
  }).pipe(Effect.provide(Layer.provideMerge(layer, StoreMemory.layer)))

const both = (ops: ReadonlyArray<Op>, spamFilter: boolean) =>
  Effect.gen(function* () {
    const live = yield* run(EventRecorderLive.layerWith(makeEventSequence(), { spamFilter }), ops)
    const reference = yield* run(EventRecorderReference.layerWith(makeEventSequence(), { spamFilter }), ops)
    return { live, reference }
  })

/** an Event as a watcher sees it: every member, in order (the store's own members aside) */
const observed = (e: Event) => {
  const { metadata, ...rest } = e
  return JSON.stringify([metadata.name, metadata.namespace, metadata.resourceVersion, rest])
}

describe("EventRecorderLive agrees with its reference implementation", () => {
  for (const spamFilter of [true, false]) {
    it.effect(`random occurrences, spam filter ${spamFilter}`, () =>
      Effect.gen(function* () {
        const samples = fc.sample(fc.array(opArb, { minLength: 1, maxLength: 150 }), { numRuns: 80, seed: 42 })
        let counted = 0
        for (const ops of samples) {
          const { live, reference } = yield* both(ops, spamFilter)
          expect(live.answers).toEqual(reference.answers)
          expect(live.events.map(observed)).toEqual(reference.events.map(observed))
          counted += live.answers.filter((answer) => answer).length
        }
        // the filtered counts were exercised (only the spam filter drops occurrences)
        if (spamFilter) expect(counted).toBeGreaterThan(10)
        else expect(counted).toBe(0)
      })
    )
  }

  it.effect("past the 4,096 remembered events (the LRU forgets the same ones)", () =>
    Effect.gen(function* () {
      const ops: Array<Op> = []
      // uniform draws from 6,000 keys (about 5,200 distinct: past the LRU, with repeats)
      let seed = 7
      const rng = Array.from({ length: 12_000 }, () => {
        seed ^= seed << 13
        seed ^= seed >>> 17
        seed ^= seed << 5
        return (seed >>> 0) % 6_000
      })
      for (let i = 0; i < rng.length; i++) {
        const n = rng[i]!
        const base = objects[n % objects.length]!
        ops.push({
          _tag: "record",
          times: 1,
          event: {
            involvedObject: { ...base, fieldPath: `spec.containers{c${n % 7}}` },
            type: "Normal",
            reason: "Started",
            message: `occurrence ${n}`,
            source: sources[n % 2]!
          }
        })
        if (i % 500 === 0) ops.push({ _tag: "advance", millis: 300_000 })
      }
      for (const spamFilter of [true, false]) {
        const { live, reference } = yield* both(ops, spamFilter)
        // without the spam filter, past the LRU: keys forgotten and then written again as new Events
        const keys = new Set(live.events.map((e) => e.message)).size
        if (!spamFilter) expect([keys > 4_096, live.events.length > keys]).toEqual([true, true])
        expect(live.events.map(observed)).toEqual(reference.events.map(observed))
      }
    })
  )
})
