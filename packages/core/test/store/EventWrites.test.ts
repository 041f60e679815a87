// An Event written as the recorder writes it (a create, then `count` + 1 updates) is stored with
// the members, values and key order it always had, and no generation (the apiserver's event
// strategy sets none); a ReplicaSet's spec update bumps its generation once; a pod has none (v1.32).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { KubeObject } from "../../src/api/Meta.js"
import type { Event } from "../../src/api/Objects.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const recorded = (): Event => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web-1.18ec4868207017e9", namespace: "default" },
  involvedObject: { kind: "Pod", namespace: "default", name: "web-1", uid: "p", apiVersion: "v1" },
  reason: "Started",
  message: "Started container app",
  type: "Normal",
  count: 1,
  firstTimestamp: "2026-01-01T00:00:00Z",
  lastTimestamp: "2026-01-01T00:00:00Z",
  eventTime: null,
  source: { component: "kubelet", host: "node-1" },
  reportingComponent: "kubelet",
  reportingInstance: "node-1"
})

const members = ["apiVersion", "kind", "metadata", "involvedObject", "reason", "message", "type", "count"]
const tail = ["firstTimestamp", "lastTimestamp", "eventTime", "source", "reportingComponent", "reportingInstance"]

describe("Event writes", () => {
  it.effect("create and count updates keep the Event's members, values and key order", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store
        .create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } } as KubeObject)
        .pipe(Effect.ignore)
      const input = recorded()
      const created = (yield* store.create("events", input)).object as Event
      expect(Object.keys(created)).toEqual([...members, ...tail])
      expect(Object.keys(created.metadata)).toEqual([
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "resourceVersion"
      ])
      expect(created.metadata.generation).toBeUndefined()
      expect(input.metadata).toEqual({ name: "web-1.18ec4868207017e9", namespace: "default" })

      let previous = created
      for (let count = 2; count <= 4; count++) {
        const update = { ...previous, count, lastTimestamp: `2026-01-01T00:00:0${count}Z` }
        const written = (yield* store.update("events", update)).object as Event
        expect(Object.keys(written)).toEqual([...members, ...tail])
        expect(Object.keys(written.metadata)).toEqual([
          "name",
          "uid",
          "creationTimestamp",
          "resourceVersion",
          "namespace"
        ])
        expect(written.metadata.generation).toBeUndefined()
        expect(Number(written.metadata.resourceVersion)).toBeGreaterThan(Number(previous.metadata.resourceVersion))
        expect(written.count).toBe(count)
        // the input and the stored object before are left as they were
        expect(update.metadata).toBe(previous.metadata)
        expect(yield* store.get("events", "default", created.metadata.name!)).toEqual(written)
        previous = written
      }

      // the same object again: unchanged, not written
      const same = (yield* store.update("events", { ...previous })).object
      expect(same.metadata.resourceVersion).toBe(previous.metadata.resourceVersion)
      // metadata only (labels): written, still no generation
      const labelled = (yield* store.update("events", {
        ...previous,
        metadata: { ...previous.metadata, labels: { a: "b" } }
      })).object
      expect(labelled.metadata.generation).toBeUndefined()
      expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(previous.metadata.resourceVersion))
    }).pipe(Effect.provide(StoreMemory.layer))
  )

  it.effect(
    "a ReplicaSet spec update bumps the generation once (the strategy's own metadata copy); a pod has none",
    () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store
          .create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } } as KubeObject)
          .pipe(Effect.ignore)
        const template = {
          metadata: { labels: { app: "a" } },
          spec: { containers: [{ name: "c", image: "busybox:1.36" }] }
        }
        const rs = (yield* store.create("replicasets", {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: { name: "a", namespace: "default" },
          spec: { replicas: 1, selector: { matchLabels: { app: "a" } }, template }
        } as KubeObject)).object as KubeObject & { spec: Record<string, unknown> }
        const scaled = (yield* store.update("replicasets", { ...rs, spec: { ...rs.spec, replicas: 2 } } as KubeObject))
          .object
        expect(scaled.metadata.generation).toBe(2)
        expect(rs.metadata.generation).toBe(1)
        const pod = (yield* store.create("pods", {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", namespace: "default" },
          spec: { containers: [{ name: "c", image: "busybox:1.36" }] }
        } as KubeObject)).object as KubeObject & { spec: { containers: ReadonlyArray<Record<string, unknown>> } }
        const spec = { ...pod.spec, containers: [{ ...pod.spec.containers[0]!, image: "busybox:1.37" }] }
        const updated = (yield* store.update("pods", { ...pod, spec } as KubeObject)).object
        expect([pod.metadata.generation, updated.metadata.generation]).toEqual([undefined, undefined])
      }).pipe(Effect.provide(StoreMemory.layer))
  )
})
