/**
 * The API errors of podlet's object model and store, as values. Each carries what a Kubernetes
 * `Status` needs; `toStatus` (in `Status.ts`) maps them at the HTTP edge.
 */
import { Schema } from "effect"

/** One field-level problem, as in `Status.details.causes[]` (`reason` is a `FieldValueXxx` cause type). */
export const FieldCause = Schema.Struct({
  reason: Schema.String,
  message: Schema.String,
  field: Schema.String
})
export type FieldCause = typeof FieldCause.Type

const ObjectRef = {
  /** lower-case plural resource, e.g. "pods" */
  resource: Schema.String,
  group: Schema.String,
  /** Kind, e.g. "Pod" (Status.details.kind is the resource for NotFound/AlreadyExists, as upstream) */
  kind: Schema.String,
  name: Schema.String
}

/** 404: `pods "web" not found`. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { ...ObjectRef }) {}

/** 409: `pods "web" already exists`. */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", { ...ObjectRef }) {}

/** 409: optimistic-concurrency or precondition failure; `message` is Kubernetes' wording. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", { ...ObjectRef, message: Schema.String }) {}

/** 422: `Pod "web" is invalid: spec.containers[0].image: Required value`, with every cause. */
export class Invalid extends Schema.TaggedError<Invalid>()("Invalid", {
  ...ObjectRef,
  causes: Schema.Array(FieldCause)
}) {}

/**
 * 400: malformed body, bad selector, bad patch. `causes` (optional) locates decode errors by field
 * path (`spec.containers[0].ports[0].containerPort`); the Status keeps only the message, as upstream.
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  message: Schema.String,
  causes: Schema.optionalKey(Schema.Array(FieldCause))
}) {}

/** 403: e.g. creating in a terminating namespace. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", { ...ObjectRef, message: Schema.String }) {}

/** 410: a watch or continue token older than the store's history window. */
export class Expired extends Schema.TaggedError<Expired>()("Expired", { message: Schema.String }) {}

/** 405 / 429 / 500 and anything else with a ready-made Status. */
export class ApiFailure extends Schema.TaggedError<ApiFailure>()("ApiFailure", {
  code: Schema.Number,
  reason: Schema.String,
  message: Schema.String
}) {}

export type ApiError = NotFound | AlreadyExists | Conflict | Invalid | BadRequest | Forbidden | Expired | ApiFailure
