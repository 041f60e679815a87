/**
 * `SyncPod` for a pod that should be running (`kuberuntime_manager.go` SyncPod, steps numbered as
 * there): executes the pure plan of `domain/PodActions.computePodActions` through the runtime, then
 * publishes the status that includes the results of this sync's actions (RTM-4). A start attempt
 * goes through the crash-loop backoff, the image manager, the container config, create, start and
 * the postStart hook; a failure is remembered as the container's waiting reason.
 */
import { Clock, Effect } from "effect"
import type { Container, Pod, PodStatus } from "../api/Pod.js"
import { containerBackoffOf, containerHash, decideEntry } from "../domain/Backoff.js"
import type { KubeletEvent } from "../domain/Events.js"
import { EventReason, normalEvent, warningEvent } from "../domain/Events.js"
import { isTerminalPhase } from "../domain/Phase.js"
import type { PodActions } from "../domain/PodActions.js"
import { computePodActions } from "../domain/PodActions.js"
import type { ContainerInstance, RuntimeSnapshot } from "../domain/RuntimeSnapshot.js"
import { instancesOf, latestExitedInstance, latestInstance } from "../domain/RuntimeSnapshot.js"
import type { BackoffOnlySync } from "./BackoffFastPath.js"
import type { PodObjects } from "./ContainerConfig.js"
import { containerConfig, isConfigError, sandboxConfig, sandboxVolumes } from "./ContainerConfig.js"
import { runHook } from "./Hooks.js"
import { ensureImageExists } from "./ImageManager.js"
import { killContainer } from "./KillContainer.js"
import type { KubeletContext, PodMemory, StartFailure } from "./KubeletContext.js"
import {
  allContainers,
  eventRecord,
  findContainer,
  memoryOf,
  podObjects,
  recordEvents,
  snapshotOf
} from "./KubeletContext.js"
import { apiContainerId, runtimeId } from "./PodRuntime.js"
import type { SyncOutcome } from "./PodWorkers.js"
import { adoptStored, cachedStatusStands, publishStatus, sameProbes } from "./PublishStatus.js"
import { activeDeadlineAt, killPodContainers } from "./Terminate.js"

/** Retry after a failed start (K-workers `backOffPeriod`, RTM-3). */
export const retryPeriodMillis = 10_000
/** The pod resync (K-workers `resyncInterval`, without jitter). */
export const resyncPeriodMillis = 60_000

/** The result of one start attempt. */
type StartResult =
  | { readonly _tag: "Started" }
  /**
   * refused: the next attempt is due at `retryAt` (backoff expiry) or the retry period; `created`
   * when a container instance was created before the failure
   */
  | {
      readonly _tag: "Failed"
      readonly retryAt?: number
      readonly created?: boolean
      /** refused by the crash-loop backoff: the `BackOff` event recorded */
      readonly backoff?: KubeletEvent
    }

const failed = (
  ctx: KubeletContext,
  uid: string,
  name: string,
  failure: StartFailure,
  created = false
): StartResult => {
  memoryOf(ctx, uid).reasons.set(name, failure)
  return created ? { _tag: "Failed", created } : { _tag: "Failed" }
}

/**
 * `startContainer` with `doBackOff` in front (K-mgr): backoff, image, config, create, start,
 * postStart. `snapshot` is the pre-kill snapshot of this sync (the backoff measures from the newest
 * exited instance in it).
 */
