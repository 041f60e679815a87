/**
 * Kubernetes `Status` bodies at the HTTP edge: the mapping from podlet's error values to a Status
 * (code, reason, message, details with causes) and the ready-made Statuses of the router itself
 * (unknown path, wrong method, defects).
 */
import type { ApiError } from "@podlet/core/api/Errors"
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

const refDetails = (e: { readonly name: string; readonly group: string; readonly resource: string }) => ({
  name: e.name,
  ...(e.group === "" ? {} : { group: e.group }),
  kind: e.resource
})

/** The Status for an API error, with Kubernetes' wording (`pods "web" not found`). */
export const toStatus = (error: ApiError): Status => {
  switch (error._tag) {
    case "NotFound":
      return failure(404, "NotFound", `${qualified(error)} "${error.name}" not found`, refDetails(error))
    case "AlreadyExists":
      return failure(409, "AlreadyExists", `${qualified(error)} "${error.name}" already exists`, refDetails(error))
    case "Conflict":
      return failure(409, "Conflict", error.message, refDetails(error))
    case "Forbidden":
      return failure(403, "Forbidden", error.message, refDetails(error))
    case "Invalid": {
      const causes = error.causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field }))
      const summary = error.causes.map((c) => `${c.field}: ${c.message}`)
      const message = summary.length === 1 ? `${summary[0]}` : summary.length === 0 ? "" : `[${summary.join(", ")}]`
      const kindName = `${error.kind}${error.group === "" ? "" : `.${error.group}`} "${error.name}" is invalid`
      return failure(422, "Invalid", message === "" ? kindName : `${kindName}: ${message}`, {
        name: error.name,
        ...(error.group === "" ? {} : { group: error.group }),
        kind: error.kind,
        causes
      })
    }
    case "BadRequest":
      return failure(400, "BadRequest", error.message)
    case "Expired":
      return failure(410, "Expired", error.message)
    case "ApiFailure":
      return failure(error.code, error.reason, error.message)
  }
}

const qualified = (e: { readonly resource: string; readonly group: string }) =>
  e.group === "" ? e.resource : `${e.resource}.${e.group}`

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
