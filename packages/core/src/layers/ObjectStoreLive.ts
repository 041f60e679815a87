/**
 * The ObjectStore over any StorageBackend: every API-server rule lives here (names, uids,
 * strategies, optimistic concurrency, graceful deletion and finalizers, owner propagation,
 * namespace lifecycle, selectors, pagination, patches) and so does the watch fan-out.
 *
 * Writes are serialised: create, update, updateStatus, patch, bind and delete run as one
 * synchronous step on the backend's synchronous face when no multi-step operation holds or awaits
 * the store's lock (nothing can interleave with a step that does not yield); the rest takes the
 * lock: list, a delete that orphans or deletes dependents, empties a terminating namespace or
 * deletes a namespace, and a write that removes an object (its last finalizer gone). With a
 * group-committing backend (SQLite) a write is acknowledged, and published to watchers, only once
 * its transaction is durable; publication follows commit order, so watchers see changes in
 * resourceVersion order. Watchers read a shared in-memory log per resource through their own
 * cursor (unfiltered ones share one events chunk per range) and are woken once per batch, within
 * 0.25 to 1.5 ms behind a busy writer: the more `watch` stream fibers a wake resumes, the longer
 * it waits (`observe` callbacks, what informers use, cost a call each). A watcher that falls
 * behind the history window, or asks for an older resourceVersion than the backend keeps, gets
 * `Expired`. Assumes this ObjectStore is the only writer of its backend.
 */

import { Channel, Clock, Effect, Layer, Random, Stream } from "effect"
import type * as Arr from "effect/Array"
import type * as Fiber from "effect/Fiber"
import type { Pull } from "effect/Pull"
import type * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import { AlreadyExists, BadRequest, Conflict, Expired, Forbidden, Invalid, NotFound } from "../api/Errors.js"
import { copyOf, extend } from "../api/Extend.js"
import type { FieldRequirement } from "../api/FieldSelector.js"
import { fieldValue, matchesFields, parseFieldSelector } from "../api/FieldSelector.js"
import type { LabelRequirement } from "../api/LabelSelector.js"
import { matchesRequirements, parseLabelSelector } from "../api/LabelSelector.js"
import type { DeleteOptions, KubeObject, ObjectMeta, PropagationPolicy, WatchEvent } from "../api/Meta.js"
import { jsonEqual, jsonPatch, mergePatch, strategicMergePatch } from "../api/Patch.js"
import type { ResourceType } from "../api/Resources.js"
import { Resources, resourceFor } from "../api/Resources.js"
import { changedMembers, countsGeneration, strategyFor } from "../api/Strategy.js"
import type {
  DeleteResult,
  ListOptions,
  ListResult,
  PatchType,
  WatchObserver,
  WatchOptions,
  WriteError,
  WriteOptions,
  WriteResult
} from "../services/ObjectStore.js"
import { ObjectStore } from "../services/ObjectStore.js"
import type { Change, CommitConflict, Mutation, StoredObject, SyncBackend } from "../services/StorageBackend.js"
import { StorageBackend } from "../services/StorageBackend.js"
import { isVirtualClock } from "./VirtualClock.js"

export interface ObjectStoreOptions {
  /** changes kept in memory for watchers (default 10_000); older resourceVersions go to the backend */
  readonly historyWindow?: number
  /** idle time after which a watch with `allowBookmarks` gets a BOOKMARK (default 60 s) */
  readonly bookmarkIntervalMillis?: number
}

/** The namespaces every cluster starts with. */
export const initialNamespaces: ReadonlyArray<string> = ["default", "kube-system", "kube-public", "kube-node-lease"]

const defaultHistoryWindow = 10_000
const maxBatch = 1024

type Json = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// pure helpers

/** RFC 3339 with seconds precision, as Kubernetes writes timestamps. */
export const formatTimestamp = (millis: number): string => {
  const second = Math.floor(millis / 1000)
  if (second !== lastFormattedSecond) {
    lastFormatted = new Date(second * 1000).toISOString().replace(".000Z", "Z")
    lastFormattedSecond = second
  }
  return lastFormatted
}

const keyOf = (rt: ResourceType, namespace: string | undefined, name: string): string =>
  rt.namespaced ? `${rt.resource}/${namespace ?? "default"}/${name}` : `${rt.resource}//${name}`

const resourceOfKey = (key: string): string => key.slice(0, key.indexOf("/"))

const refOf = (rt: ResourceType, name: string) => ({ resource: rt.resource, group: rt.group, kind: rt.kind, name })

const qualified = (rt: ResourceType): string => (rt.group === "" ? rt.resource : `${rt.resource}.${rt.group}`)

const conflict = (rt: ResourceType, name: string, reason: string): Conflict =>
  new Conflict({
    ...refOf(rt, name),
    message: `Operation cannot be fulfilled on ${qualified(rt)} "${name}": ${reason}`
  })

const modifiedConflict = (rt: ResourceType, name: string): Conflict =>
  conflict(rt, name, "the object has been modified; please apply your changes to the latest version and try again")

const namespaceType = resourceFor("namespaces")!

const notFoundNamespace = (name: string): NotFound => new NotFound(refOf(namespaceType, name))

/** `extend(object, { metadata: meta })` with one copy */
const withMeta = (object: KubeObject, meta: ObjectMeta): KubeObject => {
  const out = copyOf(object)
  out.metadata = meta
  return out
}

/** The object with `status` replaced (or removed when undefined). */
const withStatus = (object: KubeObject, status: unknown): KubeObject => {
  if (status !== undefined) {
    const out = copyOf(object) as KubeObject & { status?: unknown }
    out.status = status
    return out
  }
  const { status: _status, ...rest } = object as KubeObject & { readonly status?: unknown }
  return rest
}

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] }

/**
 * An update's object as the backend may stamp it in place (`Mutation.owned`): the prepare step's
 * fresh copy, with metadata of its own (copied when it is the stored object's or the input's).
 */
const ownedUpdate = (object: KubeObject, old: KubeObject, input: KubeObject): KubeObject => {
  const out =
    object === old || object === input
      ? copyOf(object)
      : (object as { -readonly [K in keyof KubeObject]: KubeObject[K] })
  if (out.metadata === old.metadata || out.metadata === input.metadata) out.metadata = copyOf(out.metadata)
  return out
}

/** The members a create takes from the client's metadata: all but these (set by the server). */
const createExcluded: ReadonlySet<string> = new Set([
  "namespace",
  "name",
  "resourceVersion",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "uid",
  "creationTimestamp",
  "generation"
])

/** The members an update takes from the client's metadata (the others are the stored ones). */
const updateExcluded: ReadonlySet<string> = new Set([
  "namespace",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "generation"
])

/** A copy of `meta` without the `excluded` members (an object rest, without V8's slow path). */
const metaExcept = (meta: ObjectMeta, excluded: ReadonlySet<string>): MutableMeta => {
  const out: Record<string, unknown> = {}
  for (const key in meta) if (!excluded.has(key)) out[key] = (meta as Record<string, unknown>)[key]
  return out as MutableMeta
}

let lastFormattedSecond = Number.NaN
let lastFormatted = ""

/** The same members, in the same order, with identical values (a shallow comparison). */
const sameMembers = (a: object, b: object): boolean => {
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!
    if (k !== kb[i] || (a as Json)[k] !== (b as Json)[k]) return false
  }
  return true
}

/** Everything but metadata (and status where the resource has a status subresource). */
export const specChanged = (a: KubeObject, b: KubeObject, hasStatus: boolean): boolean => {
  // members counted as they are compared (no key lists made: every update asks)
  let members = 0
  for (const k in a) {
    if (!Object.hasOwn(a, k) || k === "metadata" || (hasStatus && k === "status")) continue
    if (!jsonEqual((a as unknown as Json)[k], (b as unknown as Json)[k])) return true
    members++
  }
  for (const k in b) if (Object.hasOwn(b, k) && k !== "metadata" && !(hasStatus && k === "status")) members--
  return members !== 0
}

const isDryRun = (options: unknown): boolean => {
  const dryRun = (options as { readonly dryRun?: unknown } | undefined)?.dryRun
  return dryRun === true || (Array.isArray(dryRun) && dryRun.includes("All"))
}

const generateSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"
const hexDigits = "0123456789abcdef"
/** the character codes of a uuid, filled in place (one flat string per uid, nothing else allocated) */
const uuidCodes: Array<number> = Array.from("00000000-0000-4000-8000-000000000000", (c) => c.charCodeAt(0))
/** the positions of the 32 hex digits in `uuidCodes` */
const uuidDigits: ReadonlyArray<number> = Array.from({ length: 36 }, (_, i) => i).filter(
  (i) => i !== 8 && i !== 13 && i !== 18 && i !== 23
)

/** A random UUID v4 from Effect's Random (seedable in tests). */
const uuid = (random: Random.Random): string => {
  for (let w = 0; w < 4; w++) {
    let word = Math.floor(random.nextDoubleUnsafe() * 0x100000000)
    // bytes in order, each high nibble first (as the byte-wise format wrote them)
    for (let b = 0; b < 4; b++) {
      let byte = word & 0xff
      word >>>= 8
      const i = w * 4 + b
      if (i === 6) byte = (byte & 0x0f) | 0x40
      else if (i === 8) byte = (byte & 0x3f) | 0x80
      uuidCodes[uuidDigits[2 * i]!] = hexDigits.charCodeAt(byte >>> 4)
      uuidCodes[uuidDigits[2 * i + 1]!] = hexDigits.charCodeAt(byte & 0x0f)
    }
  }
  return String.fromCharCode.apply(null, uuidCodes)
}

/** The 5-character suffix of `generateName`, from Kubernetes' alphabet. */
const nameSuffix = (random: Random.Random): string => {
  let suffix = ""
  for (let i = 0; i < 5; i++)
    suffix += generateSuffixAlphabet[Math.floor(random.nextDoubleUnsafe() * generateSuffixAlphabet.length)]
  return suffix
}

const noPrev: ReadonlyArray<KubeObject | undefined> = [undefined]

const noWarnings: ReadonlyArray<string> = []

interface NamespaceLike extends KubeObject {
  readonly status?: { readonly phase?: string }
}

interface ContinueToken {
  readonly rv: number
  readonly start: string
}

const encodeContinue = (token: ContinueToken): string =>
  btoa(JSON.stringify({ v: "meta.k8s.io/v1", rv: token.rv, start: token.start }))