const startContainer = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  pod: Pod,
  container: Container,
  snapshot: RuntimeSnapshot,
  sandboxId: string,
  objects: PodObjects,
  beforePull: Effect.Effect<void>
): Effect.fn.Return<StartResult> {
  const uid = pod.metadata.uid ?? ""
  const name = container.name
  const now = yield* Clock.currentTimeMillis
  // doBackOff
  const exited = latestExitedInstance(snapshot, name)
  // the node's crash-loop backoff as seen by this container: its entry only (the decision reads no other)
  const keyed = containerBackoffOf(pod, container)
  const entry = ctx.crashBackoff.get(keyed.id)
  const backoff = decideEntry(keyed, entry, exited?.finishedAt, now)
  if (backoff.decision._tag === "Start" && exited !== undefined && backoff.entry !== undefined) {
    ctx.crashBackoff.set(keyed.id, backoff.entry)
  }
  if (backoff.decision._tag === "BackOff") {
    yield* recordEvents(ctx, pod, container, [backoff.decision.event])
    memoryOf(ctx, uid).reasons.set(name, { reason: "CrashLoopBackOff", message: backoff.decision.message })
    return { _tag: "Failed", retryAt: now + backoff.decision.remainingMs, backoff: backoff.decision.event }
  }
  // 1. image
  const image = yield* ensureImageExists(ctx, pod, container, beforePull)
  if (image._tag === "Failed") return failed(ctx, uid, name, image.failure)
  // 2. config and create
  const restartCount = (() => {
    const latest = latestInstance(snapshot, name)
    return latest === undefined ? 0 : latest.restartCount + 1
  })()
  const ip = memoryOf(ctx, uid).podIP
  const withIPs: Pod =
    ip === undefined
      ? pod
      : {
          ...pod,
          status: { ...pod.status, podIP: ip, podIPs: [{ ip }], hostIP: ctx.nodeIP, hostIPs: [{ ip: ctx.nodeIP }] }
        }
  const config = containerConfig(withIPs, container, objects, restartCount, containerHash(container))
  if (isConfigError(config)) {
    yield* recordEvents(ctx, pod, container, [warningEvent(EventReason.Failed, `Error: ${config.message}`)])
    return failed(ctx, uid, name, { reason: "CreateContainerConfigError", message: config.message })
  }
  const created = yield* ctx.runtime
    .createContainer(sandboxId, { ...config, image: image.info.ref })
    .pipe(Effect.result)
  if (created._tag === "Failure") {
    yield* recordEvents(ctx, pod, container, [warningEvent(EventReason.Failed, `Error: ${created.failure.message}`)])
    return failed(ctx, uid, name, { reason: "CreateContainerError", message: created.failure.message })
  }
  const id = created.success
  yield* recordEvents(ctx, pod, container, [normalEvent(EventReason.Created, `Created container: ${name}`)])
  // 3. start
  const started = yield* ctx.runtime.startContainer(id).pipe(Effect.result)
  if (started._tag === "Failure") {
    yield* recordEvents(ctx, pod, container, [warningEvent(EventReason.Failed, `Error: ${started.failure.message}`)])
    return failed(ctx, uid, name, { reason: "RunContainerError", message: started.failure.message }, true)
  }
  yield* recordEvents(ctx, pod, container, [normalEvent(EventReason.Started, `Started container ${name}`)])
  // 4. postStart hook
  const postStart = container.lifecycle?.postStart
  if (postStart !== undefined) {
    const error = yield* runHook(ctx, pod, container, apiContainerId(id), postStart, 30)
    if (error !== undefined) {
      yield* recordEvents(ctx, pod, container, [warningEvent(EventReason.FailedPostStartHook, "PostStartHook failed")])
      yield* killContainer(ctx, pod, container, apiContainerId(id), pod.spec.terminationGracePeriodSeconds ?? 30, {
        message: "FailedPostStartHook"
      })
      return failed(ctx, uid, name, { reason: "PostStartHookError", message: error }, true)
    }
  }
  memoryOf(ctx, uid).reasons.delete(name)
  return { _tag: "Started" }
})

/**
 * `computePodActions` for the pod and snapshot, reusing the pod's last plan when its inputs are the
 * same: the same spec object and deletion fields (all the plan reads of the pod, so a status write
 * does not plan again), the same snapshot, the same probe results (a crash-loop retry's quiet-sync
 * check and its full sync, the retry after a sync that wrote the status).
 */
