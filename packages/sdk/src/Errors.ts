/**
 * The SDK's errors: one class per Kubernetes failure, each carrying the `Status` the API server
 * answers with, so embedded and remote clusters fail the same way. Each class has a literal `_tag`,
 * so the Effect API's error channel (`ClusterError`) works with `Effect.catchTag`.
 */
import type { ApiError } from "@podlet/core/api/Errors"
import type { Status } from "@podlet/core/api/Meta"
import { toStatus } from "@podlet/core/api/Status"

/** One field problem of an `InvalidError` (`Status.details.causes[]`). */
export interface FieldCause {
  readonly field?: string
  readonly message?: string
  readonly reason?: string
}

/** Any failure of a podlet call; `status` is the Kubernetes Status object. */
export abstract class PodletError extends Error {
  /** the class name, for `Effect.catchTag` */
  abstract readonly _tag: string
  readonly status: Status
  constructor(status: Status) {
    super(status.message ?? status.reason ?? `request failed with ${status.code}`)
    this.name = new.target.name
    this.status = status
  }
  /** HTTP code (404, 409, 422, ...) */
  get code(): number {
    return this.status.code
  }
}

/** 404: the object does not exist. */
export class NotFoundError extends PodletError {
  readonly _tag = "NotFoundError"
}
/** 409 AlreadyExists: a create of an existing name. */
export class AlreadyExistsError extends PodletError {
  readonly _tag = "AlreadyExistsError"
}
/** 409 Conflict: a stale resourceVersion or a failed precondition. */
export class ConflictError extends PodletError {
  readonly _tag = "ConflictError"
}
/** 422 Invalid, with `causes`: every field problem. */
export class InvalidError extends PodletError {
  readonly _tag = "InvalidError"
  /** the field problems (`spec.containers[0].image: Required value`, ...) */
  get causes(): ReadonlyArray<FieldCause> {
    return this.status.details?.causes ?? []
  }
}
/** 400: malformed input (YAML, selectors, a log of a container that has not started, ...). */
export class BadRequestError extends PodletError {
  readonly _tag = "BadRequestError"
}
/** 401: no or a wrong bearer token. */
export class UnauthorizedError extends PodletError {
  readonly _tag = "UnauthorizedError"
}
/** 403: the user may not do this. */
export class ForbiddenError extends PodletError {
  readonly _tag = "ForbiddenError"
}
/** 410: a watch resourceVersion older than the server's history. */
export class ExpiredError extends PodletError {
  readonly _tag = "ExpiredError"
}
/** 429: e.g. an eviction a PodDisruptionBudget refuses. */
export class TooManyRequestsError extends PodletError {
  readonly _tag = "TooManyRequestsError"
}
/** `waitFor` (or a drain) ran out of time: cluster time on a virtual clock, wall-clock time otherwise. */
export class TimeoutError extends PodletError {
  readonly _tag = "TimeoutError"
}
/** The call is not offered by this cluster (clock control on a real clock, faults on a real cluster, ...). */
export class UnsupportedError extends PodletError {
  readonly _tag = "UnsupportedError"
}
/** The server could not be reached (refused, reset, TLS failure). */
export class ConnectionError extends PodletError {
  readonly _tag = "ConnectionError"
}
/** `nodes.drain` stopped: pods it may not delete, a refused eviction, or its timeout. */
export class DrainError extends PodletError {
  readonly _tag = "DrainError"
  /** what kubectl printed up to the failure */
  readonly lines: ReadonlyArray<string>
  constructor(status: Status, lines: ReadonlyArray<string> = []) {
    super(status)
    this.lines = lines
  }
}
/** Any other Status: 405, 5xx, ... */
export class ServerError extends PodletError {
  readonly _tag = "ServerError"
}

/** Every failure of the SDK's calls, as a union of tagged classes. */
export type ClusterError =
  | NotFoundError
  | AlreadyExistsError
  | ConflictError
  | InvalidError
  | BadRequestError
  | UnauthorizedError
  | ForbiddenError
  | ExpiredError
  | TooManyRequestsError
  | TimeoutError
  | UnsupportedError
  | ConnectionError
  | DrainError
  | ServerError

/** The SDK error for a Kubernetes Status. */
export const errorFromStatus = (status: Status): ClusterError => {
  switch (status.reason) {
    case "NotFound":
      return new NotFoundError(status)
    case "AlreadyExists":
      return new AlreadyExistsError(status)
    case "Conflict":
      return new ConflictError(status)
    case "Invalid":
      return new InvalidError(status)
    case "Unauthorized":
      return new UnauthorizedError(status)
    case "Forbidden":
      return new ForbiddenError(status)
    case "Expired":
    case "Gone":
      return new ExpiredError(status)
    case "BadRequest":
      return new BadRequestError(status)
    case "TooManyRequests":
      return new TooManyRequestsError(status)
  }
  switch (status.code) {
    case 400:
      return new BadRequestError(status)
    case 401:
      return new UnauthorizedError(status)
    case 403:
      return new ForbiddenError(status)
    case 404:
      return new NotFoundError(status)
    case 409:
      return new ConflictError(status)
    case 410:
      return new ExpiredError(status)
    case 422:
      return new InvalidError(status)
    case 429:
      return new TooManyRequestsError(status)
  }
  return new ServerError(status)
}

/** The SDK error for one of core's API errors. */
export const errorFromApi = (error: ApiError): ClusterError => errorFromStatus(toStatus(error))

/** A Status built by the SDK itself (timeouts, unsupported calls, connection failures). */
export const sdkStatus = (code: number, reason: string, message: string): Status => ({
  apiVersion: "v1",
  kind: "Status",
  metadata: {},
  status: "Failure",
  reason,
  message,
  code
})

/** An `UnsupportedError` saying what this cluster does not offer. */
export const unsupported = (message: string): UnsupportedError =>
  new UnsupportedError(sdkStatus(501, "NotImplemented", message))

/** Whether a value is one of the SDK's errors. */
export const isClusterError = (u: unknown): u is ClusterError => u instanceof PodletError
