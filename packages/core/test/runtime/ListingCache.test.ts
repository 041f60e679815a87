// The per-pod listing cache: across random sequences of runtime operations, a runtime that keeps its
// listings answers what one that builds them on every call answers; an unchanged pod lists the same
// arrays; and nothing handed out changes afterwards.
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { RuntimeSimulated } from "../../src/layers/RuntimeSimulated.js"
import { SimNetwork } from "../../src/layers/SimNetwork.js"
import type { ContainerConfig, ContainerInfo, Sandbox, SandboxConfig } from "../../src/services/ContainerRuntime.js"
import { ContainerRuntime } from "../../src/services/ContainerRuntime.js"
import { container } from "./containerConfig.js"

const pods = ["A", "B"] as const
type PodName = (typeof pods)[number]

const sandboxConfig = (uid: string): SandboxConfig => ({
  podUid: uid,
  podName: `p-${uid.toLowerCase()}`,
  namespace: "default",
  hostname: `p-${uid.toLowerCase()}`,
  volumes: []
})

/** what a container runs: a timer, a timeline that exits, a server, a start error, an immediate exit */
const programs: ReadonlyArray<Omit<ContainerConfig, "name" | "attempt">> = [
  container("x", "busybox", ["sleep", "3600"]),
  container("x", "busybox", ["sh", "-c", "echo hi; sleep 2; exit 3"]),
  container("x", "nginx", [], { terminationMessagePath: "/dev/termination-log" }),
  container("x", "busybox", ["/no/such/file"]),
  container("x", "busybox", ["sh", "-c", "exit 0"])
]

type Op =
  | { readonly op: "sandbox"; readonly pod: PodName }
  | { readonly op: "create"; readonly pod: PodName; readonly name: string; readonly program: number }
  | { readonly op: "start" | "remove" | "kill"; readonly pod: PodName; readonly index: number }
  | { readonly op: "stop"; readonly pod: PodName; readonly index: number; readonly grace: number }
  | { readonly op: "stopSandbox" | "removeSandbox"; readonly pod: PodName }
  | { readonly op: "tick"; readonly millis: number }

const pod = fc.constantFrom(...pods)
const index = fc.nat({ max: 7 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("sandbox" as const), pod }),
  fc.record({
    op: fc.constant("create" as const),
    pod,
    name: fc.constantFrom("a", "b"),
    program: fc.nat({ max: programs.length - 1 })
  }),
  fc.record({ op: fc.constantFrom("start" as const, "remove" as const, "kill" as const), pod, index }),
  fc.record({ op: fc.constant("stop" as const), pod, index, grace: fc.constantFrom(0, 5) }),
  fc.record({ op: fc.constantFrom("stopSandbox" as const, "removeSandbox" as const), pod }),
  fc.record({ op: fc.constant("tick" as const), millis: fc.constantFrom(500, 1_000, 2_000, 6_000) })
)

const runtimeOf = (cacheListings: boolean) =>
  Layer.build(
    RuntimeSimulated.layer({ nodeName: "n1", podCIDR: "10.244.1.0/24", network: SimNetwork.make(), cacheListings })
  ).pipe(Effect.map((context) => Context.get(context, ContainerRuntime)))

type Runtime = ContainerRuntime["Service"]

/** Apply `op` to one runtime; failures (a start error, a sandbox not ready) are part of the sequence. */
const apply = (runtime: Runtime, op: Op) =>
  Effect.gen(function* () {
    if (op.op === "tick") return
    const uid = op.pod
    const sandboxes = yield* runtime.listSandboxes(uid)
    const containers = yield* runtime.listContainers(uid)
    const at = (i: number): ContainerInfo | undefined => containers[i % Math.max(1, containers.length)]
    switch (op.op) {
      case "sandbox":
        yield* Effect.ignore(runtime.runPodSandbox(sandboxConfig(uid)))
        return
      case "create": {
        const newest = sandboxes.at(-1)
        if (newest === undefined) return
        const attempt = containers.filter((c) => c.name === op.name).length
        const config: ContainerConfig = { ...programs[op.program]!, name: op.name, attempt }
        yield* Effect.ignore(runtime.createContainer(newest.id, config))
        return
      }
      case "start": {
        const c = at(op.index)
        if (c !== undefined) yield* Effect.ignore(runtime.startContainer(c.id))
        return
      }
      case "stop": {
        const c = at(op.index)
        // with a grace period it waits on the clock: the next ticks end it
        if (c !== undefined) yield* Effect.forkChild(runtime.stopContainer(c.id, op.grace), { startImmediately: true })
        return
      }
      case "kill": {
        const c = at(op.index)
        if (c !== undefined) yield* runtime.killContainer(c.id, 137, "OOMKilled")
        return
      }
      case "remove": {
        const c = at(op.index)
        if (c !== undefined) yield* runtime.removeContainer(c.id)
        return
      }
      case "stopSandbox": {
        const newest = sandboxes.at(-1)
        if (newest !== undefined) yield* runtime.stopPodSandbox(newest.id)
        return
      }
      case "removeSandbox": {
        const oldest = sandboxes[0]
        if (oldest !== undefined) yield* runtime.removePodSandbox(oldest.id)
        return
      }
    }
  })

