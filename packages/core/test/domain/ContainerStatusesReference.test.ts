// Container statuses built per container (object literals, a memo per pod spec) against the previous
// algorithm (`containerStatusesReference.ts`, no memo): random pods, runtime snapshots, start errors,
// probe results and previous statuses, over chains of generations that reuse the pod spec (so the
// memo is hit and missed); the JSON, key order included, must be the same at every step.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { ContainerStatus, Pod, PodStatus } from "../../src/api/Pod.js"
import type { ReasonCacheEntry } from "../../src/domain/ContainerStatuses.js"
import { buildContainerStatuses } from "../../src/domain/ContainerStatuses.js"
import type { ContainerProbeResults, ProbeResult } from "../../src/domain/Probe.js"
import type { ContainerInstance, ContainerRuntimeState, RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { referenceContainerStatuses } from "./containerStatusesReference.js"
import { at, containerArb, makePod } from "./fixtures.js"

const names = ["a", "b", "c", "i1", "i2"] as const

const podArb: fc.Arbitrary<Pod> = fc
  .record({
    init: fc.subarray(["i1", "i2"]),
    app: fc.subarray(["c", "a", "b"], { minLength: 1 }),
    restartPolicy: fc.constantFrom("Always", "OnFailure", "Never")
  })
  .chain(({ init, app, restartPolicy }) =>
    fc
      .tuple(fc.tuple(...init.map((n) => containerArb(n, true))), fc.tuple(...app.map((n) => containerArb(n, false))))
      .map(([initContainers, containers]) =>
        makePod({
          ...(initContainers.length > 0 ? { initContainers } : {}),
          containers,
          restartPolicy: restartPolicy as "Always" | "OnFailure" | "Never"
        })
      )
  )

let ids = 0

const instanceArb = (name: string): fc.Arbitrary<ContainerInstance> =>
  fc
    .record({
      state: fc.constantFrom<ContainerRuntimeState>("created", "running", "exited", "exited", "unknown"),
      rc: fc.nat(5),
      created: fc.nat(100),
      exitCode: fc.constantFrom(0, 1, 137),
      reason: fc.constantFrom(undefined, "Completed", "Error", "OOMKilled", ""),
      message: fc.constantFrom(undefined, "", "bye"),
      started: fc.boolean()
    })
    .map((r) => ({
      id: `containerd://${name}-${ids++}`,
      name,
      sandboxId: "s1",
      state: r.state,
      hash: "h",
      restartCount: r.rc,
      image: "docker.io/library/busybox:1.36",
      imageID: "sha256:x",
      createdAt: at(r.created),
      ...(r.state !== "created" && r.started ? { startedAt: at(r.created + 1) } : {}),
      ...(r.state === "exited"
        ? {
            finishedAt: at(r.created + 5),
            exitCode: r.exitCode,
            ...(r.reason !== undefined ? { reason: r.reason } : {}),
            ...(r.message !== undefined ? { message: r.message } : {})
          }
        : {})
    }))

const snapshotArb: fc.Arbitrary<RuntimeSnapshot> = fc
  .tuple(...names.map((n) => fc.array(instanceArb(n), { maxLength: 3 })))
  .map((lists) => ({ sandbox: { id: "s1", state: "ready", attempt: 0, createdAt: at(0) }, containers: lists.flat() }))

const reasonsArb: fc.Arbitrary<ReadonlyMap<string, ReasonCacheEntry>> = fc
  .array(
    fc.tuple(
      fc.constantFrom(...names),
      fc.constantFrom("CrashLoopBackOff", "ErrImagePull"),
      fc.constantFrom("", "back-off 10s", "back-off 20s")
    ),
    { maxLength: 3 }
  )
  .map((entries) => new Map(entries.map(([name, reason, message]) => [name, { reason, message }])))

const resultArb = fc.constantFrom<ProbeResult | undefined>(undefined, "Success", "Failure", "Unknown")

/** Probe results for some of the snapshot's instances. */
const probesFor = (snapshot: RuntimeSnapshot): fc.Arbitrary<ReadonlyMap<string, ContainerProbeResults>> =>
  fc
    .tuple(
      ...snapshot.containers.map((c) =>
        fc.option(fc.record({ startup: resultArb, readiness: resultArb }), { nil: undefined }).map((r) => {
          if (r === undefined) return undefined
          const results: { startup?: ProbeResult; readiness?: ProbeResult } = {}
          if (r.startup !== undefined) results.startup = r.startup
          if (r.readiness !== undefined) results.readiness = r.readiness
          return [c.id, results] as const
        })
      )
    )
    .map((entries) => new Map(entries.filter((e) => e !== undefined)))

/** Steps over a pool of two snapshots: a snapshot comes back with other start errors and probe results. */
const stepsArb = fc.tuple(snapshotArb, snapshotArb).chain((pool) =>
  fc.array(
    fc.nat(1).chain((i) =>
      fc.record({
        snapshot: fc.constant(pool[i]!),
        reasons: reasonsArb,
        probes: probesFor(pool[i]!),
        deleting: fc.boolean()
      })
    ),
    { minLength: 1, maxLength: 6 }
  )
)

const text = (statuses: {
  readonly initContainerStatuses: ReadonlyArray<ContainerStatus>
  readonly containerStatuses: ReadonlyArray<ContainerStatus>
}) => JSON.stringify([statuses.initContainerStatuses, statuses.containerStatuses])

describe("buildContainerStatuses", () => {
  it("gives the previous algorithm's statuses, key order included, over chains of generations", () => {
    fc.assert(
      fc.property(podArb, stepsArb, fc.boolean(), (pod, steps, repeat) => {
        let previous: PodStatus | undefined
        const all = repeat ? [...steps, ...steps] : steps
        for (const step of all) {
          // the same spec object throughout (the memo's key), deleted or not
          const metadata = { ...pod.metadata, ...(step.deleting ? { deletionTimestamp: "2025-01-01T00:10:00Z" } : {}) }
          const input = {
            pod: { ...pod, metadata },
            snapshot: step.snapshot,
            reasons: step.reasons,
            probes: step.probes,
            ...(previous !== undefined ? { previous } : {})
          }
          const built = buildContainerStatuses(input)
          expect(text(built)).toBe(text(referenceContainerStatuses(input)))
          previous = { initContainerStatuses: built.initContainerStatuses, containerStatuses: built.containerStatuses }
        }
      }),
      { numRuns: 400 }
    )
  })
})
