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

/** An occurrence's correlation keys, computed once (client-go's `getEventKey` and `getSpamKey`). */
export interface PreparedEvent {
  readonly key: string
  readonly spamKey: string
}

/**
 * Counting occurrences the spam filter drops without a fiber (the kubelet's crash-loop retry fast
 * path, `kubelet/BackoffFastPath.ts`); offered by `EventRecorderLive`.
 */
export interface FilteredEventCounter {
  readonly prepareEventUnsafe: (event: EventRecord) => PreparedEvent
  /**
   * When the spam filter drops every one of these occurrences at `now`, counts them exactly as
   * `record` would and returns true; otherwise changes nothing and returns false (`record` must write).
   */
  readonly countFilteredUnsafe: (events: ReadonlyArray<PreparedEvent>, now: number) => boolean
}

export class EventRecorder extends Context.Service<
  EventRecorder,
  {
    /** records one occurrence: a new Event, or count+1 and a new lastTimestamp on the matching one */
    record(event: EventRecord): Effect.Effect<void>
    /** optional: see `FilteredEventCounter` */
    readonly filtered?: FilteredEventCounter
  }
>()("@podlet/core/services/EventRecorder") {}
