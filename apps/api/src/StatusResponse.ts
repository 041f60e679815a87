/**
 * The Statuses of the router itself (unknown path, wrong method, defects). API errors map to
 * Statuses through core's `toStatus` (`@podlet/core/api/Status`).
 */
import type { Status, StatusDetails } from "@podlet/core/api/Meta"

const failure = (code: number, reason: string, message: string, details?: StatusDetails): Status => ({
  apiVersion: "v1",
  kind: "Status",
  metadata: {},
  status: "Failure",
  message,
  reason,
  ...(details === undefined ? {} : { details }),
  code
})

/** 404 for a path no route serves. */
export const notFoundStatus = (): Status =>
  failure(404, "NotFound", "the server could not find the requested resource", {})

/** 405 for a verb the resource does not support. */
export const methodNotAllowedStatus = (): Status =>
  failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})

/** 500 for a defect (a bug, never bad input). */
export const internalErrorStatus = (message: string): Status =>
  failure(500, "InternalError", `Internal error occurred: ${message}`, {
    causes: [{ message }]
  })
