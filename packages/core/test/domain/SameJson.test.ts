// Structural sharing of generated statuses: `sameJson` is `JSON.stringify` equality (key order
// included), and a status generated again from unchanged inputs is the previous object itself.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { buildContainerStatuses } from "../../src/domain/ContainerStatuses.js"
import { generatePodStatus } from "../../src/domain/PodStatus.js"
import type { RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { sameJson, sharedList, sharedWith } from "../../src/domain/SameJson.js"
import { at, c, makePod } from "./fixtures.js"

describe("sameJson", () => {
  it("is JSON.stringify equality", () => {
    const value = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }))
    const object = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), value, { maxKeys: 4 })
    fc.assert(
      fc.property(fc.oneof(object, value), fc.oneof(object, value), (a, b) => {
        expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b))
        expect(sameJson(a, structuredClone(a))).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  it("tells key order apart and skips undefined members", () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false)
    expect(sameJson({ a: 1, x: undefined, b: [1, { c: null }] }, { a: 1, b: [1, { c: null }] })).toBe(true)
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false)
  })

  it("shares the previous value or list", () => {
    const previous = { a: [1] }
    expect(sharedWith({ a: [1] }, previous)).toBe(previous)
    expect(sharedWith({ a: [2] }, previous)).not.toBe(previous)
    const x = { n: 1 }
    const list = [x]
    expect(sharedList([x], list)).toBe(list)
    expect(sharedList([{ n: 1 }], list)).not.toBe(list)
  })
})

describe("generatePodStatus sharing", () => {
  const pod = makePod({ initContainers: [c("init")], containers: [c("web"), c("crash")] })
  const sandbox = { id: "s1", state: "ready", attempt: 0, ip: "10.0.0.5", createdAt: at(0) } as const
  const instance = (name: string, state: "running" | "exited", restartCount: number, t: number) => ({
    id: `containerd://${name}-${restartCount}`,
    name,
    sandboxId: "s1",
    state,
    hash: "h",
    restartCount,
    image: "busybox:1.36",
    imageID: "sha256:x",
    createdAt: at(t),
    startedAt: at(t),
    ...(state === "exited" ? { finishedAt: at(t + 5), exitCode: name === "init" ? 0 : 1, reason: "Error" } : {})
  })
  const running: RuntimeSnapshot = {
    sandbox,
    containers: [instance("init", "exited", 0, 0), instance("web", "running", 0, 1), instance("crash", "running", 0, 1)]
  }
  const crashed: RuntimeSnapshot = {
    sandbox,
    containers: [instance("init", "exited", 0, 0), instance("web", "running", 0, 1), instance("crash", "exited", 0, 1)]
  }
  const generate = (snapshot: RuntimeSnapshot, previous: ReturnType<typeof generatePodStatus> | undefined, t: number) =>
    generatePodStatus({
      pod,
      snapshot,
      ...(previous !== undefined ? { previous } : {}),
      reasons: new Map([["crash", { reason: "CrashLoopBackOff", message: "back-off 10s" }]]),
      probes: new Map(),
      podIsTerminal: false,
      now: at(t),
      hostIP: "172.18.0.2",
      startTime: at(0)
    })

  it("returns the previous status when nothing changed, and shares the unchanged parts", () => {
    const first = generate(running, undefined, 2)
    const again = generate(running, first, 3)
    expect(again).toBe(first)
    const after = generate(crashed, first, 7)
    expect(after).not.toBe(first)
    expect(after.containerStatuses?.find((s) => s.name === "web")).toBe(
      first.containerStatuses?.find((s) => s.name === "web")
    )
    expect(after.initContainerStatuses).toBe(first.initContainerStatuses)
    // the same text as a status generated without any previous object to share
    const fresh = generatePodStatus({
      pod: { ...pod, status: JSON.parse(JSON.stringify(first)) },
      snapshot: crashed,
      reasons: new Map([["crash", { reason: "CrashLoopBackOff", message: "back-off 10s" }]]),
      probes: new Map(),
      podIsTerminal: false,
      now: at(7),
      hostIP: "172.18.0.2",
      startTime: at(0)
    })
    expect(JSON.stringify(after)).toBe(JSON.stringify(fresh))
  })
})

