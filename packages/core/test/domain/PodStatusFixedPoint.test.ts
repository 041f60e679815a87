// `regeneratesItself` against generation: whenever it says that generating again for the written pod
// (the status stored, the status as the previous one) gives the status back, generating does. Random
// pods (probes, sidecars, readiness gates, deletion), snapshots (instances in every state, missing
// ones), start errors, probe results, API statuses (non-kubelet conditions, terminal phases),
// evictions, IPs and times, over a chain of two generations before the written one.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { Pod, PodStatus } from "../../src/api/Pod.js"
import type { ReasonCacheEntry } from "../../src/domain/ContainerStatuses.js"
import { generatePodStatus, type PodStatusInput, regeneratesItself } from "../../src/domain/PodStatus.js"
import type { ContainerProbeResults, ProbeResult } from "../../src/domain/Probe.js"
import type { ContainerInstance, ContainerRuntimeState, RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { sameJson } from "../../src/domain/SameJson.js"
import { at, containerArb, iso, makePod } from "./fixtures.js"

const names = ["a", "b", "i1"] as const

const podArb: fc.Arbitrary<Pod> = fc
  .record({
    init: fc.boolean(),
    app: fc.subarray(["a", "b"], { minLength: 1 }),
    restartPolicy: fc.constantFrom("Always", "OnFailure", "Never"),
    gate: fc.boolean(),
    deleting: fc.boolean(),
    apiPhase: fc.constantFrom(undefined, "Pending", "Running", "Failed", "Succeeded"),
    apiGate: fc.constantFrom(undefined, "True", "False"),
    apiReason: fc.constantFrom(undefined, "Evicted")
  })
  .chain((r) =>
    fc
      .tuple(
        r.init ? containerArb("i1", true).map((c) => [c]) : fc.constant([]),
        fc.tuple(...r.app.map((n) => containerArb(n, false)))
      )
      .map(([initContainers, containers]): Pod => {
        const pod = makePod(
          {
            ...(initContainers.length > 0 ? { initContainers } : {}),
            containers,
            restartPolicy: r.restartPolicy as "Always" | "OnFailure" | "Never",
            ...(r.gate ? { readinessGates: [{ conditionType: "example.com/gate" }] } : {})
          },
          r.deleting ? { deletionTimestamp: iso(50) } : {}
        )
        const status: PodStatus = {
          ...(r.apiPhase !== undefined ? { phase: r.apiPhase as PodStatus["phase"] & string } : {}),
          ...(r.apiReason !== undefined ? { reason: r.apiReason } : {}),
          ...(r.apiGate !== undefined
            ? { conditions: [{ type: "example.com/gate", status: r.apiGate as "True" | "False" }] }
            : {})
        }
        return { ...pod, status }
      })
  )

let ids = 0

const instanceArb = (name: string): fc.Arbitrary<ContainerInstance> =>
  fc
    .record({
      state: fc.constantFrom<ContainerRuntimeState>("created", "running", "running", "exited", "exited", "unknown"),
      rc: fc.nat(3),
      created: fc.nat(100),
      exitCode: fc.constantFrom(0, 1, 137),
      reason: fc.constantFrom(undefined, "Completed", "Error")
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
      ...(r.state !== "created" ? { startedAt: at(r.created + 1) } : {}),
      ...(r.state === "exited"
        ? {
            finishedAt: at(r.created + 5),
            exitCode: r.exitCode,
            ...(r.reason !== undefined ? { reason: r.reason } : {})
          }
        : {})
    }))

const snapshotArb: fc.Arbitrary<RuntimeSnapshot> = fc
  .record({
    lists: fc.tuple(...names.map((n) => fc.array(instanceArb(n), { minLength: 0, maxLength: 2 }))),
    sandbox: fc.constantFrom("ready", "notready", "none")
  })
  .map(({ lists, sandbox }) => {
    const containers = lists.flat()
    return sandbox === "none"
      ? { containers }
      : {
          sandbox: { id: "s1", state: sandbox as "ready" | "notready", attempt: 0, ip: "10.0.0.5", createdAt: at(0) },
          containers
        }
  })

const reasonsArb: fc.Arbitrary<ReadonlyMap<string, ReasonCacheEntry>> = fc
  .array(fc.tuple(fc.constantFrom(...names), fc.constantFrom("CrashLoopBackOff", "ErrImagePull")), { maxLength: 2 })
  .map((entries) => new Map(entries.map(([name, reason]) => [name, { reason, message: "back-off 10s" }])))

const resultArb = fc.constantFrom<ProbeResult | undefined>(undefined, "Success", "Failure")

const probesFor = (snapshot: RuntimeSnapshot): fc.Arbitrary<ReadonlyMap<string, ContainerProbeResults>> =>
  fc.tuple(...snapshot.containers.map(() => fc.record({ startup: resultArb, readiness: resultArb }))).map(
    (results) =>
      new Map(
        results.map((r, i) => {
          const out: { startup?: ProbeResult; readiness?: ProbeResult } = {}
          if (r.startup !== undefined) out.startup = r.startup
          if (r.readiness !== undefined) out.readiness = r.readiness
          return [snapshot.containers[i]!.id, out] as const
        })
      )
  )

