// The objects bind, graceful delete and patch write, against the spreads they were written with:
// the same members, values and key order (the store builds them with `extend`, which V8 on Node 20
// runs without the slow path of a spread that adds members its base lacks).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { KubeObject } from "../../src/api/Meta.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

type Json = Record<string, unknown>

const pod = (name: string, extra: Json = {}): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: { containers: [{ name: "c", image: "nginx:1.27" }], ...extra }
  }) as unknown as KubeObject

const sameJson = (actual: unknown, expected: unknown): void => {
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected))
}

const at = (object: KubeObject, member: string): Json => (object as unknown as Json)[member] as Json

describe("write shapes", () => {
  it.effect("bind: the pod with nodeName and PodScheduled=True, as the spreads built it", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      for (const [name, conditions] of [
        ["plain", undefined],
        ["gated", [{ type: "PodScheduled", status: "False", reason: "Unschedulable", lastProbeTime: null }]],
        ["other", [{ type: "Ready", status: "False" }]]
      ] as const) {
        let before = (yield* store.create("pods", pod(name))).object
        if (conditions !== undefined) {
          before = (yield* store.updateStatus("pods", {
            ...before,
            status: { ...at(before, "status"), conditions }
          } as KubeObject)).object
        }
        const { object } = yield* store.bind("default", name, "node-1")
        const scheduled = {
          type: "PodScheduled",
          status: "True",
          lastProbeTime: null,
          lastTransitionTime: "1970-01-01T00:00:00Z"
        }
        const list = (conditions ?? []) as ReadonlyArray<Json>
        sameJson(object, {
          ...before,
          metadata: { ...before.metadata, resourceVersion: object.metadata.resourceVersion },
          spec: { ...at(before, "spec"), nodeName: "node-1" },
          status: {
            ...at(before, "status"),
            conditions: list.some((c) => c.type === "PodScheduled")
              ? list.map((c) => (c.type === "PodScheduled" ? scheduled : c))
              : [...list, scheduled]
          }
        })
        expect(object.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion)
        // the stored object is not the one before (written as a new version)
        expect(before.metadata.resourceVersion).not.toBe(object.metadata.resourceVersion)
        sameJson(yield* store.get("pods", "default", name), object)
      }
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("graceful delete and a shorter grace: the metadata as the spreads built it", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const before = (yield* store.create("pods", pod("g", { nodeName: "node-1" }))).object
      const marked = (yield* store.delete("pods", "default", "g", { gracePeriodSeconds: 30 })).object
      expect(before.metadata.generation).toBeUndefined()
      sameJson(marked, {
        ...before,
        metadata: {
          ...before.metadata,
          deletionTimestamp: "1970-01-01T00:00:30Z",
          deletionGracePeriodSeconds: 30,
          resourceVersion: marked.metadata.resourceVersion
        }
      })
      const shortened = (yield* store.delete("pods", "default", "g", { gracePeriodSeconds: 10 })).object
      sameJson(shortened, {
        ...marked,
        metadata: {
          ...marked.metadata,
          deletionTimestamp: "1970-01-01T00:00:10Z",
          deletionGracePeriodSeconds: 10,
          resourceVersion: shortened.metadata.resourceVersion
        }
      })
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect("patch: the same object as the update a client would send with the patched members", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const patchedPod = (yield* store.create("pods", pod("p"))).object
      const updatedPod = (yield* store.create("pods", pod("q"))).object
      const patched = (yield* store.patch("pods", "default", "p", "merge", { metadata: { labels: { tier: "a" } } }))
        .object
      const updated = (yield* store.update("pods", {
        ...updatedPod,
        metadata: { ...updatedPod.metadata, labels: { app: "web", tier: "a" } }
      })).object
      const normalized = (object: KubeObject, from: KubeObject) =>
        JSON.stringify(object)
          .replaceAll(from.metadata.uid!, "UID")
          .replaceAll(`"${from.metadata.name}"`, '"NAME"')
          .replace(`"resourceVersion":"${object.metadata.resourceVersion}"`, '"resourceVersion":"RV"')
      expect(normalized(patched, patchedPod)).toBe(normalized(updated, updatedPod))
    }).pipe(Effect.provide(StoreMemory.layer))
  )
})