export const podActionsOf = (ctx: KubeletContext, pod: Pod, snapshot: RuntimeSnapshot): PodActions => {
  const memory = memoryOf(ctx, pod.metadata.uid ?? "")
  const last = memory.actions
  const { deletionTimestamp, deletionGracePeriodSeconds } = pod.metadata
  if (
    last !== undefined &&
    last.spec === pod.spec &&
    last.deletionTimestamp === deletionTimestamp &&
    last.deletionGracePeriodSeconds === deletionGracePeriodSeconds &&
    last.snapshot === snapshot &&
    sameProbes(ctx, last.probes, snapshot)
  ) {
    return last.actions
  }
  const actions = computePodActions(pod, snapshot, ctx.probeResults)
  memory.actions = {
    spec: pod.spec,
    deletionTimestamp,
    deletionGracePeriodSeconds,
    snapshot,
    probes: snapshot.containers.map((c) => ctx.probeResults.get(c.id)),
    actions
  }
  return actions
}

/** Ids of running instances in the snapshot, for the pod kill. */
const runningIds = (snapshot: RuntimeSnapshot): ReadonlyArray<string> =>
  snapshot.containers.filter((c) => c.state === "running").map((c) => c.id)

/**
 * Container garbage collection (`MaxPerPodContainer = 1`): each container keeps its newest instance
 * and the one before it (the `lastState` and `logs --previous`); older exited instances are dead.
 * With `renewed` (the containers given a new instance since `snapshot` was taken), their instances
 * in `snapshot` beyond the newest are dead too (the new one is newer than all of them).
 */
const deadInstances = (
  snapshot: RuntimeSnapshot,
  renewed: ReadonlySet<string> | undefined
): ReadonlyArray<ContainerInstance> => {
  const dead: Array<ContainerInstance> = []
  if (snapshot.containers.length <= (renewed === undefined ? 2 : 1)) return dead
  const names = new Set<string>()
  for (const c of snapshot.containers) names.add(c.name)
  for (const name of names) {
    const instances = instancesOf(snapshot, name)
    for (let i = renewed?.has(name) === true ? 1 : 2; i < instances.length; i++) {
      if (instances[i]!.state === "exited") dead.push(instances[i]!)
    }
  }
  return dead
}

/** Removes the instances (and their probe results) from the runtime. */
const removeInstances = Effect.fnUntraced(function* (ctx: KubeletContext, dead: ReadonlyArray<ContainerInstance>) {
  for (const old of dead) {
    ctx.probeResults.delete(old.id)
    yield* ctx.runtime.removeContainer(runtimeId(old.id))
  }
})

/** One sync of a pod that should run. */
export const syncPod = (ctx: KubeletContext, pod: Pod): Effect.Effect<SyncOutcome> =>
  Effect.suspend(() => {
    const memory = memoryOf(ctx, pod.metadata.uid ?? "")
    const last = lastBackoffOnly.get(memory)
    if (last !== undefined) lastBackoffOnly.delete(memory)
    const repeated = last === undefined ? undefined : repeatBackoffOnly(ctx, pod, memory, last)
    return repeated ?? fullSync(ctx, pod)
  })

