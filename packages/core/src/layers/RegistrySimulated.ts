/**
 * The simulated image registry: a catalogue of images (by default the common public ones, any tag)
 * with realistic image configs, pull times on the Clock, containerd-like failure messages and a
 * registry-outage fault. `makeImageCache` is one node's local image store (preloadable, like
 * `kind load`).
 */
import { Effect, Layer } from "effect"
import type { ImageCache, ImageConfig, ImageInfo } from "../services/ImageService.js"
import { ImageRegistry, PullError } from "../services/ImageService.js"
import { fakeDigest, parseImageRef } from "./runtime/ImageRef.js"

/** One catalogue entry; `tag` omitted = every tag of `name` (and any digest) resolves to it. */
export interface CatalogueEntry {
  readonly name: string
  readonly tag?: string
  readonly pullSeconds?: number
  readonly size?: number
  readonly config?: Partial<ImageConfig>
}

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** The default catalogue: common public images with their real entrypoint/cmd/exposed ports. */
export const defaultCatalogue: ReadonlyArray<CatalogueEntry> = [
  { name: "busybox", size: 2_155_537, config: { cmd: ["sh"] } },
  { name: "alpine", size: 3_653_068, config: { cmd: ["/bin/sh"] } },
  { name: "debian", size: 48_494_272, config: { cmd: ["bash"] } },
  { name: "ubuntu", size: 29_754_422, config: { cmd: ["/bin/bash"] } },
  {
    name: "nginx",
    size: 72_099_501,
    config: {
      entrypoint: ["/docker-entrypoint.sh"],
      cmd: ["nginx", "-g", "daemon off;"],
      exposedPorts: [80],
      env: [PATH, "NGINX_VERSION=1.27.3"]
    }
  },
  {
    name: "httpd",
    size: 58_146_223,
    config: { cmd: ["httpd-foreground"], exposedPorts: [80], workingDir: "/usr/local/apache2" }
  },
  {
    name: "redis",
    size: 45_076_312,
    config: {
      entrypoint: ["docker-entrypoint.sh"],
      cmd: ["redis-server"],
      exposedPorts: [6379],
      workingDir: "/data"
    }
  },
  {
    name: "postgres",
    size: 157_893_117,
    config: {
      entrypoint: ["docker-entrypoint.sh"],
      cmd: ["postgres"],
      exposedPorts: [5432],
      env: [PATH, "PGDATA=/var/lib/postgresql/data"]
    }
  },
  {
    name: "mysql",
    size: 170_617_431,
    config: { entrypoint: ["docker-entrypoint.sh"], cmd: ["mysqld"], exposedPorts: [3306, 33060] }
  },
  { name: "node", size: 398_721_508, config: { entrypoint: ["docker-entrypoint.sh"], cmd: ["node"] } },
  { name: "python", size: 412_234_779, config: { cmd: ["python3"] } },
  { name: "registry.k8s.io/pause", size: 320_368, config: { entrypoint: ["/pause"] } },
  { name: "polinux/stress", size: 4_041_495, config: { cmd: ["/usr/local/bin/stress"] } }
]

export interface RegistrySimulatedOptions {
  /** replaces the default catalogue */
  readonly catalogue?: ReadonlyArray<CatalogueEntry>
  /** added to the (default or given) catalogue */
  readonly extra?: ReadonlyArray<CatalogueEntry>
  /** pull time for entries that do not set one; default 0 */
  readonly pullSeconds?: number
}

interface StoredEntry {
  readonly pullSeconds: number
  readonly size: number
  readonly config: ImageConfig
}

interface Repository {
  anyTag?: StoredEntry
  readonly tags: Map<string, StoredEntry>
}

const emptyConfig: ImageConfig = { entrypoint: [], cmd: [], exposedPorts: [] }

/** What an image nobody described runs: a program of its own (a long-running server in the runtime). */
export const unknownImageConfig: ImageConfig = { entrypoint: ["/app"], cmd: [], exposedPorts: [] }

const imageConfig = (config: Partial<ImageConfig> | undefined): ImageConfig =>
  config === undefined ? { ...unknownImageConfig, env: [PATH] } : { ...emptyConfig, env: [PATH], ...config }

const toStored = (entry: CatalogueEntry, defaultPullSeconds: number): StoredEntry => ({
  pullSeconds: entry.pullSeconds ?? defaultPullSeconds,
  size: entry.size ?? 10_000_000,
  config: imageConfig(entry.config)
})

/**
 * The `ImageInfo` an image reference resolves to (what `kind load` or a pull puts in a node's cache);
 * without a config the image runs a program of its own (`unknownImageConfig`).
 */
