// The crash-loop retry fast path (`kubelet/BackoffFastPath.ts`) against full syncs: the same crash
// loops run with the fast path and without it must leave the same events (objects, counts,
// timestamps) and the same pod versions at the same virtual times.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { Event } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import { makeCluster } from "../../src/Cluster.js"
import { BackoffFastPath } from "../../src/kubelet/BackoffFastPath.js"
import { image, pod, sh } from "../scenarios/support.js"

/** What a run leaves: every pod version seen by a watch (with its time) and every Event, plus the fast retries. */
interface Observed {
  readonly versions: ReadonlyArray<{ readonly t: number; readonly type: string; readonly pod: Pod }>
  readonly events: ReadonlyArray<Event>
  readonly fastSyncs: number
  readonly quietSyncs: number
  readonly syncs: number
}

const pods: ReadonlyArray<Pod> = [
  // the engine bench's pod: an init container, a server, a script that crash-loops
  pod("bench", {
    initContainers: [sh("init", "echo init done")],
    containers: [
      { name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }] },
      sh("crash", "echo starting; sleep 5; exit 1")
    ]
  }),
  // two containers crash-looping on different schedules (two BackOff occurrences in one retry)
  pod("two", { containers: [sh("a", "exit 1"), sh("b", "sleep 7; exit 2")] }),
  // a crash-looping init container
  pod("init", { initContainers: [sh("setup", "sleep 3; exit 1")], containers: [sh("app", "sleep 3600")] }),
  // a crash loop cut by the active deadline in the middle of a backoff
  pod("deadline", { activeDeadlineSeconds: 1234, containers: [sh("app", "sleep 2; exit 1")] }),
  // a crash loop whose pod is relabelled and deleted while backing off
  pod("changed", { restartPolicy: "OnFailure", containers: [sh("app", "sleep 1; exit 3")] })
]

/** The run as JSON with each random UID replaced by its order of first appearance. */
const normalized = (value: unknown): unknown => {
  const uids = new Map<string, string>()
  const text = JSON.stringify(value).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (uid) => {
    let known = uids.get(uid)
    if (known === undefined) {
      known = `uid-${uids.size}`
      uids.set(uid, known)
    }
    return known
  })
  return JSON.parse(text)
}

const run = (fastPath: boolean) =>
  Effect.gen(function* () {
    const c = yield* makeCluster({ nodes: [{ name: "n1", images: [image, "nginx:1.27"] }] }).pipe(
      Effect.provideService(BackoffFastPath, fastPath)
    )
    const versions: Array<{ t: number; type: string; pod: Pod }> = []
    yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.map(
          c.elapsed,
          (elapsed) => void versions.push({ t: elapsed / 1000, type: event.type, pod: event.object })
        )
      ),
      Effect.forkScoped
    )
    for (const p of pods) yield* c.apply(p)
    yield* c.advance(1_500_000)
    const changed = yield* c.store.get<Pod>("pods", "default", "changed")
    yield* c.store.update<Pod>("pods", { ...changed, metadata: { ...changed.metadata, labels: { step: "2" } } })
    yield* c.advance(600_000)
    yield* c.store.delete("pods", "default", "changed")
    yield* c.advance(900_000)
    const events = [...(yield* c.store.list<Event>("events")).items].sort((a, b) =>
      (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "")
    )
    const kubelet = c.nodes[0]!.kubelet
    return {
      versions,
      events,
      fastSyncs: kubelet.fastSyncs(),
      quietSyncs: kubelet.quietSyncs(),
      syncs: kubelet.syncs()
    } satisfies Observed
  }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))

describe("crash-loop retries without a worker turn", () => {
  it.effect("leave the same events and pod versions as full syncs", () =>
    Effect.gen(function* () {
      const fast = yield* run(true)
      const full = yield* run(false)
      expect(full.fastSyncs).toBe(0)
      expect(full.quietSyncs).toBe(0)
      expect(fast.quietSyncs).toBeGreaterThan(10)
      // most retries took the fast path, so the comparison below is about it
      expect(fast.fastSyncs).toBeGreaterThan(fast.syncs / 2)
      expect(fast.syncs).toBe(full.syncs)
      expect(fast.events.length).toBeGreaterThan(20)
      expect(fast.events.some((e) => e.reason === "BackOff" && (e.count ?? 0) > 25)).toBe(true)
      expect(fast.versions.length).toBeGreaterThan(50)
      expect(normalized([fast.events, fast.versions])).toEqual(normalized([full.events, full.versions]))
    })
  )
})
