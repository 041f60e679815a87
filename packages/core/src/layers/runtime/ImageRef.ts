/**
 * Image references as containerd normalises them (distribution/reference `ParseNormalizedNamed`):
 * `busybox` → `docker.io/library/busybox:latest`, `user/app` → `docker.io/user/app:latest`,
 * `registry.local:5000/app` → `registry.local:5000/app:latest`, digests kept (`name@sha256:…`,
 * no `latest` added). Pure functions, plus the deterministic fake digests the simulated registry uses.
 */

/** A parsed, normalised image reference. */
export interface ImageRef {
  /** `docker.io`, `registry.k8s.io`, `registry.local:5000` */
  readonly domain: string
  /** `library/busybox`, `polinux/stress`, `app` */
  readonly path: string
  /** `domain/path` */
  readonly repository: string
  readonly tag?: string
  /** `sha256:<64 hex>` */
  readonly digest?: string
  /** the full normalised reference: `repository[:tag][@digest]` */
  readonly ref: string
}

const componentRe = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const tagRe = /^[\w][\w.-]{0,127}$/
const digestRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/
const domainRe =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/

/** Parsed references by text (a simulation parses the same few images again and again). Bounded. */
const parsed = new Map<string, ImageRef | undefined>()

/** Parse and normalise an image reference; `undefined` when it is not a valid reference (InvalidImageName). */
export const parseImageRef = (image: string): ImageRef | undefined => {
  if (parsed.has(image)) return parsed.get(image)
  const ref = parse(image)
  if (parsed.size >= 4096) parsed.clear()
  parsed.set(image, ref)
  return ref
}

const parse = (image: string): ImageRef | undefined => {
  if (image.length === 0 || image.length > 255 + 128 + 80 || image.trim() !== image) return undefined
  let rest = image
  let digest: string | undefined
  const at = rest.indexOf("@")
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!digestRe.test(digest)) return undefined
  }
  let domain = "docker.io"
  const slash = rest.indexOf("/")
  if (slash >= 0) {
    const first = rest.slice(0, slash)
    if (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase()) {
      if (!domainRe.test(first)) return undefined
      domain = first
      rest = rest.slice(slash + 1)
    }
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(":")
  if (colon >= 0) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!tagRe.test(tag)) return undefined
  }
  if (domain === "index.docker.io") domain = "docker.io"
  const components = rest.split("/")
  if (components.some((c) => !componentRe.test(c))) return undefined
  const path = domain === "docker.io" && components.length === 1 ? `library/${rest}` : rest
  const repository = `${domain}/${path}`
  if (tag === undefined && digest === undefined) tag = "latest"
  const ref = repository + (tag !== undefined ? `:${tag}` : "") + (digest !== undefined ? `@${digest}` : "")
  return {
    domain,
    path,
    repository,
    ref,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {})
  }
}

/** The normalised reference, or the input unchanged when it does not parse. */
export const normalizeImage = (image: string): string => parseImageRef(image)?.ref ?? image

/** A deterministic `sha256:<64 hex>` for a string (not a real SHA-256: the simulation needs stable ids only). */
export const fakeDigest = (seed: string): string => {
  let out = ""
  for (let round = 0; round < 8; round++) {
    let h = (0x811c9dc5 ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0
    for (let i = 0; i < seed.length; i++) {
      h ^= seed.charCodeAt(i)
      h = Math.imul(h, 0x01000193) >>> 0
    }
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b) >>> 0
    h ^= h >>> 13
    out += (h >>> 0).toString(16).padStart(8, "0")
  }
  return `sha256:${out}`
}
