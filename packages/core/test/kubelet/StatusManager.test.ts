// The status manager writes a changed status on the informer copy's resourceVersion without reading
// the store first; when that copy is stale (another writer moved the pod), deleted or needs no write,
// the outcome is the one of the manager without a copy (read, then write): same stored pod, same
// resourceVersion, terminal phase kept.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod, PodStatus } from "../../src/api/Pod.js"
import { makeStatusManager } from "../../src/kubelet/StatusManager.js"
import { StoreMemory } from "../../src/layers/StoreMemory.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default" },
  spec: { nodeName: "n1", containers: [{ name: "app", image: "busybox" }] }
}

const running: PodStatus = { phase: "Running", podIP: "10.0.0.2" }
const failed: PodStatus = { phase: "Failed", reason: "DeadlineExceeded" }
/** `status` as the store keeps it (the pod's QoS class defaulted) */
const stored = (status: PodStatus): PodStatus => ({ ...status, qosClass: "BestEffort" })

/** How the informer's copy relates to the stored pod when the status is set. */
type Copy = "current" | "stale" | "none" | "deleted"

/** Sets `status` on a pod whose stored status is `before`, with the informer copy as `copy`; the result and the store's pod. */
const run = (copy: Copy, before: PodStatus | undefined, status: PodStatus, withCache: boolean) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const created = (yield* store.create("pods", pod)).object as Pod
    const first =
      before === undefined
        ? created
        : ((yield* store.updateStatus("pods", { ...created, status: before })).object as Pod)
    let informer: Pod | undefined = first
    if (copy === "stale") {
      // another writer changes the labels after the copy was taken
      yield* store.update("pods", { ...first, metadata: { ...first.metadata, labels: { moved: "yes" } } })
    }
    if (copy === "deleted") yield* store.delete("pods", "default", "p", { gracePeriodSeconds: 0 })
    if (copy === "none") informer = undefined
    let gets = 0
    const counted: ObjectStore["Service"] = {
      ...store,
      get: (...args: Parameters<ObjectStore["Service"]["get"]>) => {
        gets++
        return store.get(...args)
      }
    } as ObjectStore["Service"]
    const manager = makeStatusManager(counted, () => (withCache ? informer : undefined))
    const result = yield* manager.setStatus(first, status)
    const stored = yield* store.get<Pod>("pods", "default", "p").pipe(Effect.option)
    return {
      result: result === undefined ? undefined : { rv: result.metadata.resourceVersion, status: result.status },
      stored:
        stored._tag === "None"
          ? undefined
          : {
              rv: stored.value.metadata.resourceVersion,
              status: stored.value.status,
              labels: stored.value.metadata.labels
            },
      confirmed: result !== undefined && manager.isConfirmed(result, status),
      gets
    }
  }).pipe(Effect.provide(StoreMemory.layer))

describe("StatusManager", () => {
  const cases: ReadonlyArray<[string, Copy, PodStatus | undefined, PodStatus, number]> = [
    ["a changed status on a current copy: no read", "current", undefined, running, 0],
    ["a changed status on a stale copy: refused, then read and written", "stale", undefined, running, 1],
    ["a pod deleted after the copy: read, nothing written", "deleted", undefined, running, 1],
    ["no copy: read and written", "none", undefined, running, 1],
    ["an unchanged status: read (the copy is not trusted)", "current", running, stored(running), 1],
    ["a terminal phase is kept on a current copy: no read", "current", failed, running, 0],
    ["a terminal phase is kept on a stale copy", "stale", failed, running, 1]
  ]
  for (const [name, copy, before, status, gets] of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const withCopy = yield* run(copy, before, status, true)
        const reference = yield* run(copy, before, status, false)
        expect(withCopy.result).toEqual(reference.result)
        expect(withCopy.stored).toEqual(reference.stored)
        expect(withCopy.confirmed).toBe(reference.confirmed)
        expect(withCopy.gets).toBe(gets)
      })
    )
  }

  it.effect("a terminal phase stays", () =>
    Effect.gen(function* () {
      const outcome = yield* run("current", failed, running, true)
      expect(outcome.stored?.status).toEqual(stored({ ...running, phase: "Failed", reason: "DeadlineExceeded" }))
    })
  )
})
