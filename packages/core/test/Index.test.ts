// The package root exposes the facade and the object model, and they work together.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Core from "../src/index.js"

describe("@podlet/core root exports", () => {
  it("names the resources, decodes a manifest and prints a pod", () => {
    expect(Core.resourceForKind("Pod")?.resource).toBe("pods")
    expect(Core.humanDuration(90_000)).toBe("90s")
    const decoded = Core.Decode.parseManifests(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox}]}\n"
    )
    expect(decoded._tag).toBe("Success")
  })

  it.effect("runs a pod through the facade from the root import", () =>
    Effect.gen(function* () {
      const cluster = yield* Core.makeCluster({ nodes: ["n1"] })
      yield* cluster.apply({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "hello" },
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "c", image: "busybox", command: ["sh", "-c", "echo hi"] }]
        }
      } as Core.Pod)
      yield* cluster.advance("5 seconds")
      const pod = yield* cluster.pod("hello")
      expect(pod?.status?.phase).toBe("Succeeded")
      expect(Core.printPod(pod!, Date.parse(pod!.metadata.creationTimestamp!) + 5_000).status).toBe("Completed")
    }).pipe(Effect.scoped)
  )
})