const decodeContinue = (text: string): ContinueToken | undefined => {
  try {
    const value = JSON.parse(atob(text)) as unknown
    if (typeof value !== "object" || value === null) return undefined
    const { rv, start } = value as { rv?: unknown; start?: unknown }
    return typeof rv === "number" && typeof start === "string" ? { rv, start } : undefined
  } catch {
    return undefined
  }
}

const parseResourceVersion = (text: string | undefined): number | "snapshot" | undefined => {
  if (text === undefined || text === "" || text === "0") return "snapshot"
  return /^[0-9]+$/.test(text) ? Number(text) : undefined
}

// ---------------------------------------------------------------------------------------------
// the watch hub: one append-only log per resource, read through per-watcher cursors

/** What a watch cursor's `next` found: events, nothing yet, a replay from the backend needed, or too old. */
type WatchRead = Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>> | undefined | typeof needsReplay | Expired

const needsReplay: unique symbol = Symbol("needsReplay")

/** A watcher's read position (see `openCursor`). */
interface WatchCursor {
  readonly log: ResourceLog
  next(): WatchRead
  /** reads the backend's change log when the cursor is older than the hub keeps */
  readonly replay: Effect.Effect<void, Expired>
  readonly cursor: number
}

/** A parked watcher: its fiber's dispatcher and how to resume it. */
interface Waiter {
  readonly dispatcher: Scheduler.SchedulerDispatcher
  readonly wake: () => void
  /** an `observe` callback (a wake costs a call, not a fiber's resumption) */
  readonly observer?: boolean
}

/** A watch stream's parking slot: the wait it is parked in now, and how to resume it. */
interface Parking {
  current: Parked | undefined
  resume: ((effect: Effect.Effect<void>) => void) | undefined
}

/** One wait of a watch stream on its log; waking a wait that is no longer current does nothing. */
class Parked implements Waiter {
  constructor(
    readonly dispatcher: Scheduler.SchedulerDispatcher,
    private readonly parking: Parking
  ) {}

  wake(): void {
    const parking = this.parking
    if (parking.current !== this) return
    const resume = parking.resume
    parking.current = undefined
    parking.resume = undefined
    resume?.(Effect.void)
  }
}

/**
 * One log of changes, an entry per index of three parallel arrays (no object per entry): the
 * change, the object before it (undefined for ADDED, or unknown) and the event unfiltered
 * watchers get, shared by all of them.
 */
class ResourceLog {
  /** entries before `head` are released (undefined) until compaction drops them */
  changes: Array<Change | undefined> = []
  prevs: Array<KubeObject | undefined> = []
  events: Array<WatchEvent<KubeObject> | undefined> = []
  /** first live index in the arrays */
  head = 0
  /** entries dropped from the front of the arrays by compaction (absolute index offset) */
  dropped = 0
  /** parked watchers, woken (once, by one scheduled task) by the next change */
  waiters: Array<Waiter> = []
  /** watchers whose wake is scheduled but not run yet, and the changes since it was scheduled */
  waking: Array<Waiter> | undefined = undefined
  changesSinceWake = 0
  /** when the scheduled wake was scheduled (the store's Clock, ms), and how long it may wait */
  wakeScheduledAt = 0
  wakeAfter = wakeAfterMillis

  /** the last chunk of unfiltered events built, shared by every watcher that reads the same range */
  private chunk: { from: number; to: number; events: ReadonlyArray<WatchEvent<KubeObject>> } | undefined

  get absoluteHead(): number {
    return this.dropped + this.head
  }

  /** The events of the entries at absolute positions [from, to), built once for all watchers. */
  eventsIn(from: number, to: number): ReadonlyArray<WatchEvent<KubeObject>> {
    const cached = this.chunk
    if (cached !== undefined && cached.from === from && cached.to === to) return cached.events
    const events = this.events.slice(from - this.dropped, to - this.dropped) as Array<WatchEvent<KubeObject>>
    this.chunk = { from, to, events }
    return events
  }

  push(change: Change, prev: KubeObject | undefined, event: WatchEvent<KubeObject>): void {
    this.changes.push(change)
    this.prevs.push(prev)
    this.events.push(event)
  }

  get absoluteEnd(): number {
    return this.dropped + this.changes.length
  }

  /** absolute index of the first entry with resourceVersion > rv */
  positionAfter(rv: number): number {
    let lo = this.head
    let hi = this.changes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.changes[mid]!.resourceVersion <= rv) lo = mid + 1
      else hi = mid
    }
    return this.dropped + lo
  }
}

/**
 * Changes, or milliseconds (on the monotonic clock), after which a scheduled wake runs at once: a
 * writer that does not yield (a busy fast path) still lets its watchers hear every batch within
 * `wakeDeadline` (at most `wakeAfterMillis`).
 */
const wakeEvery = 1024
/** publishes between two trims of every log */
const sweepEvery = 4096
const wakeAfterMillis = 1.5
/** the shortest wait (a few `observe` callbacks) */
const observerWakeAfterMillis = 0.25
/** per parked `watch` stream (a fiber resumed, about 2 µs): waking them costs at most ~15% of the time */
const streamWakeMillis = 0.015
/** per parked `observe` callback (a call reading its batch, about 1 µs): at most ~20% of the time */
const observerWakeMillis = 0.005

/**
 * How long a scheduled wake of `waiters` may wait behind a writer that does not yield: longer
 * the more it costs (1.5 ms for 100 stream fibers, 0.5 ms for 100 callbacks), at least 0.25 ms.
 */
export const wakeDeadline = (waiters: ReadonlyArray<{ readonly observer?: boolean }>): number => {
  let streams = 0
  for (const waiter of waiters) if (waiter.observer !== true) streams++
  const cost = streams * streamWakeMillis + (waiters.length - streams) * observerWakeMillis
  return Math.min(wakeAfterMillis, Math.max(observerWakeAfterMillis, cost))
}

const wakeAll = (log: ResourceLog, waiters: Array<Waiter>): void => {
  if (log.waking !== waiters) return
  log.waking = undefined
  for (const waiter of waiters) waiter.wake()
}

class Hub {
  readonly logs = new Map<string, ResourceLog>()
  /** resource → field → value → indexed log (see `indexedLog`) */
  readonly indexes = new Map<string, Map<string, Map<string, ResourceLog>>>()
  /** watchers whose cursor is >= floor are served from memory */
  floor: number
  /** the last published resourceVersion */
  last: number

  constructor(
    revision: number,
    readonly window: number,
    /** the store's monotonic Clock, in milliseconds */
    readonly now: () => number
  ) {
    this.floor = revision
    this.last = revision
  }

  log(resource: string): ResourceLog {
    let log = this.logs.get(resource)
    if (log === undefined) {
      log = new ResourceLog()
      this.logs.set(resource, log)
    }
    return log
  }

  /**
   * The log of the changes whose object, or object before the change, has `field` = `value`: what
   * a watch with that one field selector reads (a kubelet's `spec.nodeName=<node>`), so a change
   * wakes only the watchers it concerns. Built on first use from the resource's log.
   */
  indexedLog(resource: string, field: string, value: string): ResourceLog {
    let fields = this.indexes.get(resource)
    if (fields === undefined) {
      fields = new Map()
      this.indexes.set(resource, fields)
    }
    let values = fields.get(field)
    if (values === undefined) {
      values = new Map()
      fields.set(field, values)
    }
    let log = values.get(value)
    if (log === undefined) {
      log = new ResourceLog()
      const all = this.log(resource)
      for (let i = all.head; i < all.changes.length; i++) {
        const change = all.changes[i]!
        const prev = all.prevs[i]
        if (
          fieldValue(resource, change.object, field) === value ||
          (prev !== undefined && fieldValue(resource, prev, field) === value)
        ) {
          log.push(change, prev, all.events[i]!)
        }
      }
      values.set(value, log)
    }
    return log
  }

  /** publishes until the next sweep of every log (see `sweep`) */
  private sweepIn = sweepEvery

  /** the resource of the last publish, its key prefix (`pods/`) and its log: the next is likely the same */
  private lastResource = ""
  private lastPrefix = "\u0000"
  private lastLog: ResourceLog | undefined

  publish(change: Change, prev: KubeObject | undefined): void {
    if (--this.sweepIn === 0) this.sweep()
    let resource = this.lastResource
    let log = this.lastLog
    if (log === undefined || !change.key.startsWith(this.lastPrefix)) {
      resource = resourceOfKey(change.key)
      log = this.log(resource)
      this.lastResource = resource
      this.lastPrefix = `${resource}/`
      this.lastLog = log
    }
    const event: WatchEvent<KubeObject> = { type: change.type, object: change.object }
    this.last = change.resourceVersion
    if (this.last - this.window > this.floor) this.floor = this.last - this.window
    this.append(log, change, prev, event)
    const fields = this.indexes.get(resource)
    if (fields === undefined) return
    for (const [field, values] of fields) {
      const now = fieldValue(resource, change.object, field)
      const log = values.get(now)
      if (log !== undefined) this.append(log, change, prev, event)
      if (prev === undefined) continue
      const before = fieldValue(resource, prev, field)
      const previous = before === now ? undefined : values.get(before)
      if (previous !== undefined) this.append(previous, change, prev, event)
    }
  }

  /**
   * A log is trimmed when a change is appended to it; one that gets none (a node with no more
   * pods, a resource no longer written) would keep what the window dropped: every
   * `sweepEvery` publishes, every log is trimmed, a window late: a watcher woken on such a log but
   * not yet run while a busy instant passed the window (a kubelet's node watch at 10,000 pods)
   * still reads it, as when logs were trimmed only on append, and no log keeps more than two windows.
   */
  private sweep(): void {
    this.sweepIn = sweepEvery
    const floor = this.floor - this.window
    for (const log of this.logs.values()) this.trim(log, floor)
    for (const fields of this.indexes.values())
      for (const values of fields.values()) for (const log of values.values()) this.trim(log, floor)
  }

  /** Releases the entries below `floor`; compacts the arrays once they are half released. */
  private trim(log: ResourceLog, floor = this.floor): void {
    const changes = log.changes
    while (log.head < changes.length && changes[log.head]!.resourceVersion <= floor) {
      // what the window dropped is not kept alive by the log until compaction
      changes[log.head] = undefined
      log.prevs[log.head] = undefined
      log.events[log.head] = undefined
      log.head++
    }
    if (log.head > 64 && log.head * 2 > changes.length) {
      log.changes = changes.slice(log.head)
      log.prevs = log.prevs.slice(log.head)
      log.events = log.events.slice(log.head)
      log.dropped += log.head
      log.head = 0
    }
  }

