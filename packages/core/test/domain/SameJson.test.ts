// Structural sharing of generated statuses: `sameJson` is `JSON.stringify` equality (key order
// included), and a status generated again from unchanged inputs is the previous object itself.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
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