const fullSync = Effect.fnUntraced(function* (ctx: KubeletContext, pod: Pod): Effect.fn.Return<SyncOutcome> {
  const uid = pod.metadata.uid ?? ""
  const memory = memoryOf(ctx, uid)
  const now = yield* Clock.currentTimeMillis
  if (memory.startTime === undefined) memory.startTime = now
  const publish = publishStatus(ctx, pod, { podIsTerminal: false })

  // Step 1: compute sandbox and container changes.
  const revision = ctx.fastPath?.revisions.podRevisionUnsafe(uid)
  const snapshot = yield* snapshotOf(ctx, uid)
  const actions: PodActions = podActionsOf(ctx, pod, snapshot)
  if (actions.createSandbox && actions.sandboxId !== undefined) {
    yield* recordEvents(ctx, pod, undefined, [
      normalEvent(EventReason.SandboxChanged, "Pod sandbox changed, it will be killed and re-created.")
    ])
  }

  // Step 2: kill the pod if the sandbox has changed, or nothing is left to run.
  if (actions.killPod) {
    if (runningIds(snapshot).length > 0) {
      yield* killPodContainers(ctx, pod, snapshot, pod.spec.terminationGracePeriodSeconds ?? 30)
    }
    if (actions.sandboxId !== undefined) yield* ctx.runtime.stopPodSandbox(actions.sandboxId)
    if (!actions.createSandbox) {
      const status = yield* publish
      if (isTerminalPhase(status.phase)) {
        memory.terminated = true
        yield* ctx.prober.remove(uid)
        return { done: true }
      }
      return { done: false, nextSyncAt: now + resyncPeriodMillis }
    }
  }

  // Step 3: kill any running containers the plan does not keep.
  for (const kill of actions.containersToKill) {
    const container = findContainer(pod, kill.name)
    yield* killContainer(ctx, pod, container, kill.containerId, kill.gracePeriodSeconds, { message: kill.message })
  }

  const objects = yield* podObjects(ctx, pod)

  // Step 4: create a sandbox if necessary.
  let sandboxId = actions.sandboxId
  if (actions.createSandbox) {
    const volumes = sandboxVolumes(pod, objects)
    if (isConfigError(volumes)) {
      for (const container of allContainers(pod)) {
        memory.reasons.set(container.name, { reason: "CreateContainerConfigError", message: volumes.message })
      }
      yield* recordEvents(ctx, pod, undefined, [warningEvent(EventReason.Failed, `Error: ${volumes.message}`)])
      yield* publish
      return { done: false, nextSyncAt: now + retryPeriodMillis }
    }
    const sandbox = yield* ctx.runtime.runPodSandbox(sandboxConfig(pod, volumes)).pipe(Effect.result)
    if (sandbox._tag === "Failure") {
      yield* recordEvents(ctx, pod, undefined, [
        warningEvent("FailedCreatePodSandBox", `Failed to create pod sandbox: ${sandbox.failure.message}`)
      ])
      yield* publish
      return { done: false, nextSyncAt: now + retryPeriodMillis }
    }
    sandboxId = sandbox.success.id
    memory.podIP = sandbox.success.ip
    memory.reasons.clear()
  }
  if (sandboxId !== undefined) ctx.sandboxes.set(uid, sandboxId)

  // Steps 5–7: start init containers (and sidecars), then regular containers, in spec order.
  let retryAt: number | undefined
  /** start attempts, and the BackOff events of those the crash-loop backoff refused */
  let attempts = 0
  const backoffs: Array<readonly [Container, KubeletEvent, number]> = []
  /** an instance was created: dead ones may now be beyond the previous one */
  let created = false
  /** the containers given a new instance */
  const renewed = new Set<string>()
  /** something was done to the runtime (or an image pulled) since the step-1 snapshot */
  let touched = actions.containersToKill.length > 0 || actions.createSandbox
  const initContainers = pod.spec.initContainers ?? []
  const starts = actions.initContainersToStart.length + actions.containersToStart.length
  for (let i = 0; i < starts && sandboxId !== undefined; i++) {
    const container =
      i < actions.initContainersToStart.length
        ? initContainers[actions.initContainersToStart[i]!]
        : pod.spec.containers[actions.containersToStart[i - actions.initContainersToStart.length]!]
    if (container === undefined) continue
    const result = yield* startContainer(ctx, pod, container, snapshot, sandboxId, objects, Effect.asVoid(publish))
    attempts++
    if (result._tag === "Failed" && result.backoff !== undefined && result.retryAt !== undefined) {
      backoffs.push([container, result.backoff, result.retryAt])
    }
    if (result._tag === "Started" || result.created === true) {
      created = true
      renewed.add(container.name)
    }
    // only a start refused by the crash-loop backoff leaves the runtime as the snapshot saw it
    if (result._tag === "Started" || result.retryAt === undefined || result.created === true) touched = true
    if (result._tag === "Failed") {
      const at = yield* Clock.currentTimeMillis
      const next = Math.min(at + retryPeriodMillis, result.retryAt ?? Number.POSITIVE_INFINITY)
      retryAt = retryAt === undefined ? next : Math.min(retryAt, next)
    }
  }

  // Step 8: drop the instances the new ones pushed beyond the previous one (no status shows them), then
  // publish the status with this sync's results (from a snapshot without them).
  if (created) yield* removeInstances(ctx, deadInstances(snapshot, renewed))
  const status = yield* touched ? publish : publishStatus(ctx, pod, { podIsTerminal: false }, snapshot)
  yield* ctx.prober.sync(pod)
  // dead instances the published snapshot still shows (the runtime moved during the sync)
  const late = created ? deadInstances(memory.snapshot ?? snapshot, undefined) : []
  if (late.length > 0) yield* removeInstances(ctx, late)
  const after = yield* Clock.currentTimeMillis
  // a status just written (or dead instances removed): the next sync finds the cached status standing (`quietSync`)
  if (ctx.fastPath !== undefined && memory.stored !== undefined && (memory.stored !== pod || created)) {
    if (late.length > 0) yield* snapshotOf(ctx, uid)
    adoptStored(ctx, memory.stored, { podIsTerminal: false }, after)
  }
  if (!touched && attempts > 0 && backoffs.length === attempts && after === now && revision !== undefined) {
    rememberBackoffOnly(ctx, pod, status, revision, backoffs, after)
  }
  return { done: false, nextSyncAt: retryAt ?? after + resyncPeriodMillis }
})