  private append(log: ResourceLog, change: Change, prev: KubeObject | undefined, event: WatchEvent<KubeObject>): void {
    log.push(change, prev, event)
    this.trim(log)
    if (log.waiters.length > 0) {
      // woken by a task on the scheduler rather than here: the writer goes on, and a watcher
      // takes every change made until then in one pull instead of one wake per change
      const waiters = log.waiters
      log.waiters = []
      log.waking = waiters
      log.changesSinceWake = 0
      log.wakeScheduledAt = this.now()
      log.wakeAfter = wakeDeadline(waiters)
      waiters[0]!.dispatcher.scheduleTask(() => wakeAll(log, waiters), 0)
    } else if (
      log.waking !== undefined &&
      (++log.changesSinceWake >= wakeEvery || this.now() - log.wakeScheduledAt >= log.wakeAfter)
    ) {
      // a writer that does not yield: its watchers still hear every batch
      wakeAll(log, log.waking)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the store's lock

/**
 * One operation at a time for the store's multi-step operations (FIFO). A synchronous write runs
 * without it when it is `free`: nothing can interleave with a step that does not yield.
 */
class StoreLock {
  private held = false
  private readonly queue: Array<Waiter> = []

  /** no operation holds the lock or waits for it */
  get free(): boolean {
    return !this.held && this.queue.length === 0
  }

  run<A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.acquireUseRelease(
      this.acquire,
      () => effect,
      () => this.release
    )
  }

  private readonly acquire: Effect.Effect<void> = Effect.withFiber((fiber) => {
    if (!this.held) {
      this.held = true
      return Effect.void
    }
    // handed over by `release`: `held` stays true for the waiter
    return Effect.callback<void>((resume) => {
      this.queue.push({ dispatcher: fiber.currentDispatcher, wake: () => resume(Effect.void) })
    })
  })

  private readonly release: Effect.Effect<void> = Effect.sync(() => {
    const next = this.queue.shift()
    if (next === undefined) this.held = false
    else next.dispatcher.scheduleTask(next.wake, 0)
  })
}

// ---------------------------------------------------------------------------------------------
// the store

interface Filter {
  readonly namespace: string | undefined
  readonly labels: ReadonlyArray<LabelRequirement>
  readonly fields: ReadonlyArray<FieldRequirement>
  readonly trivial: boolean
}

const parseFilter = (
  rt: ResourceType,
  options: { readonly namespace?: string; readonly labelSelector?: string; readonly fieldSelector?: string }
): Filter | BadRequest => {
  let labels: ReadonlyArray<LabelRequirement> = []
  let fields: ReadonlyArray<FieldRequirement> = []
  if (options.labelSelector !== undefined && options.labelSelector !== "") {
    const parsed = parseLabelSelector(options.labelSelector)
    if (parsed._tag === "Error") return new BadRequest({ message: parsed.message })
    labels = parsed.requirements
  }
  if (options.fieldSelector !== undefined && options.fieldSelector !== "") {
    const parsed = parseFieldSelector(rt.resource, options.fieldSelector)
    if (parsed._tag === "Error") return new BadRequest({ message: parsed.message })
    fields = parsed.requirements
  }
  const namespace = rt.namespaced ? options.namespace : undefined
  return { namespace, labels, fields, trivial: labels.length === 0 && fields.length === 0 }
}

const matchesFilter = (rt: ResourceType, filter: Filter, object: KubeObject): boolean =>
  (filter.namespace === undefined || object.metadata.namespace === filter.namespace) &&
  (filter.trivial ||
    (matchesRequirements(filter.labels, object.metadata.labels) && matchesFields(rt.resource, filter.fields, object)))

/** Builds the ObjectStore over the StorageBackend in context. */
export const makeObjectStore = Effect.fnUntraced(function* (options: ObjectStoreOptions = {}) {
  const backend = yield* StorageBackend
  const lock = new StoreLock()
  const sync: SyncBackend | undefined = backend.sync
  const whenDurable = sync?.whenDurable
  const hasPending = sync?.pending
  const clock = yield* Clock.Clock
  // on a virtual clock, time waits for writes on their way to disk (their watchers and writers wait on them)
  if (isVirtualClock(clock) && hasPending !== undefined && whenDurable !== undefined) {
    clock.addExternalWork({ pending: hasPending, whenDone: (done) => whenDurable(() => done()) })
  }
  const hub = new Hub(
    yield* backend.revision,
    Math.max(1, options.historyWindow ?? defaultHistoryWindow),
    () => Number(clock.monotonicTimeNanosUnsafe()) / 1e6
  )
  const bookmarkInterval = options.bookmarkIntervalMillis ?? 60_000
  /** owner uid -> keys of dependents */
  const owners = new Map<string, Set<string>>()
  /** namespace -> number of namespaced objects in it */
  const namespaceCounts = new Map<string, number>()

  const indexOwners = (key: string, object: KubeObject | undefined, add: boolean): void => {
    const refs = object?.metadata.ownerReferences
    if (refs === undefined) return
    for (const ref of refs) {
      let set = owners.get(ref.uid)
      if (add) {
        if (set === undefined) owners.set(ref.uid, (set = new Set()))
        set.add(key)
      } else if (set !== undefined) {
        set.delete(key)
        if (set.size === 0) owners.delete(ref.uid)
      }
    }
  }

  const countNamespace = (object: KubeObject, delta: number): void => {
    const namespace = object.metadata.namespace
    if (namespace !== undefined) namespaceCounts.set(namespace, (namespaceCounts.get(namespace) ?? 0) + delta)
  }

  for (const rt of Resources) {
    for (const stored of yield* backend.list(`${rt.resource}/`)) {
      indexOwners(stored.key, stored.object, true)
      if (rt.namespaced) countNamespace(stored.object, 1)
    }
  }

  const nowMillis = Clock.currentTimeMillis

  /** namespace name -> its phase, for the create-time checks */
  const namespacePhases = new Map<string, string>()
  for (const stored of yield* backend.list("namespaces//")) {
    namespacePhases.set(stored.object.metadata.name!, (stored.object as NamespaceLike).status?.phase ?? "Active")
  }
  const trackNamespace = (change: Change): void => {
    const name = change.object.metadata.name!
    if (change.type === "DELETED") namespacePhases.delete(name)
    else namespacePhases.set(name, (change.object as NamespaceLike).status?.phase ?? "Active")
  }

  const unknownResource = (resource: string): Effect.Effect<never, BadRequest> =>
    Effect.fail(new BadRequest({ message: `the server could not find the requested resource (${resource})` }))

  /** Runs `f` with the resource's type, or fails with BadRequest for an unknown resource. */
  const withResource = <A, E>(
    resource: string,
    f: (rt: ResourceType) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | BadRequest> => {
    const rt = resourceFor(resource)
    return rt === undefined ? unknownResource(resource) : f(rt)
  }

  /** The store's own indexes (owners, namespace counts and phases) follow a change as soon as it is applied. */
  const track = (changes: ReadonlyArray<Change>, prevs: ReadonlyArray<KubeObject | undefined>): void => {
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!
      const prev = prevs[i]
      if (prev?.metadata.ownerReferences !== undefined) indexOwners(change.key, prev, false)
      if (change.type !== "DELETED" && change.object.metadata.ownerReferences !== undefined)
        indexOwners(change.key, change.object, true)
      if (change.type !== "MODIFIED" && change.key.indexOf("//") < 0)
        countNamespace(change.object, change.type === "ADDED" ? 1 : -1)
      if (change.key.startsWith("namespaces//")) trackNamespace(change)
    }
  }

  /** Watchers hear a change once it is durable. */
  const announce = (changes: ReadonlyArray<Change>, prevs: ReadonlyArray<KubeObject | undefined>): void => {
    for (let i = 0; i < changes.length; i++) hub.publish(changes[i]!, prevs[i])
  }

  const publish = (changes: ReadonlyArray<Change>, prevs: ReadonlyArray<KubeObject | undefined>) => {
    track(changes, prevs)
    announce(changes, prevs)
    return changes
  }

  /**
   * Applies a commit through the synchronous face: the indexes follow at once, watchers hear it
   * when it is durable (in commit order: group-commit callbacks run in order).
   */
  const apply = (
    sync: SyncBackend,
    mutations: ReadonlyArray<Mutation>,
    prevs: ReadonlyArray<KubeObject | undefined>
  ): ReadonlyArray<Change> | CommitConflict => {
    const result = sync.commit(mutations)
    if (!Array.isArray(result)) return result as CommitConflict
    const changes = result as ReadonlyArray<Change>
    track(changes, prevs)
    if (whenDurable === undefined) announce(changes, prevs)
    else whenDurable((error) => (error === undefined ? announce(changes, prevs) : undefined))
    return changes
  }

  /**
   * Writers to resume once their changes are durable: resumed by one task on the scheduler after
   * the group commit's callbacks, so every change of the commit reaches the watch hub (and its
   * watchers' wake is scheduled) before a resumed writer runs its next write.
   */
  let acks: Array<(effect: Effect.Effect<void>) => void> = []
  const resumeAcks = (): void => {
    const ready = acks
    acks = []
    for (const resume of ready) resume(Effect.void)
  }

  /** Waits until every change applied so far is durable (at once without group commit). */
  const durable: Effect.Effect<void> =
    whenDurable === undefined
      ? Effect.void
      : Effect.withFiber((fiber) =>
          hasPending?.() === false
            ? Effect.void
            : Effect.callback<void>((resume) => {
                whenDurable((error) => {
                  if (error !== undefined) return resume(Effect.die(error))
                  if (acks.length === 0) fiber.currentDispatcher.scheduleTask(resumeAcks, 0)
                  acks.push(resume)
                })
              })
        )

  /** `effect` once what it saw is durable: a result is acknowledged only after the writes it depends on. */
  const acknowledged = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    whenDurable === undefined ? effect : Effect.flatMap(durable, () => effect)

  const conflictError = (c: CommitConflict): Conflict | AlreadyExists => {
    const rt = resourceFor(resourceOfKey(c.key))!
    const name = c.key.slice(c.key.lastIndexOf("/") + 1)
    return c.actual === 0 ? modifiedConflict(rt, name) : new AlreadyExists(refOf(rt, name))
  }

  /** Commits and publishes atomically with respect to watchers; the caller holds the lock. */
  const commit = (
    mutations: ReadonlyArray<Mutation>,
    prevs: ReadonlyArray<KubeObject | undefined>
  ): Effect.Effect<ReadonlyArray<Change>, Conflict | AlreadyExists> => {
    if (sync === undefined) {
      return Effect.mapError(
        Effect.uninterruptible(Effect.map(backend.commit(mutations), (changes) => publish(changes, prevs))),
        conflictError
      )
    }
    return Effect.suspend(() => {
      const result = apply(sync, mutations, prevs)
      if (!Array.isArray(result)) return Effect.fail(conflictError(result as CommitConflict))
      return whenDurable === undefined ? Effect.succeed(result) : Effect.as(durable, result)
    })
  }

  /**
   * Runs `effect` alone among the store's operations; with group commit, once every applied
   * change is durable (so the backend's reads show what the operation's own writes build on).
   */
  const locked = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    lock.run(whenDurable === undefined ? effect : Effect.flatMap(durable, () => effect))

  /**
   * A write whose whole decision and commit is one synchronous step (`fast`, on the synchronous
   * face) when no locked operation is running or waiting; otherwise the locked `slow` path. Both
   * decide the same way.
   */
  const create = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> =>
    sync === undefined
      ? locked(createLocked(rt, input, options))
      : Effect.withFiber((fiber) =>
          lock.free
            ? acknowledged(createFast(rt, input, options, sync, fiber))
            : locked(createLocked(rt, input, options))
        )

  const update = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined,
    subresource: "main" | "status"
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> =>
    sync === undefined
      ? locked(updateLocked(rt, input, options, subresource))
      : Effect.suspend(() =>
          lock.free
            ? acknowledged(updateFast(rt, input, options, subresource, sync))
            : locked(updateLocked(rt, input, options, subresource))
        )

  const deleteWrite = (
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: (DeleteOptions & WriteOptions) | undefined
  ): Effect.Effect<DeleteResult<KubeObject>, NotFound | Conflict | BadRequest> =>
    sync === undefined
      ? locked(deleteLocked(rt, namespace, name, options))
      : Effect.withFiber((fiber) => {
          const fast = lock.free ? deleteFast(rt, namespace, name, options, sync, fiber) : undefined
          return fast === undefined ? locked(deleteLocked(rt, namespace, name, options)) : acknowledged(fast)
        })

  const bind = (
    namespace: string,
    name: string,
    nodeName: string,
    uid: string | undefined
  ): Effect.Effect<WriteResult<KubeObject>, NotFound | Conflict> =>
    sync === undefined
      ? locked(bindLocked(namespace, name, nodeName, uid))
      : Effect.withFiber((fiber) =>
          lock.free
            ? acknowledged(bindFast(namespace, name, nodeName, uid, sync, fiber))
            : locked(bindLocked(namespace, name, nodeName, uid))
        )

  const patchWrite = (
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: (WriteOptions & { readonly subresource?: "status" }) | undefined
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> =>
    sync === undefined
      ? locked(patchLocked(rt, namespace, name, type, patch, options))
      : Effect.suspend(() =>
          lock.free
            ? patchFast(rt, namespace, name, type, patch, options, sync)
            : locked(patchLocked(rt, namespace, name, type, patch, options))
        )

  /** unknown fields as warnings, or the strict-decoding BadRequest */
  const unknownFieldWarnings = (
    rt: ResourceType,
    object: unknown,
    options: WriteOptions | undefined
  ): ReadonlyArray<string> | BadRequest => {
    const mode = options?.fieldValidation ?? "Warn"
    if (mode === "Ignore") return []
    const unknown = strategyFor(rt.resource).unknownFields(object)
    if (unknown.length === 0 || mode === "Warn") return unknown
    return new BadRequest({
      message: `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${unknown.join(", ")}`
    })
  }

  // -------------------------------------------------------------------------------------------
  // create

  /** Everything create decides before storing: the object to write, or why not. */
  const prepareCreate = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined,
    random: Random.Random,
    nowMs: number
  ): { readonly key: string; readonly object: KubeObject; readonly warnings: ReadonlyArray<string> } | WriteError => {
    const strategy = strategyFor(rt.resource)
    // one walk of the input; when it is clean the unknown-field, prune and type-check walks are skipped
    const clean = strategy.isClean(input)
    const warnings = clean ? noWarnings : unknownFieldWarnings(rt, input, options)
    if (warnings instanceof BadRequest) return warnings
    const given = input.metadata
    const givenNamespace = given.namespace
    const givenName = given.name
    const rest = metaExcept(given, createExcluded)
    const namespace = givenNamespace === undefined || givenNamespace === "" ? "default" : givenNamespace
    let name = givenName ?? ""
    if (name === "") {
      if (rest.generateName === undefined || rest.generateName === "") {
        return new Invalid({
          ...refOf(rt, ""),
          causes: [
            {
              reason: "FieldValueRequired",
              message: "Required value: name or generateName is required",
              field: "metadata.name"
            }
          ]
        })
      }
      name = rest.generateName + nameSuffix(random)
    }
    if (rt.namespaced) {
      const phase = namespacePhases.get(namespace)
      if (phase === undefined) return notFoundNamespace(namespace)
      if (phase === "Terminating") {
        return new Forbidden({
          ...refOf(rt, name),
          message: `${qualified(rt)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`
        })
      }
    }
    const uid = uuid(random)
    const now = formatTimestamp(nowMs)
    const meta = rest
    meta.name = name
    if (rt.namespaced) meta.namespace = namespace
    meta.uid = uid
    meta.creationTimestamp = now
    if (countsGeneration(rt.kind)) meta.generation = 1
    // a clean input is not pruned: its metadata is replaced as it is prepared (no copy of it first)
    const object = clean
      ? strategy.prepareForCreate(input, { now, uid, clean, metadata: meta })
      : strategy.prepareForCreate(withMeta(input, meta), { now, uid })
    const causes = strategy.validate(object, clean)
    if (causes.length > 0) return new Invalid({ ...refOf(rt, name), causes })
    return { key: keyOf(rt, namespace, name), object, warnings }
  }

  /** create in one synchronous step (see `create`) */
  const createFast = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined,
    sync: SyncBackend,
    fiber: Fiber.Fiber<unknown, unknown>
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> => {
    const prepared = prepareCreate(
      rt,
      input,
      options,
      fiber.getRef(Random.Random),
      fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
    )
    if (!("key" in prepared)) return Effect.fail(prepared)
    const { key, object, warnings } = prepared
    if (isDryRun(options)) {
      return sync.get(key) === undefined
        ? Effect.succeed({ object, warnings })
        : Effect.fail(new AlreadyExists(refOf(rt, object.metadata.name!)))
    }
    // the prepared object and its metadata are this create's own copies
    const result = apply(sync, [{ key, object, expect: 0, owned: true }], noPrev)
    if (!Array.isArray(result)) return Effect.fail(conflictError(result as CommitConflict))
    return Effect.succeed({ object: (result as ReadonlyArray<Change>)[0]!.object, warnings })
  }

  const createLocked = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> =>
    Effect.withFiber((fiber) => {
      const prepared = prepareCreate(
        rt,
        input,
        options,
        fiber.getRef(Random.Random),
        fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      )
      if (!("key" in prepared)) return Effect.fail(prepared)
      const { key, object, warnings } = prepared
      if (isDryRun(options)) {
        return Effect.flatMap(backend.get(key), (existing) =>
          existing === undefined
            ? Effect.succeed({ object, warnings })
            : Effect.fail(new AlreadyExists(refOf(rt, object.metadata.name!)))
        )
      }
      return Effect.map(commit([{ key, object, expect: 0, owned: true }], noPrev), (changes) => ({
        object: changes[0]!.object,
        warnings
      }))
    })

  // -------------------------------------------------------------------------------------------
  // removal, propagation and namespace completion

  const dependentsOf = (object: KubeObject): ReadonlyArray<string> => {
    const uid = object.metadata.uid
    const set = uid === undefined ? undefined : owners.get(uid)
    return set === undefined ? [] : [...set]
  }

  const orphanDependents = Effect.fnUntraced(function* (owner: KubeObject) {
    const uid = owner.metadata.uid
    for (const key of dependentsOf(owner)) {
      const stored = yield* backend.get(key)
      if (stored === undefined) continue
      const refs = (stored.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid)
      const { ownerReferences: _refs, ...rest } = stored.object.metadata
      const meta: ObjectMeta = refs.length === 0 ? rest : { ...rest, ownerReferences: refs }
      yield* Effect.ignore(
        commit([{ key, object: withMeta(stored.object, meta), expect: stored.resourceVersion }], [stored.object])
      )
    }
  })

  const deleteDependents = Effect.fnUntraced(function* (owner: KubeObject, policy: PropagationPolicy) {
    for (const key of dependentsOf(owner)) {
      const rt = resourceFor(resourceOfKey(key))
      if (rt === undefined) continue
      const [, namespace, name] = key.split("/") as [string, string, string]
      yield* Effect.ignore(
        deleteLocked(rt, namespace === "" ? undefined : namespace, name, { propagationPolicy: policy })
      )
    }
  })

  /** Removes an object for good, with its dependents and, when it empties one, a terminating namespace. */
  const removeLocked: (
    rt: ResourceType,
    stored: StoredObject,
    policy: PropagationPolicy
  ) => Effect.Effect<KubeObject, Conflict | AlreadyExists> = Effect.fnUntraced(function* (rt, stored, policy) {
    const object = stored.object
    if (policy === "Orphan") yield* orphanDependents(object)
    else if (policy === "Foreground") yield* deleteDependents(object, "Foreground")
    const [change] = yield* commit([{ key: stored.key, object: undefined, expect: stored.resourceVersion }], [object])
    if (policy === "Background") yield* deleteDependents(object, "Background")
    const namespace = object.metadata.namespace
    if (rt.namespaced && namespace !== undefined && (namespaceCounts.get(namespace) ?? 0) === 0) {
      const ns = yield* backend.get(keyOf(namespaceType, undefined, namespace))
      if (ns !== undefined && isRemovableNamespace(ns.object)) yield* removeLocked(namespaceType, ns, "Background")
    }
    return change!.object
  })

  const isRemovableNamespace = (ns: KubeObject): boolean =>
    (ns as { status?: { phase?: string } }).status?.phase === "Terminating" &&
    (ns.metadata.finalizers ?? []).length === 0

  // -------------------------------------------------------------------------------------------
  // delete

  const podGracePeriod = (pod: KubeObject, options: DeleteOptions | undefined): number => {
    const p = pod as {
      spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }
      status?: { phase?: string }
    }
    let grace = options?.gracePeriodSeconds ?? p.spec?.terminationGracePeriodSeconds ?? 30
    if (p.spec?.nodeName === undefined || p.spec.nodeName === "") grace = 0
    if (p.status?.phase === "Succeeded" || p.status?.phase === "Failed") grace = 0
    if (grace < 0) grace = 1
    return grace
  }

  /** The delete's preconditions (uid, resourceVersion) against the stored metadata: the Conflict, if any. */
  const preconditionFailure = (
    rt: ResourceType,
    name: string,
    meta: ObjectMeta,
    options: DeleteOptions | undefined
  ): Conflict | undefined => {
    const pre = options?.preconditions
    if (pre === undefined) return undefined
    if (pre.uid !== undefined && pre.uid !== meta.uid) {
      return conflict(
        rt,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ""}`
      )
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
      return conflict(
        rt,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ""}`
      )
    }
    return undefined
  }

  const propagationOf = (options: DeleteOptions | undefined): PropagationPolicy =>
    options?.propagationPolicy ?? (options?.orphanDependents === true ? "Orphan" : "Background")

  /** An object already being deleted, with its grace period shortened to `grace` (from when it started). */
  const shortenedDeletion = (object: KubeObject, grace: number): KubeObject => {
    const meta = object.metadata
    const started = Date.parse(meta.deletionTimestamp!) - (meta.deletionGracePeriodSeconds ?? 0) * 1000
    return withMeta(
      object,
      extend(meta, { deletionTimestamp: formatTimestamp(started + grace * 1000), deletionGracePeriodSeconds: grace })
    )
  }

  /**
   * An object marked for graceful deletion: deletionTimestamp `grace` seconds from now, and its
   * generation, if it has one, + 1 (apiserver `BeforeDelete`).
   */
  const markedDeletion = (object: KubeObject, grace: number, now: number): KubeObject => {
    const meta = object.metadata
    const deletionTimestamp = formatTimestamp(now + grace * 1000)
    // `extend`, not a spread: a spread adding members the metadata lacks costs microseconds on Node 20
    return withMeta(
      object,
      meta.generation !== undefined && meta.generation > 0
        ? extend(meta, { deletionTimestamp, deletionGracePeriodSeconds: grace, generation: meta.generation + 1 })
        : extend(meta, { deletionTimestamp, deletionGracePeriodSeconds: grace })
    )
  }

  /**
   * A removal the synchronous step can make alone: no dependents to orphan or delete, and no
   * terminating namespace it could empty (those take the locked path).
   */
  const removableAlone = (rt: ResourceType, object: KubeObject): boolean => {
    if (dependentsOf(object).length > 0) return false
    const namespace = object.metadata.namespace
    return !(
      rt.namespaced &&
      namespace !== undefined &&
      (namespaceCounts.get(namespace) ?? 0) <= 1 &&
      namespacePhases.get(namespace) === "Terminating"
    )
  }

  /**
   * delete in one synchronous step (as `createFast`), deciding as `deleteLocked`; undefined when
   * it would orphan or delete dependents, empty a terminating namespace or delete a namespace.
   */
  const deleteFast = (
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: (DeleteOptions & WriteOptions) | undefined,
    sync: SyncBackend,
    fiber: Fiber.Fiber<unknown, unknown>
  ): Effect.Effect<DeleteResult<KubeObject>, NotFound | Conflict> | undefined => {
    if (rt.resource === "namespaces") return undefined
    const key = keyOf(rt, namespace, name)
    const stored = sync.get(key)
    if (stored === undefined) return Effect.fail(new NotFound(refOf(rt, name)))
    const object = stored.object
    const meta = object.metadata
    const failed = preconditionFailure(rt, name, meta, options)
    if (failed !== undefined) return Effect.fail(failed)
    const dryRun = isDryRun(options)
    const finalizers = meta.finalizers ?? []
    /** the removal of `from` (nothing written since it was read) */
    const remove = (from: StoredObject): Effect.Effect<DeleteResult<KubeObject>, Conflict> => {
      const result = apply(sync, [{ key, object: undefined, expect: from.resourceVersion }], [from.object])
      if (!Array.isArray(result)) return Effect.fail(modifiedConflict(rt, name))
      return Effect.succeed({ object: (result as ReadonlyArray<Change>)[0]!.object, deleted: true })
    }
    /** writes `next` over the stored object */
    const write = (next: KubeObject): Change | Conflict => {
      const result = apply(sync, [{ key, object: next, expect: stored.resourceVersion, owned: true }], [object])
      return Array.isArray(result) ? (result as ReadonlyArray<Change>)[0]! : modifiedConflict(rt, name)
    }
    if (meta.deletionTimestamp !== undefined) {
      // already being deleted: only a shorter grace period changes anything
      const current = meta.deletionGracePeriodSeconds ?? 0
      const requested = options?.gracePeriodSeconds
      if (requested === undefined || requested >= current) {
        if (current === 0 && finalizers.length === 0) {
          if (dryRun) return Effect.succeed({ object, deleted: true })
          return removableAlone(rt, object) ? remove(stored) : undefined
        }
        return Effect.succeed({ object, deleted: false })
      }
      const grace = Math.max(0, requested)
      const shortened = shortenedDeletion(object, grace)
      const removes = grace === 0 && finalizers.length === 0
      if (dryRun) return Effect.succeed({ object: shortened, deleted: removes })
      if (removes && !removableAlone(rt, object)) return undefined
      // the shortened deletion is written first (as the API server does), then a grace of 0 removes it
      const change = write(shortened)
      if (change instanceof Conflict) return Effect.fail(change)
      if (removes) {
        const latest = sync.get(key)
        if (latest !== undefined) return remove(latest)
      }
      return Effect.succeed({ object: change.object, deleted: false })
    }
    const grace = rt.resource === "pods" ? podGracePeriod(object, options) : 0
    if (grace === 0 && finalizers.length === 0) {
      if (dryRun) return Effect.succeed({ object, deleted: true })
      return removableAlone(rt, object) ? remove(stored) : undefined
    }
    const marked = markedDeletion(object, grace, fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())
    if (dryRun) return Effect.succeed({ object: marked, deleted: false })
    if (propagationOf(options) !== "Background" && dependentsOf(object).length > 0) return undefined
    const change = write(marked)
    return change instanceof Conflict ? Effect.fail(change) : Effect.succeed({ object: change.object, deleted: false })
  }

  const deleteNamespaceLocked = Effect.fnUntraced(function* (
    stored: StoredObject,
    dryRun: boolean
  ): Effect.fn.Return<DeleteResult<KubeObject>, Conflict | AlreadyExists> {
    const ns = stored.object as KubeObject & { status?: { phase?: string } }
    if (ns.status?.phase === "Terminating") return { object: ns, deleted: false }
    const marked = {
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: formatTimestamp(yield* nowMillis), deletionGracePeriodSeconds: 0 },
      status: { ...ns.status, phase: "Terminating" }
    } as KubeObject
    if (dryRun) return { object: marked, deleted: false }
    const name = ns.metadata.name!
    const [change] = yield* commit([{ key: stored.key, object: marked, expect: stored.resourceVersion }], [ns])
    for (const rt of Resources) {
      if (!rt.namespaced) continue
      for (const item of yield* backend.list(`${rt.resource}/${name}/`)) {
        yield* Effect.ignore(deleteLocked(rt, name, item.object.metadata.name!, undefined))
      }
    }
    const current = yield* backend.get(stored.key)
    if (current === undefined) return { object: change!.object, deleted: true }
    if ((namespaceCounts.get(name) ?? 0) === 0 && isRemovableNamespace(current.object)) {
      return { object: yield* removeLocked(namespaceType, current, "Background"), deleted: true }
    }
    return { object: current.object, deleted: false }
  })

