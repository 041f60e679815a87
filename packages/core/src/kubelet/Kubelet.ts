/**
 * One node's kubelet: watches the pods bound to its node (`spec.nodeName`) through the ObjectStore,
 * listens to its runtime's container events (the PLEG), and runs one pod worker per pod UID. Each
 * sync is a transaction script: `SyncPod` for a running pod, `Terminate` for a deleted, completed or
 * deadline-exceeded one. Syncs are triggered by pod updates, container events, probe results,
 * backoff expiry and the resync period (RTM-2, RTM-3). A crash-loop retry or a sync with nothing
 * to do, when nothing changed since, skips the transaction script (`BackoffFastPath`, `quietSync`).
 */

import type { Scope } from "effect"
import { Clock, Deferred, Effect, Queue, Semaphore, Stream } from "effect"
import type { WatchEvent } from "../api/Meta.js"
import type { Pod } from "../api/Pod.js"
import { kubeletConditionTypes } from "../domain/Conditions.js"
import type { RuntimeEvent, RuntimeNotice } from "../services/ContainerRuntime.js"
import { ContainerRuntime } from "../services/ContainerRuntime.js"
import { EventRecorder } from "../services/EventRecorder.js"
import type { ImageCache } from "../services/ImageService.js"
import { ImageRegistry } from "../services/ImageService.js"
import { ObjectStore } from "../services/ObjectStore.js"
import { BackoffFastPath, retryWithoutSync } from "./BackoffFastPath.js"
import type { KubeletContext } from "./KubeletContext.js"
import { findContainer, memoryOf, recordEvents } from "./KubeletContext.js"
import type { PodWorkers, SyncOutcome } from "./PodWorkers.js"
import { makePodWorkers } from "./PodWorkers.js"
import type { Prober } from "./Prober.js"
import { makeProber } from "./Prober.js"
import { jsonEqual, makeStatusManager } from "./StatusManager.js"
import { quietSync, syncPod } from "./SyncPod.js"
import type { Eviction } from "./Terminate.js"
import { activeDeadlineAt, activeDeadlineExceeded, cleanupPod, terminatePod } from "./Terminate.js"

export interface KubeletOptions {
  readonly nodeName: string
  /** the node's InternalIP (`status.hostIP`) */
  readonly nodeIP: string
  /** the node's image store (shared with its runtime) */
  readonly images: ImageCache
  /** another pod sync handler (the node's eviction manager): the eviction it asks for this pod, if any */
  readonly evictionOf?: (pod: Pod) => Eviction | undefined
  /** crash-loop retries without a pod-worker turn when nothing changed (`BackoffFastPath`); default the reference */
  readonly backoffFastPath?: boolean
}

/** A running kubelet. */
export interface Kubelet {
  readonly nodeName: string
  readonly context: KubeletContext
  readonly prober: Prober
  /** true while work is pending: a pod change not yet seen by the informer, or a wake not yet picked up */
  readonly busy: Effect.Effect<boolean>
  /** the sandbox id of a pod's newest sandbox, if any */
  readonly sandboxOf: (uid: string) => string | undefined
  /** pod syncs run so far, fast-path retries included (benchmarks) */
  readonly syncs: () => number
  /** crash-loop retries done by the fast path (benchmarks) */
  readonly fastSyncs: () => number
  /** syncs that found nothing to do without running `SyncPod` (benchmarks) */
  readonly quietSyncs: () => number
}

/** metadata fields every write moves: not a reason to sync */
const volatileMetadata: ReadonlySet<string> = new Set(["resourceVersion", "managedFields", "generation"])

/** `jsonEqual` of the two metadata without their volatile fields (no copies made). */
const sameMetadata = (a: Pod["metadata"], b: Pod["metadata"]): boolean => {
  if (a === b) return true
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let count = 0
  for (const key in x) {
    const value = x[key]
    if (value === undefined || volatileMetadata.has(key)) continue
    if (!jsonEqual(value, y[key])) return false
    count++
  }
  for (const key in y) if (y[key] !== undefined && !volatileMetadata.has(key)) count--
  return count === 0
}

