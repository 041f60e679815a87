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
export const ensureImageExists = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  pod: Pod,
  container: Container,
  beforePull: Effect.Effect<void>
): Effect.fn.Return<ImageResult> {
  const podUID = pod.metadata.uid ?? ""
  const written = container.image ?? ""
  const now = yield* Clock.currentTimeMillis
  const step = ensureImage(ctx.imageBackoff, {
    podUID,
    container,
    isPresent: (image) => ctx.images.get(image) !== undefined,
    now
  })
  yield* recordEvents(ctx, pod, container, step.events)
  if (step._tag === "Failed") return { _tag: "Failed", failure: { reason: step.reason, message: step.message } }
  if (step._tag === "Present") {
    const info = ctx.images.get(step.image)
    if (info !== undefined) return { _tag: "Ready", info }
  }
  yield* beforePull
  const requested = yield* Clock.currentTimeMillis
  const pulled = yield* ctx.pullLock(
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const result = yield* ctx.registry.pull(step.image).pipe(Effect.result)
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
