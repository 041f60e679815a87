// A node's link to the API server: while it is cut, calls fail fast and watch events are held; once
// it is back they arrive in order. The callback watch (`observe`) and the watch stream through the
// link must hear the same events at the same moments.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import type { WatchEvent } from "../../src/api/Meta.js"
import type { Pod } from "../../src/api/Pod.js"
import { makeNodeLink } from "../../src/control/NodeLink.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const pod = (name: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox:1.36" }] }
})

const line = (event: WatchEvent<Pod>): string => `${event.type} ${event.object.metadata.name ?? ""}`

/** Lets the watch fiber run (bounded, no sleeping). */
const run = Effect.gen(function* () {
  for (let i = 0; i < 50; i++) yield* Effect.yieldNow
})

describe("NodeLink", () => {
  it.effect("holds watch events while cut and delivers them in order when back: observe and stream agree", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const link = makeNodeLink(store, "n1")
      const observe = link.store.observe
      expect(observe).toBeDefined()
      const viaObserve: Array<string> = []
      const viaStream: Array<string> = []
      const options = { fieldSelector: "spec.nodeName=n1" }
      yield* observe!<Pod>("pods", options, {
        onEvents: (events) => {
          for (const event of events) viaObserve.push(line(event))
        },
        onEnd: (error) => {
          viaObserve.push(`end ${String(error)}`)
        }
      })
      yield* link.store.watch<Pod>("pods", options).pipe(
        Stream.runForEach((event) =>
          Effect.sync(() => {
            viaStream.push(line(event))
          })
        ),
        Effect.forkScoped({ startImmediately: true })
      )

      yield* store.create("pods", pod("a"))
      yield* run
      expect(viaObserve).toEqual(["ADDED a"])
      expect(viaStream).toEqual(viaObserve)

      yield* link.disconnect
      const failed = yield* Effect.flip(link.store.get("pods", "default", "a"))
      expect(failed.message).toContain("node n1 cannot reach the API server")
      yield* store.create("pods", pod("b"))
      yield* store.delete("pods", "default", "a", { gracePeriodSeconds: 0 })
      yield* run
      // held behind the cut link
      expect(viaObserve).toEqual(["ADDED a"])
      expect(viaStream).toEqual(viaObserve)

      yield* link.connect
      yield* run
      expect(viaObserve).toEqual(["ADDED a", "ADDED b", "DELETED a"])
      expect(viaStream).toEqual(viaObserve)

      // and the link carries on
      yield* store.create("pods", pod("c"))
      yield* run
      expect(viaObserve).toEqual(["ADDED a", "ADDED b", "DELETED a", "ADDED c"])
      expect(viaStream).toEqual(viaObserve)
    }).pipe(Effect.scoped, Effect.provide(StoreMemory.layer))
  )

  it.effect("a store without observe gives a link without it (its watch is the only face)", () =>
    Effect.gen(function* () {
      const { observe: _, ...store } = yield* ObjectStore
      const link = makeNodeLink(ObjectStore.of(store), "n1")
      expect(link.store.observe).toBeUndefined()
    }).pipe(Effect.provide(StoreMemory.layer))
  )
})
