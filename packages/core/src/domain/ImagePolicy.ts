/**
 * Images (spec pod-lifecycle §6, §3.2): reference parsing (`ParseImageName`, `applyDefaultImageTag`; K-defaults
 * `pkg/util/parsers`, distribution/reference grammar), `imagePullPolicy` defaulting (§6.1), the pull decision of
 * `EnsureImageExists` (§6.2) and the image pull backoff (§6.3), with the exact waiting reasons, messages and events.
 * Times are epoch ms; the backoff state is immutable (`Backoff.ts`).
 */
import type { Container, PullPolicy } from "../api/Pod.js"
import { type BackoffState, gc, imagePullBackOffPolicy, isInBackOffSinceUpdate, next } from "./Backoff.js"
import { EventReason, type KubeletEvent, normalEvent, warningEvent } from "./Events.js"
import { goDuration } from "./GoDuration.js"

// ---------------------------------------------------------------------------------------------------------------
// Reference parsing

const alphaNumeric = "[a-z0-9]+"
const separator = "(?:[._]|__|[-]+)"
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`
const domainAndPort = `${host}(?::[0-9]+)?`
const namePattern = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`
const tagPattern = "[\\w][\\w.-]{0,127}"
const digestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
const referenceRegExp = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`)
const hex64RegExp = /^[a-f0-9]{64}$/

const digestHexLength: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 }

/** A parsed reference: normalised repository (`docker.io/library/nginx`), explicit tag and digest. */
export interface ImageReference {
  readonly repository: string
  readonly tag?: string
  readonly digest?: string
}

/** Parse outcome: the reference, or the distribution/reference error text. */
export type ImageParseResult =
  | { readonly _tag: "Ok"; readonly reference: ImageReference }
  | { readonly _tag: "Error"; readonly message: string }

const parseError = (message: string): ImageParseResult => ({ _tag: "Error", message })

/** `splitDockerDomain`: a first component with `.`/`:`, `localhost` or uppercase is a registry host. */
const splitDockerDomain = (name: string): readonly [string, string] => {
  const i = name.indexOf("/")
  const first = i === -1 ? "" : name.slice(0, i)
  let domain: string
  let remainder: string
  if (i === -1 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    domain = "docker.io"
    remainder = name
  } else {
    domain = first
    remainder = name.slice(i + 1)
  }
  if (domain === "index.docker.io") domain = "docker.io"
  if (domain === "docker.io" && !remainder.includes("/")) remainder = `library/${remainder}`
  return [domain, remainder]
}

const validateDigest = (digest: string): string | undefined => {
  const [algorithm = "", hex = ""] = digest.split(":")
  const length = digestHexLength[algorithm]
  if (length === undefined) return "unsupported digest algorithm"
  if (hex.length !== length) return "invalid checksum digest length"
  if (!/^[a-f0-9]+$/.test(hex)) return "invalid checksum digest format"
  return undefined
}

/** Parse results by text (pods of one template name the same images on every sync). Bounded. */
const parsedNames = new Map<string, ImageParseResult>()

/** `reference.ParseNormalizedNamed`: parses and normalises an image reference (docker.io defaults). */
export const parseNormalizedNamed = (image: string): ImageParseResult => {
  const known = parsedNames.get(image)
  if (known !== undefined) return known
  const result = parseName(image)
  if (parsedNames.size >= 4096) parsedNames.clear()
  parsedNames.set(image, result)
  return result
}

const parseName = (image: string): ImageParseResult => {
  if (hex64RegExp.test(image)) {
    return parseError(`invalid repository name (${image}), cannot specify 64-byte hexadecimal strings`)
  }
  const [domain, remainder] = splitDockerDomain(image)
  const colon = remainder.indexOf(":")
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon)
  if (remoteName.toLowerCase() !== remoteName) {
    return parseError(`invalid reference format: repository name (${remoteName}) must be lowercase`)
  }
  const full = `${domain}/${remainder}`
  const match = referenceRegExp.exec(full)
  if (match === null) {
    if (image === "") return parseError("repository name must have at least one component")
    if (referenceRegExp.test(full.toLowerCase())) return parseError("repository name must be lowercase")
    return parseError("invalid reference format")
  }
  const [, repository = "", tag, digest] = match
  if (repository.length > 255) return parseError("repository name must not be more than 255 characters")
  if (digest !== undefined) {
    const invalid = validateDigest(digest)
    if (invalid !== undefined) return parseError(invalid)
  }
  return {
    _tag: "Ok",
    reference: { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) }
  }
}

/**
 * `parsers.ParseImageName`: repository, tag and digest; with neither tag nor digest the tag is `latest`.
 * `registry.local:5000/app` has no tag (`:5000` is a port) ⇒ `latest`.
 */
export const parseImageName = (
  image: string
):
  | { readonly _tag: "Ok"; readonly repository: string; readonly tag: string; readonly digest: string }
  | { readonly _tag: "Error"; readonly message: string } => {
  const parsed = parseNormalizedNamed(image)
  if (parsed._tag === "Error")
    return { _tag: "Error", message: `couldn't parse image name "${image}": ${parsed.message}` }
  const { repository, tag, digest } = parsed.reference
  return {
    _tag: "Ok",
    repository,
    tag: tag ?? (digest === undefined ? "latest" : ""),
    digest: digest ?? ""
  }
}

