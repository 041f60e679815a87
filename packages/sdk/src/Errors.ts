/**
 * The SDK's errors: one class per Kubernetes failure, each carrying the `Status` the API server
 * would answer with, so embedded and remote clusters fail the same way.
 */
import type { ApiError, Status } from "@podlet/core"
import { toStatus } from "@podlet/core/api/Status"

/** Any failure of a podlet call; `status` is the Kubernetes Status object. */
export class PodletError extends Error {
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

/** 404 */
export class NotFoundError extends PodletError {}
/** 409 AlreadyExists */
export class AlreadyExistsError extends PodletError {}
/** 409 Conflict: a stale resourceVersion */
export class ConflictError extends PodletError {}
/** 422 with `causes`: every field problem */
export class InvalidError extends PodletError {
  get causes(): ReadonlyArray<{ readonly field?: string; readonly message?: string; readonly reason?: string }> {
    return this.status.details?.causes ?? []
  }
}
/** 400 */
export class BadRequestError extends PodletError {}
/** 401 */
export class UnauthorizedError extends PodletError {}
/** 403 */
export class ForbiddenError extends PodletError {}
/** 410: a watch resourceVersion too old */
export class ExpiredError extends PodletError {}
/** 408-like: `waitFor` ran out of cluster time */
export class TimeoutError extends PodletError {}
/** the call is not offered by this cluster (e.g. clock control on a real cluster) */
export class UnsupportedError extends PodletError {}

/** The SDK error for a Kubernetes Status. */
export const errorFromStatus = (status: Status): PodletError => {
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
    case 410:
      return new ExpiredError(status)
    case 422:
      return new InvalidError(status)
  }
  return new PodletError(status)
}

/** The SDK error for one of core's API errors. */
export const errorFromApi = (error: ApiError): PodletError => errorFromStatus(toStatus(error))

/** A Status built by the SDK itself (timeouts, unsupported calls). */
export const sdkStatus = (code: number, reason: string, message: string): Status => ({
  apiVersion: "v1",
  kind: "Status",
  metadata: {},
  status: "Failure",
  reason,
  message,
  code
})