interface Handed {
  readonly sandboxes: ReadonlyArray<Sandbox>
  readonly containers: ReadonlyArray<ContainerInfo>
  /** a deep copy as handed out */
  readonly copy: string
  readonly revision: number
}

describe("RuntimeSimulated: the per-pod listing cache", () => {
  it.effect(
    "agrees with listings built on every call across random operations; unchanged pods list the same arrays",
    () =>
      Effect.gen(function* () {
        const sequences = fc.sample(fc.array(op, { minLength: 1, maxLength: 40 }), { numRuns: 120, seed: 20261128 })
        let hits = 0
        let compared = 0
        for (const sequence of sequences) {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const cached = yield* runtimeOf(true)
              const fresh = yield* runtimeOf(false)
              // as the kubelet's PLEG does: list the pod where the runtime publishes its event
              yield* cached.observeEvents!((events) => {
                for (const event of events) {
                  Effect.runSync(cached.listSandboxes(event.podUid))
                  Effect.runSync(cached.listContainers(event.podUid))
                }
              })
              const handed = new Map<string, Array<Handed>>()
              const check = Effect.gen(function* () {
                for (const uid of [...pods, "never"]) {
                  const sandboxes = yield* cached.listSandboxes(uid)
                  const containers = yield* cached.listContainers(uid)
                  expect(sandboxes).toStrictEqual(yield* fresh.listSandboxes(uid))
                  expect(containers).toStrictEqual(yield* fresh.listContainers(uid))
                  compared++
                  // nothing changed in between: the very same arrays
                  expect(yield* cached.listSandboxes(uid)).toBe(sandboxes)
                  expect(yield* cached.listContainers(uid)).toBe(containers)
                  const revision = cached.podRevisionUnsafe!(uid)
                  const before = handed.get(uid)
                  const last = before?.at(-1)
                  if (revision >= 0 && last !== undefined && last.revision === revision) {
                    expect(containers).toBe(last.containers)
                    expect(sandboxes).toBe(last.sandboxes)
                    hits++
                  }
                  const entry = { sandboxes, containers, copy: JSON.stringify({ sandboxes, containers }), revision }
                  if (before === undefined) handed.set(uid, [entry])
                  else before.push(entry)
                }
              })
              yield* check
              for (const step of sequence) {
                if (step.op === "tick") yield* TestClock.adjust(step.millis)
                else {
                  yield* apply(cached, step)
                  yield* apply(fresh, step)
                }
                yield* check
              }
              // whatever was handed out is as it was then
              for (const list of handed.values()) {
                for (const h of list) {
                  expect(JSON.stringify({ sandboxes: h.sandboxes, containers: h.containers })).toBe(h.copy)
                }
              }
              yield* TestClock.adjust(10_000)
            })
          )
        }
        // the sequences exercised both the cache and its invalidation
        expect(hits).toBeGreaterThan(100)
        expect(compared).toBeGreaterThan(1000)
      })
  )

  it.effect("a pod's listing is new after a change and the same object until the next", () =>
    Effect.gen(function* () {
      const runtime = yield* runtimeOf(true)
      const sb = yield* runtime.runPodSandbox(sandboxConfig("A"))
      const id = yield* runtime.createContainer(sb.id, { ...programs[1]!, name: "a", attempt: 0 })
      const created = yield* runtime.listContainers("A")
      expect(yield* runtime.listContainers("A")).toBe(created)
      yield* runtime.startContainer(id)
      const started = yield* runtime.listContainers("A")
      expect(started).not.toBe(created)
      expect(created[0]).toMatchObject({ state: "created" })
      expect(started[0]).toMatchObject({ state: "running" })
      yield* TestClock.adjust(1_000)
      expect(yield* runtime.listContainers("A")).toBe(started)
      yield* TestClock.adjust(1_000)
      const exited = yield* runtime.listContainers("A")
      expect(exited[0]).toMatchObject({ state: "exited", exitCode: 3, reason: "Error" })
      const sandboxes = yield* runtime.listSandboxes("A")
      yield* runtime.stopPodSandbox(sb.id)
      const stopped = yield* runtime.listSandboxes("A")
      expect(sandboxes[0]!.state).toBe("ready")
      expect(stopped[0]!.state).toBe("notready")
      yield* runtime.removePodSandbox(sb.id)
      expect(yield* runtime.listSandboxes("A")).toStrictEqual([])
      expect(yield* runtime.listContainers("A")).toStrictEqual([])
      expect(runtime.podRevisionUnsafe!("A")).toBe(-1)
    }).pipe(Effect.scoped)
  )
})
