/**
 * The process runtime's `podRevisionUnsafe` (the kubelet's fast path skips a sync when it is
 * unchanged since its last snapshot): whenever what `listSandboxes` / `listContainers` report for a
 * pod changes, its revision changes; a pod with nothing has -1; another pod's changes leave it alone.
 * Observed after every CRI call and, in between, by a fiber polling every few milliseconds (exits
 * are recorded asynchronously). Host mode, and Linux mode where the machine can.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ContainerConfig } from "@podlet/core/services/ContainerRuntime"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Fiber, Layer } from "effect"
import type { RuntimeMode } from "../src/linux/Detect.js"
import { chooseMode, machineFacts } from "../src/linux/Detect.js"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

type Runtime = ContainerRuntime["Service"]

const choice = chooseMode("auto", machineFacts())
if (choice.mode !== "linux") console.log(`Linux isolation mode revision test skipped: ${choice.reason}`)
const linuxIt = choice.mode === "linux" ? it.live : it.live.skip

const config = (name: string, command: ReadonlyArray<string>, attempt = 0): ContainerConfig => ({
  name,
  image: "busybox:1.36",
  command,
  args: [],
  env: [],
  mounts: [],
  ports: [],
  attempt,
  hash: "h",
  ...(command[0] === "sleep" ? {} : { terminationMessagePath: "/dev/termination-log" })
})

/** Watches one pod: every observation compares what the runtime reports with the previous one. */
const makeObserver = (rt: Runtime, podUid: string) => {
  let last: { readonly text: string; readonly revision: number } | undefined
  let changes = 0
  let steady = 0
  const violations: Array<string> = []
  const observe = Effect.gen(function* () {
    const revision = rt.podRevisionUnsafe!(podUid)
    const sandboxes = yield* rt.listSandboxes(podUid)
    const containers = yield* rt.listContainers(podUid)
    const text = JSON.stringify({ sandboxes, containers })
    if (last !== undefined && text !== last.text) {
      changes++
      if (revision === last.revision) violations.push(`revision ${revision} kept across ${last.text} -> ${text}`)
    } else if (last !== undefined) steady++
    if (sandboxes.length === 0 && containers.length === 0 && revision !== -1) {
      violations.push(`a pod with nothing has revision ${revision}`)
    }
    last = { text, revision }
  })
  return { observe, report: () => ({ changes, steady, violations }) }
}

const scenario = (mode: RuntimeMode) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "rev", mode }))
    const rt = Context.get(context, ContainerRuntime)
    expect(rt.podRevisionUnsafe).toBeDefined()
    const a = makeObserver(rt, "uid-a")
    const b = makeObserver(rt, "uid-b")
    const other = yield* rt.runPodSandbox({
      podUid: "uid-b",
      podName: "b",
      namespace: "default",
      hostname: "b",
      volumes: []
    })
    const quiet = yield* rt.createContainer(other.id, config("quiet", ["sleep", "60"]))
    yield* rt.startContainer(quiet)
    yield* b.observe
    const revisionOfB = rt.podRevisionUnsafe!("uid-b")
    yield* a.observe
    const poll = yield* Effect.forkChild(
      Effect.forever(Effect.andThen(Effect.andThen(a.observe, b.observe), Effect.sleep(2)))
    )
    const step = <A, E>(effect: Effect.Effect<A, E>) => Effect.tap(effect, () => a.observe)

    const sb = yield* step(
      rt.runPodSandbox({ podUid: "uid-a", podName: "a", namespace: "default", hostname: "a", volumes: [] })
    )
    const sleeper = yield* step(rt.createContainer(sb.id, config("sleeper", ["sleep", "60"])))
    yield* step(rt.startContainer(sleeper))
    const quitter = yield* step(rt.createContainer(sb.id, config("quitter", ["sh", "-c", "echo bye; exit 3"])))
    yield* step(rt.startContainer(quitter))
    yield* Effect.gen(function* () {
      while ((yield* rt.listContainers("uid-a")).find((c) => c.id === quitter)?.state !== "exited") {
        yield* Effect.sleep(5)
      }
    }).pipe(Effect.timeout(10_000), Effect.orDie)
    yield* a.observe
    const missing = yield* step(rt.createContainer(sb.id, config("missing", ["/no/such/program"])))
    expect((yield* Effect.result(rt.startContainer(missing)))._tag).toBe("Failure")
    yield* a.observe
    yield* step(rt.killContainer(sleeper, 137, "OOMKilled"))
    const again = yield* step(rt.createContainer(sb.id, config("sleeper", ["sleep", "60"], 1)))
    yield* step(rt.startContainer(again))
    yield* step(rt.stopContainer(again, 0))
    yield* step(rt.stopPodSandbox(sb.id))
    yield* step(rt.removeContainer(quitter))
    yield* step(rt.removePodSandbox(sb.id))
    expect(rt.podRevisionUnsafe!("uid-a")).toBe(-1)
    yield* Fiber.interrupt(poll)
    yield* b.observe

    const seen = a.report()
    expect(seen.violations).toEqual([])
    // sandbox, 3 creates, 2 starts, 2 exits, the start failure, the kill, a stop, a remove, …
    expect(seen.changes).toBeGreaterThanOrEqual(12)
    expect(seen.steady).toBeGreaterThan(0)
    // pod b's lists never changed while pod a's did, and neither did its revision
    expect(b.report()).toMatchObject({ changes: 0, violations: [] })
    expect(rt.podRevisionUnsafe!("uid-b")).toBe(revisionOfB)
  }).pipe(Effect.scoped)

describe("RuntimeProcess podRevisionUnsafe", () => {
  it.live(
    "changes whenever a pod's sandboxes or containers as listed change (host mode)",
    () => scenario("host"),
    30_000
  )
  linuxIt(
    "changes whenever a pod's sandboxes or containers as listed change (Linux mode)",
    () => scenario("linux"),
    60_000
  )
})