export const makeImageInfo = (image: string, config?: Partial<ImageConfig>, size?: number): ImageInfo => {
  const parsed = parseImageRef(image)
  const ref = parsed?.ref ?? image
  const repository = parsed?.repository ?? image
  return {
    ref,
    imageID: `${repository}@${parsed?.digest ?? fakeDigest(ref)}`,
    size: size ?? 10_000_000,
    config: imageConfig(config)
  }
}

const catalogueByRepository = new Map<string, CatalogueEntry>()
for (const entry of defaultCatalogue) {
  const parsed = parseImageRef(entry.name)
  if (parsed !== undefined) catalogueByRepository.set(parsed.repository, entry)
}

/** The `ImageInfo` of an image by the default catalogue (any tag); `unknownImageConfig` for other images. */
export const catalogueImageInfo = (image: string): ImageInfo => {
  const parsed = parseImageRef(image)
  const entry = parsed === undefined ? undefined : catalogueByRepository.get(parsed.repository)
  return makeImageInfo(image, entry?.config, entry?.size)
}

const registryHost = (domain: string): string => (domain === "docker.io" ? "registry-1.docker.io" : domain)

/** containerd's message when the reference does not exist in the registry. */
export const notFoundMessage = (ref: string): string =>
  `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`

/** The simulated `ImageRegistry`. */
export const RegistrySimulated = {
  layer: (options: RegistrySimulatedOptions = {}): Layer.Layer<ImageRegistry> =>
    Layer.sync(ImageRegistry, () => {
      const defaultPull = options.pullSeconds ?? 0
      const repositories = new Map<string, Repository>()
      let outage = false

      const addEntry = (entry: CatalogueEntry): void => {
        const parsed = parseImageRef(entry.name)
        if (parsed === undefined) return
        const tag = entry.tag ?? (entry.name.includes(":") && parsed.tag !== undefined ? parsed.tag : undefined)
        let repo = repositories.get(parsed.repository)
        if (repo === undefined) {
          repo = { tags: new Map() }
          repositories.set(parsed.repository, repo)
        }
        const stored = toStored(entry, defaultPull)
        if (tag === undefined) repo.anyTag = stored
        else repo.tags.set(tag, stored)
      }
      for (const entry of options.catalogue ?? defaultCatalogue) addEntry(entry)
      for (const entry of options.extra ?? []) addEntry(entry)

      const pull = Effect.fnUntraced(function* (image: string) {
        const parsed = parseImageRef(image)
        if (parsed === undefined) {
          return yield* new PullError({
            image,
            reason: "InvalidImageName",
            message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`
          })
        }
        if (outage) {
          const path = `https://${registryHost(parsed.domain)}/v2/${parsed.path}/manifests/${parsed.digest ?? parsed.tag ?? "latest"}`
          return yield* new PullError({
            image,
            reason: "RegistryUnavailable",
            message: `rpc error: code = Unavailable desc = failed to pull and unpack image "${parsed.ref}": failed to resolve reference "${parsed.ref}": failed to do request: Head "${path}": dial tcp: i/o timeout`
          })
        }
        const repo = repositories.get(parsed.repository)
        const entry =
          repo === undefined
            ? undefined
            : parsed.tag !== undefined && parsed.digest === undefined
              ? (repo.tags.get(parsed.tag) ?? repo.anyTag)
              : (repo.anyTag ?? (parsed.tag !== undefined ? repo.tags.get(parsed.tag) : undefined))
        if (entry === undefined) {
          return yield* new PullError({ image, reason: "ErrImagePull", message: notFoundMessage(parsed.ref) })
        }
        if (entry.pullSeconds > 0) yield* Effect.sleep(entry.pullSeconds * 1000)
        return {
          ref: parsed.ref,
          imageID: `${parsed.repository}@${parsed.digest ?? fakeDigest(parsed.ref)}`,
          size: entry.size,
          config: entry.config
        } satisfies ImageInfo
      })

      return ImageRegistry.of({
        pull,
        add: (entry) => Effect.sync(() => addEntry(entry)),
        setOutage: (down) =>
          Effect.sync(() => {
            outage = down
          })
      })
    })
}

/** One node's image store (what `crictl images` lists), keyed by normalised reference; `preload` = `kind load`. */
export const makeImageCache = (preload: ReadonlyArray<ImageInfo> = []): ImageCache => {
  const images = new Map<string, ImageInfo>()
  const byId = new Map<string, ImageInfo>()
  const put = (info: ImageInfo): void => {
    images.set(info.ref, info)
    byId.set(info.imageID, info)
  }
  for (const info of preload) put(info)
  return {
    get: (image) => {
      const parsed = parseImageRef(image)
      return images.get(parsed?.ref ?? image) ?? byId.get(parsed?.ref ?? image)
    },
    put,
    list: () => [...images.values()]
  }
}