/** The inputs besides pod, snapshot and previous (the kubelet's memory, fixed across the chain's last steps). */
const othersArb = fc.record({
  podIsTerminal: fc.boolean(),
  evict: fc.option(
    fc.constantFrom(undefined, "DeletionByTaintManager").map((disruptionReason) => ({
      reason: "DeadlineExceeded",
      message: "Pod was active on the node longer than the specified deadline",
      ...(disruptionReason !== undefined ? { disruptionReason } : {})
    })),
    { nil: undefined }
  ),
  podIP: fc.constantFrom(undefined, "10.0.0.5"),
  startTime: fc.constantFrom(undefined, at(1)),
  qosClass: fc.constantFrom(undefined, "BestEffort" as const)
})

const caseArb = fc
  .tuple(podArb, snapshotArb, snapshotArb, reasonsArb, othersArb, fc.nat(30), fc.nat(30))
  .chain(([pod, first, second, reasons, others, t1, t2]) =>
    fc.tuple(probesFor(first), probesFor(second)).map(([firstProbes, secondProbes]) => ({
      pod,
      first,
      second,
      reasons,
      others,
      firstProbes,
      secondProbes,
      t1,
      t2
    }))
  )

describe("regeneratesItself", () => {
  it("says a written status is its own fixed point only where generating again gives it back", () => {
    let claimed = 0
    let runs = 0
    fc.assert(
      fc.property(caseArb, (c) => {
        runs++
        const base = {
          reasons: c.reasons,
          podIsTerminal: c.others.podIsTerminal,
          evict: c.others.evict,
          hostIP: "192.168.0.2",
          podIP: c.others.podIP,
          startTime: c.others.startTime,
          qosClass: c.others.qosClass
        } satisfies Partial<PodStatusInput>
        // the first generation from the API status, the second from the first (the kubelet's cache)
        const s0 = generatePodStatus({
          ...base,
          pod: c.pod,
          snapshot: c.first,
          probes: c.firstProbes,
          now: at(10)
        })
        const s1 = generatePodStatus({
          ...base,
          pod: c.pod,
          snapshot: c.second,
          previous: s0,
          probes: c.secondProbes,
          now: at(10 + c.t1)
        })
        // the store's copy of the pod with the written status (a new object, as decoded from JSON)
        const written: Pod = {
          ...c.pod,
          metadata: { ...c.pod.metadata, resourceVersion: "7" },
          status: JSON.parse(JSON.stringify(s1)) as PodStatus
        }
        if (!regeneratesItself(c.pod, written, c.second, s1)) return
        claimed++
        const again = generatePodStatus({
          ...base,
          pod: written,
          snapshot: c.second,
          previous: s1,
          probes: c.secondProbes,
          now: at(10 + c.t1 + 1 + c.t2)
        })
        expect(sameJson(again, s1)).toBe(true)
      }),
      { numRuns: 500 }
    )
    // the claim is made often enough for the check to mean something
    expect(claimed).toBeGreaterThan(runs / 10)
  })

  it("is not claimed when a container has no instance, an unknown one, or the pod changed", () => {
    const pod = makePod({ containers: [{ name: "a", image: "busybox:1.36" }] })
    const running: ContainerInstance = {
      id: "containerd://a-0",
      name: "a",
      sandboxId: "s1",
      state: "running",
      hash: "h",
      restartCount: 0,
      image: "busybox",
      imageID: "",
      createdAt: at(0),
      startedAt: at(1)
    }
    const snapshot: RuntimeSnapshot = {
      sandbox: { id: "s1", state: "ready", attempt: 0, ip: "10.0.0.5", createdAt: at(0) },
      containers: [running]
    }
    const status = generatePodStatus({
      pod,
      snapshot,
      reasons: new Map(),
      probes: new Map(),
      podIsTerminal: false,
      now: at(2)
    })
    const written: Pod = { ...pod, status }
    expect(regeneratesItself(pod, written, snapshot, status)).toBe(true)
    expect(regeneratesItself(pod, written, { ...snapshot, containers: [] }, status)).toBe(false)
    expect(
      regeneratesItself(pod, written, { ...snapshot, containers: [{ ...running, state: "unknown" }] }, status)
    ).toBe(false)
    expect(regeneratesItself(pod, { ...written, spec: { ...pod.spec } }, snapshot, status)).toBe(false)
    expect(regeneratesItself(pod, { ...written, status: { ...status, phase: "Failed" } }, snapshot, status)).toBe(false)
    const annotated: Pod = { ...written, metadata: { ...written.metadata, annotations: { a: "b" } } }
    expect(regeneratesItself(pod, annotated, snapshot, status)).toBe(false)
  })
})
