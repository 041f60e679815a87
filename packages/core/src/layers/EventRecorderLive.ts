/**
 * The EventRecorder over the ObjectStore, with client-go's correlation: an event whose source,
 * involved object (kind, namespace, name, uid, fieldPath), type, reason and message match an
 * earlier one updates that Event (`count` + 1, new `lastTimestamp`) instead of creating another.
 * With the spam filter (the kubelet's recorders), client-go's `EventSourceObjectSpamFilter` limits
 * the writes per source and involved object to a token bucket (burst 25, one more per 5 minutes);
 * a filtered occurrence is still counted, and the next write carries the count.
 * Recording is best effort: a failed write is logged and dropped, as in the kubelet.
 * Memory: the strings it keeps (correlation keys, messages, field paths) are flattened; observations
 * with the same field path, type, reason and message share one `Kind` (so do their Events' messages,
 * across pods); Events of one involved object share one equal `involvedObject` (see `flat`,
 * `sharedReference`).
 */
import { Clock, Effect, Layer } from "effect"
import type { Event, ObjectReference } from "../api/Objects.js"
import { toRfc3339 } from "../domain/Time.js"
import type { EventRecord, PreparedEvent } from "../services/EventRecorder.js"
import { EventRecorder } from "../services/EventRecorder.js"
import { ObjectStore } from "../services/ObjectStore.js"
import { small } from "./runtime/Small.js"

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

/** the members of a container's reference as the kubelet builds it (`podReference`) */
const containerReferenceKeys = "kind,namespace,name,uid,apiVersion,resourceVersion,fieldPath"

/**
 * A copy of `reference` with `fieldPath` (an equal string) for its own: same members in the same
 * order. A container's reference is copied as one literal (a spread of an object built member by
 * member keeps the later members in a side array: 24 bytes more).
 */
export const copyReference = (reference: ObjectReference, fieldPath: string): ObjectReference => {
  const r = reference
  if (r.fieldPath !== undefined && Object.keys(r).join() === containerReferenceKeys)
    return {
      kind: r.kind!,
      namespace: r.namespace!,
      name: r.name!,
      uid: r.uid!,
      apiVersion: r.apiVersion!,
      resourceVersion: r.resourceVersion!,
      fieldPath
    }
  const copy: { -readonly [K in keyof ObjectReference]: ObjectReference[K] } = { ...r }
  if (copy.fieldPath !== undefined) copy.fieldPath = fieldPath
  return copy
}

/**
 * `(now * 1_000_000 + n).toString(16)` exactly (client-go's Event name suffix: the time in
 * nanoseconds, here with a sequence number), in two safe-integer halves of 24 bits instead of BigInt.
 */
export const uniqueHex = (now: number, n: number): string => {
  if (!(Number.isSafeInteger(now) && now >= 0 && Number.isSafeInteger(n) && n >= 0 && n < 2 ** 32))
    return (BigInt(now) * 1_000_000n + BigInt(n)).toString(16)
  const high = Math.floor(now / 2 ** 24)
  const low = (now - high * 2 ** 24) * 1_000_000 + n
  const carry = Math.floor(low / 2 ** 24)
  const top = high * 1_000_000 + carry
  const tail = low - carry * 2 ** 24
  return top === 0 ? tail.toString(16) : top.toString(16) + tail.toString(16).padStart(6, "0")
}

/** Distinct involved-object references an involved object keeps for its Events to share. */
const referencesKept = 4

/** Events remembered for correlation (client-go's LRU size). */
const maxCached = 4096
/** client-go `defaultSpamBurst` and `defaultSpamQPS` (one token per 300 s) */
export const spamBurst = 25
export const spamRefillMillis = 300_000

/**
 * One involved object (source and object: client-go's spam key) as a recorder knows it, found by
 * its members (no key string is built per occurrence). Kept while an observation or its bucket uses
 * it; once released it is never found again (a later occurrence gets a new one, as a new id did).
 */