describe("buildContainerStatuses again from the same inputs", () => {
  const pod = makePod({ initContainers: [c("init")], containers: [c("web"), c("crash")] })
  const sandbox = { id: "s1", state: "ready", attempt: 0, ip: "10.0.0.5", createdAt: at(0) } as const
  const exited = (name: string, restartCount: number, t: number, state: "exited" | "unknown" = "exited") => ({
    id: `containerd://${name}-${restartCount}`,
    name,
    sandboxId: "s1",
    state,
    hash: "h",
    restartCount,
    image: "busybox:1.36",
    imageID: "sha256:x",
    createdAt: at(t),
    startedAt: at(t),
    finishedAt: at(t + 5),
    exitCode: 1,
    reason: "Error"
  })
  const init = exited("init", 0, 0)
  const web = { ...exited("web", 0, 1), state: "running" as const }
  const crash = [exited("crash", 0, 1), exited("crash", 1, 20), exited("crash", 2, 45)]
  const full: RuntimeSnapshot = { sandbox, containers: [init, web, ...crash] }
  const collected: RuntimeSnapshot = { sandbox, containers: [init, web, crash[1]!, crash[2]!] }
  const reasons = new Map([["crash", { reason: "CrashLoopBackOff", message: "back-off 20s" }]])
  const input = (
    p: typeof pod,
    snapshot: RuntimeSnapshot,
    extra: Partial<Parameters<typeof buildContainerStatuses>[0]> = {}
  ) => ({
    pod: p,
    snapshot,
    reasons,
    probes: new Map(),
    ...extra
  })
  /** the same build with a spec of its own (nothing built for it before) */
  const fresh = (i: ReturnType<typeof input>) =>
    buildContainerStatuses({ ...i, pod: { ...i.pod, spec: { ...i.pod.spec } } })

  it("gives the statuses built before when only older instances went", () => {
    const first = buildContainerStatuses(input(pod, full))
    const again = buildContainerStatuses(input(pod, collected))
    expect(again.initContainerStatuses[0]).toBe(first.initContainerStatuses[0])
    expect(again.containerStatuses.length).toBe(2)
    for (const [i, status] of again.containerStatuses.entries()) expect(status).toBe(first.containerStatuses[i])
    // a change to one container rebuilds that one only
    const crashed = buildContainerStatuses(input(pod, full, { reasons: new Map() }))
    expect(crashed.containerStatuses.find((s) => s.name === "web")).toBe(
      first.containerStatuses.find((s) => s.name === "web")
    )
    expect(crashed.containerStatuses.find((s) => s.name === "crash")).not.toBe(
      first.containerStatuses.find((s) => s.name === "crash")
    )
  })

  it("builds again when an input they read changed", () => {
    const unknown: RuntimeSnapshot = { sandbox, containers: [init, web, crash[1]!, exited("crash", 2, 45, "unknown")] }
    const previous = (restartCount: number) => ({
      containerStatuses: [
        { name: "crash", state: { running: {} }, lastState: {}, ready: true, restartCount, image: "x", imageID: "" }
      ]
    })
    const pairs = [
      [input(pod, full), input(pod, { sandbox, containers: [init, web, crash[1]!] })],
      // the same newest instance, another one before it (the last state)
      [
        input(pod, full, { reasons: new Map() }),
        input(pod, { sandbox, containers: [init, web, crash[0]!, crash[2]!] }, { reasons: new Map() })
      ],
      [
        input(pod, full),
        input(pod, full, { reasons: new Map([["crash", { reason: "RunContainerError", message: "back-off 20s" }]]) })
      ],
      [
        input(pod, full),
        input(pod, full, { reasons: new Map([["crash", { reason: "CrashLoopBackOff", message: "back-off 40s" }]]) })
      ],
      [
        input(pod, full),
        input(pod, full, {
          probes: new Map([[web.id, { readiness: "Success", liveness: "Success", startup: "Failure" }]])
        })
      ],
      [
        input(pod, full),
        input({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: "2025-01-01T00:01:00Z" } }, full)
      ],
      [input(pod, unknown, { previous: previous(7) }), input(pod, unknown, { previous: previous(3) })]
    ] as const
    for (const [base, variant] of pairs) {
      buildContainerStatuses(base)
      expect(JSON.stringify(buildContainerStatuses(variant))).toBe(JSON.stringify(fresh(variant)))
    }
  })
})
