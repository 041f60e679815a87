// The kubelet's pod watch past the history window: a watch that ends with Expired is followed by a
// list and a watch from the list's resourceVersion, and nothing that changed meanwhile is lost.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Stream } from "effect"
import { Expired } from "../../src/api/Errors.js"
import type { KubeObject } from "../../src/api/Meta.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import type { WatchObserver, WatchOptions } from "../../src/services/ObjectStore.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"
import { cluster, cs, getPod, pod, sh, stateOf } from "../scenarios/support.js"

/** What the test controls of the kubelet's pod watches and lists (selected by `spec.nodeName=`). */
interface WatchHook {
  /** the next event of every open kubelet pod watch fails the watch with Expired instead (once) */
  expire: boolean
  /** while set, a kubelet pod list waits for it */
  gate: Deferred.Deferred<void> | undefined
  lists: number
  expired: number
  /** kubelet pod watch streams opened */
  streams: number
}

const isKubeletPods = (resource: string, fieldSelector: string | undefined): boolean =>
  resource === "pods" && fieldSelector?.startsWith("spec.nodeName=") === true

/**
 * The in-memory store with the hook in front of the kubelet's pod watches and lists: its watch
 * streams, and its callback watches (`observe`) unless `observe` is false (the store then has none
 * and the kubelet watches through the stream).
 */
const hookedStore = (hook: WatchHook, observe: boolean): Layer.Layer<ObjectStore> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const { observe: inner, ...store } = yield* ObjectStore
      const hookedObserve: ObjectStore["Service"]["observe"] =
        inner === undefined
          ? undefined
          : <T extends KubeObject>(resource: string, options: WatchOptions | undefined, observer: WatchObserver<T>) =>
              isKubeletPods(resource, options?.fieldSelector)
                ? inner<T>(resource, options, {
                    onEvents: (events) => {
                      if (!hook.expire) return observer.onEvents(events)
                      hook.expire = false
                      hook.expired++
                      observer.onEnd(new Expired({ message: "too old resource version" }))
                    },
                    onEnd: (error) => observer.onEnd(error)
                  })
                : inner<T>(resource, options, observer)
      return ObjectStore.of({
        ...store,
        ...(observe && hookedObserve !== undefined ? { observe: hookedObserve } : {}),
        list: (resource, options) => {
          if (!isKubeletPods(resource, options?.fieldSelector)) return store.list(resource, options)
          hook.lists++
          const gate = hook.gate
          return gate === undefined
            ? store.list(resource, options)
            : Effect.andThen(Deferred.await(gate), store.list(resource, options))
        },
        watch: (resource, options) => {
          const stream = store.watch(resource, options)
          if (!isKubeletPods(resource, options?.fieldSelector)) return stream
          hook.streams++
          return stream.pipe(
            Stream.mapEffect((event) => {
              if (!hook.expire) return Effect.succeed(event)
              hook.expire = false
              hook.expired++
              return Effect.fail(new Expired({ message: "too old resource version" }))
            })
          )
        }
      } as ObjectStore["Service"])
    })
  ).pipe(Layer.provide(StoreMemory.layer))

const server = { name: "web", image: "nginx:1.27" }

describe("kubelet pod watch", () => {
  it.effect.each([
    ["the callback watch", true],
    ["the watch stream", false]
  ] as const)(
    "Expired (%s): re-lists and watches again; pods created, deleted and removed meanwhile are all synced",
    ([_, observe]) =>
      Effect.gen(function* () {
        const hook: WatchHook = { expire: false, gate: undefined, lists: 0, expired: 0, streams: 0 }
        const c = yield* cluster({ store: hookedStore(hook, observe), extraImages: ["nginx:1.27"] })
        expect(c.store.observe !== undefined).toBe(observe)
        yield* c.apply(pod("a", { containers: [server] }))
        yield* c.apply(pod("gone", { containers: [server] }))
        const goneUid = (yield* getPod(c, "gone")).metadata.uid ?? ""
        const listsBefore = hook.lists

        // the watch expires at its next event; the re-list waits until the changes below are made
        hook.expire = true
        hook.gate = yield* Deferred.make<void>()
        yield* c.store.create("pods", pod("b", { containers: [sh("app", "sleep 3600")] }))
        yield* c.store.delete("pods", "default", "a", { gracePeriodSeconds: 30 })
        yield* c.store.delete("pods", "default", "gone", { gracePeriodSeconds: 0 })
        yield* Effect.yieldNow
        const gate = hook.gate
        hook.gate = undefined
        yield* Deferred.succeed(gate, undefined)
        yield* c.settle

        expect(hook.expired).toBe(1)
        // created while the watch was down: started
        const b = yield* getPod(c, "b")
        expect([b.status?.phase, stateOf(cs(b, "app"))]).toEqual(["Running", "R"])
        // gracefully deleted meanwhile: its server stopped on SIGTERM, the object removed
        expect(yield* c.pod("a")).toBeUndefined()
        // force-deleted meanwhile (absent from the list): its containers stopped all the same
        const containers = yield* c.nodes[0]!.runtime.listContainers(goneUid)
        expect(containers.filter((container) => container.state === "running")).toEqual([])

        // the new watch carries on: a later change reaches the kubelet
        yield* c.apply(pod("later", { containers: [server] }))
        expect((yield* getPod(c, "later")).status?.phase).toBe("Running")
        // one re-list, after the one Expired
        expect(hook.lists - listsBefore).toBe(1)
        // the kubelet watched through the store's callback face exactly when the store has one
        expect(hook.streams > 0).toBe(!observe)
      }).pipe(Effect.scoped)
  )
})