  const deleteLocked: (
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    options: (DeleteOptions & WriteOptions) | undefined
  ) => Effect.Effect<DeleteResult<KubeObject>, NotFound | Conflict | BadRequest> = Effect.fnUntraced(
    function* (rt, namespace, name, options) {
      const key = keyOf(rt, namespace, name)
      const stored = yield* backend.get(key)
      if (stored === undefined) return yield* new NotFound(refOf(rt, name))
      const object = stored.object
      const meta = object.metadata
      const failed = preconditionFailure(rt, name, meta, options)
      if (failed !== undefined) return yield* failed
      const dryRun = isDryRun(options)
      const policy = propagationOf(options)
      const result = yield* Effect.catchTag(
        Effect.gen(function* () {
          if (rt.resource === "namespaces") return yield* deleteNamespaceLocked(stored, dryRun)
          const finalizers = meta.finalizers ?? []
          const now = yield* nowMillis
          if (meta.deletionTimestamp !== undefined) {
            // already being deleted: only a shorter grace period changes anything
            const current = meta.deletionGracePeriodSeconds ?? 0
            const requested = options?.gracePeriodSeconds
            if (requested === undefined || requested >= current) {
              if (current === 0 && finalizers.length === 0) {
                return dryRun
                  ? { object, deleted: true }
                  : { object: yield* removeLocked(rt, stored, policy), deleted: true }
              }
              return { object, deleted: false }
            }
            const grace = Math.max(0, requested)
            const shortened = shortenedDeletion(object, grace)
            if (dryRun) return { object: shortened, deleted: grace === 0 && finalizers.length === 0 }
            // the shortened deletion is written first (as the API server does), then a grace of 0 removes it
            const [change] = yield* commit([{ key, object: shortened, expect: stored.resourceVersion }], [object])
            if (grace === 0 && finalizers.length === 0) {
              const latest = yield* backend.get(key)
              if (latest !== undefined) return { object: yield* removeLocked(rt, latest, policy), deleted: true }
            }
            return { object: change!.object, deleted: false }
          }
          const grace = rt.resource === "pods" ? podGracePeriod(object, options) : 0
          if (grace === 0 && finalizers.length === 0) {
            return dryRun
              ? { object, deleted: true }
              : { object: yield* removeLocked(rt, stored, policy), deleted: true }
          }
          const marked = markedDeletion(object, grace, now)
          if (dryRun) return { object: marked, deleted: false }
          if (policy === "Orphan") yield* orphanDependents(object)
          else if (policy === "Foreground") yield* deleteDependents(object, "Foreground")
          const current = yield* backend.get(key)
          if (current === undefined) return { object, deleted: true }
          const [change] = yield* commit(
            [{ key, object: withMeta(current.object, marked.metadata), expect: current.resourceVersion }],
            [current.object]
          )
          return { object: change!.object, deleted: false }
        }),
        "AlreadyExists",
        () => Effect.fail(modifiedConflict(rt, name))
      )
      return result
    }
  )

