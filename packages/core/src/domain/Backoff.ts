/**
 * CrashLoopBackOff bookkeeping (spec pod-lifecycle §4.3; K-mgr `doBackOff`, K-backoff `flowcontrol.Backoff`,
 * K-kubelet constants) and the generic per-key exponential backoff it shares with image pulls (§6.3).
 * Immutable: every function takes a `BackoffState` and returns a new one. Times are epoch ms.
 */

import type { Container, Pod } from "../api/Pod.js"
import { EventReason, type KubeletEvent, warningEvent } from "./Events.js"
import { flat } from "./Flat.js"
import { goDuration } from "./GoDuration.js"

/** One key's entry: the current backoff and when it was last advanced (`lastUpdate`). */
export interface BackoffEntry {
  readonly backoffMs: number
  readonly lastUpdateMs: number
}

/** All entries of one backoff (crash loop or image pull), by key. */
export type BackoffState = ReadonlyMap<string, BackoffEntry>

export const emptyBackoff: BackoffState = new Map()

/** Constants of one `flowcontrol.Backoff` plus its expiry rule (`HasExpiredFunc`). */
export interface BackoffPolicy {
  readonly initialMs: number
  readonly maxMs: number
  /** Whether an entry last updated at `lastUpdateMs` is stale for an event at `eventMs`. */
  readonly hasExpired: (eventMs: number, lastUpdateMs: number) => boolean
}

/** Container restarts: 10 s doubling to 300 s; reset when `finishedAt − lastUpdate > 600 s` (strictly). */
export const crashLoopBackOffPolicy: BackoffPolicy = {
  initialMs: 10_000,
  maxMs: 300_000,
  hasExpired: (eventMs, lastUpdateMs) => eventMs - lastUpdateMs > 600_000
}

/** Image pulls: 10 s doubling to 300 s; default expiry `event − lastUpdate > 2 × max`. */
export const imagePullBackOffPolicy: BackoffPolicy = {
  initialMs: 10_000,
  maxMs: 300_000,
  hasExpired: (eventMs, lastUpdateMs) => eventMs - lastUpdateMs > 600_000
}

/** `Backoff.Next`: create the entry at `initial` (or re-init when expired), else double up to `max`; lastUpdate = now. */
export const next = (
  policy: BackoffPolicy,
  state: BackoffState,
  id: string,
  eventMs: number,
  nowMs: number
): BackoffState => {
  const entry = state.get(id)
  const backoffMs =
    entry === undefined || policy.hasExpired(eventMs, entry.lastUpdateMs)
      ? policy.initialMs
      : Math.min(entry.backoffMs * 2, policy.maxMs)
  return new Map(state).set(id, { backoffMs, lastUpdateMs: nowMs })
}

/** `Backoff.IsInBackOffSince`: the entry is live and less than `backoff` has passed since `eventMs`. */
export const isInBackOffSince = (
  policy: BackoffPolicy,
  state: BackoffState,
  id: string,
  eventMs: number,
  nowMs: number
): boolean => {
  const entry = state.get(id)
  if (entry === undefined || policy.hasExpired(eventMs, entry.lastUpdateMs)) return false
  return nowMs - eventMs < entry.backoffMs
}

/** `Backoff.IsInBackOffSinceUpdate`: the entry is live and less than `backoff` has passed since its last update. */
export const isInBackOffSinceUpdate = (
  policy: BackoffPolicy,
  state: BackoffState,
  id: string,
  eventMs: number
): boolean => {
  const entry = state.get(id)
  if (entry === undefined || policy.hasExpired(eventMs, entry.lastUpdateMs)) return false
  return eventMs - entry.lastUpdateMs < entry.backoffMs
}

/** `Backoff.GC`: drops entries not updated for more than `2 × max`. */
export const gc = (policy: BackoffPolicy, state: BackoffState, nowMs: number): BackoffState =>
  new Map([...state].filter(([, entry]) => !(nowMs - entry.lastUpdateMs > 2 * policy.maxMs)))

// ---------------------------------------------------------------------------------------------------------------
// Container spec hash and key

/** FNV-1a 32-bit: offset basis and prime. */
const fnvOffset = 0x811c9dc5
const fnvPrime = 0x01000193

