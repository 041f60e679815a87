/**
 * Per-resource API-server strategies (`pkg/registry/<group>/<resource>/strategy.go`): what happens to an object on
 * create and update before it is stored. Defaulting, status initialisation, validation with
 * Kubernetes' wording, immutable fields on update.
 *
 * PLACEHOLDER CONTRACT: the object-model work (issue 2 §2) fills in `strategyFor`.
 */

import type { FieldCause } from "./Errors.js"
import type { KubeObject } from "./Meta.js"

export interface CreateContext {
  /** RFC 3339 creation time, from the store's Clock */
  readonly now: string
  /** a fresh uid for the object */
  readonly uid: string
}

export interface Strategy {
  /** defaults (API-server defaulting) and status initialisation (`phase: Pending` for pods) */
  prepareForCreate(object: KubeObject, context: CreateContext): KubeObject
  /** every problem at once, with Kubernetes' field paths and messages */
  validate(object: KubeObject): ReadonlyArray<FieldCause>
  /** defaults on update; carry over what an update may not change (e.g. status on the main resource) */
  prepareForUpdate(object: KubeObject, old: KubeObject): KubeObject
  /** validate plus immutability rules (e.g. pod spec may change only in the allowed fields) */
  validateUpdate(object: KubeObject, old: KubeObject): ReadonlyArray<FieldCause>
  /** unknown or duplicate fields, as `fieldValidation` reports them (`unknown field "spec.foo"`) */
  unknownFields(object: unknown): ReadonlyArray<string>
}

const passthrough: Strategy = {
  prepareForCreate: (object) => object,
  validate: () => [],
  prepareForUpdate: (object) => object,
  validateUpdate: () => [],
  unknownFields: () => []
}

/** The strategy for a resource (plural name). */
export const strategyFor = (_resource: string): Strategy => passthrough
