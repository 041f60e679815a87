/**
 * The EventRecorder over the ObjectStore, with client-go's correlation: an event whose source,
 * involved object (kind, namespace, name, uid, fieldPath), type, reason and message match an
 * earlier one updates that Event (`count` + 1, new `lastTimestamp`) instead of creating another.
 * Recording is best effort: a failed write is logged and dropped, as in the kubelet.
 */
import { Clock, Effect, Layer } from "effect"
import type { Event } from "../api/Objects.js"
import { toRfc3339 } from "../domain/Time.js"
import type { EventRecord } from "../services/EventRecorder.js"
import { EventRecorder } from "../services/EventRecorder.js"
import { ObjectStore } from "../services/ObjectStore.js"

/** client-go `getEventKey`: the fields that make two occurrences the same event. */
export const eventKey = (event: EventRecord): string =>
  [
    event.source.component,
    event.source.host ?? "",
    event.involvedObject.kind ?? "",
    event.involvedObject.namespace ?? "",
    event.involvedObject.name ?? "",
    event.involvedObject.fieldPath ?? "",
    event.involvedObject.uid ?? "",
    event.involvedObject.apiVersion ?? "",
    event.type,
    event.reason,
    event.message
  ].join("\u0000")

/** Events remembered for correlation (client-go's LRU size). */
const maxCached = 4096

/** Numbers events in creation order; recorders sharing one name their events uniquely. */
export interface EventSequence {
  next(): number
}

const make = (sequence: EventSequence) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    /** the Event last written for each key (an update needs no read unless someone else changed it) */
    const seen = new Map<string, Event>()

    const create = Effect.fnUntraced(function* (event: EventRecord, key: string, now: number) {
      const namespace = event.involvedObject.namespace ?? "default"
      const unique = BigInt(now) * 1_000_000n + BigInt(sequence.next())
      const object: Event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${event.involvedObject.name ?? "unknown"}.${unique.toString(16)}`, namespace },
        involvedObject: event.involvedObject,
        reason: event.reason,
        message: event.message,
        type: event.type,
        count: 1,
        firstTimestamp: toRfc3339(now),
        lastTimestamp: toRfc3339(now),
        eventTime: null,
        source: event.source,
        reportingComponent: event.source.component,
        reportingInstance: event.source.host ?? ""
      }
      const written = yield* store.create("events", object)
      if (seen.size >= maxCached) seen.delete(seen.keys().next().value!)
      seen.set(key, written.object)
    })

    const bump = (existing: Event, key: string, now: number) =>
      Effect.map(
        store.update("events", { ...existing, count: (existing.count ?? 1) + 1, lastTimestamp: toRfc3339(now) }),
        (written) => {
          // an entry evicted meanwhile stays evicted
          if (seen.has(key)) seen.set(key, written.object)
        }
      )

    const record = Effect.fnUntraced(function* (event: EventRecord) {
      const now = yield* Clock.currentTimeMillis
      const key = eventKey(event)
      const previous = seen.get(key)
      if (previous === undefined) return yield* create(event, key, now)
      // the Event as last written; if it changed or went since, read it again
      const fast = yield* bump(previous, key, now).pipe(Effect.result)
      if (fast._tag === "Success") return
      if (fast.failure._tag !== "Conflict" && fast.failure._tag !== "NotFound") return yield* fast.failure
      const existing = yield* store
        .get<Event>("events", previous.metadata.namespace, previous.metadata.name ?? "")
        .pipe(Effect.catch(() => Effect.succeed(undefined)))
      if (existing === undefined) return yield* create(event, key, now)
      yield* bump(existing, key, now)
    })

    return EventRecorder.of({
      record: (event) =>
        record(event).pipe(Effect.catch((error) => Effect.logWarning("event dropped", event.reason, error)))
    })
  })

/** A sequence from 0. */
export const makeEventSequence = (): EventSequence => {
  let n = 0
  return { next: () => n++ }
}

export const EventRecorderLive = {
  layer: Layer.effect(
    EventRecorder,
    Effect.suspend(() => make(makeEventSequence()))
  ),
  /**
   * A recorder of its own (its own correlation cache, as each kubelet has) numbering its events
   * from a `sequence` shared with the cluster's other recorders
   */
  layerWith: (sequence: EventSequence) => Layer.effect(EventRecorder, make(sequence))
}
