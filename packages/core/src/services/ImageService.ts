/**
 * Images: the registry the cluster pulls from (one per cluster) and the image cache of each node.
 * The kubelet's image manager decides with the pure `domain/ImagePolicy.ts` and acts through these.
 *
 * Implementation: `layers/RegistrySimulated.ts` (a catalogue of common public images, pull times,
 * outage faults) with an in-memory per-node cache.
 */
import type { Effect } from "effect"
import { Context, Schema } from "effect"

/** What an image runs when the container gives no command/args, and how it stops. */
export interface ImageConfig {
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
  /** exposed ports a default server listens on (nginx: 80) */
  readonly exposedPorts: ReadonlyArray<number>
  readonly workingDir?: string
  readonly env?: ReadonlyArray<string>
}

export interface ImageInfo {
  /** normalised reference, e.g. `docker.io/library/busybox:1.36` */
  readonly ref: string
  /** `docker.io/library/busybox@sha256:...` */
  readonly imageID: string
  readonly size: number
  readonly config: ImageConfig
}

/** A failed pull; `message` is the runtime's text that lands in `Failed to pull image "x": <message>`. */
export class PullError extends Schema.TaggedError<PullError>()("PullError", {
  image: Schema.String,
  message: Schema.String,
  /** "ErrImagePull" normally; "RegistryUnavailable" during an outage */
  reason: Schema.String
}) {}

export class ImageRegistry extends Context.Service<
  ImageRegistry,
  {
    /** resolve and download; takes the entry's pull time on the Clock */
    pull(image: string): Effect.Effect<ImageInfo, PullError>
    /** add or replace a catalogue entry (any tag of `name` matches when tag is omitted) */
    add(entry: {
      readonly name: string
      readonly tag?: string
      readonly pullSeconds?: number
      readonly size?: number
      readonly config?: Partial<ImageConfig>
    }): Effect.Effect<void>
    /** registry outage fault: every pull fails while set */
    setOutage(down: boolean): Effect.Effect<void>
  }
>()("@podlet/core/services/ImageRegistry") {}

/** One node's local images (what `crictl images` shows). */
export interface ImageCache {
  get(image: string): ImageInfo | undefined
  put(info: ImageInfo): void
  list(): ReadonlyArray<ImageInfo>
}
