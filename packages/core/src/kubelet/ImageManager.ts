/**
 * The kubelet's image manager (`pkg/kubelet/images/image_manager.go` `EnsureImageExists`): decides
 * with the pure `domain/ImagePolicy` (pull policy, pull backoff), pulls through the cluster's
 * ImageRegistry one image at a time, fills the node's image cache and records the events.
 */
import { Clock, Effect } from "effect"
import type { Container, Pod } from "../api/Pod.js"
import { ensureImage, pullFailed, pullSucceeded } from "../domain/ImagePolicy.js"
import type { ImageInfo } from "../services/ImageService.js"
import type { KubeletContext, StartFailure } from "./KubeletContext.js"
import { recordEvents } from "./KubeletContext.js"

/** The image is on the node (`info`), or the container cannot start (`failure`, its waiting reason). */
export type ImageResult =
  | { readonly _tag: "Ready"; readonly info: ImageInfo }
  | { readonly _tag: "Failed"; readonly failure: StartFailure }

/**
 * `EnsureImageExists` for one container start. `beforePull` runs right before a pull starts (the
 * sync publishes the pod status there, so a slow pull shows `ContainerCreating`).
 */
export const ensureImageExists = (
  ctx: KubeletContext,
  pod: Pod,
  container: Container,
  beforePull: Effect.Effect<void>
): Effect.Effect<ImageResult> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const step = ensureImage(ctx.imageBackoff, {
      podUID: pod.metadata.uid ?? "",
      container,
      isPresent: (image) => ctx.images.get(image) !== undefined,
      now
    })
    const recorded = step.events.length === 0 ? Effect.void : recordEvents(ctx, pod, container, step.events)
    if (step._tag === "Failed") {
      return Effect.as(recorded, {
        _tag: "Failed",
        failure: { reason: step.reason, message: step.message }
      } satisfies ImageResult)
    }
    const info = step._tag === "Present" ? ctx.images.get(step.image) : undefined
    if (info !== undefined) return Effect.as(recorded, { _tag: "Ready", info } satisfies ImageResult)
    return Effect.andThen(recorded, pullImage(ctx, pod, container, step.image, beforePull))
  })

/** The pull of `image` (not on the node) for one container start, with its events and the pull backoff. */
const pullImage = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  pod: Pod,
  container: Container,
  image: string,
  beforePull: Effect.Effect<void>
): Effect.fn.Return<ImageResult> {
  const podUID = pod.metadata.uid ?? ""
  const written = container.image ?? ""
  yield* beforePull
  const requested = yield* Clock.currentTimeMillis
  const pulled = yield* ctx.pullLock(
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const result = yield* ctx.registry.pull(image).pipe(Effect.result)
      return { started, result }
    })
  )
  const done = yield* Clock.currentTimeMillis
  if (pulled.result._tag === "Failure") {
    const error = pulled.result.failure
    const failed = pullFailed(ctx.imageBackoff, {
      podUID,
      image: written,
      error: error.reason === "RegistryUnavailable" ? "RegistryUnavailable" : error.message,
      now: done
    })
    ctx.imageBackoff = failed.state
    yield* recordEvents(ctx, pod, container, failed.failure.events)
    return { _tag: "Failed", failure: { reason: failed.failure.reason, message: failed.failure.message } }
  }
  const info = pulled.result.success
  ctx.images.put(info)
  const succeeded = pullSucceeded(ctx.imageBackoff, {
    image: written,
    now: done,
    pullDurationMs: done - pulled.started,
    totalDurationMs: done - requested,
    imageSizeBytes: info.size
  })
  ctx.imageBackoff = succeeded.state
  yield* recordEvents(ctx, pod, container, succeeded.events)
  return { _tag: "Ready", info }
})
