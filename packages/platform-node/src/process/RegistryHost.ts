/**
 * The image registry of host mode: there is no registry and no image root filesystem, so every
 * well-formed reference "pulls" at once and resolves to the host filesystem; its config (entrypoint,
 * cmd, env, workingDir) is the simulated catalogue's for the common public images, empty otherwise.
 * A malformed reference fails as containerd's does (`InvalidImageName`).
 */
import { catalogueImageInfo } from "@podlet/core/layers/RegistrySimulated"
import { parseImageRef } from "@podlet/core/layers/runtime/ImageRef"
import type { ImageInfo } from "@podlet/core/services/ImageService"
import { ImageRegistry, PullError } from "@podlet/core/services/ImageService"
import { Effect, Layer } from "effect"

/** The `ImageRegistry` of host mode. */
export const RegistryHost = {
  layer: Layer.sync(ImageRegistry, () => {
    const extra = new Map<string, Partial<ImageInfo["config"]>>()
    return ImageRegistry.of({
      pull: (image) => {
        const parsed = parseImageRef(image)
        if (parsed === undefined) {
          return Effect.fail(
            new PullError({
              image,
              reason: "InvalidImageName",
              message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`
            })
          )
        }
        const info = catalogueImageInfo(image)
        const config = extra.get(parsed.repository)
        return Effect.succeed(config === undefined ? info : { ...info, config: { ...info.config, ...config } })
      },
      add: (entry) =>
        Effect.sync(() => {
          const parsed = parseImageRef(entry.name)
          if (parsed !== undefined && entry.config !== undefined) extra.set(parsed.repository, entry.config)
        }),
      setOutage: () => Effect.void
    })
  })
}
