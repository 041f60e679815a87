/**
 * The event recorder (client-go `record.EventRecorder`): components report what happened to an
 * object as core/v1 Events. Repeats of the same event (same involved object, reason, message and
 * source) are counted on one Event object, as Kubernetes' event correlator does.
 *
 * Implementation: `layers/EventRecorderLive.ts` (writes through the ObjectStore).
 */
import type { Effect } from "effect"
import { Context } from "effect"
import type { ObjectReference } from "../api/Objects.js"

/** Who reports: `{component: "kubelet", host: "n1"}`. */
export interface EventSource {
  readonly component: string
  readonly host?: string
}

/** One occurrence of an event. */
export interface EventRecord {
  readonly involvedObject: ObjectReference
  readonly type: "Normal" | "Warning"
  readonly reason: string
  readonly message: string
  readonly source: EventSource
}

export class EventRecorder extends Context.Service<
  EventRecorder,
  {
    /** records one occurrence: a new Event, or count+1 and a new lastTimestamp on the matching one */
    record(event: EventRecord): Effect.Effect<void>
  }
>()("@podlet/core/services/EventRecorder") {}
