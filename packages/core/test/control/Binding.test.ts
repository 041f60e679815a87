// The pods/binding operation of the ObjectStore (K-bind): nodeName and PodScheduled=True in one write.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const pod = (name: string, extra: Partial<Pod["spec"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { containers: [{ name: "app", image: "busybox" }], ...extra }
})

describe("ObjectStore.bind", () => {
  it.effect("sets spec.nodeName and replaces PodScheduled=False with True", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.create("pods", pod("p", { schedulingGates: [{ name: "g" }] }))
      const before = yield* store.get<Pod>("pods", "default", "p")
      expect(before.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
        "PodScheduled=False/SchedulingGated"
      ])
      const bound = yield* store.bind<Pod>("default", "p", "n1")
      expect(bound.object.spec.nodeName).toBe("n1")
      const scheduled = bound.object.status?.conditions?.find((c) => c.type === "PodScheduled")
      expect(scheduled).toMatchObject({ status: "True", lastProbeTime: null })
      expect(scheduled?.reason).toBeUndefined()
      expect(Number(bound.object.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion))
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("refuses a pod already assigned, a deleted pod, a wrong uid and a missing pod", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.create("pods", pod("a", { nodeName: "n1" }))
      const again = yield* Effect.flip(store.bind("default", "a", "n2"))
      expect(again._tag).toBe("Conflict")
      expect(again.message).toBe(
        'Operation cannot be fulfilled on pods/binding "a": pod a is already assigned to node "n1"'
      )
      yield* store.create("pods", pod("b"))
      const wrongUid = yield* Effect.flip(store.bind("default", "b", "n1", { uid: "nope" }))
      expect(wrongUid._tag).toBe("Conflict")
      const missing = yield* Effect.flip(store.bind("default", "zz", "n1"))
      expect(missing._tag).toBe("NotFound")
    }).pipe(Effect.provide(StoreMemory.layer))
  )
})