/** `hash` advanced by one byte. */
const fnvByte = (hash: number, byte: number): number => Math.imul(hash ^ byte, fnvPrime) >>> 0

/**
 * `hash` advanced by the UTF-8 bytes of `text`, as `TextEncoder` writes them (a lone surrogate is
 * U+FFFD), without the byte array.
 */
const fnvText = (hash: number, text: string): number => {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) {
      hash = fnvByte(hash, c)
      continue
    }
    if (c < 0x800) {
      hash = fnvByte(fnvByte(hash, 0xc0 | (c >> 6)), 0x80 | (c & 0x3f))
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        const point = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00)
        hash = fnvByte(hash, 0xf0 | (point >> 18))
        hash = fnvByte(hash, 0x80 | ((point >> 12) & 0x3f))
        hash = fnvByte(hash, 0x80 | ((point >> 6) & 0x3f))
        hash = fnvByte(hash, 0x80 | (point & 0x3f))
        i++
        continue
      }
      c = 0xfffd
    }
    hash = fnvByte(fnvByte(fnvByte(hash, 0xe0 | (c >> 12)), 0x80 | ((c >> 6) & 0x3f)), 0x80 | (c & 0x3f))
  }
  return hash
}

/** `hash` advanced by the JSON of string `text` (quoted; escaped by `JSON.stringify` only when it needs escapes). */
const fnvString = (hash: number, text: string): number => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return fnvText(hash, JSON.stringify(text))
  }
  return fnvByte(fnvText(fnvByte(hash, 0x22), text), 0x22)
}

/**
 * `hash` advanced by the key-sorted JSON of `value`, written as it is walked: members whose value
 * is undefined left out; an element or value without JSON (undefined, a function) adds nothing, a
 * member without JSON adds `undefined` (what joining the pieces as strings wrote).
 */
const fnvJson = (hash: number, value: unknown): number => {
  if (Array.isArray(value)) {
    hash = fnvByte(hash, 0x5b) // [
    for (let i = 0; i < value.length; i++) {
      if (i > 0) hash = fnvByte(hash, 0x2c) // ,
      hash = fnvJson(hash, value[i])
    }
    return fnvByte(hash, 0x5d) // ]
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).sort()
    hash = fnvByte(hash, 0x7b) // {
    let first = true
    for (const key of keys) {
      const member = record[key]
      if (member === undefined) continue
      if (!first) hash = fnvByte(hash, 0x2c) // ,
      first = false
      hash = fnvByte(fnvString(hash, key), 0x3a) // :
      hash =
        typeof member === "function" || typeof member === "symbol" ? fnvText(hash, "undefined") : fnvJson(hash, member)
    }
    return fnvByte(hash, 0x7d) // }
  }
  if (typeof value === "string") return fnvString(hash, value)
  const text: string | undefined = JSON.stringify(value)
  return text === undefined ? hash : fnvText(hash, text)
}

/** Hashes by container spec object: specs are immutable values, hashed on every sync. */
const hashes = new WeakMap<Container, string>()

/** Stable hash of a container spec (FNV-1a 32-bit over its key-sorted JSON), lowercase hex (`HashContainer`). */
export const containerHash = (container: Container): string => {
  const cached = hashes.get(container)
  if (cached !== undefined) return cached
  const text = fnvJson(fnvOffset, container).toString(16)
  hashes.set(container, text)
  return text
}

/** What identifies one container's crash-loop entry (`GetStableKey`) and names it in messages. */
export interface ContainerBackoffKey {
  readonly podName: string
  readonly namespace: string
  readonly podUID: string
  readonly containerName: string
  readonly hash: string
}

/** The key of `container` in `pod`, with the hash of its current spec. */
export const containerBackoffKey = (pod: Pod, container: Container): ContainerBackoffKey => ({
  podName: pod.metadata.name ?? "",
  namespace: pod.metadata.namespace ?? "",
  podUID: pod.metadata.uid ?? "",
  containerName: container.name,
  hash: containerHash(container)
})

/** `<podName>_<ns>_<podUID>_<containerName>_<hash>`. */
export const stableKey = (key: ContainerBackoffKey): string =>
  `${key.podName}_${key.namespace}_${key.podUID}_${key.containerName}_${key.hash}`

