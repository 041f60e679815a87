import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import type { Event } from "../../src/api/Objects.js"
import {
  EventRecorderLive,
  makeEventSequence,
  spamBurst,
  spamRefillMillis,
  tryAccept
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
})
