import { describe, expect, it } from "@effect/vitest"
import type { PullPolicy } from "../../src/api/Pod.js"
import { type BackoffState, emptyBackoff, imagePullBackOffPolicy, next } from "../../src/domain/Backoff.js"
import {
  applyDefaultImageTag,
  defaultPullPolicy,
  ensureImage,
  imageInspectFailed,
  parseImageName,
  pullFailed,
  pullPolicyOf,
  pullSucceeded,
  shouldPullImage
} from "../../src/domain/ImagePolicy.js"
import { c } from "./fixtures.js"

const hex = "a".repeat(64)
const s = 1_000

describe("parseImageName", () => {
  it.each([
    ["nginx", "docker.io/library/nginx", "latest", ""],
    ["nginx:latest", "docker.io/library/nginx", "latest", ""],
    ["nginx:1.25", "docker.io/library/nginx", "1.25", ""],
    [`nginx@sha256:${hex}`, "docker.io/library/nginx", "", `sha256:${hex}`],
    [`nginx:latest@sha256:${hex}`, "docker.io/library/nginx", "latest", `sha256:${hex}`],
    ["registry.local:5000/app", "registry.local:5000/app", "latest", ""],
    ["registry.local:5000/app:v2", "registry.local:5000/app", "v2", ""],
    ["localhost/app", "localhost/app", "latest", ""],
    ["example.com/missing:1.0", "example.com/missing", "1.0", ""],
    ["user/repo", "docker.io/user/repo", "latest", ""],
    ["index.docker.io/user/repo:1", "docker.io/user/repo", "1", ""],
    ["local/app:dev", "docker.io/local/app", "dev", ""],
    ["[::1]:5000/app", "[::1]:5000/app", "latest", ""]
  ])("%s", (image, repository, tag, digest) => {
    expect(parseImageName(image)).toEqual({ _tag: "Ok", repository, tag, digest })
  })

  it.each([
    ["", 'couldn\'t parse image name "": repository name must have at least one component'],
    [
      "Nginx",
      'couldn\'t parse image name "Nginx": invalid reference format: repository name (library/Nginx) must be lowercase'
    ],
    ["nginx:bad tag", 'couldn\'t parse image name "nginx:bad tag": invalid reference format'],
    ["nginx@sha256:abcd", 'couldn\'t parse image name "nginx@sha256:abcd": invalid reference format'],
    [
      `nginx@sha256:${"a".repeat(40)}`,
      `couldn't parse image name "nginx@sha256:${"a".repeat(40)}": invalid checksum digest length`
    ],
    [
      `nginx@md5:${"a".repeat(32)}`,
      `couldn't parse image name "nginx@md5:${"a".repeat(32)}": unsupported digest algorithm`
    ],
    [
      hex,
      `couldn't parse image name "${hex}": invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`
    ]
  ])("rejects %j", (image, message) => {
    expect(parseImageName(image)).toEqual({ _tag: "Error", message })
  })
})

describe("applyDefaultImageTag", () => {
  it.each([
    ["nginx", "nginx:latest"],
    ["nginx:1.25", "nginx:1.25"],
    [`nginx@sha256:${hex}`, `nginx@sha256:${hex}`],
    ["registry.local:5000/app", "registry.local:5000/app:latest"]
  ])("%s ⇒ %s", (image, expected) => {
    expect(applyDefaultImageTag(image)).toEqual({ _tag: "Ok", image: expected })
  })
})

describe("defaultPullPolicy", () => {
  it.each<[string, PullPolicy]>([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.25", "IfNotPresent"],
    [`nginx@sha256:${hex}`, "IfNotPresent"],
    [`nginx:latest@sha256:${hex}`, "Always"],
    ["registry.local:5000/app", "Always"],
    ["Not A Ref", "IfNotPresent"]
  ])("E1 %s ⇒ %s", (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy)
  })

  it("keeps an explicit policy", () => {
    expect(pullPolicyOf(c("app", { image: "nginx", imagePullPolicy: "Never" }))).toBe("Never")
    expect(pullPolicyOf(c("app", { image: "nginx" }))).toBe("Always")
  })
})

describe("shouldPullImage", () => {
  it.each<[PullPolicy, boolean, boolean]>([
    ["Always", true, true],
    ["Always", false, true],
    ["IfNotPresent", true, false],
    ["IfNotPresent", false, true],
    ["Never", true, false],
    ["Never", false, false]
  ])("%s, present=%s ⇒ %s", (policy, present, expected) => {
    expect(shouldPullImage(policy, present)).toBe(expected)
  })
})

