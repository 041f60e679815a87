import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { makeImageCache, makeImageInfo, RegistrySimulated } from "../../src/layers/RegistrySimulated.js"
import { normalizeImage, parseImageRef } from "../../src/layers/runtime/ImageRef.js"
import { ImageRegistry, type PullError } from "../../src/services/ImageService.js"

const failure = <A>(exit: Exit.Exit<A, PullError>): PullError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failed pull")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") throw new Error("expected a typed failure")
  return error.error
}

describe("image reference normalisation", () => {
  it.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25"],
    ["polinux/stress", "docker.io/polinux/stress:latest"],
    ["registry.local:5000/app", "registry.local:5000/app:latest"],
    ["localhost/app:dev", "localhost/app:dev"],
    ["registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"],
    [`busybox@sha256:${"a".repeat(64)}`, `docker.io/library/busybox@sha256:${"a".repeat(64)}`],
    [`busybox:1.36@sha256:${"b".repeat(64)}`, `docker.io/library/busybox:1.36@sha256:${"b".repeat(64)}`]
  ])("%s → %s", (input, expected) => {
    expect(normalizeImage(input)).toBe(expected)
  })

  it.each(["", "Busybox", "busybox:", "busybox@sha256:xyz", "a b", "busybox:-bad"])("rejects %j", (input) => {
    expect(parseImageRef(input)).toBeUndefined()
  })

  it("splits domain, path, tag and digest", () => {
    expect(parseImageRef("registry.local:5000/team/app:v2")).toEqual({
      domain: "registry.local:5000",
      path: "team/app",
      repository: "registry.local:5000/team/app",
      tag: "v2",
      ref: "registry.local:5000/team/app:v2"
    })
  })
})

describe("RegistrySimulated", () => {
  it.effect("pulls catalogue images of any tag with their image config", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      const busybox = yield* registry.pull("busybox:1.36")
      expect(busybox.ref).toBe("docker.io/library/busybox:1.36")
      expect(busybox.imageID).toMatch(/^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/)
      expect(busybox.config.cmd).toEqual(["sh"])
      const nginx = yield* registry.pull("nginx")
      expect(nginx.config.entrypoint).toEqual(["/docker-entrypoint.sh"])
      expect(nginx.config.cmd).toEqual(["nginx", "-g", "daemon off;"])
      expect(nginx.config.exposedPorts).toEqual([80])
      const pause = yield* registry.pull("registry.k8s.io/pause:3.10")
      expect(pause.config.entrypoint).toEqual(["/pause"])
      const stress = yield* registry.pull("polinux/stress")
      expect(stress.config.cmd).toEqual(["/usr/local/bin/stress"])
      expect((yield* registry.pull("redis:7")).config.exposedPorts).toEqual([6379])
      expect((yield* registry.pull("postgres:16")).config.exposedPorts).toEqual([5432])
      // the same reference always has the same image ID; another tag another
      expect((yield* registry.pull("docker.io/library/busybox:1.36")).imageID).toBe(busybox.imageID)
      expect((yield* registry.pull("busybox:1.37")).imageID).not.toBe(busybox.imageID)
    }).pipe(Effect.provide(RegistrySimulated.layer()))
  )

  it.effect("keeps a digest reference's digest in the image ID", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      const digest = `sha256:${"c".repeat(64)}`
      const info = yield* registry.pull(`busybox@${digest}`)
      expect(info.ref).toBe(`docker.io/library/busybox@${digest}`)
      expect(info.imageID).toBe(`docker.io/library/busybox@${digest}`)
    }).pipe(Effect.provide(RegistrySimulated.layer()))
  )

  it.effect("fails an image outside the catalogue with containerd's NotFound message", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      const error = failure(yield* Effect.exit(registry.pull("nosuch")))
      expect(error.reason).toBe("ErrImagePull")
      expect(error.image).toBe("nosuch")
      expect(error.message).toBe(
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nosuch:latest": failed to resolve reference "docker.io/library/nosuch:latest": docker.io/library/nosuch:latest: not found'
      )
      const missing = failure(yield* Effect.exit(registry.pull("example.com/missing:1.0")))
      expect(missing.message).toContain('"example.com/missing:1.0"')
    }).pipe(Effect.provide(RegistrySimulated.layer()))
  )

  it.effect("takes the entry's pull time on the Clock", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      yield* registry.add({ name: "registry.local:5000/app", tag: "v1", pullSeconds: 20 })
      const fiber = yield* Effect.forkChild(registry.pull("registry.local:5000/app:v1"))
      yield* TestClock.adjust(19_999)
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust(1)
      const info = yield* Fiber.join(fiber)
      expect(info.ref).toBe("registry.local:5000/app:v1")
      // an entry without a config runs a program of its own
      expect(info.config).toMatchObject({ entrypoint: ["/app"], cmd: [], exposedPorts: [] })
      // a tagged entry does not make other tags exist
      const other = failure(yield* Effect.exit(registry.pull("registry.local:5000/app:v2")))
      expect(other.reason).toBe("ErrImagePull")
    }).pipe(Effect.provide(RegistrySimulated.layer()))
  )

  it.effect("an added entry replaces the image config", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      yield* registry.add({ name: "example.com/web:2.0", config: { cmd: ["web"], exposedPorts: [8080] } })
      const info = yield* registry.pull("example.com/web:2.0")
      expect(info.config).toMatchObject({ entrypoint: [], cmd: ["web"], exposedPorts: [8080] })
    }).pipe(Effect.provide(RegistrySimulated.layer()))
  )

  it.effect("an outage fails every pull until it ends", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      yield* registry.setOutage(true)
      const error = failure(yield* Effect.exit(registry.pull("busybox")))
      expect(error.reason).toBe("RegistryUnavailable")
      expect(error.message).toContain('failed to pull and unpack image "docker.io/library/busybox:latest"')
      yield* registry.setOutage(false)
      expect((yield* registry.pull("busybox")).ref).toBe("docker.io/library/busybox:latest")
    }).pipe(Effect.provide(RegistrySimulated.layer()))
  )

  it.effect("options replace the catalogue and set a default pull time", () =>
    Effect.gen(function* () {
      const registry = yield* ImageRegistry
      expect(failure(yield* Effect.exit(registry.pull("busybox"))).reason).toBe("ErrImagePull")
      const fiber = yield* Effect.forkChild(registry.pull("app"))
      yield* TestClock.adjust(4_000)
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust(1_000)
      expect((yield* Fiber.join(fiber)).ref).toBe("docker.io/library/app:latest")
    }).pipe(Effect.provide(RegistrySimulated.layer({ catalogue: [{ name: "app" }], pullSeconds: 5 })))
  )
})

describe("makeImageCache", () => {
  it("finds images by any spelling of their reference and lists them", () => {
    const cache = makeImageCache([makeImageInfo("local/app:dev")])
    expect(cache.get("docker.io/local/app:dev")?.ref).toBe("docker.io/local/app:dev")
    expect(cache.get("busybox")).toBeUndefined()
    const busybox = makeImageInfo("busybox", { cmd: ["sh"] })
    cache.put(busybox)
    expect(cache.get("docker.io/library/busybox:latest")).toBe(busybox)
    expect(cache.get("busybox:1.36")).toBeUndefined()
    expect(cache.get(busybox.imageID)).toBe(busybox)
    expect(cache.list().map((i) => i.ref)).toEqual(["docker.io/local/app:dev", "docker.io/library/busybox:latest"])
  })
})
