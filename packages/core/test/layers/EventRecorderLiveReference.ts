/**
 * REFERENCE COPY (commit dfc2cb9) of layers/EventRecorderLive.ts, kept only for the agreement test.
 *
 * The EventRecorder over the ObjectStore, with client-go's correlation: an event whose source,
 * involved object (kind, namespace, name, uid, fieldPath), type, reason and message match an
 * earlier one updates that Event (`count` + 1, new `lastTimestamp`) instead of creating another.
 * With the spam filter (the kubelet's recorders), client-go's `EventSourceObjectSpamFilter` limits
 * the writes per source and involved object to a token bucket (burst 25, one more per 5 minutes);
 * a filtered occurrence is still counted, and the next write carries the count.
 * Recording is best effort: a failed write is logged and dropped, as in the kubelet.
 * Memory: the strings it keeps (correlation keys, messages, field paths) are flattened, and Events of
 * one involved object share one equal `involvedObject` (see `flat`, `sharedReference`).
 */
import { Clock, Effect, Layer } from "effect"
import type { Event, ObjectReference } from "../../src/api/Objects.js"
import { toRfc3339 } from "../../src/domain/Time.js"
import type { EventRecord, PreparedEvent } from "../../src/services/EventRecorder.js"
import { EventRecorder } from "../../src/services/EventRecorder.js"
import { ObjectStore } from "../../src/services/ObjectStore.js"

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

/** client-go `getSpamKey`: the source and the involved object (not its fieldPath). */
export const spamKey = (event: EventRecord): string => {
  const o = event.involvedObject
  return `${event.source.component}\u0000${event.source.host ?? ""}\u0000${o.kind ?? ""}\u0000${o.namespace ?? ""}\u0000${o.name ?? ""}\u0000${o.uid ?? ""}\u0000${o.apiVersion ?? ""}`
}

/**
 * The string itself, flattened: V8 keeps a string built with `+` or a template as a tree of its
 * pieces (32 bytes per piece) until a character is read, which flattens it in place for every
 * holder. For the strings a recorder keeps for the cluster's lifetime.
 */
export const flat = (text: string): string => {
  text.charCodeAt(0)
  return text
}

/** Same members in the same order with the same values (an `ObjectReference` is flat). */
export const sameReference = (a: ObjectReference, b: ObjectReference): boolean => {
  if (a === b) return true
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as keyof ObjectReference
    if (k !== kb[i] || a[k] !== b[k]) return false
  }
  return true
}

/** Distinct involved-object references an involved object keeps for its Events to share. */
const referencesKept = 4

/** Events remembered for correlation (client-go's LRU size). */
const maxCached = 4096
/** client-go `defaultSpamBurst` and `defaultSpamQPS` (one token per 300 s) */
export const spamBurst = 25
export const spamRefillMillis = 300_000

/**
 * One involved object (source and object: the spam key) as a recorder knows it: a short id that
 * stands for it in the keys of its observations and its bucket, so the long key is held once.
 * Kept while an observation or bucket uses it; ids are never reused.
 */
interface Involved {
  readonly spamKey: string
  readonly id: string
  uses: number
  /** the newest references its Events were written with (one per field path, mostly), newest last */
  references: Array<ObjectReference> | undefined
}

/** A token bucket (`rate.Limiter` with burst 25): tokens at `at`. */
interface Bucket {
  tokens: number
  at: number
  /** its key in the recorder (its involved object's id), when kept by a recorder */
  readonly key?: string
  readonly involved?: Involved
}

/** Takes a token at `now` if there is one (`TryAccept`). */
export const tryAccept = (bucket: Bucket, now: number): boolean => {
  bucket.tokens = Math.min(spamBurst, bucket.tokens + Math.max(0, now - bucket.at) / spamRefillMillis)
  bucket.at = now
  if (bucket.tokens < 1) return false
  bucket.tokens -= 1
  return true
}

