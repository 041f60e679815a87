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
    ["an undefined member", { ...base, metadata: { ...base.metadata, annotations: undefined } } as Pod, false],
    ["the generation", { ...base, metadata: { ...base.metadata, generation: 2 } }, false],
    ["the spec", { ...base, spec: { ...base.spec, activeDeadlineSeconds: 5 } }, true]
  ])("%s", (_, after, expected) => {
    expect(needsSync(base, after)).toBe(expected)
    expect(reference(base, after)).toBe(expected)
  })

  it("agrees with the definition on random updates", () => {
    const conditionTypes = fc.constantFrom("Ready", "PodScheduled", "ContainersReady", "DisruptionTarget", "x.io/gate")
    const conditions = fc.array(
      fc.record({ type: conditionTypes, status: fc.constantFrom("True", "False", "Unknown") }),
      { maxLength: 4 }
    )
    const metadata = fc.record(
      {
        name: fc.constant("p"),
        uid: fc.constantFrom("u1", "u2"),
        resourceVersion: fc.constantFrom("1", "2"),
        generation: fc.constantFrom(1, 2),
        labels: fc.option(fc.dictionary(fc.constantFrom("a", "b"), fc.constantFrom("x", "y")), { nil: undefined }),
        annotations: fc.option(fc.dictionary(fc.constantFrom("k"), fc.constantFrom("v", "w")), { nil: undefined }),
        deletionTimestamp: fc.option(fc.constant("2025-01-01T00:00:30Z"), { nil: undefined }),
        deletionGracePeriodSeconds: fc.option(fc.constantFrom(0, 30), { nil: undefined })
      },
      { requiredKeys: ["name"] }
    )
    const pod = fc.record({
      metadata,
      spec: fc.record({ nodeName: fc.constant("n1"), containers: fc.constant([{ name: "app", image: "busybox" }]) }),
      conditions,
      phase: fc.constantFrom("Pending", "Running")
    })
    const toPod = (p: {
      metadata: Pod["metadata"]
      spec: Pod["spec"]
      conditions: ReadonlyArray<PodCondition>
      phase: string
    }): Pod => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: p.metadata,
      spec: p.spec,
      status: { phase: p.phase, conditions: [...p.conditions] }
    })
    let differing = 0
    fc.assert(
      fc.property(pod, pod, (a, b) => {
        const before = toPod(a)
        const after = toPod(b)
        const expected = reference(before, after)
        if (expected) differing++
        expect(needsSync(before, after)).toBe(expected)
        expect(needsSync(before, before)).toBe(false)
      }),
      { numRuns: 2_000 }
    )
    // both answers came up often
    expect(differing).toBeGreaterThan(200)
    expect(differing).toBeLessThan(2_000)
  })
})