/**
 * The outcome of a sync of `pod` at `now` that would find nothing to do (`BackoffFastPath` on):
 * the runtime unchanged since the last snapshot, an empty plan for it (no kill, sandbox or start,
 * the sandbox known), the cached status standing, no probes. Undefined: run `syncPod`.
 */
export const quietSync = (ctx: KubeletContext, pod: Pod, now: number): SyncOutcome | undefined => {
  const fastPath = ctx.fastPath
  const uid = pod.metadata.uid ?? ""
  const memory = ctx.memory.get(uid)
  const snapshot = memory?.snapshot
  if (
    fastPath === undefined ||
    memory === undefined ||
    snapshot === undefined ||
    memory.startTime === undefined ||
    memory.snapshotRevision === undefined ||
    fastPath.revisions.podRevisionUnsafe(uid) !== memory.snapshotRevision ||
    ctx.prober.hasProbes(pod.spec)
  ) {
    return undefined
  }
  const actions = podActionsOf(ctx, pod, snapshot)
  if (
    actions.killPod ||
    actions.createSandbox ||
    actions.containersToKill.length > 0 ||
    actions.initContainersToStart.length > 0 ||
    actions.containersToStart.length > 0 ||
    actions.sandboxId === undefined ||
    ctx.sandboxes.get(uid) !== actions.sandboxId ||
    !cachedStatusStands(ctx, pod, { podIsTerminal: false })
  ) {
    return undefined
  }
  memory.stored = pod
  return { done: false, nextSyncAt: now + resyncPeriodMillis }
}

/**
 * Remembers a sync that only met crash-loop backoffs (`BackoffFastPath`), when a retry with the
 * same inputs would be the same: the runtime unchanged during the sync, the informer copy the one
 * synced and published, the status at its fixed point and confirmed in the store, no probes.
 */
