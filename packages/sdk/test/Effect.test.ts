/**
 * The Effect API (`@podlet/sdk/effect`): the same operations as Effects, typed errors caught by tag,
 * the cluster living as long as its Scope.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { createCluster, type KubeObject } from "../src/effect.js"

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "crashy" },
  spec: { containers: [{ name: "app", image: "busybox:1.36", command: ["sh", "-c", "echo starting; exit 1"] }] }
} as KubeObject

describe("@podlet/sdk/effect", () => {
  it.effect("runs a crash loop on the cluster's own virtual clock", () =>
    Effect.gen(function* () {
      const cluster = yield* createCluster()
      expect(cluster.clock.mode).toBe("virtual")
      const start = (yield* cluster.clock.now).getTime()
      yield* cluster.apply(pod)
      yield* cluster.waitFor("crashy", { status: "CrashLoopBackOff" }, { timeout: "1m" })
      expect((yield* cluster.pods.status("crashy")).status).toBe("CrashLoopBackOff")
      expect((yield* cluster.clock.now).getTime() - start).toBeLessThanOrEqual(60_000)
      const first = yield* cluster.watch("Pod", { namespace: "default" }).pipe(Stream.take(1), Stream.runCollect)
      expect(first.map((e) => e.object.metadata.name)).toEqual(["crashy"])
    }).pipe(Effect.scoped)
  )

  it.effect("fails with tagged errors that carry the Status", () =>
    Effect.gen(function* () {
      const cluster = yield* createCluster()
      const missing = yield* cluster.pods.get("nope").pipe(
        Effect.map(() => "found"),
        Effect.catchTag("NotFoundError", (e) => Effect.succeed(`${e.code} ${e.status.reason}`))
      )
      expect(missing).toBe("404 NotFound")
      const timedOut = yield* cluster.waitFor("nope", { phase: "Running" }, { timeout: "5s" }).pipe(
        Effect.map(() => "found"),
        Effect.catchTag("TimeoutError", (e) => Effect.succeed(e.message))
      )
      expect(timedOut).toBe("timed out after 5s waiting for pod/nope")
      const advanced = yield* Effect.flip(
        yield* createCluster({ clock: "real" }).pipe(Effect.map((c) => c.clock.advance("1s")))
      )
      expect(advanced._tag).toBe("UnsupportedError")
    }).pipe(Effect.scoped)
  )
})
