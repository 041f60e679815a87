// Script timelines (`sh -c "echo starting; sleep 5; exit 1"` on the runtime's timers) against the
// interpreter they stand for: same logs, times, exit codes, reasons and events, stopped or not.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { RuntimeSimulated } from "../../src/layers/RuntimeSimulated.js"
import { scriptTimeline } from "../../src/layers/runtime/Program.js"
import { SimNetwork } from "../../src/layers/SimNetwork.js"
import { ContainerRuntime } from "../../src/services/ContainerRuntime.js"
import { container } from "./containerConfig.js"

describe("scriptTimeline", () => {
  const sh = (script: string) => scriptTimeline(["sh", "-c", script])
  it.each([
    [
      "echo starting; sleep 5; exit 1",
      [
        ["Echo", "starting"],
        ["Wait", 5000]
      ],
      1
    ],
    [
      "sleep 1.5\necho a  b\n\necho; exit 300",
      [
        ["Wait", 1500],
        ["Echo", "a b"],
        ["Echo", ""]
      ],
      44
    ],
    ["sleep 1 2s; exit", [["Wait", 3000]], 0],
    ["sleep 1; exit 2; echo never; sleep 9", [["Wait", 1000]], 2],
    [
      "echo x=1 a/b:c,d@e%f+g_h.i-j; sleep 1m;",
      [
        ["Echo", "x=1 a/b:c,d@e%f+g_h.i-j"],
        ["Wait", 60_000]
      ],
      0
    ]
  ] as const)("%j", (script, steps, code) => {
    expect(sh(script)).toEqual({
      _tag: "Timeline",
      argv: ["sh", "-c", script],
      steps: steps.map(([tag, v]) => (tag === "Echo" ? { _tag: tag, line: v } : { _tag: tag, millis: v })),
      code
    })
  })

  it.each([
    "echo hi; exit 1", // never waits
    "sleep 0; exit 1", // waits 0 ms
    "sleep 0.0001; exit 1",
    "sleep inf",
    "sleep; exit 1",
    "sleep 5x",
    "echo -n a; sleep 1",
    "echo $HOME; sleep 1",
    "echo 'a'; sleep 1",
    "echo a* ; sleep 1",
    "echo a > f; sleep 1",
    "echo a && sleep 1",
    "echo a | cat; sleep 1",
    "sleep 1 # done",
    "sleep 1;; exit 1",
    "; sleep 1",
    "sleep 1\n; exit 1",
    "sleep 1; exit a",
    "sleep 1; exit 1 2",
    "A=1; sleep 1",
    "trap '' TERM; sleep 1",
    "true; sleep 1"
  ])("%j is not a timeline", (script) => {
    expect(sh(script)).toBeUndefined()
  })

  it("only for a shell with -c and one script", () => {
    expect(scriptTimeline(["/bin/sh", "-c", "sleep 1"])?._tag).toBe("Timeline")
    expect(scriptTimeline(["ash", "-c", "sleep 1"])?._tag).toBe("Timeline")
    expect(scriptTimeline(["sh", "-c", "sleep 1", "arg0"])).toBeUndefined()
    expect(scriptTimeline(["sh", "sleep 1"])).toBeUndefined()
    expect(scriptTimeline(["python", "-c", "sleep 1"])).toBeUndefined()
  })
})