/** `format.Pod`: `<name>_<namespace>(<uid>)`. */
export const podDescription = (key: {
  readonly podName: string
  readonly namespace: string
  readonly podUID: string
}) => `${key.podName}_${key.namespace}(${key.podUID})`

// ---------------------------------------------------------------------------------------------------------------
// CrashLoopBackOff decision

/** Outcome of a start attempt: start now, or refuse with the `CrashLoopBackOff` waiting message. */
export type BackoffDecision =
  | { readonly _tag: "Start" }
  | {
      readonly _tag: "BackOff"
      /** `back-off 20s restarting failed container=app pod=p_default(U)`: the waiting message. */
      readonly message: string
      /** `Warning BackOff "Back-off restarting failed container app in pod p_default(U)"`. */
      readonly event: KubeletEvent
      readonly backoffMs: number
      /** Time until the backoff expires: `finishedAt + backoff − now`. */
      readonly remainingMs: number
    }

/** One container's crash-loop key with its stable key (`stableKey(key)`). */
export interface ContainerBackoff {
  readonly key: ContainerBackoffKey
  readonly id: string
}

/**
 * The crash-loop key of `container` in `pod` with its stable key. Built per call: a cache per
 * container would keep these strings for every container of every pod (about 2 KB per pod).
 */
export const containerBackoffOf = (pod: Pod, container: Container): ContainerBackoff => {
  const key = containerBackoffKey(pod, container)
  return { key, id: stableKey(key) }
}

/**
 * `decide` for one container's entry (`entry`: its current one, if any): the decision and the entry
 * after it (a new object when the start advanced it, else `entry`).
 */
export const decideEntry = (
  backoff: ContainerBackoff,
  entry: BackoffEntry | undefined,
  exitedFinishedAt: number | undefined,
  now: number
): { readonly decision: BackoffDecision; readonly entry: BackoffEntry | undefined } => {
  if (exitedFinishedAt === undefined) return { decision: start, entry }
  if (
    entry !== undefined &&
    !crashLoopBackOffPolicy.hasExpired(exitedFinishedAt, entry.lastUpdateMs) &&
    now - exitedFinishedAt < entry.backoffMs
  ) {
    const key = backoff.key
    const pod = podDescription(key)
    return {
      decision: {
        _tag: "BackOff",
        message: flat(
          `back-off ${goDuration(entry.backoffMs)} restarting failed container=${key.containerName} pod=${pod}`
        ),
        event: warningEvent(
          EventReason.BackOff,
          `Back-off restarting failed container ${key.containerName} in pod ${pod}`
        ),
        backoffMs: entry.backoffMs,
        remainingMs: exitedFinishedAt + entry.backoffMs - now
      },
      entry
    }
  }
  const backoffMs =
    entry === undefined || crashLoopBackOffPolicy.hasExpired(exitedFinishedAt, entry.lastUpdateMs)
      ? crashLoopBackOffPolicy.initialMs
      : Math.min(entry.backoffMs * 2, crashLoopBackOffPolicy.maxMs)
  return { decision: start, entry: { backoffMs, lastUpdateMs: now } }
}

const start: BackoffDecision = { _tag: "Start" }

/**
 * `doBackOff` at a start attempt of a container whose newest exited instance finished at `exitedFinishedAt`
 * (`undefined` when no instance exited: start, no entry touched). Inside the window ⇒ BackOff; otherwise the entry
 * advances (`next`, event time = finishedAt) and the container starts.
 */
export const decide = (
  state: BackoffState,
  key: ContainerBackoffKey,
  exitedFinishedAt: number | undefined,
  now: number
): { readonly decision: BackoffDecision; readonly state: BackoffState } => {
  if (exitedFinishedAt === undefined) return { decision: start, state }
  const backoff: ContainerBackoff = { key, id: stableKey(key) }
  const entry = state.get(backoff.id)
  const result = decideEntry(backoff, entry, exitedFinishedAt, now)
  return {
    decision: result.decision,
    state: result.entry === entry || result.entry === undefined ? state : new Map(state).set(backoff.id, result.entry)
  }
}
