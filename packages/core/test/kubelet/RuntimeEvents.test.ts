// The kubelet's PLEG input through the runtime's callback face (`observeEvents`) against the event
// stream: the same cluster scenario gives the same pod versions and Events, in the same order, at
// the same virtual times; the stream keeps working for other consumers while the callback is used.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { Event } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import type { RuntimeNode } from "../../src/Cluster.js"
import { RuntimeSimulated } from "../../src/layers/RuntimeSimulated.js"
import type { RuntimeEvent } from "../../src/services/ContainerRuntime.js"
import { ContainerRuntime } from "../../src/services/ContainerRuntime.js"
import { at, cluster, pod, sh } from "../scenarios/support.js"

/** The simulated runtime, with its callback face when `callback` (else the kubelet has only the stream). */
const runtimeLayer =
  (callback: boolean) =>
  (node: RuntimeNode): Layer.Layer<ContainerRuntime> => {
    const simulated = RuntimeSimulated.layer({
      nodeName: node.name,
      podCIDR: node.podCIDR,
      network: node.network,
      images: node.images
    })
    if (callback) return simulated
    return Layer.effect(
      ContainerRuntime,
      Effect.map(ContainerRuntime, ({ observeEvents: _observeEvents, ...runtime }) => ContainerRuntime.of(runtime))
    ).pipe(Layer.provide(simulated))
  }

const scenario = [
  pod("init", {
    initContainers: [sh("init", "sleep 2")],
    containers: [sh("app", "echo up; sleep 3600")]
  }),
  pod("crash", { containers: [sh("app", "sleep 3; exit 1")] }),
  pod("done", { restartPolicy: "Never", containers: [sh("app", "sleep 4")] }),
  pod("missing", { containers: [sh("app", "", { command: ["/nonexistent"] })] }),
  pod("probed", {
    containers: [
      sh("app", "sleep 3600", {
        readinessProbe: { exec: { command: ["sh", "-c", "test -f /tmp/ready"] }, periodSeconds: 2 },
        livenessProbe: { exec: { command: ["sh", "-c", "exit 0"] }, periodSeconds: 5 }
      }),
      sh("side", "sleep 6; touch /tmp/x; sleep 3600")
    ]
  }),
  pod("graceful", {
    terminationGracePeriodSeconds: 5,
    containers: [sh("app", "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done")]
  })
]

/** The JSON with each generated UID replaced by its order of first appearance (UIDs are random). */
const normalised = (value: unknown): string => {
  const uids = new Map<string, number>()
  return JSON.stringify(value).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (uid) => {
    if (!uids.has(uid)) uids.set(uid, uids.size)
    return `uid-${uids.get(uid)}`
  })
}

/** Every pod version and Event the API shows, with the virtual time it was seen at. */
const run = (callback: boolean) =>
  Effect.gen(function* () {
    const c = yield* cluster({ runtime: runtimeLayer(callback) })
    const runtime = c.nodes[0]!.runtime
    expect(runtime.observeEvents !== undefined).toBe(callback)
    const seen: Array<unknown> = []
    const streamed: Array<RuntimeEvent> = []
    yield* runtime.events.pipe(
      Stream.runForEach((event) => Effect.sync(() => streamed.push(event))),
      Effect.forkScoped({ startImmediately: true })
    )
    yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.map(c.elapsed, (t) => {
          seen.push([t, event.type, event.object])
        })
      ),
      Effect.forkScoped({ startImmediately: true })
    )
    yield* c.store.watch<Event>("events", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.map(c.elapsed, (t) => {
          seen.push([t, event.type, event.object])
        })
      ),
      Effect.forkScoped({ startImmediately: true })
    )
    for (const p of scenario) yield* c.apply(p)
    yield* at(c, 30)
    yield* c.store.delete("pods", "default", "graceful", {})
    yield* c.store.delete("pods", "default", "crash", { gracePeriodSeconds: 0 })
    yield* at(c, 60)
    return { seen, streamed }
  }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))

describe("kubelet runtime events", () => {
  it.effect("the callback face and the event stream give the same pod versions and Events", () =>
    Effect.gen(function* () {
      const viaCallback = yield* run(true)
      const viaStream = yield* run(false)
      expect(viaCallback.seen.length).toBeGreaterThan(50)
      expect(normalised(viaCallback.seen)).toEqual(normalised(viaStream.seen))
      // the runtime's stream still delivers every event to its other consumers
      expect(normalised(viaCallback.streamed).split("},")).toEqual(normalised(viaStream.streamed).split("},"))
      const types = new Set(viaCallback.streamed.map((e) => e.type))
      expect(types).toEqual(new Set(["ContainerStarted", "ContainerExited", "SandboxChanged"]))
      // the scenario reaches restarts, a StartError, a graceful stop and a removal
      const text = JSON.stringify(viaCallback.seen)
      for (const reason of ["BackOff", "StartError", "Killing", "Unhealthy"]) expect(text).toContain(reason)
    })
  )
})