/** What the correlator observed of one event key: occurrences and the Event last written, if any. */
interface Observation {
  /** its key (what `prepareEventUnsafe` hands out, so the kubelet holds no copy) */
  readonly key: string
  readonly involved: Involved
  count: number
  readonly first: number
  written: Event | undefined
}

/**
 * An LRU of `maxCached` entries over a Map (insertion order; a use moves the key last); returns the
 * entry it dropped to make room, if any.
 */
const touch = <V>(cache: Map<string, V>, key: string, value: V): V | undefined => {
  cache.delete(key)
  let dropped: V | undefined
  if (cache.size >= maxCached) {
    const [oldest, entry] = cache.entries().next().value!
    cache.delete(oldest)
    dropped = entry
  }
  cache.set(key, value)
  return dropped
}

export interface EventRecorderOptions {
  /** limit writes per source and involved object as the kubelet's correlator does */
  readonly spamFilter?: boolean
}

/** Numbers events in creation order; recorders sharing one name their events uniquely. */
export interface EventSequence {
  next(): number
}

const make = (sequence: EventSequence, options: EventRecorderOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const clock = yield* Clock.Clock
    const observations = new Map<string, Observation>()
    const buckets = new Map<string, Bucket>()
    const involvedObjects = new Map<string, Involved>()
    let involvedIds = 0

    const involvedOf = (spam: string): Involved => {
      let involved = involvedObjects.get(spam)
      if (involved === undefined) {
        involved = { spamKey: flat(spam), id: (involvedIds++).toString(36), uses: 0, references: undefined }
        involvedObjects.set(spam, involved)
      }
      return involved
    }
    const release = (involved: Involved | undefined): void => {
      if (involved !== undefined && --involved.uses === 0) involvedObjects.delete(involved.spamKey)
    }
    /** `eventKey` with the involved object's id for its source and object fields (same equality, shorter) */
    const observationKey = (involved: Involved, event: EventRecord): string =>
      `${involved.id}\u0000${event.involvedObject.fieldPath ?? ""}\u0000${event.type}\u0000${event.reason}\u0000${event.message}`

    /** `reference`, or an equal one an earlier Event of the same involved object holds */
    const sharedReference = (involved: Involved, reference: ObjectReference): ObjectReference => {
      const kept = (involved.references ??= [])
      for (let i = kept.length - 1; i >= 0; i--) if (sameReference(kept[i]!, reference)) return kept[i]!
      if (reference.fieldPath !== undefined) flat(reference.fieldPath)
      if (kept.length >= referencesKept) kept.shift()
      kept.push(reference)
      return reference
    }

    /** `toRfc3339`, one string per instant for the Events written in it */
    let stampedAt = Number.NaN
    let stamp = ""
    const timestamp = (ms: number): string => {
      if (ms !== stampedAt) {
        stamp = toRfc3339(ms)
        stampedAt = ms
      }
      return stamp
    }

    const create = Effect.fnUntraced(function* (event: EventRecord, observation: Observation, now: number) {
      const namespace = event.involvedObject.namespace ?? "default"
      const unique = BigInt(now) * 1_000_000n + BigInt(sequence.next())
      const object: Event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: flat(`${event.involvedObject.name ?? "unknown"}.${unique.toString(16)}`), namespace },
        involvedObject: sharedReference(observation.involved, event.involvedObject),
        reason: event.reason,
        message: flat(event.message),
        type: event.type,
        count: observation.count,
        firstTimestamp: timestamp(observation.first),
        lastTimestamp: timestamp(now),
        eventTime: null,
        source: event.source,
        reportingComponent: event.source.component,
        reportingInstance: event.source.host ?? ""
      }
      observation.written = (yield* store.create("events", object)).object
    })

    const bump = (existing: Event, observation: Observation, now: number) =>
      Effect.map(
        store.update("events", {
          ...existing,
          count: Math.max(observation.count, (existing.count ?? 1) + 1),
          lastTimestamp: timestamp(now)
        }),
        (written) => {
          observation.written = written.object
        }
      )

    /** the spam filter: whether this occurrence may be written */
    const accepted = (involved: Involved, now: number): boolean => {
      if (options.spamFilter !== true) return true
      let bucket = buckets.get(involved.id)
      if (bucket === undefined) {
        bucket = { tokens: spamBurst, at: now, key: involved.id, involved }
        involved.uses++
        release(touch(buckets, involved.id, bucket)?.involved)
      }
      return tryAccept(bucket, now)
    }

    /** the Event as last written, bumped; if it changed or went since, read it again */
    const update = Effect.fnUntraced(function* (
      event: EventRecord,
      observation: Observation,
      previous: Event,
      now: number
    ) {
      const fast = yield* bump(previous, observation, now).pipe(Effect.result)
      if (fast._tag === "Success") return
      if (fast.failure._tag !== "Conflict" && fast.failure._tag !== "NotFound") return yield* fast.failure
      const existing = yield* store
        .get<Event>("events", previous.metadata.namespace, previous.metadata.name ?? "")
        .pipe(Effect.catch(() => Effect.succeed(undefined)))
      if (existing === undefined) return yield* create(event, observation, now)
      yield* bump(existing, observation, now)
    })

    /** counts the occurrence (synchronously) and writes it unless the spam filter drops it */
    const record = (event: EventRecord) =>
      Effect.suspend(() => {
        const now = clock.currentTimeMillisUnsafe()
        const involved = involvedOf(spamKey(event))
        const key = observationKey(involved, event)
        let observation = observations.get(key)
        if (observation === undefined) {
          observation = { key: flat(key), involved, count: 1, first: now, written: undefined }
          involved.uses++
          release(touch(observations, key, observation)?.involved)
        } else {
          observation.count++
        }
        if (!accepted(involved, now)) return Effect.void
        const previous = observation.written
        return previous === undefined ? create(event, observation, now) : update(event, observation, previous, now)
      })

    /** whether the spam filter drops an occurrence at `now` (the bucket is not touched) */
    const dropped = (spam: string, now: number): boolean => {
      const bucket = buckets.get(spam)
      return (
        bucket !== undefined && Math.min(spamBurst, bucket.tokens + Math.max(0, now - bucket.at) / spamRefillMillis) < 1
      )
    }

    const countFilteredUnsafe = (events: ReadonlyArray<PreparedEvent>, now: number): boolean => {
      if (options.spamFilter !== true) return false
      for (const event of events) {
        if (!observations.has(event.key) || !dropped(event.spamKey, now)) return false
      }
      for (const event of events) {
        observations.get(event.key)!.count++
        tryAccept(buckets.get(event.spamKey)!, now)
      }
      return true
    }

    const service = {
      record: (event: EventRecord) =>
        record(event).pipe(Effect.catch((error) => Effect.logWarning("event dropped", event.reason, error))),
      filtered: {
        /** an occurrence's keys (the recorder's own strings, so the kubelet holds no copy) */
        prepareEventUnsafe: (event: EventRecord): PreparedEvent => {
          const involved = involvedObjects.get(spamKey(event))
          // an object the recorder does not know: keys that match nothing it holds (ids are never reused)
          if (involved === undefined) return { key: "", spamKey: "" }
          const key = observationKey(involved, event)
          return { key: observations.get(key)?.key ?? key, spamKey: buckets.get(involved.id)?.key ?? involved.id }
        },
        countFilteredUnsafe
      }
    }
    return EventRecorder.of(service)
  })

/** A sequence from 0. */
export const makeEventSequence = (): EventSequence => {
  let n = 0
  return { next: () => n++ }
}

export const EventRecorderReference = {
  layer: Layer.effect(
    EventRecorder,
    Effect.suspend(() => make(makeEventSequence()))
  ),
  /**
   * A recorder of its own (its own correlation cache, as each kubelet has) numbering its events
   * from a `sequence` shared with the cluster's other recorders
   */
  layerWith: (sequence: EventSequence, options?: EventRecorderOptions) =>
    Layer.effect(EventRecorder, make(sequence, options))
}
