/**
 * API errors as Kubernetes `Status` objects (`apimachinery/pkg/api/errors`): code, reason, message and
 * details worded as the API server words them. Also the constructors for the common errors, so every
 * face produces the same text.
 */
import {
  AlreadyExists,
  type ApiError,
  Conflict,
  Expired,
  type FieldCause,
  Forbidden,
  Invalid,
  NotFound
} from "./Errors.js"
import { goQuote } from "./FieldErrors.js"
import type { Status, StatusDetails } from "./Meta.js"
import { resourceFor } from "./Resources.js"
import { dedupeCauses, invalidMessage } from "./Validation.js"

/** `pods` or `replicasets.apps`: how upstream names a resource in messages. */
export const qualifiedResource = (resource: string, group: string): string =>
  group === "" ? resource : `${resource}.${group}`

interface Ref {
  readonly resource: string
  readonly name: string
  readonly group?: string
  readonly kind?: string
}

const refFields = (ref: Ref) => {
  const rt = resourceFor(ref.resource)
  return {
    resource: ref.resource,
    group: ref.group ?? rt?.group ?? "",
    kind: ref.kind ?? rt?.kind ?? "",
    name: ref.name
  }
}

/** 404 `pods "web" not found`. */
export const notFoundError = (ref: Ref): NotFound => new NotFound(refFields(ref))

/** 409 `pods "web" already exists`. */
export const alreadyExistsError = (ref: Ref): AlreadyExists => new AlreadyExists(refFields(ref))

/** The optimistic-concurrency wording of a stale `resourceVersion`. */
export const objectModifiedMessage =
  "the object has been modified; please apply your changes to the latest version and try again"

/** 409 Conflict; `message` is the reason after `Operation cannot be fulfilled on pods "web": `. */
export const conflictError = (ref: Ref, message: string = objectModifiedMessage): Conflict =>
  new Conflict({ ...refFields(ref), message })

/** 422 Invalid with every cause. */
export const invalidError = (ref: Ref, causes: ReadonlyArray<FieldCause>): Invalid =>
  new Invalid({ ...refFields(ref), causes: [...causes] })

/** 403 Forbidden; `message` follows `pods "web" is forbidden: `. */
export const forbiddenError = (ref: Ref, message: string): Forbidden => new Forbidden({ ...refFields(ref), message })

/** 410 `too old resource version: 5 (10)`. */
export const tooOldResourceVersion = (requested: string | number, oldest: string | number): Expired =>
  new Expired({ message: `too old resource version: ${requested} (${oldest})` })

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

const details = (name: string, group: string, kind: string, causes?: ReadonlyArray<FieldCause>): StatusDetails => ({
  ...(name === "" ? {} : { name }),
  ...(group === "" ? {} : { group }),
  kind,
  ...(causes === undefined ? {} : { causes })
})

/** Prefix a message unless it already carries the upstream prefix. */
const prefixed = (prefix: string, message: string): string =>
  message.startsWith(prefix) ? message : `${prefix}${message}`

/** The Kubernetes `Status` for an API error, worded as the API server words it. */
export const toStatus = (error: ApiError): Status => {
  switch (error._tag) {
    case "NotFound": {
      const what = qualifiedResource(error.resource, error.group)
      const message = error.name === "" ? `${what} not found` : `${what} ${goQuote(error.name)} not found`
      return failure(404, "NotFound", message, details(error.name, error.group, error.resource))
    }
    case "AlreadyExists": {
      const what = qualifiedResource(error.resource, error.group)
      return failure(
        409,
        "AlreadyExists",
        `${what} ${goQuote(error.name)} already exists`,
        details(error.name, error.group, error.resource)
      )
    }
    case "Conflict": {
      const what = qualifiedResource(error.resource, error.group)
      const prefix = `Operation cannot be fulfilled on ${what} ${goQuote(error.name)}: `
      return failure(409, "Conflict", prefixed(prefix, error.message), details(error.name, error.group, error.resource))
    }
    case "Invalid": {
      const causes = dedupeCauses(error.causes)
      return failure(
        422,
        "Invalid",
        invalidMessage(error.kind, error.name, causes, error.group),
        details(error.name, error.group, error.kind, causes)
      )
    }
    case "Forbidden": {
      const what = qualifiedResource(error.resource, error.group)
      const prefix = error.name === "" ? `${what} is forbidden: ` : `${what} ${goQuote(error.name)} is forbidden: `
      return failure(
        403,
        "Forbidden",
        prefixed(prefix, error.message),
        details(error.name, error.group, error.resource)
      )
    }
    case "BadRequest":
      return failure(400, "BadRequest", error.message)
    case "Expired":
      return failure(410, "Expired", error.message)
    case "ApiFailure":
      return failure(error.code, error.reason, error.message)
  }
}
