/**
 * Linux isolation mode with a registry: a real `docker-registry` on loopback holding an image built
 * from busybox-static; pods run from the pulled, unpacked image (its Entrypoint / Cmd / Env /
 * WorkingDir applied when the pod gives no command), through a bearer-token front as well, and E2
 * (a missing image: ErrImagePull with containerd's message, then ImagePullBackOff).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { Pod } from "@podlet/core/api/Pod"
import { makeCluster } from "@podlet/core/Cluster"
import { notFoundMessage } from "@podlet/core/layers/RegistrySimulated"
import { Effect, Stream } from "effect"
import { chooseMode, machineFacts } from "../src/linux/Detect.js"
import { RuntimeProcess, thisMachine } from "../src/RuntimeProcess.js"
import { pushBusybox, registryMissing, startRegistry, startTokenFront } from "./LinuxRegistry.js"

const choice = chooseMode("auto", machineFacts())
const missing = choice.mode !== "linux" ? choice.reason : registryMissing()
if (missing !== undefined) console.log(`Linux isolation mode registry tests skipped: ${missing}`)
const linuxIt = missing === undefined ? it.live : it.live.skip

/** A cluster in Linux mode pulling from `registry` into a fresh image store (removed with the scope). */
const clusterWith = (registry: string) =>
  Effect.gen(function* () {
    const store = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "podlet-images-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    return yield* makeCluster({
      ...RuntimeProcess.clusterOptions({ mode: "linux", registry, imageStoreDir: store }),
      nodes: [thisMachine("n1")]
    })
  })

/** Every version of pod `p` the watch delivers, and a wait on them. */
const follow = (c: Effect.Success<ReturnType<typeof clusterWith>>) =>
  Effect.gen(function* () {
    const seen: Array<Pod> = []
    yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event.type !== "DELETED" && event.object.metadata.name === "p") seen.push(event.object)
        })
      ),
      Effect.forkScoped
    )
    return (what: string, check: (p: Pod) => boolean) =>
      Effect.gen(function* () {
        for (let i = 0; i < 1200; i++) {
          const found = seen.find(check)
          if (found !== undefined) return found
          yield* Effect.sleep(25)
        }
        return yield* Effect.die(new Error(`${what} never happened`))
      })
  })

const pod = (image: string, extra: Partial<Pod["spec"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default" },
  spec: { nodeName: "n1", restartPolicy: "Never", containers: [{ name: "app", image }], ...extra }
})

const waiting = (p: Pod) => p.status?.containerStatuses?.[0]?.state.waiting

describe("Linux isolation mode with a registry", () => {
  linuxIt("runs the pulled image: its root filesystem, Entrypoint/Cmd/Env/WorkingDir, its real digest", () =>
    Effect.gen(function* () {
      const registry = yield* startRegistry
      const digest = yield* pushBusybox(registry, "podlet/busybox", "1")
      const c = yield* clusterWith(registry)
      const until = yield* follow(c)
      const ref = `${registry}/podlet/busybox:1`
      yield* c.apply(pod(ref))
      const done = yield* until("completed", (p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed")
      expect(done.status?.phase).toBe("Succeeded")
      expect(done.status?.containerStatuses?.[0]?.imageID).toBe(`${registry}/podlet/busybox@${digest}`)
      const lines = (yield* c.logs("default", "p", "app")).map((l) => l.line)
      expect(lines[0]).toBe("from the image: hello")
      expect(lines[1]).toBe("/data")
      const root = lines.slice(2).join(" ").split(/\s+/)
      expect(root).toEqual(expect.arrayContaining(["bin", "data", "etc", "tmp"]))
      expect(root).not.toContain("usr")
      const events = (yield* c.events("p")).map((e) => `${e.reason} ${e.message}`)
      expect(events).toContain(`Pulling Pulling image "${ref}"`)
    }).pipe(Effect.scoped)
  )

  linuxIt("pulls through bearer-token auth (a 401 challenge, a token from the realm)", () =>
    Effect.gen(function* () {
      const registry = yield* startRegistry
      yield* pushBusybox(registry, "podlet/busybox", "1")
      const front = yield* startTokenFront(registry)
      const c = yield* clusterWith(registry)
      const until = yield* follow(c)
      yield* c.apply(
        pod(`${front.host}/podlet/busybox:1`, {
          containers: [{ name: "app", image: `${front.host}/podlet/busybox:1`, command: ["cat", "/etc/image-release"] }]
        })
      )
      const done = yield* until("completed", (p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed")
      expect(done.status?.phase).toBe("Succeeded")
      expect(front.issued()).toBeGreaterThan(0)
      expect((yield* c.logs("default", "p", "app")).map((l) => l.line)).toEqual(["podlet test image"])
    }).pipe(Effect.scoped)
  )

  linuxIt("E2 against the local registry: ErrImagePull (containerd's not found), then ImagePullBackOff", () =>
    Effect.gen(function* () {
      const registry = yield* startRegistry
      const c = yield* clusterWith(registry)
      const until = yield* follow(c)
      const ref = `${registry}/missing:1.0`
      yield* c.apply(pod(ref, { restartPolicy: "Always" }))
      const failed = yield* until("ErrImagePull", (p) => waiting(p)?.reason === "ErrImagePull")
      expect(waiting(failed)?.message).toBe(notFoundMessage(ref))
      expect(failed.status?.phase).toBe("Pending")
      const backOff = yield* until("ImagePullBackOff", (p) => waiting(p)?.reason === "ImagePullBackOff")
      expect(waiting(backOff)?.message).toBe(`Back-off pulling image "${ref}"`)
      const reasons = new Set((yield* c.events("p")).map((e) => `${e.type} ${e.reason}`))
      expect([...reasons]).toEqual(expect.arrayContaining(["Normal Pulling", "Warning Failed", "Normal BackOff"]))
    }).pipe(Effect.scoped)
  )
})
