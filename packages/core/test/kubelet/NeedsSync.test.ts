// Which pod updates reach the pod worker (`needsSync`): the kubelet's copy-free comparison against
// the plain definition (spec, metadata without its volatile fields, and the non-kubelet conditions
// as [type, status] pairs, each compared with jsonEqual).
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { Pod, PodCondition } from "../../src/api/Pod.js"
import { kubeletConditionTypes } from "../../src/domain/Conditions.js"
import { needsSync } from "../../src/kubelet/Kubelet.js"
import { jsonEqual } from "../../src/kubelet/StatusManager.js"

/** The definition `needsSync` must agree with. */
const reference = (before: Pod, after: Pod): boolean => {
  const strip = (meta: Pod["metadata"]) => {
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...rest } = meta
    return rest
  }
  const gates = (pod: Pod) =>
    (pod.status?.conditions ?? []).filter((c) => !kubeletConditionTypes.has(c.type)).map((c) => [c.type, c.status])
  return (
    !jsonEqual(before.spec, after.spec) ||
    !jsonEqual(strip(before.metadata), strip(after.metadata)) ||
    !jsonEqual(gates(before), gates(after))
  )
}

const base: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", uid: "u1", resourceVersion: "5", labels: { app: "a" } },
  spec: { nodeName: "n1", containers: [{ name: "app", image: "busybox" }] },
  status: { phase: "Pending" }
}

const condition = (type: string, status: PodCondition["status"]): PodCondition => ({ type, status })

describe("needsSync", () => {
  it.each<[string, Pod, boolean]>([
    ["a new resourceVersion only", { ...base, metadata: { ...base.metadata, resourceVersion: "6" } }, false],
    ["a status write", { ...base, status: { phase: "Running" } }, false],
    ["a kubelet condition", { ...base, status: { conditions: [condition("Ready", "True")] } }, false],
    ["a readiness gate condition", { ...base, status: { conditions: [condition("example.com/gate", "True")] } }, true],
    ["a label", { ...base, metadata: { ...base.metadata, labels: { app: "b" } } }, true],
    ["a deletion", { ...base, metadata: { ...base.metadata, deletionTimestamp: "2025-01-01T00:00:30Z" } }, true],
    [
      "an undefined member",
      { ...base, metadata: { ...base.metadata, annotations: undefined } } as unknown as Pod,
      false
    ],
    ["the generation", { ...base, metadata: { ...base.metadata, generation: 2 } }, false],
    ["the spec", { ...base, spec: { ...base.spec, activeDeadlineSeconds: 5 } }, true]
  ])("%s", (_, after, expected) => {
    expect(needsSync(base, after)).toBe(expected)
    expect(reference(base, after)).toBe(expected)
  })

  it("agrees with the definition on random updates", () => {
    const conditionTypes = fc.constantFrom("Ready", "PodScheduled", "ContainersReady", "DisruptionTarget", "x.io/gate")
    const statuses = fc.constantFrom<PodCondition["status"]>("True", "False", "Unknown")
    const conditions = fc.array(fc.record({ type: conditionTypes, status: statuses }), { maxLength: 4 })
    const labels = fc.option(fc.dictionary(fc.constantFrom("a", "b"), fc.constantFrom("x", "y")), { nil: undefined })
    const pod = fc.record({
      labels,
      generation: fc.constantFrom(1, 2),
      conditions,
      deleted: fc.boolean()
    })
    /** one field of the pod changed, at random (or none) */
    const edit = fc.oneof(
      fc.constant<Edit>({ kind: "none" }),
      fc.constant<Edit>({ kind: "resourceVersion" }),
      fc.constant<Edit>({ kind: "generation" }),
      fc.constant<Edit>({ kind: "undefinedMember" }),
      fc.constant<Edit>({ kind: "delete" }),
      labels.map((value): Edit => ({ kind: "labels", value })),
      conditions.map((value): Edit => ({ kind: "conditions", value })),
      fc.record({ kind: fc.constant("status" as const), index: fc.nat(3), status: statuses })
    )
    type Edit =
      | { readonly kind: "none" | "resourceVersion" | "generation" | "undefinedMember" | "delete" }
      | { readonly kind: "labels"; readonly value: Record<string, string> | undefined }
      | { readonly kind: "conditions"; readonly value: ReadonlyArray<PodCondition> }
      | { readonly kind: "status"; readonly index: number; readonly status: PodCondition["status"] }
    const toPod = (p: {
      labels: Record<string, string> | undefined
      generation: number
      conditions: ReadonlyArray<PodCondition>
      deleted: boolean
    }): Pod => ({
      ...base,
      metadata: {
        ...base.metadata,
        generation: p.generation,
        ...(p.labels !== undefined ? { labels: p.labels } : {}),
        ...(p.deleted ? { deletionTimestamp: "2025-01-01T00:00:30Z" } : {})
      },
      status: { phase: "Running", conditions: [...p.conditions] }
    })
    const applyEdit = (pod: Pod, e: Edit): Pod => {
      const conditions = pod.status?.conditions ?? []
      switch (e.kind) {
        case "none":
          return { ...pod }
        case "resourceVersion":
          return { ...pod, metadata: { ...pod.metadata, resourceVersion: "99" } }
        case "generation":
          return { ...pod, metadata: { ...pod.metadata, generation: (pod.metadata.generation ?? 0) + 1 } }
        case "undefinedMember":
          return { ...pod, metadata: { ...pod.metadata, annotations: undefined } } as unknown as Pod
        case "delete":
          return { ...pod, metadata: { ...pod.metadata, deletionGracePeriodSeconds: 0 } }
        case "labels": {
          const { labels: _, ...rest } = pod.metadata
          return { ...pod, metadata: e.value === undefined ? rest : { ...rest, labels: e.value } }
        }
        case "conditions":
          return { ...pod, status: { ...pod.status, conditions: [...e.value] } }
        case "status":
          return {
            ...pod,
            status: {
              ...pod.status,
              conditions: conditions.map((c, i) => (i === e.index ? { ...c, status: e.status } : c))
            }
          }
      }
    }
    let differing = 0
    let runs = 0
    fc.assert(
      fc.property(pod, edit, (p, e) => {
        const before = toPod(p)
        const after = applyEdit(before, e)
        const expected = reference(before, after)
        runs++
        if (expected) differing++
        expect(needsSync(before, after)).toBe(expected)
      }),
      { numRuns: 5_000 }
    )
    // both answers came up often
    expect(differing).toBeGreaterThan(runs / 10)
    expect(differing).toBeLessThan(runs - runs / 10)
  })
})