  // -------------------------------------------------------------------------------------------
  // update

  /** What an update decides from the stored object: the object to write, no change, or why not. */
  const prepareUpdate = (
    rt: ResourceType,
    stored: StoredObject,
    input: KubeObject,
    options: WriteOptions | undefined,
    subresource: "main" | "status"
  ):
    | { readonly object: KubeObject; readonly warnings: ReadonlyArray<string>; readonly unchanged: boolean }
    | WriteError => {
    const old = stored.object
    const name = old.metadata.name!
    const requestedVersion = input.metadata.resourceVersion
    if (
      requestedVersion !== undefined &&
      requestedVersion !== "" &&
      // the stored metadata's own (no string made when the input carries it, as a status write's does)
      requestedVersion !== old.metadata.resourceVersion &&
      requestedVersion !== String(stored.resourceVersion)
    ) {
      return modifiedConflict(rt, name)
    }
    const strategy = strategyFor(rt.resource)
    // members shared with the stored object (a status write's spec and metadata) have no unknown fields;
    // when the others are clean (one walk), the unknown-field walk is skipped
    const inputClean = strategy.isCleanUpdate(input, old)
    const warnings = inputClean ? noWarnings : unknownFieldWarnings(rt, changedMembers(input, old), options)
    if (warnings instanceof BadRequest) return warnings
    const oldMeta = old.metadata
    let candidate: KubeObject
    /** the candidate's metadata when it is this update's own copy (not the stored or the input's) */
    let ownMeta: MutableMeta | undefined
    if (subresource === "status") {
      candidate = withStatus(old, (input as unknown as Json).status)
    } else {
      const meta = metaExcept(input.metadata, updateExcluded)
      meta.name = oldMeta.name!
      meta.uid = oldMeta.uid!
      meta.creationTimestamp = oldMeta.creationTimestamp!
      meta.resourceVersion = oldMeta.resourceVersion!
      if (oldMeta.namespace !== undefined) meta.namespace = oldMeta.namespace
      if (oldMeta.deletionTimestamp !== undefined) meta.deletionTimestamp = oldMeta.deletionTimestamp
      if (oldMeta.deletionGracePeriodSeconds !== undefined)
        meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds
      if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation
      // metadata the update leaves as it was keeps its identity (then it is not checked again)
      if (!sameMembers(meta, oldMeta)) ownMeta = meta
      candidate = withMeta(input, ownMeta ?? oldMeta)
      if (rt.hasStatus) candidate = withStatus(candidate, (old as unknown as Json).status)
    }
    // the candidate's own members clean: its prune and type-check walks are skipped. A status
    // write's candidate is the stored object with the input's status: clean when the input is
    const clean = (subresource === "status" && inputClean) || strategy.isCleanUpdate(candidate, old)
    candidate = strategy.prepareForUpdate(candidate, old, clean)
    // a new generation: the candidate differs from the stored object (no `jsonEqual` walk below)
    const regenerated = subresource === "main" && countsGeneration(rt.kind) && specChanged(candidate, old, rt.hasStatus)
    if (regenerated) {
      const generation = (oldMeta.generation ?? 0) + 1
      // set in place on this update's own metadata (the member keeps its place, as `extend` keeps it)
      if (ownMeta !== undefined && candidate.metadata === ownMeta) ownMeta.generation = generation
      else candidate = withMeta(candidate, extend(candidate.metadata, { generation }))
    }
    let causes = strategy.validateUpdate(candidate, old, clean)
    if (oldMeta.deletionTimestamp !== undefined) {
      const before = new Set(oldMeta.finalizers ?? [])
      if ((candidate.metadata.finalizers ?? []).some((f) => !before.has(f))) {
        causes = [
          ...causes,
          {
            reason: "FieldValueForbidden",
            message: "Forbidden: no new finalizers can be added if the object is being deleted",
            field: "metadata.finalizers"
          }
        ]
      }
    }
    if (causes.length > 0) return new Invalid({ ...refOf(rt, name), causes })
    if (!regenerated && jsonEqual(candidate, old)) return { object: old, warnings, unchanged: true }
    return { object: candidate, warnings, unchanged: false }
  }