describe("ensureImage", () => {
  const has =
    (...images: Array<string>) =>
    (image: string) =>
      images.includes(image)

  it("E4a IfNotPresent and present: no pull, Pulled already present", () => {
    const step = ensureImage(emptyBackoff, {
      podUID: "U",
      container: c("app", { image: "nginx:1.25" }),
      isPresent: has("nginx:1.25"),
      now: 0
    })
    expect(step).toEqual({
      _tag: "Present",
      image: "nginx:1.25",
      events: [{ type: "Normal", reason: "Pulled", message: 'Container image "nginx:1.25" already present on machine' }]
    })
  })

  it("E4b Always and present: pulls", () => {
    const step = ensureImage(emptyBackoff, {
      podUID: "U",
      container: c("app", { image: "nginx:1.25", imagePullPolicy: "Always" }),
      isPresent: has("nginx:1.25"),
      now: 0
    })
    expect(step).toEqual({
      _tag: "Pull",
      image: "nginx:1.25",
      events: [{ type: "Normal", reason: "Pulling", message: 'Pulling image "nginx:1.25"' }]
    })
  })

  it("checks presence of the default-tagged image", () => {
    const step = ensureImage(emptyBackoff, {
      podUID: "U",
      container: c("app", { image: "nginx", imagePullPolicy: "IfNotPresent" }),
      isPresent: has("nginx:latest"),
      now: 0
    })
    expect(step._tag).toBe("Present")
  })

  it("E3 Never and absent: ErrImageNeverPull, no backoff", () => {
    const step = ensureImage(emptyBackoff, {
      podUID: "U",
      container: c("app", { image: "local/app:dev", imagePullPolicy: "Never" }),
      isPresent: has(),
      now: 0
    })
    const message = 'Container image "local/app:dev" is not present with pull policy of Never'
    expect(step).toEqual({
      _tag: "Failed",
      reason: "ErrImageNeverPull",
      message,
      events: [
        { type: "Warning", reason: "ErrImageNeverPull", message },
        { type: "Warning", reason: "Failed", message: "Error: ErrImageNeverPull" }
      ]
    })
  })

  it("InvalidImageName", () => {
    const step = ensureImage(emptyBackoff, {
      podUID: "U",
      container: c("app", { image: "Bad:Image" }),
      isPresent: has(),
      now: 0
    })
    expect(step._tag === "Failed" && step.reason).toBe("InvalidImageName")
    expect(step._tag === "Failed" && step.message).toBe(
      'Failed to apply default image tag "Bad:Image": couldn\'t parse image name "Bad:Image": invalid reference format: repository name (library/Bad) must be lowercase'
    )
  })

  it("ImagePullBackOff inside the window", () => {
    const state = next(imagePullBackOffPolicy, emptyBackoff, "U_example.com/missing:1.0", 0, 0)
    const step = ensureImage(state, {
      podUID: "U",
      container: c("app", { image: "example.com/missing:1.0" }),
      isPresent: has(),
      now: 5 * s
    })
    expect(step).toEqual({
      _tag: "Failed",
      reason: "ImagePullBackOff",
      message: 'Back-off pulling image "example.com/missing:1.0"',
      events: [
        { type: "Normal", reason: "BackOff", message: 'Back-off pulling image "example.com/missing:1.0"' },
        { type: "Warning", reason: "Failed", message: "Error: ImagePullBackOff" }
      ]
    })
  })

  it("E2: a permanently failing pull is attempted at 0,10,30,70,150,310,610,910 and shows the spec's windows", () => {
    const image = "example.com/missing:1.0"
    const container = c("app", { image })
    let state: BackoffState = emptyBackoff
    const attempts: Array<number> = []
    const shown: Array<[number, string]> = []
    let t = 0
    while (t <= 1000) {
      const now = t * s
      const step = ensureImage(state, { podUID: "U", container, isPresent: () => false, now })
      let reason: string
      if (step._tag === "Pull") {
        attempts.push(t)
        const failed = pullFailed(state, { podUID: "U", image, error: "rpc error: not found", now })
        state = failed.state
        reason = failed.failure.reason
      } else {
        reason = step._tag === "Failed" ? step.reason : step._tag
      }
      if (shown.at(-1)?.[1] !== reason) shown.push([t, reason])
      // RTM-3: next sync at min(now + 10 s, backoff expiry)
      const entry = state.get(`U_${image}`)!
      t = Math.min(t + 10, (entry.lastUpdateMs + entry.backoffMs) / s)
    }
    expect(attempts).toEqual([0, 10, 30, 70, 150, 310, 610, 910])
    expect(shown.slice(0, 10)).toEqual([
      [0, "ErrImagePull"],
      [20, "ImagePullBackOff"],
      [30, "ErrImagePull"],
      [40, "ImagePullBackOff"],
      [70, "ErrImagePull"],
      [80, "ImagePullBackOff"],
      [150, "ErrImagePull"],
      [160, "ImagePullBackOff"],
      [310, "ErrImagePull"],
      [320, "ImagePullBackOff"]
    ])
  })
})

describe("pullFailed / pullSucceeded / imageInspectFailed", () => {
  it("ErrImagePull carries the runtime error and the pull events", () => {
    const { state, failure } = pullFailed(emptyBackoff, { podUID: "U", image: "x:1", error: "not found", now: 0 })
    expect(state.get("U_x:1")).toEqual({ backoffMs: 10 * s, lastUpdateMs: 0 })
    expect(failure).toEqual({
      _tag: "Failed",
      reason: "ErrImagePull",
      message: "not found",
      events: [
        { type: "Warning", reason: "Failed", message: 'Failed to pull image "x:1": not found' },
        { type: "Warning", reason: "Failed", message: "Error: ErrImagePull" }
      ]
    })
  })

  it("RegistryUnavailable", () => {
    expect(
      pullFailed(emptyBackoff, { podUID: "U", image: "x:1", error: "RegistryUnavailable", now: 0 }).failure.message
    ).toBe("image pull failed for x:1 because the registry is unavailable.")
    expect(
      pullFailed(emptyBackoff, { podUID: "U", image: "x:1", error: "RegistryUnavailable: down", now: 0 }).failure.reason
    ).toBe("RegistryUnavailable")
  })

  it("E8 success message and GC", () => {
    const old = next(imagePullBackOffPolicy, emptyBackoff, "U_old", 0, 0)
    const { state, events } = pullSucceeded(old, {
      image: "nginx:1.25",
      now: 700 * s,
      pullDurationMs: 20_000,
      imageSizeBytes: 1234
    })
    expect(state.size).toBe(0)
    expect(events).toEqual([
      {
        type: "Normal",
        reason: "Pulled",
        message: 'Successfully pulled image "nginx:1.25" in 20s (20s including waiting). Image size: 1234 bytes.'
      }
    ])
  })

  it("ImageInspectError", () => {
    expect(imageInspectFailed("x:1", "boom").message).toBe('Failed to inspect image "x:1": boom')
  })
})