/** `applyDefaultImageTag`: appends `:latest` to an image with neither tag nor digest (name otherwise unchanged). */
export const applyDefaultImageTag = (
  image: string
): { readonly _tag: "Ok"; readonly image: string } | { readonly _tag: "Error"; readonly message: string } => {
  const parsed = parseNormalizedNamed(image)
  if (parsed._tag === "Error")
    return { _tag: "Error", message: `couldn't parse image name "${image}": ${parsed.message}` }
  const { tag, digest } = parsed.reference
  return { _tag: "Ok", image: tag === undefined && digest === undefined ? `${image}:latest` : image }
}

// ---------------------------------------------------------------------------------------------------------------
// Pull policy

/** `SetDefaults_Container`: `Always` when the parsed tag is `latest`, else `IfNotPresent` (also for unparsable). */
export const defaultPullPolicy = (image: string | undefined): PullPolicy => {
  const parsed = parseImageName(image ?? "")
  return parsed._tag === "Ok" && parsed.tag === "latest" ? "Always" : "IfNotPresent"
}

/** The container's effective policy: explicit, else the default for its image. */
export const pullPolicyOf = (container: Container): PullPolicy =>
  container.imagePullPolicy ?? defaultPullPolicy(container.image)

/** `shouldPullImage`: `Always` pulls; `IfNotPresent` pulls when absent; `Never` never pulls. */
export const shouldPullImage = (policy: PullPolicy, present: boolean): boolean =>
  policy === "Always" || (policy === "IfNotPresent" && !present)

// ---------------------------------------------------------------------------------------------------------------
// EnsureImageExists

/** Waiting reasons of image failures (§3.2). */
export type ImageErrorReason =
  | "ErrImagePull"
  | "ImagePullBackOff"
  | "ErrImageNeverPull"
  | "InvalidImageName"
  | "RegistryUnavailable"
  | "ImageInspectError"

/** What to do about the image of a container that is about to start. */
export type EnsureImageStep =
  /** Image present and no pull needed: create the container from `image`. */
  | { readonly _tag: "Present"; readonly image: string; readonly events: ReadonlyArray<KubeletEvent> }
  /** Pull `image` now (`Pulling` event), then report with `pullFailed` / `pullSucceeded`. */
  | { readonly _tag: "Pull"; readonly image: string; readonly events: ReadonlyArray<KubeletEvent> }
  /** Start fails with waiting `reason` / `message` (also the reason-cache entry). */
  | ImageFailure

/** A failed image step: the container's waiting reason and message, and the events to record. */
export interface ImageFailure {
  readonly _tag: "Failed"
  readonly reason: ImageErrorReason
  readonly message: string
  readonly events: ReadonlyArray<KubeletEvent>
}

/** Backoff key of an image pull: `<podUID>_<image as written>`. */
export const imageBackoffKey = (podUID: string, image: string): string => `${podUID}_${image}`

const failure = (reason: ImageErrorReason, message: string, events: ReadonlyArray<KubeletEvent>): ImageFailure => ({
  _tag: "Failed",
  reason,
  message,
  // startContainer records `Error: <reason>` after every EnsureImageExists failure.
  events: [...events, warningEvent(EventReason.Failed, `Error: ${reason}`)]
})

