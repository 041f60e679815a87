// The kubelet's read of the runtime (`podSnapshot`): a listing equal to the previous snapshot is that
// snapshot itself; otherwise a new snapshot whose unchanged instances are the previous objects (in any
// listing order) and whose changed or new ones are built from the listing; the newest sandbox with its
// attempt count.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { newestSandbox, podSnapshot } from "../../src/kubelet/PodRuntime.js"
import type { ContainerInfo, ContainerRuntime, Sandbox } from "../../src/services/ContainerRuntime.js"

const info = (id: string, over: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id,
  sandboxId: "s1",
  podUid: "u1",
  name: id.slice(0, 1),
  image: "busybox",
  imageRef: "sha256:x",
  attempt: 0,
  hash: "h",
  state: "running",
  createdAt: 1,
  startedAt: 2,
  ...over
})

const sandbox = (id: string, createdAt: number, over: Partial<Sandbox> = {}): Sandbox => ({
  id,
  podUid: "u1",
  ip: "10.0.0.5",
  state: "ready",
  createdAt,
  ...over
})

/** A runtime that lists what the test holds. */
const runtimeOf = (listing: {
  sandboxes: ReadonlyArray<Sandbox>
  containers: ReadonlyArray<ContainerInfo>
}): ContainerRuntime["Service"] =>
  ({
    listSandboxes: () => Effect.sync(() => listing.sandboxes),
    listContainers: () => Effect.sync(() => listing.containers)
  }) as unknown as ContainerRuntime["Service"]

describe("podSnapshot", () => {
  it.effect("reuses the previous snapshot and its unchanged instances, in any listing order", () =>
    Effect.gen(function* () {
      const listing = { sandboxes: [sandbox("s1", 0)], containers: [info("a1"), info("b1", { createdAt: 3 })] }
      const runtime = runtimeOf(listing)
      const first = yield* podSnapshot(runtime, "u1")
      expect(first.containers.map((c) => c.id)).toEqual(["containerd://a1", "containerd://b1"])
      expect(first.sandbox).toEqual({ id: "s1", state: "ready", attempt: 0, ip: "10.0.0.5", createdAt: 0 })
      // the same listing: the same snapshot
      expect(yield* podSnapshot(runtime, "u1", first)).toBe(first)
      // another order: a new snapshot of the same instance objects
      listing.containers = [info("b1", { createdAt: 3 }), info("a1")]
      const swapped = yield* podSnapshot(runtime, "u1", first)
      expect(swapped).not.toBe(first)
      expect(swapped.containers[0]).toBe(first.containers[1])
      expect(swapped.containers[1]).toBe(first.containers[0])
      // b1 exits, a new instance b2: a1 kept, b1 rebuilt with its id, b2 new
      listing.containers = [
        info("a1"),
        info("b1", { createdAt: 3, state: "exited", finishedAt: 9, exitCode: 1, reason: "Error" }),
        info("b2", { createdAt: 10, attempt: 1 })
      ]
      const next = yield* podSnapshot(runtime, "u1", swapped)
      expect(next.containers[0]).toBe(first.containers[0])
      expect(next.containers[1]).toEqual({
        id: "containerd://b1",
        name: "b",
        sandboxId: "s1",
        state: "exited",
        hash: "h",
        restartCount: 0,
        image: "busybox",
        imageID: "sha256:x",
        createdAt: 3,
        startedAt: 2,
        finishedAt: 9,
        exitCode: 1,
        reason: "Error"
      })
      expect(next.containers[2]?.restartCount).toBe(1)
      // a new sandbox: a new snapshot even with the same containers
      listing.sandboxes = [sandbox("s1", 0, { state: "notready" }), sandbox("s2", 20)]
      const resandboxed: RuntimeSnapshot = yield* podSnapshot(runtime, "u1", next)
      expect(resandboxed).not.toBe(next)
      expect(resandboxed.containers).toEqual(next.containers)
      expect(resandboxed.sandbox).toEqual({ id: "s2", state: "ready", attempt: 1, ip: "10.0.0.5", createdAt: 20 })
    })
  )

  it("the newest sandbox is the last of the latest creation time", () => {
    expect(newestSandbox([])).toBeUndefined()
    const newest = newestSandbox([sandbox("b", 5), sandbox("a", 9, { ip: "" }), sandbox("c", 9), sandbox("d", 1)])
    expect(newest).toEqual({ id: "c", state: "ready", attempt: 3, ip: "10.0.0.5", createdAt: 9 })
    expect(newestSandbox([sandbox("x", 1, { ip: "" })])).toEqual({ id: "x", state: "ready", attempt: 0, createdAt: 1 })
  })
})