  /** The last finalizer is gone from an object being deleted (and a namespace is empty): it goes. */
  const isRemovable = (rt: ResourceType, object: KubeObject): boolean =>
    object.metadata.deletionTimestamp !== undefined &&
    (object.metadata.finalizers ?? []).length === 0 &&
    (object.metadata.deletionGracePeriodSeconds ?? 0) === 0 &&
    !(rt.resource === "namespaces" && (namespaceCounts.get(object.metadata.name!) ?? 0) > 0)

  /** The checks an update makes before it reads the stored object: its key, or why not. */
  const updateKey = (rt: ResourceType, input: KubeObject, subresource: "main" | "status"): string | WriteError => {
    if (subresource === "status" && !rt.hasStatus) return new NotFound(refOf(rt, input.metadata.name ?? ""))
    const name = input.metadata.name
    if (name === undefined || name === "") {
      return new Invalid({
        ...refOf(rt, ""),
        causes: [{ reason: "FieldValueRequired", message: "Required value: name is required", field: "metadata.name" }]
      })
    }
    return keyOf(rt, input.metadata.namespace, name)
  }

  /** update and updateStatus in one synchronous step (see `create`); a removal takes the locked path (`removal`) */
  const updateFast = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined,
    subresource: "main" | "status",
    sync: SyncBackend,
    removal: () => Effect.Effect<WriteResult<KubeObject>, WriteError> = () =>
      locked(updateLocked(rt, input, options, subresource))
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> => {
    const key = updateKey(rt, input, subresource)
    if (typeof key !== "string") return Effect.fail(key)
    const stored = sync.get(key)
    if (stored === undefined) return Effect.fail(new NotFound(refOf(rt, input.metadata.name!)))
    const prepared = prepareUpdate(rt, stored, input, options, subresource)
    if (!("unchanged" in prepared)) return Effect.fail(prepared)
    const { object, warnings } = prepared
    if (prepared.unchanged || isDryRun(options)) return Effect.succeed({ object, warnings })
    if (isRemovable(rt, object)) return removal()
    const owned = ownedUpdate(object, stored.object, input)
    const result = apply(sync, [{ key, object: owned, expect: stored.resourceVersion, owned: true }], [stored.object])
    if (!Array.isArray(result)) return Effect.fail(conflictError(result as CommitConflict))
    return Effect.succeed({ object: (result as ReadonlyArray<Change>)[0]!.object, warnings })
  }