interface Involved {
  readonly component: string
  readonly host: string
  readonly kind: string
  readonly namespace: string
  readonly name: string
  readonly uid: string
  readonly apiVersion: string
  /** the next involved object of the same uid */
  sibling: Involved | undefined
  uses: number
  /** its observations, newest first */
  observations: Observation | undefined
  /** whether the recorder keeps its spam-filter bucket: `tokens` at `at` (ms after the recorder's `base`) */
  bucketed: boolean
  tokens: number
  at: number
  /** the newest references its Events were written with (one per field path, mostly), newest last */
  references: ReadonlyArray<ObjectReference> | undefined
}

/** A token bucket (`rate.Limiter` with burst 25): tokens at `at`. */
interface Bucket {
  tokens: number
  at: number
}

/** Takes a token at `now` if there is one (`TryAccept`). */
export const tryAccept = (bucket: Bucket, now: number): boolean => {
  bucket.tokens = Math.min(spamBurst, bucket.tokens + Math.max(0, now - bucket.at) / spamRefillMillis)
  bucket.at = small(now)
  if (bucket.tokens < 1) return false
  bucket.tokens -= 1
  return true
}

/**
 * The members of `eventKey` besides the involved object and source: one object per distinct set
 * (while the recorder's table keeps it), shared by the observations with it and their Events' strings.
 */
interface Kind {
  readonly fieldPath: string
  readonly type: string
  readonly reason: string
  readonly message: string
  /** another kind with the same message */
  readonly next: Kind | undefined
}

/** Distinct kinds the table keeps before it starts again (a kind in use stays with its observations). */
const kindsKept = 4096

/**
 * What the correlator observed of one event key (its involved object and kind): occurrences and
 * the Event last written, if any. Kept in creation order.
 */
interface Observation {
  readonly involved: Involved
  readonly kind: Kind
  count: number
  /** the first occurrence, in ms after the recorder's `base` */
  readonly first: number
  written: Event | undefined
  /** the next observation of the same involved object */
  sibling: Observation | undefined
  /** the next created (the recorder forgets the oldest first) */
  newer: Observation | undefined
}

/** What `prepareEventUnsafe` hands out: the occurrence, found again when counted. */
class Prepared implements PreparedEvent {
  constructor(
    readonly involved: Involved | undefined,
    readonly event: EventRecord
  ) {}
  get key(): string {
    return this.involved === undefined ? "" : eventKey(this.event)
  }
  get spamKey(): string {
    return this.involved === undefined ? "" : spamKey(this.event)
  }
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
    /** involved objects by uid (then `sibling`) */
    const involvedObjects = new Map<string, Involved>()
    /** the observations remembered, in creation order (client-go's LRU, which a repeat does not move): oldest, newest, how many */
    let oldest: Observation | undefined
    let newest: Observation | undefined
    let observed = 0
    /** the involved objects whose buckets are kept, oldest first */
    const buckets = new Set<Involved>()
    /** kinds by message (then `next`) */
    const kinds = new Map<string, Kind>()
    /** one string per field path the kinds name (a container's: kinds of each pod's messages share it) */
    const fieldPaths = new Map<string, string>()
    /** the clock at the first observation: times kept as offsets from it are small integers */
    let base = Number.NaN

