// Container garbage collection in the restart sync (`MaxPerPodContainer = 1`): after every restart the
// runtime keeps each container's newest instance and the one before it (the status' lastState and
// `logs --previous`), whichever of two containers restarted; the status restart counts follow.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { cluster, cs, getPod, pod, sh } from "../scenarios/support.js"

describe("container garbage collection", () => {
  it.effect("each container keeps its newest instance and the previous one through a crash loop", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ extraImages: ["nginx:1.27"] })
      yield* c.apply(
        pod("p", {
          initContainers: [sh("init", "echo init done")],
          containers: [
            { name: "web", image: "nginx:1.27" },
            sh("crash", "echo starting; sleep 5; exit 1"),
            sh("slow", "echo up; sleep 40; exit 2")
          ]
        })
      )
      const runtime = c.nodes[0]!.runtime
      let seenCrash = 0
      for (let step = 0; step < 60; step++) {
        yield* c.advance(20_000)
        const p = yield* getPod(c, "p")
        const instances = yield* runtime.listContainers(p.metadata.uid ?? "")
        const byName = new Map<string, Array<number>>()
        for (const i of instances) byName.set(i.name, [...(byName.get(i.name) ?? []), i.attempt])
        for (const [name, attempts] of byName) {
          const restarts = cs(p, name).restartCount
          // the newest instance (the status' restart count, or the next one starting) and at most one before it
          expect(attempts.length, `${name} at step ${step}`).toBeLessThanOrEqual(2)
          expect(Math.max(...attempts)).toBeGreaterThanOrEqual(restarts)
          if (restarts > 0) expect(attempts).toContain(restarts - 1)
        }
        expect(byName.get("init")).toEqual([0])
        seenCrash = Math.max(seenCrash, cs(p, "crash").restartCount)
        if (cs(p, "crash").restartCount > 0) {
          const previous = yield* c.logs("default", "p", "crash", { previous: true })
          expect(previous.map((l) => l.line)).toEqual(["starting"])
        }
      }
      expect(seenCrash).toBeGreaterThanOrEqual(5)
      expect(cs(yield* getPod(c, "p"), "slow").restartCount).toBeGreaterThanOrEqual(3)
    }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))
  )
})