/** Inputs of `ensureImage`: the container, its pod's UID, the image store and the time. */
export interface EnsureImageInput {
  readonly podUID: string
  readonly container: Container
  /** Whether the node has `image` (already default-tagged). */
  readonly isPresent: (image: string) => boolean
  readonly now: number
}

/**
 * `EnsureImageExists` up to the pull: invalid reference ⇒ `InvalidImageName`; no pull needed ⇒ Present (or
 * `ErrImageNeverPull` when absent under `Never`, no backoff); inside the pull backoff ⇒ `ImagePullBackOff`;
 * otherwise Pull.
 */
export const ensureImage = (state: BackoffState, input: EnsureImageInput): EnsureImageStep => {
  const written = input.container.image ?? ""
  const defaulted = applyDefaultImageTag(written)
  if (defaulted._tag === "Error") {
    const message = `Failed to apply default image tag "${written}": ${defaulted.message}`
    return failure("InvalidImageName", message, [warningEvent(EventReason.InspectFailed, message)])
  }
  const image = defaulted.image
  const present = input.isPresent(image)
  if (!shouldPullImage(pullPolicyOf(input.container), present)) {
    if (present) {
      return {
        _tag: "Present",
        image,
        events: [normalEvent(EventReason.Pulled, `Container image "${written}" already present on machine`)]
      }
    }
    const message = `Container image "${written}" is not present with pull policy of Never`
    return failure("ErrImageNeverPull", message, [warningEvent(EventReason.ErrImageNeverPull, message)])
  }
  if (isInBackOffSinceUpdate(imagePullBackOffPolicy, state, imageBackoffKey(input.podUID, written), input.now)) {
    const message = `Back-off pulling image "${written}"`
    return failure("ImagePullBackOff", message, [normalEvent(EventReason.BackOff, message)])
  }
  return { _tag: "Pull", image, events: [normalEvent(EventReason.Pulling, `Pulling image "${written}"`)] }
}

/**
 * A failed pull: advances the backoff (`Next` at now) and yields `ErrImagePull` with the runtime's error text, or
 * `RegistryUnavailable` when the error starts with that name.
 */
export const pullFailed = (
  state: BackoffState,
  input: { readonly podUID: string; readonly image: string; readonly error: string; readonly now: number }
): { readonly state: BackoffState; readonly failure: ImageFailure } => {
  const newState = next(imagePullBackOffPolicy, state, imageBackoffKey(input.podUID, input.image), input.now, input.now)
  const event = warningEvent(EventReason.Failed, `Failed to pull image "${input.image}": ${input.error}`)
  if (input.error.startsWith("RegistryUnavailable")) {
    const detail = input.error.slice("RegistryUnavailable".length)
    const message = `image pull failed for ${input.image} because the registry is unavailable${detail === "" ? "." : detail}`
    return { state: newState, failure: failure("RegistryUnavailable", message, [event]) }
  }
  return { state: newState, failure: failure("ErrImagePull", input.error, [event]) }
}

/** A successful pull: `Pulled "Successfully pulled image …"` and the backoff's GC. */
export const pullSucceeded = (
  state: BackoffState,
  input: {
    readonly image: string
    readonly now: number
    readonly pullDurationMs: number
    /** Including time spent waiting for the pull slot; defaults to the pull duration. */
    readonly totalDurationMs?: number
    readonly imageSizeBytes?: number
  }
): { readonly state: BackoffState; readonly events: ReadonlyArray<KubeletEvent> } => {
  const pull = goDuration(Math.trunc(input.pullDurationMs))
  const total = goDuration(Math.trunc(input.totalDurationMs ?? input.pullDurationMs))
  const size = input.imageSizeBytes === undefined ? "" : ` Image size: ${input.imageSizeBytes} bytes.`
  return {
    state: gc(imagePullBackOffPolicy, state, input.now),
    events: [
      normalEvent(
        EventReason.Pulled,
        `Successfully pulled image "${input.image}" in ${pull} (${total} including waiting).${size}`
      )
    ]
  }
}

/** The runtime could not inspect the image: `ImageInspectError`. */
export const imageInspectFailed = (image: string, error: string): ImageFailure => {
  const message = `Failed to inspect image "${image}": ${error}`
  return failure("ImageInspectError", message, [warningEvent(EventReason.InspectFailed, message)])
}
