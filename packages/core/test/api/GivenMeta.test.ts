// A clean create's given metadata replaces the object's own in one copy: the same members in the
// same order as `extend(object, { metadata })` (in place, or appended when the object had none).
import { describe, expect, it } from "@effect/vitest"
import { extend } from "../../src/api/Extend.js"
import type { KubeObject } from "../../src/api/Meta.js"
import { strategyFor } from "../../src/api/Strategy.js"

const metadata = { name: "e", namespace: "default", uid: "u", creationTimestamp: "2026-01-01T00:00:00Z" }
const context = { now: "2026-01-01T00:00:00Z", uid: "u", clean: true, metadata }

describe("prepareForCreate with given metadata", () => {
  it("keeps the members and their order as extend does", () => {
    const cases: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      [
        "events",
        {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: "x" },
          involvedObject: { kind: "Pod", name: "p" },
          reason: "Started",
          type: "Normal",
          count: 1,
          eventTime: null
        }
      ],
      ["configmaps", { kind: "ConfigMap", apiVersion: "v1", data: { a: "b" }, metadata: {} }],
      ["leases", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", spec: {} }]
    ]
    for (const [resource, object] of cases) {
      const prepared = strategyFor(resource).prepareForCreate(object as unknown as KubeObject, context)
      const expected = extend(object, { metadata })
      expect(JSON.stringify(prepared)).toBe(JSON.stringify(expected))
      expect(Object.keys(prepared)).toEqual(Object.keys(expected))
      expect(prepared).not.toBe(object)
      expect(prepared.metadata).toBe(metadata)
    }
  })
})