  const updateLocked = (
    rt: ResourceType,
    input: KubeObject,
    options: WriteOptions | undefined,
    subresource: "main" | "status"
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> => {
    const key = updateKey(rt, input, subresource)
    if (typeof key !== "string") return Effect.fail(key)
    return Effect.flatMap(backend.get(key), (stored): Effect.Effect<WriteResult<KubeObject>, WriteError> => {
      if (stored === undefined) return Effect.fail(new NotFound(refOf(rt, input.metadata.name!)))
      const prepared = prepareUpdate(rt, stored, input, options, subresource)
      if (!("unchanged" in prepared)) return Effect.fail(prepared)
      const { object, warnings } = prepared
      if (prepared.unchanged || isDryRun(options)) return Effect.succeed({ object, warnings })
      const owned = ownedUpdate(object, stored.object, input)
      const write = commit([{ key, object: owned, expect: stored.resourceVersion, owned: true }], [stored.object])
      if (!isRemovable(rt, object)) return Effect.map(write, (changes) => ({ object: changes[0]!.object, warnings }))
      // the update is the object's last state; then it is removed
      return Effect.flatMap(write, ([change]) =>
        Effect.as(
          Effect.flatMap(backend.get(key), (after) =>
            after === undefined ? Effect.void : removeLocked(rt, after, "Background")
          ),
          { object: change!.object, warnings }
        )
      )
    })
  }

  // -------------------------------------------------------------------------------------------
  // binding

  const podType = resourceFor("pods")!

  type BindablePod = KubeObject & {
    readonly spec?: { readonly nodeName?: string }
    readonly status?: { readonly conditions?: ReadonlyArray<Json> }
  }

  /**
   * `BindingREST.setPodNodeAndMetadata`: the bound pod (nodeName and `PodScheduled=True`, its
   * transition time kept if already True), or why not.
   */
  const prepareBind = (
    stored: StoredObject | undefined,
    name: string,
    nodeName: string,
    uid: string | undefined,
    now: number
  ): KubeObject | NotFound | Conflict => {
    if (stored === undefined) return new NotFound(refOf(podType, name))
    const pod = stored.object as BindablePod
    const bindingConflict = (reason: string) =>
      new Conflict({
        ...refOf(podType, name),
        message: `Operation cannot be fulfilled on pods/binding "${name}": ${reason}`
      })
    if (uid !== undefined && uid !== pod.metadata.uid) {
      return bindingConflict(
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid ?? ""}`
      )
    }
    if (pod.metadata.deletionTimestamp !== undefined) {
      return bindingConflict(`pod ${name} is being deleted, cannot be assigned to a host`)
    }
    if ((pod.spec?.nodeName ?? "") !== "") {
      return bindingConflict(`pod ${name} is already assigned to node "${pod.spec?.nodeName}"`)
    }
    const conditions = pod.status?.conditions ?? []
    const previous = conditions.find((c) => c.type === "PodScheduled")
    const scheduled: Json = {
      type: "PodScheduled",
      status: "True",
      lastProbeTime: null,
      lastTransitionTime:
        previous?.status === "True" && previous.lastTransitionTime !== undefined
          ? previous.lastTransitionTime
          : formatTimestamp(now)
    }
    // `{ ...pod, spec: { ...pod.spec, nodeName }, status: { ...pod.status, conditions } }` built with
    // `extend`: a spread adding members its base lacks (an unbound spec's nodeName) costs microseconds
    return extend(pod, {
      spec: extend(pod.spec ?? {}, { nodeName }),
      status: extend(pod.status ?? {}, {
        conditions:
          previous === undefined
            ? [...conditions, scheduled]
            : conditions.map((c) => (c.type === "PodScheduled" ? scheduled : c))
      })
    }) as KubeObject
  }

  const bound = (object: KubeObject): WriteResult<KubeObject> => ({ object, warnings: noWarnings })

  /** bind in one synchronous step (as `createFast`), deciding as `bindLocked` */
  const bindFast = (
    namespace: string,
    name: string,
    nodeName: string,
    uid: string | undefined,
    sync: SyncBackend,
    fiber: Fiber.Fiber<unknown, unknown>
  ): Effect.Effect<WriteResult<KubeObject>, NotFound | Conflict> => {
    const key = keyOf(podType, namespace, name)
    const stored = sync.get(key)
    const next = prepareBind(stored, name, nodeName, uid, fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())
    if (next instanceof NotFound || next instanceof Conflict) return Effect.fail(next)
    // the bound pod is this write's own, its metadata copied: the backend stamps it in place
    const object = ownedUpdate(next, stored!.object, stored!.object)
    const result = apply(sync, [{ key, object, expect: stored!.resourceVersion, owned: true }], [stored!.object])
    if (!Array.isArray(result)) return Effect.fail(modifiedConflict(podType, name))
    return Effect.succeed(bound((result as ReadonlyArray<Change>)[0]!.object))
  }

  const bindLocked = (
    namespace: string,
    name: string,
    nodeName: string,
    uid: string | undefined
  ): Effect.Effect<WriteResult<KubeObject>, NotFound | Conflict> => {
    const key = keyOf(podType, namespace, name)
    return Effect.flatMap(backend.get(key), (stored) =>
      Effect.flatMap(nowMillis, (now): Effect.Effect<WriteResult<KubeObject>, NotFound | Conflict> => {
        const next = prepareBind(stored, name, nodeName, uid, now)
        if (next instanceof NotFound || next instanceof Conflict) return Effect.fail(next)
        return Effect.mapError(
          Effect.map(
            commit(
              [
                {
                  key,
                  object: ownedUpdate(next, stored!.object, stored!.object),
                  expect: stored!.resourceVersion,
                  owned: true
                }
              ],
              [stored!.object]
            ),
            (changes) => bound(changes[0]!.object)
          ),
          () => modifiedConflict(podType, name)
        )
      })
    )
  }

  // -------------------------------------------------------------------------------------------
  // patch

  /** The patched object, as an update's input (the stored resourceVersion unless the patch names one), or why not. */
  const preparePatch = (
    rt: ResourceType,
    stored: StoredObject | undefined,
    name: string,
    type: PatchType,
    patch: unknown
  ): KubeObject | WriteError => {
    if (stored === undefined) return new NotFound(refOf(rt, name))
    const apply = type === "merge" ? mergePatch : type === "json" ? jsonPatch : strategicMergePatch
    const result = apply(stored.object, patch)
    if (result._tag === "Error") return new BadRequest({ message: result.message })
    const patched = result.value as KubeObject
    if (
      typeof patched !== "object" ||
      patched === null ||
      Array.isArray(patched) ||
      typeof patched.metadata !== "object"
    ) {
      return new BadRequest({ message: "the patched object is not a valid object" })
    }
    if (patched.metadata.name !== name) {
      return new BadRequest({
        message: `the name of the object (${String(patched.metadata.name)}) does not match the name on the URL (${name})`
      })
    }
    const requested = patched.metadata.resourceVersion
    if (requested !== undefined && requested !== String(stored.resourceVersion)) return modifiedConflict(rt, name)
    const resourceVersion = String(stored.resourceVersion)
    return withMeta(
      patched,
      extend(
        patched.metadata,
        rt.namespaced ? { namespace: stored.object.metadata.namespace!, resourceVersion } : { resourceVersion }
      )
    )
  }

  const isPatched = (prepared: KubeObject | WriteError): prepared is KubeObject => "metadata" in prepared

  const patchLocked = (
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: (WriteOptions & { readonly subresource?: "status" }) | undefined
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> =>
    Effect.flatMap(backend.get(keyOf(rt, namespace, name)), (stored) => {
      const object = preparePatch(rt, stored, name, type, patch)
      if (!isPatched(object)) return Effect.fail(object)
      return updateLocked(rt, object, options, options?.subresource === "status" ? "status" : "main")
    })

  /**
   * patch in one synchronous step (as `updateFast`, deciding as `patchLocked`); a patch that
   * removes the object takes the locked path from the start.
   */
  const patchFast = (
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: (WriteOptions & { readonly subresource?: "status" }) | undefined,
    sync: SyncBackend
  ): Effect.Effect<WriteResult<KubeObject>, WriteError> => {
    const object = preparePatch(rt, sync.get(keyOf(rt, namespace, name)), name, type, patch)
    if (!isPatched(object)) return acknowledged(Effect.fail(object))
    return acknowledged(
      updateFast(rt, object, options, options?.subresource === "status" ? "status" : "main", sync, () =>
        locked(patchLocked(rt, namespace, name, type, patch, options))
      )
    )
  }

  // -------------------------------------------------------------------------------------------
  // list

  const listLocked = Effect.fnUntraced(function* (
    rt: ResourceType,
    filter: Filter,
    options: ListOptions | undefined
  ): Effect.fn.Return<ListResult<KubeObject>, BadRequest | Expired> {
    const prefix = rt.namespaced
      ? filter.namespace === undefined
        ? `${rt.resource}/`
        : `${rt.resource}/${filter.namespace}/`
      : `${rt.resource}//`
    let after: string | undefined
    let listVersion = hub.last
    if (options?.continue !== undefined && options.continue !== "") {
      const token = decodeContinue(options.continue)
      if (token === undefined)
        return yield* new BadRequest({
          message: "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        })
      if (token.rv < hub.floor) {
        return yield* new Expired({
          message:
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
        })
      }
      after = token.start
      listVersion = token.rv
    }
    const limit = options?.limit !== undefined && options.limit > 0 ? options.limit : undefined
    const items: Array<KubeObject> = []
    let lastKey: string | undefined
    let more = false
    if (filter.trivial) {
      const page = yield* backend.list(prefix, after, limit === undefined ? undefined : limit + 1)
      for (const stored of page) {
        if (limit !== undefined && items.length === limit) {
          more = true
          break
        }
        items.push(stored.object)
        lastKey = stored.key
      }
    } else {
      scan: for (;;) {
        const page = yield* backend.list(prefix, after, maxBatch)
        for (const stored of page) {
          if (limit !== undefined && items.length === limit) {
            more = true
            break scan
          }
          lastKey = stored.key
          if (matchesFilter(rt, filter, stored.object)) items.push(stored.object)
        }
        if (page.length < maxBatch) break
        after = page[page.length - 1]!.key
      }
    }
    if (!more || lastKey === undefined) return { items, resourceVersion: String(listVersion) }
    const token = encodeContinue({ rv: listVersion, start: lastKey })
    if (!filter.trivial) return { items, resourceVersion: String(listVersion), continue: token }
    const remaining = (yield* backend.list(prefix, lastKey)).length
    return { items, resourceVersion: String(listVersion), continue: token, remainingItemCount: remaining }
  })

  // -------------------------------------------------------------------------------------------
  // watch

  const bookmark = (rt: ResourceType, rv: number): WatchEvent<KubeObject> => ({
    type: "BOOKMARK",
    object: {
      apiVersion: rt.group === "" ? rt.version : `${rt.group}/${rt.version}`,
      kind: rt.kind,
      metadata: { resourceVersion: String(rv) }
    }
  })

  const toEvent = (
    rt: ResourceType,
    filter: Filter,
    change: Change,
    prev: KubeObject | undefined,
    prevKnown: boolean
  ): WatchEvent<KubeObject> | undefined => {
    if (filter.trivial && filter.namespace === undefined) return { type: change.type, object: change.object }
    const now = matchesFilter(rt, filter, change.object)
    if (change.type !== "MODIFIED") return now ? { type: change.type, object: change.object } : undefined
    const before = prev !== undefined ? matchesFilter(rt, filter, prev) : prevKnown ? false : now
    if (now) return { type: before ? "MODIFIED" : "ADDED", object: change.object }
    return before ? { type: "DELETED", object: change.object } : undefined
  }

  /**
   * A watcher's position in the hub: the events not read yet, read synchronously in batches by
   * `next`. Both faces of a watch read through one: the `watch` stream (a fiber per watcher) and
   * `observe` (a plain callback woken with its log).
   */
  const openCursor = Effect.fnUntraced(function* (
    rt: ResourceType,
    filter: Filter,
    options: WatchOptions | undefined
  ): Effect.fn.Return<WatchCursor, BadRequest> {
    const requested = parseResourceVersion(options?.resourceVersion)
    if (requested === undefined) {
      return yield* new BadRequest({
        message: `resourceVersion: Invalid value: "${options?.resourceVersion}": must be a non-negative integer`
      })
    }
    const unfiltered = filter.trivial && filter.namespace === undefined
    // one equality field requirement (and no labels): the indexed log of that field's value
    const indexed = filter.labels.length === 0 && filter.fields.length === 1 ? filter.fields[0] : undefined
    const log =
      indexed !== undefined && indexed.operator === "="
        ? hub.indexedLog(rt.resource, indexed.field, indexed.value)
        : hub.log(rt.resource)
    /** events waiting to be emitted (the initial snapshot or a replay from the backend) */
    let pending: Array<WatchEvent<KubeObject>> = []
    let pendingIndex = 0
    let cursor: number
    if (requested === "snapshot") {
      const prefix =
        rt.namespaced && filter.namespace !== undefined
          ? `${rt.resource}/${filter.namespace}/`
          : rt.namespaced
            ? `${rt.resource}/`
            : `${rt.resource}//`
      const snapshot = yield* locked(Effect.map(backend.list(prefix), (items) => ({ items, rv: hub.last })))
      for (const stored of snapshot.items) {
        if (matchesFilter(rt, filter, stored.object)) pending.push({ type: "ADDED", object: stored.object })
      }
      cursor = snapshot.rv
      if (options?.allowBookmarks === true) {
        const end = bookmark(rt, cursor)
        pending.push({
          ...end,
          object: withMeta(end.object, { ...end.object.metadata, annotations: { "k8s.io/initial-events-end": "true" } })
        })
      }
    } else {
      cursor = requested
    }
    let position = cursor >= hub.floor ? log.positionAfter(cursor) : -1

    const expired = (rv: number) => new Expired({ message: `too old resource version: ${rv} (${hub.floor})` })

    /** replays from the backend when the cursor is older than the hub keeps */
    const replay = Effect.flatMap(backend.changesSince(cursor), (changes) => {
      if (changes === undefined) return Effect.fail(expired(cursor))
      const seen = new Map<string, KubeObject | undefined>()
      const prefix = `${rt.resource}/`
      for (const change of changes) {
        if (change.resourceVersion <= cursor) continue
        if (change.key.startsWith(prefix)) {
          const known = seen.has(change.key)
          const event = toEvent(rt, filter, change, seen.get(change.key), known)
          if (event !== undefined) pending.push(event)
          seen.set(change.key, change.type === "DELETED" ? undefined : change.object)
        }
        cursor = change.resourceVersion
      }
      position = cursor >= hub.floor ? log.positionAfter(cursor) : -1
      return Effect.void
    })

    const next = (): WatchRead => {
      if (pendingIndex < pending.length) {
        const chunk = pending.slice(pendingIndex, pendingIndex + maxBatch)
        pendingIndex += chunk.length
        if (pendingIndex >= pending.length) {
          pending = []
          pendingIndex = 0
        }
        return chunk as unknown as Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>>
      }
      for (;;) {
        if (position < 0) return needsReplay
        if (position < log.absoluteHead) return expired(cursor)
        const end = log.absoluteEnd
        if (position >= end) {
          if (hub.last > cursor) cursor = hub.last
          return undefined
        }
        if (unfiltered && log.changes[position - log.dropped]!.resourceVersion > cursor) {
          // every entry from `position` is newer than the cursor: the shared chunk, as it is
          const stop = Math.min(end, position + maxBatch)
          const events = log.eventsIn(position, stop)
          cursor = log.changes[stop - 1 - log.dropped]!.resourceVersion
          position = stop
          if (position === end && hub.last > cursor) cursor = hub.last
          return events as unknown as Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>>
        }
        const events: Array<WatchEvent<KubeObject>> = []
        const stop = Math.min(end, position + maxBatch)
        for (let i = position; i < stop; i++) {
          const at = i - log.dropped
          const change = log.changes[at]!
          const rv = change.resourceVersion
          if (rv <= cursor) continue
          const event = unfiltered ? log.events[at]! : toEvent(rt, filter, change, log.prevs[at], true)
          if (event !== undefined) events.push(event)
          cursor = rv
        }
        position = stop
        if (position === end && hub.last > cursor) cursor = hub.last
        if (events.length > 0) return events as unknown as Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>>
      }
    }

    return {
      log,
      next,
      replay,
      get cursor() {
        return cursor
      }
    }
  })

  const makeWatchPull = Effect.fnUntraced(function* (
    rt: ResourceType,
    filter: Filter,
    options: WatchOptions | undefined,
    _scope: Scope.Scope
  ): Effect.fn.Return<Pull<Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>>, Expired>, BadRequest | Expired> {
    const watcher = yield* openCursor(rt, filter, options)
    const log = watcher.log
    const allowBookmarks = options?.allowBookmarks === true

    // a wait parks one small Parked entry; a stale entry (from a wait since interrupted) wakes nothing
    const parking: Parking = { current: undefined, resume: undefined }
    const dispatcher = (yield* Effect.fiber).currentDispatcher
    const unpark = Effect.sync(() => {
      const parked = parking.current
      parking.current = undefined
      parking.resume = undefined
      const i = parked === undefined ? -1 : log.waiters.indexOf(parked)
      if (i >= 0) log.waiters.splice(i, 1)
    })
    const wait: Effect.Effect<void> = Effect.callback<void>((resume) => {
      const parked = new Parked(dispatcher, parking)
      parking.current = parked
      parking.resume = resume
      log.waiters.push(parked)
      return unpark
    })
    const waitThenPull: Pull<Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>>, Expired> = allowBookmarks
      ? Effect.flatMap(Effect.timeoutOption(wait, bookmarkInterval), (woken) =>
          woken._tag === "Some" ? pull : Effect.succeed([bookmark(rt, Math.max(watcher.cursor, hub.last))] as const)
        )
      : Effect.flatMap(wait, () => pull)

    const pull: Pull<Arr.NonEmptyReadonlyArray<WatchEvent<KubeObject>>, Expired> = Effect.suspend(() => {
      const read = watcher.next()
      if (read === undefined) return waitThenPull
      if (read === needsReplay) return Effect.flatMap(watcher.replay, () => pull)
      if (read instanceof Expired) return Effect.fail(read)
      return Effect.succeed(read)
    })
    return pull
  })

  /**
   * `observe`: the watch's events handed to `observer` synchronously, a batch at a time, each time
   * its log wakes its watchers (as a watch stream's fiber would be resumed); no fiber of its own.
   */
  const observe = Effect.fnUntraced(function* (
    rt: ResourceType,
    filter: Filter,
    options: WatchOptions | undefined,
    observer: WatchObserver<KubeObject>
  ): Effect.fn.Return<void, BadRequest | Expired, Scope.Scope> {
    const watcher = yield* openCursor(rt, filter, options)
    const log = watcher.log
    let read = watcher.next()
    while (read === needsReplay) {
      yield* watcher.replay
      read = watcher.next()
    }
    if (read instanceof Expired) return yield* read
    let closed = false
    const end = (error: unknown): void => {
      closed = true
      observer.onEnd(error)
    }
    /** hands over every event there is, then parks the observer on its log */
    const drain = (): void => {
      for (;;) {
        if (closed) return
        if (read === undefined) break
        if (read === needsReplay || read instanceof Expired) {
          end(read instanceof Expired ? read : new Expired({ message: "too old resource version" }))
          return
        }
        try {
          observer.onEvents(read)
        } catch (defect) {
          end(defect)
          return
        }
        read = watcher.next()
      }
      log.waiters.push(waiter)
    }
    const waiter: Waiter = {
      dispatcher: (yield* Effect.fiber).currentDispatcher,
      observer: true,
      wake: () => {
        if (closed) return
        read = watcher.next()
        drain()
      }
    }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        const i = log.waiters.indexOf(waiter)
        if (i >= 0) log.waiters.splice(i, 1)
      })
    )
    drain()
  })