    /** the involved object `event` names, if the recorder knows it */
    const findInvolved = (event: EventRecord): Involved | undefined => {
      const o = event.involvedObject
      const s = event.source
      let involved = involvedObjects.get(o.uid ?? "")
      while (
        involved !== undefined &&
        !(
          involved.name === (o.name ?? "") &&
          involved.namespace === (o.namespace ?? "") &&
          involved.kind === (o.kind ?? "") &&
          involved.component === s.component &&
          involved.host === (s.host ?? "") &&
          involved.apiVersion === (o.apiVersion ?? "")
        )
      )
        involved = involved.sibling
      return involved
    }
    const involvedOf = (event: EventRecord): Involved => {
      const found = findInvolved(event)
      if (found !== undefined) return found
      const o = event.involvedObject
      const uid = o.uid ?? ""
      const involved: Involved = {
        component: event.source.component,
        host: event.source.host ?? "",
        kind: o.kind ?? "",
        namespace: o.namespace ?? "",
        name: o.name ?? "",
        uid,
        apiVersion: o.apiVersion ?? "",
        sibling: involvedObjects.get(uid),
        uses: 0,
        observations: undefined,
        bucketed: false,
        tokens: 0,
        at: 0,
        references: undefined
      }
      involvedObjects.set(uid, involved)
      return involved
    }
    const release = (involved: Involved): void => {
      if (--involved.uses > 0) return
      const head = involvedObjects.get(involved.uid)
      if (head === involved) {
        if (involved.sibling === undefined) involvedObjects.delete(involved.uid)
        else involvedObjects.set(involved.uid, involved.sibling)
        return
      }
      let before = head
      while (before !== undefined && before.sibling !== involved) before = before.sibling
      if (before !== undefined) before.sibling = involved.sibling
    }

    /** whether `kind` has the members of `event` besides its involved object and source */
    const sameKind = (kind: Kind, event: EventRecord, fieldPath: string): boolean =>
      kind.reason === event.reason &&
      kind.fieldPath === fieldPath &&
      kind.type === event.type &&
      kind.message === event.message

    /** the observation of `event` (of `involved`), if any: the other members of `eventKey` */
    const findObservation = (involved: Involved, event: EventRecord): Observation | undefined => {
      const fieldPath = event.involvedObject.fieldPath ?? ""
      let observation = involved.observations
      while (observation !== undefined && !sameKind(observation.kind, event, fieldPath))
        observation = observation.sibling
      return observation
    }

    /** the kind of `event`: one the table holds, or a new one it then holds */
    const kindOf = (event: EventRecord): Kind => {
      const fieldPath = event.involvedObject.fieldPath ?? ""
      const head = kinds.get(event.message)
      for (let kind = head; kind !== undefined; kind = kind.next) if (sameKind(kind, event, fieldPath)) return kind
      if (kinds.size >= kindsKept) kinds.clear()
      let path = fieldPaths.get(fieldPath)
      if (path === undefined) {
        if (fieldPaths.size >= kindsKept) fieldPaths.clear()
        path = flat(fieldPath)
        fieldPaths.set(path, path)
      }
      const kind: Kind = {
        fieldPath: path,
        type: event.type,
        reason: event.reason,
        message: flat(event.message),
        next: kinds.size === 0 ? undefined : head
      }
      kinds.set(kind.message, kind)
      return kind
    }
    /** forgets the oldest observation */
    const evictOldest = (): void => {
      const dropped = oldest!
      oldest = dropped.newer
      if (oldest === undefined) newest = undefined
      dropped.newer = undefined
      observed--
      const involved = dropped.involved
      if (involved.observations === dropped) involved.observations = dropped.sibling
      else {
        let before = involved.observations
        while (before !== undefined && before.sibling !== dropped) before = before.sibling
        if (before !== undefined) before.sibling = dropped.sibling
      }
      release(involved)
    }

    /**
     * An equal one an earlier Event of the same involved object holds, or a copy of `reference` (its
     * field path the kind's) that later ones share; kept in an array of its exact length.
     */
    const sharedReference = (involved: Involved, reference: ObjectReference, kind: Kind): ObjectReference => {
      const kept = involved.references
      if (kept !== undefined)
        for (let i = kept.length - 1; i >= 0; i--) if (sameReference(kept[i]!, reference)) return kept[i]!
      const copy = copyReference(reference, kind.fieldPath)
      involved.references =
        kept === undefined ? [copy] : (kept.length >= referencesKept ? kept.slice(1) : kept).concat(copy)
      return copy
    }