/** the next condition at or after `i` the kubelet does not own, or the length */
const nextGate = (conditions: ReadonlyArray<{ readonly type: string }>, i: number): number => {
  while (i < conditions.length && kubeletConditionTypes.has(conditions[i]!.type)) i++
  return i
}

/** the conditions the kubelet does not own are the same (type and status, in order) */
const sameGates = (before: Pod, after: Pod): boolean => {
  const a = before.status?.conditions ?? []
  const b = after.status?.conditions ?? []
  if (a === b) return true
  let i = nextGate(a, 0)
  let j = nextGate(b, 0)
  while (i < a.length && j < b.length) {
    if (a[i]!.type !== b[j]!.type || a[i]!.status !== b[j]!.status) return false
    i = nextGate(a, i + 1)
    j = nextGate(b, j + 1)
  }
  return i === a.length && j === b.length
}

/**
 * Whether an update must reach the pod worker (`config.go` `checkAndUpdatePod`): a change of spec or
 * metadata does; a status-only change does not, unless a condition the kubelet does not own changed
 * (readiness gates, `NeedToReconcilePodReadiness`).
 */
export const needsSync = (before: Pod, after: Pod): boolean =>
  !jsonEqual(before.spec, after.spec) || !sameMetadata(before.metadata, after.metadata) || !sameGates(before, after)