  // -------------------------------------------------------------------------------------------
  // the service

  yield* locked(
    Effect.gen(function* () {
      for (const name of initialNamespaces) {
        if ((yield* backend.get(keyOf(namespaceType, undefined, name))) !== undefined) continue
        yield* Effect.ignore(
          createLocked(
            namespaceType,
            {
              apiVersion: "v1",
              kind: "Namespace",
              metadata: { name },
              spec: { finalizers: ["kubernetes"] },
              status: { phase: "Active" }
            } as KubeObject,
            undefined
          )
        )
      }
    })
  )

  return ObjectStore.of({
    create: <T extends KubeObject>(resource: string, object: T, options?: WriteOptions) => {
      const rt = resourceFor(resource)
      return (rt === undefined ? unknownResource(resource) : create(rt, object, options)) as Effect.Effect<
        WriteResult<T>,
        WriteError
      >
    },
    get: <T extends KubeObject>(resource: string, namespace: string | undefined, name: string) =>
      withResource(resource, (rt) =>
        Effect.flatMap(backend.get(keyOf(rt, namespace, name)), (stored) =>
          stored === undefined ? Effect.fail(new NotFound(refOf(rt, name))) : Effect.succeed(stored.object as T)
        )
      ),
    list: <T extends KubeObject>(resource: string, options?: ListOptions) =>
      withResource(resource, (rt) => {
        const filter = parseFilter(rt, options ?? {})
        if (filter instanceof BadRequest) return Effect.fail(filter)
        return locked(listLocked(rt, filter, options))
      }) as Effect.Effect<ListResult<T>, BadRequest | Expired>,
    update: <T extends KubeObject>(resource: string, object: T, options?: WriteOptions) => {
      const rt = resourceFor(resource)
      return (rt === undefined ? unknownResource(resource) : update(rt, object, options, "main")) as Effect.Effect<
        WriteResult<T>,
        WriteError
      >
    },
    updateStatus: <T extends KubeObject>(resource: string, object: T, options?: WriteOptions) => {
      const rt = resourceFor(resource)
      return (rt === undefined ? unknownResource(resource) : update(rt, object, options, "status")) as Effect.Effect<
        WriteResult<T>,
        WriteError
      >
    },
    patch: <T extends KubeObject>(
      resource: string,
      namespace: string | undefined,
      name: string,
      type: PatchType,
      patch: unknown,
      options?: WriteOptions & { readonly subresource?: "status" }
    ) =>
      withResource(resource, (rt) => patchWrite(rt, namespace, name, type, patch, options)) as Effect.Effect<
        WriteResult<T>,
        WriteError
      >,
    delete: <T extends KubeObject>(
      resource: string,
      namespace: string | undefined,
      name: string,
      options?: DeleteOptions & WriteOptions
    ) =>
      withResource(resource, (rt) => deleteWrite(rt, namespace, name, options)) as Effect.Effect<
        DeleteResult<T>,
        NotFound | Conflict | BadRequest
      >,
    bind: <T extends KubeObject>(
      namespace: string,
      name: string,
      nodeName: string,
      options?: { readonly uid?: string }
    ) => bind(namespace, name, nodeName, options?.uid) as Effect.Effect<WriteResult<T>, NotFound | Conflict>,
    watch: <T extends KubeObject>(resource: string, options?: WatchOptions) => {
      const rt = resourceFor(resource)
      if (rt === undefined) return Stream.fromEffect(unknownResource(resource))
      const filter = parseFilter(rt, options ?? {})
      if (filter instanceof BadRequest) return Stream.fail(filter)
      return Stream.fromChannel(
        Channel.fromTransform((_upstream, scope) => makeWatchPull(rt, filter, options, scope))
      ) as unknown as Stream.Stream<WatchEvent<T>, Expired | BadRequest>
    },
    observe: <T extends KubeObject>(
      resource: string,
      options: WatchOptions | undefined,
      observer: WatchObserver<T>
    ): Effect.Effect<void, BadRequest | Expired, Scope.Scope> => {
      const rt = resourceFor(resource)
      if (rt === undefined) return unknownResource(resource)
      const filter = parseFilter(rt, options ?? {})
      if (filter instanceof BadRequest) return Effect.fail(filter)
      return observe(rt, filter, options, observer as unknown as WatchObserver<KubeObject>)
    },
    resourceVersion: Effect.map(backend.revision, String)
  })
})

/** The ObjectStore over the StorageBackend in context. */
export const ObjectStoreLive = {
  /** default options: a 10_000-change watch window, bookmarks every 60 s of idle time */
  layer: Layer.effect(ObjectStore, makeObjectStore()),
  /** with chosen options */
  layerWith: (options: ObjectStoreOptions): Layer.Layer<ObjectStore, never, StorageBackend> =>
    Layer.effect(ObjectStore, makeObjectStore(options))
} as const
