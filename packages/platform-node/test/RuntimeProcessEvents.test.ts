/**
 * The process runtime's callback face (`observeEvents`, what the kubelet's PLEG uses) against its
 * event stream: every event the stream delivers goes to the callback too, in the same order (a
 * notice, starts, exits, a start error, a stopped sandbox); an event the callback itself causes is
 * delivered after it returns, never inside it. Real processes; waits are on conditions with a deadline.
 */
import { describe, expect, it } from "@effect/vitest"
import type { RuntimeEvent } from "@podlet/core/services/ContainerRuntime"
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Layer, Stream } from "effect"
import { RuntimeProcess } from "../src/RuntimeProcess.js"
import { busyboxConfig, eventually, sandboxConfig } from "./fixtures/runtime.js"

describe("RuntimeProcess events", () => {
  it.live("the callback hears what the stream delivers, in the same order", () =>
    Effect.gen(function* () {
      const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "events" }))
      const rt = Context.get(context, ContainerRuntime)
      const streamed: Array<RuntimeEvent> = []
      const called: Array<RuntimeEvent> = []
      yield* rt.events.pipe(
        Stream.runForEach((event) => Effect.sync(() => streamed.push(event))),
        Effect.forkScoped({ startImmediately: true })
      )
      yield* rt.observeEvents!((events) => called.push(...events))
      const sb = yield* rt.runPodSandbox(sandboxConfig("u"))
      const failing = yield* rt.createContainer(sb.id, busyboxConfig("failing", ["sh", "-c", "exit 3"]))
      yield* rt.startContainer(failing)
      yield* eventually("the failing container's exit", () =>
        called.some((e) => e.type === "ContainerExited" && e.containerId === failing)
      )
      const missing = yield* rt.createContainer(sb.id, busyboxConfig("missing", ["no-such-program-podlet"]))
      yield* Effect.flip(rt.startContainer(missing))
      const long = yield* rt.createContainer(sb.id, busyboxConfig("long", ["sleep", "30"]))
      yield* rt.startContainer(long)
      yield* rt.stopPodSandbox(sb.id)
      yield* eventually("the long container's exit", () =>
        called.some((e) => e.type === "ContainerExited" && e.containerId === long)
      )
      yield* eventually("the stream to catch up", () => streamed.length === called.length)
      expect(called).toEqual(streamed)
      const heard = called.map((e) => [e.type, e.containerId ?? e.notice?.reason])
      expect(heard.slice(0, 5)).toEqual([
        ["Notice", "HostMode"],
        ["ContainerStarted", failing],
        ["ContainerExited", failing],
        ["ContainerExited", missing],
        ["ContainerStarted", long]
      ])
      // the stop's kill and the sandbox's change (the kill's waiter resumes as the exit is recorded)
      expect(heard.slice(5)).toHaveLength(2)
      expect(heard.slice(5)).toEqual(
        expect.arrayContaining([
          ["ContainerExited", long],
          ["SandboxChanged", undefined]
        ])
      )
    })
  )

  it.live("an event the callback causes comes after the callback returns, in order", () =>
    Effect.gen(function* () {
      const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "events" }))
      const rt = Context.get(context, ContainerRuntime)
      const first = yield* rt.runPodSandbox(sandboxConfig("a"))
      const second = yield* rt.runPodSandbox(sandboxConfig("b"))
      const heard: Array<string> = []
      let depth = 0
      let deepest = 0
      yield* rt.observeEvents!((events) => {
        depth++
        deepest = Math.max(deepest, depth)
        for (const event of events) {
          heard.push(`${event.type} ${event.podUid}`)
          // the first sandbox's stop publishes the second's stop synchronously, from inside this call
          if (event.type === "SandboxChanged" && event.podUid === "a") Effect.runFork(rt.stopPodSandbox(second.id))
        }
        heard.push("returned")
        depth--
      })
      yield* rt.stopPodSandbox(first.id)
      yield* eventually("both stops", () => heard.includes("SandboxChanged b"))
      expect(heard).toEqual(["SandboxChanged a", "returned", "SandboxChanged b", "returned"])
      expect(deepest).toBe(1)
    })
  )
})