const rememberBackoffOnly = (
  ctx: KubeletContext,
  pod: Pod,
  status: PodStatus,
  revision: number,
  backoffs: ReadonlyArray<readonly [Container, KubeletEvent, number]>,
  now: number
): void => {
  const fastPath = ctx.fastPath
  const uid = pod.metadata.uid ?? ""
  const memory = memoryOf(ctx, uid)
  // the API object after this sync's publish: the informer's copy, or the status write not yet seen by it
  const stored = memory.stored
  const cached = ctx.pods.get(uid)
  if (
    fastPath === undefined ||
    revision < 0 ||
    fastPath.revisions.podRevisionUnsafe(uid) !== revision ||
    memory.status !== status ||
    stored === undefined ||
    (cached !== stored && cached !== pod) ||
    !ctx.status.isConfirmed(stored, status) ||
    ctx.prober.hasProbes(pod.spec) ||
    !adoptStored(ctx, stored, { podIsTerminal: false }, now)
  ) {
    return
  }
  let expiresAt = Number.POSITIVE_INFINITY
  for (const [, , at] of backoffs) expiresAt = Math.min(expiresAt, at)
  const refused = backoffs.map(([container, event]) => [container, event] as const)
  const sync: BackoffOnlySync = {
    pod: stored,
    status,
    revision,
    events: refused.map(([container, event]) =>
      fastPath.events.prepareEventUnsafe(eventRecord(ctx, pod, container, event))
    ),
    expiresAt,
    deadlineAt: activeDeadlineAt(ctx, pod)
  }
  memory.backoffOnly = sync
  lastBackoffOnly.set(memory, { sync, refused })
}

/** The last sync that only met crash-loop backoffs, and the containers it refused with their `BackOff` events. */
interface LastBackoffOnly {
  readonly sync: BackoffOnlySync
  readonly refused: ReadonlyArray<readonly [Container, KubeletEvent]>
}

/**
 * The last backoff-only sync of each pod (by its memory), kept for the next `syncPod` only: the worker
 * clears `PodMemory.backoffOnly` before every sync, this entry is dropped by every `syncPod`.
 */
const lastBackoffOnly = new WeakMap<PodMemory, LastBackoffOnly>()

/**
 * A sync that would repeat the last backoff-only one (`BackoffFastPath` on): the same inputs as
 * `retryWithoutSync` checks (informer copy, generated status, runtime revision, backoff window,
 * active deadline), but with a `BackOff` occurrence the spam filter lets through. It records the
 * occurrences through the recorder (the Event write), as the full sync would, and asks for the
 * same next sync; the full sync would find the same plan, refusals, status and store. Undefined:
 * run the full sync.
 */
const repeatBackoffOnly = (
  ctx: KubeletContext,
  pod: Pod,
  memory: PodMemory,
  last: LastBackoffOnly
): Effect.Effect<SyncOutcome> | undefined => {
  const fastPath = ctx.fastPath
  const uid = pod.metadata.uid ?? ""
  const sync = last.sync
  if (
    fastPath === undefined ||
    pod !== sync.pod ||
    ctx.pods.get(uid) !== pod ||
    memory.status !== sync.status ||
    memory.startTime === undefined ||
    fastPath.revisions.podRevisionUnsafe(uid) !== sync.revision ||
    !ctx.status.isConfirmed(pod, sync.status) ||
    ctx.prober.hasProbes(pod.spec)
  ) {
    return undefined
  }
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    if (now >= sync.expiresAt || (sync.deadlineAt !== undefined && now >= sync.deadlineAt)) return fullSync(ctx, pod)
    const record = Effect.forEach(last.refused, ([container, event]) => recordEvents(ctx, pod, container, [event]), {
      discard: true
    })
    return Effect.map(record, (): SyncOutcome => {
      memory.stored = pod
      const again: BackoffOnlySync = {
        ...sync,
        events: last.refused.map(([container, event]) =>
          fastPath.events.prepareEventUnsafe(eventRecord(ctx, pod, container, event))
        )
      }
      memory.backoffOnly = again
      lastBackoffOnly.set(memory, { sync: again, refused: last.refused })
      return { done: false, nextSyncAt: Math.min(now + retryPeriodMillis, sync.expiresAt) }
    })
  })
}
