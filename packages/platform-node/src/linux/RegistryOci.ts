/**
 * The `ImageRegistry` of Linux mode with a registry configured: real OCI images pulled over the
 * distribution API into the node's image store (`ImageStore.ts`) and unpacked; `pull` answers the
 * image's real digest (`imageID` = `repository@sha256:<manifest digest>`) and its config's
 * Entrypoint / Cmd / Env / WorkingDir / ExposedPorts. References on `docker.io` are fetched from the
 * configured registry (a mirror, as containerd's `registry.mirrors`); others from their own host.
 * Every pull re-resolves the reference (the kubelet's `Always`); the kubelet decides when to pull.
 * Failures read as containerd's: not found, unauthorized, unreachable.
 */
import { notFoundMessage } from "@podlet/core/layers/RegistrySimulated"
import { parseImageRef } from "@podlet/core/layers/runtime/ImageRef"
import type { ImageConfig, ImageInfo } from "@podlet/core/services/ImageService"
import { ImageRegistry, PullError } from "@podlet/core/services/ImageService"
import { Effect, Layer } from "effect"
import type { Credentials, DistributionError } from "./Distribution.js"
import { makeDistribution } from "./Distribution.js"
import type { ImageStore } from "./ImageStore.js"

export interface RegistryOciOptions {
  /** the registry `docker.io` references are fetched from (`127.0.0.1:5000`, `https://mirror.example`) */
  readonly registry: string
  readonly credentials?: Credentials
  readonly store: ImageStore
}

/** An image config's fields the runtime applies (OCI image spec `config`). */
export interface OciImageConfig {
  readonly config?: {
    readonly Entrypoint?: ReadonlyArray<string> | null
    readonly Cmd?: ReadonlyArray<string> | null
    readonly Env?: ReadonlyArray<string> | null
    readonly WorkingDir?: string
    readonly ExposedPorts?: Readonly<Record<string, unknown>> | null
  }
}

/** The image config as the runtime's `ImageConfig`. */
export const imageConfigOf = (oci: OciImageConfig): ImageConfig => {
  const c = oci.config ?? {}
  return {
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    exposedPorts: Object.keys(c.ExposedPorts ?? {})
      .map((port) => Number.parseInt(port, 10))
      .filter((port) => Number.isInteger(port)),
    ...(c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
    ...(c.Env ? { env: c.Env } : {})
  }
}

/** `host[:port]` of a registry option given as a URL or a host. */
export const registryHostOf = (registry: string): string => registry.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "")

/** containerd's message for a pull that failed with `error`. */
export const pullFailureMessage = (ref: string, error: DistributionError): string =>
  error.status === 404
    ? notFoundMessage(ref)
    : error.status === 401 || error.status === 403
      ? `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`
      : `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${error.message}`

export const RegistryOci = {
  layer: (options: RegistryOciOptions): Layer.Layer<ImageRegistry> =>
    Layer.sync(ImageRegistry, () => {
      const mirror = registryHostOf(options.registry)
      const clients = new Map<string, ReturnType<typeof makeDistribution>>()
      const client = (host: string) => {
        let found = clients.get(host)
        if (found === undefined) {
          found = makeDistribution({
            host,
            ...(options.credentials !== undefined && host === mirror ? { credentials: options.credentials } : {})
          })
          clients.set(host, found)
        }
        return found
      }

      const pull = Effect.fnUntraced(function* (image: string) {
        const parsed = parseImageRef(image)
        if (parsed === undefined) {
          return yield* new PullError({
            image,
            reason: "InvalidImageName",
            message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`
          })
        }
        const host = parsed.domain === "docker.io" ? mirror : parsed.domain
        const registry = client(host)
        const name = parsed.path
        const pulled = yield* Effect.gen(function* () {
          const { digest, manifest } = yield* registry.resolve(name, parsed.digest ?? parsed.tag ?? "latest")
          const configBytes = yield* registry.blob(name, manifest.config.digest)
          for (const layer of manifest.layers) {
            if (!options.store.hasBlob(layer.digest))
              options.store.putBlob(layer.digest, yield* registry.blob(name, layer.digest))
          }
          yield* options.store
            .unpack(digest, manifest.layers)
            .pipe(Effect.mapError((failure) => ({ _tag: "Unpack" as const, message: failure.stderr })))
          const config = JSON.parse(Buffer.from(configBytes).toString("utf8")) as OciImageConfig
          return {
            ref: parsed.ref,
            imageID: `${parsed.repository}@${digest}`,
            size: manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size),
            config: imageConfigOf(config)
          } satisfies ImageInfo
        }).pipe(
          Effect.mapError(
            (error) =>
              new PullError({
                image,
                reason: "ErrImagePull",
                message:
                  error._tag === "Unpack"
                    ? `rpc error: code = Unknown desc = failed to pull and unpack image "${parsed.ref}": failed to extract layer: ${error.message}`
                    : pullFailureMessage(parsed.ref, error)
              })
          )
        )
        return pulled
      })

      return ImageRegistry.of({
        pull,
        add: () => Effect.void,
        setOutage: () => Effect.void
      })
    })
}