    /** `toRfc3339`, one string per instant for the Events written in it */
    let stampedAt = Number.NaN
    let stamp = ""
    const timestamp = (ms: number): string => {
      if (ms !== stampedAt) {
        stamp = flat(toRfc3339(ms))
        stampedAt = ms
      }
      return stamp
    }

    const create = Effect.fnUntraced(function* (event: EventRecord, observation: Observation, now: number) {
      const namespace = event.involvedObject.namespace ?? "default"
      const object: Event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: {
          name: flat(`${event.involvedObject.name ?? "unknown"}.${uniqueHex(now, sequence.next())}`),
          namespace
        },
        involvedObject: sharedReference(observation.involved, event.involvedObject, observation.kind),
        reason: event.reason,
        message: observation.kind.message,
        type: event.type,
        count: observation.count,
        firstTimestamp: timestamp(base + observation.first),
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

    /** the spam filter: whether this occurrence may be written (`now` after `base`) */
    const accepted = (involved: Involved, now: number): boolean => {
      if (options.spamFilter !== true) return true
      if (!involved.bucketed) {
        involved.bucketed = true
        involved.tokens = spamBurst
        involved.at = small(now)
        involved.uses++
        if (buckets.size >= maxCached) {
          const dropped: Involved = buckets.values().next().value!
          buckets.delete(dropped)
          dropped.bucketed = false
          release(dropped)
        }
        buckets.add(involved)
      }
      return tryAccept(involved, now)
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

    /** the observation of `event` counted (a new one is the newest in the cache: it keeps creation order) */
    const observe = (involved: Involved, event: EventRecord, now: number): Observation => {
      let observation = findObservation(involved, event)
      if (observation !== undefined) {
        observation.count++
        return observation
      }
      if (Number.isNaN(base)) base = now
      observation = {
        involved,
        kind: kindOf(event),
        count: 1,
        first: small(now - base),
        written: undefined,
        sibling: involved.observations,
        newer: undefined
      }
      involved.observations = observation
      involved.uses++
      if (observed >= maxCached) evictOldest()
      if (newest === undefined) oldest = observation
      else newest.newer = observation
      newest = observation
      observed++
      return observation
    }

    /** counts the occurrence (synchronously) and writes it unless the spam filter drops it */
    const record = (event: EventRecord): Effect.Effect<void> =>
      Effect.suspend(() => {
        const now = clock.currentTimeMillisUnsafe()
        const involved = involvedOf(event)
        const observation = observe(involved, event, now)
        if (!accepted(involved, now - base)) return Effect.void
        const previous = observation.written
        const write =
          previous === undefined ? create(event, observation, now) : update(event, observation, previous, now)
        return Effect.catch(write, (error) => Effect.logWarning("event dropped", event.reason, error))
      })

    /** whether the spam filter drops an occurrence at `now` (after `base`; the bucket is not touched) */
    const dropped = (involved: Involved, now: number): boolean =>
      involved.bucketed && Math.min(spamBurst, involved.tokens + Math.max(0, now - involved.at) / spamRefillMillis) < 1

    /** the observation a prepared occurrence names now, if any */
    const observationOf = (event: PreparedEvent): Observation | undefined => {
      if (!(event instanceof Prepared) || event.involved === undefined) return undefined
      return findObservation(event.involved, event.event)
    }

    const countFilteredUnsafe = (events: ReadonlyArray<PreparedEvent>, now: number): boolean => {
      if (options.spamFilter !== true) return false
      for (const event of events) {
        const observation = observationOf(event)
        if (observation === undefined || !dropped(observation.involved, now - base)) return false
      }
      for (const event of events) {
        const observation = observationOf(event)!
        observation.count++
        tryAccept(observation.involved, now - base)
      }
      return true
    }

    const service = {
      record,
      filtered: {
        /** an occurrence as the recorder finds it again (an object it does not know matches nothing later) */
        prepareEventUnsafe: (event: EventRecord): PreparedEvent => new Prepared(findInvolved(event), event),
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

export const EventRecorderLive = {
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
