/**
 * A client of the OCI distribution API (what containerd's resolver and fetcher do): resolve a
 * reference to a manifest (`GET /v2/<name>/manifests/<ref>` with the index and manifest media types;
 * an index resolves to the linux/amd64 manifest), fetch blobs, with token auth (a `401` with
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is answered by a token from the realm,
 * anonymous or with basic credentials) and basic auth. Loopback registries are plain HTTP.
 */
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"

/** A distribution API failure: the HTTP status (0: no answer) and containerd-like wording. */
export class DistributionError extends Schema.TaggedError<DistributionError>()("DistributionError", {
  status: Schema.Number,
  message: Schema.String
}) {}

export const mediaTypes = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json"
} as const

export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
  readonly platform?: { readonly architecture?: string; readonly os?: string }
}

export interface Manifest {
  readonly mediaType?: string
  readonly config: Descriptor
  readonly layers: ReadonlyArray<Descriptor>
}

export interface Credentials {
  readonly username: string
  readonly password: string
}

/** Where a registry host is reached: `<scheme>://<host>`. */
export const registryBase = (host: string): string =>
  /^(localhost|127\.|\[::1\])/.test(host)
    ? `http://${host}`
    : `https://${host === "docker.io" ? "registry-1.docker.io" : host}`

/** The parameters of a `WWW-Authenticate: Bearer …` challenge. */
export const parseChallenge = (
  header: string
): { readonly scheme: string; readonly params: Record<string, string> } => {
  const space = header.indexOf(" ")
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const params: Record<string, string> = {}
  for (const match of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[match[1]!] = match[2]!
  return { scheme, params }
}

/** `sha256:<hex>` of bytes. */
export const sha256 = (data: Uint8Array): string => `sha256:${createHash("sha256").update(data).digest("hex")}`

/** The linux/amd64 (or this machine's architecture) entry of an index. */
export const pickPlatform = (manifests: ReadonlyArray<Descriptor>, arch: string): Descriptor | undefined =>
  manifests.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch) ??
  manifests.find((m) => m.platform === undefined)

const nodeArch = (): string => (process.arch === "x64" ? "amd64" : process.arch)

/** A client for one registry host. */
export const makeDistribution = (options: { readonly host: string; readonly credentials?: Credentials }) => {
  const base = registryBase(options.host)
  let authorization: string | undefined =
    options.credentials === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString("base64")}`

  const failure = (status: number, message: string) => new DistributionError({ status, message })

  const fetchOnce = (url: string, headers: Record<string, string>, method: string) =>
    Effect.tryPromise({
      try: (signal) =>
        fetch(url, {
          method,
          headers: authorization === undefined ? headers : { ...headers, Authorization: authorization },
          signal
        }),
      catch: (error) =>
        failure(0, `failed to do request: ${method} "${url}": ${String((error as Error).cause ?? error)}`)
    })

  /** Answers a Bearer challenge with a token from its realm. */
  const authenticate = (challenge: string) =>
    Effect.gen(function* () {
      const { scheme, params } = parseChallenge(challenge)
      if (scheme === "basic") {
        if (options.credentials === undefined) return yield* failure(401, "unexpected status: 401 Unauthorized")
        return
      }
      const realm = params["realm"]
      if (scheme !== "bearer" || realm === undefined)
        return yield* failure(401, `unsupported authentication: ${challenge}`)
      const url = new URL(realm)
      if (params["service"] !== undefined) url.searchParams.set("service", params["service"])
      if (params["scope"] !== undefined) url.searchParams.set("scope", params["scope"])
      const headers: Record<string, string> =
        options.credentials === undefined
          ? {}
          : {
              Authorization: `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString("base64")}`
            }
      const response = yield* Effect.tryPromise({
        try: (signal) => fetch(url, { headers, signal }),
        catch: (error) => failure(0, `failed to fetch anonymous token: ${String(error)}`)
      })
      if (!response.ok) {
        return yield* failure(response.status, `failed to fetch anonymous token: unexpected status: ${response.status}`)
      }
      const body = (yield* Effect.tryPromise({
        try: () => response.json(),
        catch: () => failure(0, "failed to decode the token answer")
      })) as { readonly token?: string; readonly access_token?: string }
      const token = body.token ?? body.access_token
      if (token === undefined) return yield* failure(0, "the token answer has no token")
      authorization = `Bearer ${token}`
    })

  /** A request with auth: one retry after answering a challenge. */
  const request = (path: string, headers: Record<string, string> = {}, method = "GET") =>
    Effect.gen(function* () {
      const url = `${base}${path}`
      let response = yield* fetchOnce(url, headers, method)
      if (response.status === 401) {
        yield* authenticate(response.headers.get("www-authenticate") ?? "")
        response = yield* fetchOnce(url, headers, method)
      }
      return response
    })

  const bytes = (response: Response) =>
    Effect.tryPromise({
      try: async () => new Uint8Array(await response.arrayBuffer()),
      catch: (error) => failure(0, `failed to read the answer: ${String(error)}`)
    })

  const accept = [mediaTypes.ociIndex, mediaTypes.ociManifest, mediaTypes.dockerList, mediaTypes.dockerManifest].join(
    ", "
  )

  /** Resolves `name:reference` to its platform manifest and that manifest's digest. */
  const resolve = (name: string, reference: string) =>
    Effect.gen(function* () {
      let response = yield* request(`/v2/${name}/manifests/${reference}`, { Accept: accept })
      if (response.status === 404) return yield* failure(404, "not found")
      if (!response.ok)
        return yield* failure(
          response.status,
          `unexpected status from GET request to ${base}/v2/${name}/manifests/${reference}: ${response.status}`
        )
      let body = yield* bytes(response)
      let digest = response.headers.get("docker-content-digest") ?? sha256(body)
      let parsed = JSON.parse(Buffer.from(body).toString("utf8")) as Manifest & {
        readonly manifests?: ReadonlyArray<Descriptor>
      }
      if (parsed.manifests !== undefined) {
        const chosen = pickPlatform(parsed.manifests, nodeArch())
        if (chosen === undefined) return yield* failure(404, `no match for platform in manifest: not found`)
        response = yield* request(`/v2/${name}/manifests/${chosen.digest}`, { Accept: accept })
        if (!response.ok)
          return yield* failure(response.status, `unexpected status fetching ${chosen.digest}: ${response.status}`)
        body = yield* bytes(response)
        digest = chosen.digest
        parsed = JSON.parse(Buffer.from(body).toString("utf8")) as Manifest
      }
      return { digest, manifest: parsed as Manifest }
    })

  /** A blob, verified against its digest. */
  const blob = (name: string, digest: string) =>
    Effect.gen(function* () {
      const response = yield* request(`/v2/${name}/blobs/${digest}`)
      if (!response.ok)
        return yield* failure(response.status, `failed to fetch blob ${digest}: unexpected status ${response.status}`)
      const data = yield* bytes(response)
      const actual = sha256(data)
      if (actual !== digest)
        return yield* failure(
          0,
          `failed commit on blob ${digest}: unexpected commit digest ${actual}, expected ${digest}: failed precondition`
        )
      return data
    })

  return { base, resolve, blob }
}