/** Starts a kubelet in the current scope. */
export const makeKubelet = Effect.fnUntraced(function* (
  options: KubeletOptions
): Effect.fn.Return<Kubelet, never, Scope.Scope | ObjectStore | ContainerRuntime | ImageRegistry | EventRecorder> {
  const store = yield* ObjectStore
  const clock = yield* Clock.Clock
  const runtime = yield* ContainerRuntime
  const registry = yield* ImageRegistry
  const recorder = yield* EventRecorder
  const pullSemaphore = yield* Semaphore.make(1)
  const events = recorder.filtered
  const revision = runtime.podRevisionUnsafe
  const fastPath =
    (options.backoffFastPath ?? (yield* BackoffFastPath)) && events !== undefined && revision !== undefined
      ? { events, revisions: { podRevisionUnsafe: revision } }
      : undefined
  const sandboxes = new Map<string, string>()
  let workers: PodWorkers | undefined
  let prober: Prober | undefined

  const ctx: KubeletContext = {
    nodeName: options.nodeName,
    nodeIP: options.nodeIP,
    store,
    runtime,
    registry,
    images: options.images,
    recorder,
    status: makeStatusManager(store, (uid) => ctx.pods.get(uid)),
    pods: new Map(),
    memory: new Map(),
    probeResults: new Map(),
    crashBackoff: new Map(),
    imageBackoff: new Map(),
    wake: (uid) => (workers === undefined ? Effect.void : workers.wake(uid)),
    pullLock: (effect) => pullSemaphore.withPermits(1)(effect),
    sandboxes,
    prober: {
      sync: (pod) => (prober === undefined ? Effect.void : prober.sync(pod)),
      remove: (uid) => (prober === undefined ? Effect.void : prober.remove(uid)),
      hasProbes: (spec) => prober?.hasProbes(spec) ?? true
    },
    ...(fastPath !== undefined ? { fastPath } : {})
  }

  /** The pod as the prober sees it: the API object with the kubelet's latest generated status. */
  const latestPod = (uid: string): Pod | undefined => {
    const pod = ctx.pods.get(uid)
    if (pod === undefined) return undefined
    const status = ctx.memory.get(uid)?.status
    return status !== undefined ? { ...pod, status } : pod
  }
  prober = yield* makeProber(ctx, latestPod, (uid) => sandboxes.get(uid))

  let quietSyncs = 0
  const done: SyncOutcome = { done: true }
  /** the outcome with the active deadline as the latest next sync */
  const withDeadline = (pod: Pod, outcome: SyncOutcome): SyncOutcome => {
    const deadlineAt = activeDeadlineAt(ctx, pod)
    if (outcome.done || deadlineAt === undefined) return outcome
    return { done: false, nextSyncAt: Math.min(outcome.nextSyncAt ?? deadlineAt, deadlineAt) }
  }
  const sync = (uid: string): Effect.Effect<SyncOutcome> =>
    Effect.suspend(() => {
      const pod = ctx.pods.get(uid)
      const remembered = ctx.memory.get(uid)
      if (remembered !== undefined) remembered.backoffOnly = undefined
      if (pod === undefined) return cleanupPod(ctx, uid)
      const memory = remembered ?? memoryOf(ctx, uid)
      if (memory.terminated) {
        return pod.metadata.deletionTimestamp !== undefined
          ? Effect.as(ctx.status.confirmDeletion(pod), done)
          : Effect.succeed(done)
      }
      if (pod.metadata.deletionTimestamp !== undefined) return terminatePod(ctx, pod, undefined)
      const now = clock.currentTimeMillisUnsafe()
      const deadline = options.evictionOf?.(pod) ?? activeDeadlineExceeded(ctx, pod, now)
      if (deadline !== undefined) return terminatePod(ctx, pod, deadline)
      const quiet = quietSync(ctx, pod, now)
      if (quiet !== undefined) {
        quietSyncs++
        return Effect.succeed(withDeadline(pod, quiet))
      }
      return Effect.map(syncPod(ctx, pod), (outcome) => withDeadline(pod, outcome))
    })

  /** a timed sync without a worker turn: the next sync time when the last one only met backoffs and nothing changed */
  const retry =
    fastPath === undefined
      ? undefined
      : (uid: string, now: number): number | undefined => {
          const memory = ctx.memory.get(uid)
          const last = memory?.backoffOnly
          if (last === undefined || options.evictionOf?.(last.pod) !== undefined) return undefined
          return retryWithoutSync(
            last,
            ctx.pods.get(uid),
            memory?.status,
            fastPath.revisions.podRevisionUnsafe(uid),
            now,
            fastPath.events
          )
        }

  workers = yield* makePodWorkers(sync, retry)
  const podWorkers = workers

  const isMine = (pod: Pod): boolean => pod.spec?.nodeName === options.nodeName

  /** One informer change: the cache follows it and the pod's worker is woken when it must sync. */
  const apply = (type: "ADDED" | "MODIFIED" | "DELETED", pod: Pod): void => {
    const uid = pod.metadata?.uid
    if (uid === undefined) return
    const cached = ctx.pods.get(uid)
    if (type === "DELETED" || !isMine(pod)) {
      if (cached === undefined) return
      ctx.pods.delete(uid)
    } else {
      if (cached !== undefined && cached.metadata.resourceVersion === pod.metadata.resourceVersion) return
      ctx.pods.set(uid, pod)
      memoryOf(ctx, uid).pod = pod
      if (cached !== undefined && !needsSync(cached, pod)) return
    }
    podWorkers.wakeUnsafe(uid)
  }

  /** one batch of the pod watch */
  const receive = (events: ReadonlyArray<WatchEvent<Pod>>): void => {
    for (const event of events) {
      if (event.type === "ADDED" || event.type === "MODIFIED" || event.type === "DELETED") {
        apply(event.type, event.object)
      }
    }
  }

  // only this node's pods (the API server's `spec.nodeName` field selector, as the kubelet's own watch)
  const selector = { fieldSelector: `spec.nodeName=${options.nodeName}` }

  /**
   * The reflector's ListAndWatch: list, bring the cache to the list (a pod missing from it was
   * deleted meanwhile), then watch from the list's resourceVersion. A watch that ends (`Expired`
   * once it fell behind the history window) is followed by another list and watch, so no change is lost.
   */
  const listAndWatch = Effect.gen(function* () {
    const listed = yield* store.list<Pod>("pods", selector)
    const present = new Set<string>()
    for (const pod of listed.items) {
      present.add(pod.metadata.uid ?? "")
      apply("MODIFIED", pod)
    }
    const gone = [...ctx.pods.values()].filter((pod) => !present.has(pod.metadata.uid ?? ""))
    for (const pod of gone) apply("DELETED", pod)
    const options = { ...selector, resourceVersion: listed.resourceVersion }
    const observe = store.observe
    if (observe === undefined) {
      return yield* store
        .watch<Pod>("pods", options)
        .pipe(Stream.runForEachArray((events) => Effect.sync(() => receive(events))))
    }
    // the store's callback face: each batch handled where it is delivered, no fiber for the watch
    const ended = yield* Deferred.make<never, unknown>()
    yield* Effect.scoped(
      Effect.andThen(
        observe<Pod>("pods", options, {
          onEvents: receive,
          onEnd: (error) => {
            Deferred.doneUnsafe(ended, Effect.fail(error))
          }
        }),
        Deferred.await(ended)
      )
    )
  })

  yield* listAndWatch.pipe(
    Effect.catchCause((cause) => Effect.logWarning("kubelet pod watch ended, re-listing", options.nodeName, cause)),
    Effect.forever,
    Effect.forkScoped({ startImmediately: true })
  )

  /** A runtime notice becomes an Event on the pod (and its container), like the kubelet's own. */
  const recordNotice = (uid: string, notice: RuntimeNotice): Effect.Effect<void> => {
    const pod = ctx.pods.get(uid) ?? ctx.memory.get(uid)?.pod
    if (pod === undefined) return Effect.void
    const container = notice.container === undefined ? undefined : findContainer(pod, notice.container)
    return recordEvents(ctx, pod, container, [{ type: notice.type, reason: notice.reason, message: notice.message }])
  }

  /** the runtime events from `from` on, in order: a container event wakes the pod's worker, a notice is recorded */
  const onRuntimeEvents = (events: ReadonlyArray<RuntimeEvent>, from: number): Effect.Effect<void> => {
    for (let i = from; i < events.length; i++) {
      const event = events[i]!
      if (event.notice === undefined) podWorkers.wakeUnsafe(event.podUid)
      else {
        const recorded = recordNotice(event.podUid, event.notice)
        return i + 1 === events.length
          ? recorded
          : Effect.andThen(
              recorded,
              Effect.suspend(() => onRuntimeEvents(events, i + 1))
            )
      }
    }
    return Effect.void
  }

  const observeEvents = runtime.observeEvents
  if (observeEvents === undefined) {
    yield* runtime.events.pipe(
      Stream.runForEachArray((events) => Effect.suspend(() => onRuntimeEvents(events, 0))),
      Effect.forkScoped({ startImmediately: true })
    )
  } else {
    // the runtime's callback face: a container event wakes its pod's worker where it is published;
    // notices (which record Events) go, in order, to one fiber
    const notices = yield* Queue.unbounded<RuntimeEvent>()
    yield* Stream.fromQueue(notices).pipe(
      Stream.runForEachArray((events) => Effect.suspend(() => onRuntimeEvents(events, 0))),
      Effect.forkScoped({ startImmediately: true })
    )
    yield* observeEvents((events) => {
      for (const event of events) {
        if (event.notice === undefined) podWorkers.wakeUnsafe(event.podUid)
        else Queue.offerUnsafe(notices, event)
      }
    })
  }

  /** the store's resourceVersion at which the informer was last found in sync with it */
  let syncedAt: string | undefined
  const busy = Effect.gen(function* () {
    if (podWorkers.busy()) return true
    const version = yield* store.resourceVersion
    if (version === syncedAt) return false
    const listed = yield* store.list<Pod>("pods").pipe(Effect.orElseSucceed(() => undefined))
    if (listed === undefined) return false
    let mine = 0
    for (const pod of listed.items) {
      if (!isMine(pod)) continue
      mine++
      const cached = ctx.pods.get(pod.metadata.uid ?? "")
      if (cached === undefined || cached.metadata.resourceVersion !== pod.metadata.resourceVersion) return true
    }
    if (mine !== ctx.pods.size) return true
    syncedAt = version
    return false
  })

  return {
    nodeName: options.nodeName,
    context: ctx,
    prober: ctx.prober,
    busy,
    sandboxOf: (uid) => sandboxes.get(uid),
    syncs: podWorkers.syncs,
    fastSyncs: podWorkers.fastSyncs,
    quietSyncs: () => quietSyncs
  }
})