/** What a user sees of one container running `script`, stopped at `stopAt` (ms after start) with `grace` s, if given. */
const observe = (
  scriptTimelines: boolean,
  script: string,
  stop?: { readonly at: number; readonly grace: number; readonly sandbox: boolean }
) =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const events: Array<string> = []
    const observeEvents = runtime.observeEvents
    if (observeEvents === undefined) throw new Error("RuntimeSimulated offers observeEvents")
    yield* observeEvents((batch) => {
      for (const e of batch) events.push(`${e.type}@${e.at}`)
    })
    const sb = yield* runtime.runPodSandbox({
      podUid: "U",
      podName: "p",
      namespace: "default",
      hostname: "p",
      volumes: []
    })
    yield* TestClock.adjust(1_000)
    const id = yield* runtime.createContainer(sb.id, container("c", "busybox", ["sh", "-c", script]))
    yield* runtime.startContainer(id)
    const states: Array<string> = []
    let stopping: Fiber.Fiber<void> | undefined
    for (let t = 0; t < 20_000; t += 250) {
      if (stop !== undefined && t === stop.at) {
        if (stop.sandbox) yield* runtime.stopPodSandbox(sb.id)
        else stopping = yield* Effect.forkChild(runtime.stopContainer(id, stop.grace))
      }
      yield* TestClock.adjust(250)
      const info = (yield* runtime.listContainers("U")).find((c) => c.id === id)
      states.push(`${info?.state}:${info?.exitCode}`)
    }
    if (stopping !== undefined) yield* Fiber.join(stopping)
    const info = (yield* runtime.listContainers("U")).find((c) => c.id === id)
    return { info, logs: yield* runtime.logs(id), events, states }
  }).pipe(
    Effect.scoped,
    Effect.provide(
      RuntimeSimulated.layer({ nodeName: "n1", podCIDR: "10.244.1.0/24", network: SimNetwork.make(), scriptTimelines })
    ),
    // each run on a clock of its own, from 0
    Effect.provide(TestClock.layer())
  )

const word = fc.constantFrom("starting", "a", "b-c", "x=1", "done.", "1/2", "")
const command = fc.oneof(
  { arbitrary: fc.array(word, { maxLength: 3 }).map((ws) => ["echo", ...ws].join(" ").trim()), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      "sleep 1",
      "sleep 0.5",
      "sleep 2s",
      "sleep 0.25 0.25",
      "sleep 5",
      "sleep 0.0001",
      "sleep 3"
    ),
    weight: 3
  },
  { arbitrary: fc.constantFrom("exit", "exit 0", "exit 1", "exit 3", "exit 256", "exit 137"), weight: 1 }
)
const separator = fc.constantFrom("; ", "\n", ";\n", " ;  ", "\n\n")
const script = fc
  .tuple(fc.array(command, { minLength: 1, maxLength: 6 }), separator, fc.boolean())
  .map(([commands, sep, trailing]) => commands.join(sep) + (trailing ? ";" : ""))
const stopPlan = fc.option(
  fc.record({
    at: fc.constantFrom(0, 250, 1_000, 2_500, 6_000),
    grace: fc.constantFrom(0, 1, 2, 30),
    sandbox: fc.boolean()
  }),
  { nil: undefined }
)

describe("a script timeline against the interpreter", () => {
  it.effect("echo starting; sleep 5; exit 1 (the engine bench's crash loop)", () =>
    Effect.gen(function* () {
      const fast = yield* observe(true, "echo starting; sleep 5; exit 1")
      expect(fast).toEqual(yield* observe(false, "echo starting; sleep 5; exit 1"))
      expect(fast.info).toMatchObject({
        state: "exited",
        exitCode: 1,
        reason: "Error",
        startedAt: 1_000,
        finishedAt: 6_000
      })
      expect(fast.logs).toEqual([{ time: 1_000, stream: "stdout", line: "starting" }])
      expect(fast.events).toEqual(["ContainerStarted@1000", "ContainerExited@6000"])
    })
  )

  it.effect("random plain scripts, left alone, stopped with a grace period, or their sandbox stopped", () =>
    Effect.gen(function* () {
      const samples = fc.sample(fc.tuple(script, stopPlan), { numRuns: 100, seed: 20261128 })
      let timelines = 0
      for (const [text, stop] of samples) {
        if (scriptTimeline(["sh", "-c", text]) !== undefined) timelines++
        const fast = yield* observe(true, text, stop)
        const reference = yield* observe(false, text, stop)
        expect({ text, stop, ...fast }).toEqual({ text, stop, ...reference })
      }
      // half the samples are timelines (the others compare the interpreter with itself)
      expect(timelines).toBeGreaterThanOrEqual(samples.length * 0.4)
    })
  )
})
