/**
 * The terminating and terminated stages of a pod (`pod_workers.go` SyncTerminatingPod /
 * SyncTerminatedPod; spec pod-lifecycle §5.4, §9): kill every container (app containers in
 * parallel, sidecars last in reverse spec order, each within what is left of the grace period and
 * never under 2 s), stop the sandbox, write the terminal phase, then confirm a deletion by removing
 * the API object with grace 0. A pod that vanished from the API (force delete) is cleaned up with
 * the minimum stop window. `activeDeadlineSeconds` ends a pod as Failed / DeadlineExceeded.
 */
import { Deferred, Effect } from "effect"
import type { Pod } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import type { RuntimeSnapshot } from "../domain/RuntimeSnapshot.js"
import { killContainer, killContainerInTurn } from "./KillContainer.js"
import type { KubeletContext } from "./KubeletContext.js"
import { findContainer, memoryOf, snapshotOf } from "./KubeletContext.js"
import { runtimeId } from "./PodRuntime.js"
import type { SyncOutcome } from "./PodWorkers.js"
import { publishStatus } from "./PublishStatus.js"

/** An eviction by a pod sync handler: the pod ends Failed with this reason and message. */
export interface Eviction {
  readonly reason: string
  readonly message: string
  /** kill with this grace period instead of the pod's (node-pressure eviction: 0, so the 2 s minimum) */
  readonly gracePeriodSeconds?: number
  /** a `DisruptionTarget=True` condition reason to add (`TerminationByKubelet`), with the same message */
  readonly disruptionReason?: string
}

/** `activeDeadlineHandler.ShouldEvict` (K-deadline): the pod ran longer than `activeDeadlineSeconds`. */
export const activeDeadlineExceeded = (ctx: KubeletContext, pod: Pod, now: number): Eviction | undefined => {
  const deadline = pod.spec.activeDeadlineSeconds
  if (deadline === undefined) return undefined
  const start = memoryOf(ctx, pod.metadata.uid ?? "").startTime
  if (start === undefined) return undefined
  if (now - start < deadline * 1000) return undefined
  return { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" }
}

/** When the active deadline of `pod` expires, if it has one (epoch ms). */
export const activeDeadlineAt = (ctx: KubeletContext, pod: Pod): number | undefined => {
  const deadline = pod.spec.activeDeadlineSeconds
  if (deadline === undefined) return undefined
  const start = memoryOf(ctx, pod.metadata.uid ?? "").startTime
  return start === undefined ? undefined : start + deadline * 1000
}

type Instance = RuntimeSnapshot["containers"][number]

/** the position of `name` among the pod's init containers when it is a sidecar, else -1 */
const sidecarIndexOf = (pod: Pod, name: string): number => {
  const initContainers = pod.spec.initContainers ?? []
  const i = initContainers.findIndex((c) => c.name === name)
  return i >= 0 && isSidecar(initContainers[i]!) ? i : -1
}

/**
 * `killPodWithSyncResult` with the termination ordering of K-term: every running container gets its
 * `Killing` event and preStop at once; app (and regular init) containers are stopped in parallel;
 * each sidecar waits until every app container and every later sidecar has exited. Without a
 * running sidecar nothing waits for a turn: the containers are killed at once (one: inline), as
 * `killPodContainersInTurn` would.
 */
export const killPodContainers = (
  ctx: KubeletContext,
  pod: Pod,
  snapshot: RuntimeSnapshot,
  gracePeriodSeconds: number
): Effect.Effect<void> => {
  const running = snapshot.containers.filter((c) => c.state === "running")
  if (running.length === 0) return Effect.void
  if (running.some((instance) => sidecarIndexOf(pod, instance.name) >= 0)) {
    return killPodContainersInTurn(ctx, pod, snapshot, gracePeriodSeconds)
  }
  const kill = (instance: Instance) =>
    killContainer(ctx, pod, findContainer(pod, instance.name), instance.id, gracePeriodSeconds)
  return running.length === 1
    ? kill(running[0]!)
    : Effect.forEach(running, kill, { concurrency: "unbounded", discard: true })
}

/**
 * `killPodContainers` with every container's turn made explicit (each sidecar waits on a Deferred
 * per container) and each kill step by step (`killContainerInTurn`): the reference of the fast paths.
 */
export const killPodContainersInTurn = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  pod: Pod,
  snapshot: RuntimeSnapshot,
  gracePeriodSeconds: number
) {
  const running = snapshot.containers.filter((c) => c.state === "running")
  if (running.length === 0) return
  const done = new Map<string, Deferred.Deferred<void>>()
  for (const instance of running) done.set(instance.id, yield* Deferred.make<void>())
  const awaitAll = (ids: ReadonlyArray<string>) =>
    Effect.forEach(ids, (id) => Deferred.await(done.get(id)!), { discard: true })
  yield* Effect.forEach(
    running,
    (instance) => {
      const container = findContainer(pod, instance.name)
      const index = sidecarIndexOf(pod, instance.name)
      const waitFor =
        index < 0
          ? undefined
          : running
              .filter((other) => {
                const j = sidecarIndexOf(pod, other.name)
                return other.id !== instance.id && (j < 0 || j > index)
              })
              .map((other) => other.id)
      return killContainerInTurn(ctx, pod, container, instance.id, gracePeriodSeconds, {
        ...(waitFor !== undefined && waitFor.length > 0 ? { waitForTurn: awaitAll(waitFor) } : {})
      }).pipe(Effect.ensuring(Deferred.succeed(done.get(instance.id)!, undefined)))
    },
    { concurrency: "unbounded", discard: true }
  )
})

/**
 * The terminating stage of a pod the API still has: deleted (deletionTimestamp), or evicted by a
 * pod sync handler (`evict`). Ends with the terminal status and, for a deletion, the API delete.
 */
export const terminatePod = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  pod: Pod,
  evict: Eviction | undefined
): Effect.fn.Return<SyncOutcome> {
  const uid = pod.metadata.uid ?? ""
  const memory = memoryOf(ctx, uid)
  yield* ctx.prober.remove(uid)
  const grace =
    evict?.gracePeriodSeconds ?? pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30
  if (evict !== undefined) yield* publishStatus(ctx, pod, { podIsTerminal: false, evict })
  const snapshot = yield* snapshotOf(ctx, uid)
  yield* killPodContainers(ctx, pod, snapshot, grace)
  if (snapshot.sandbox !== undefined && snapshot.sandbox.state === "ready") {
    yield* ctx.runtime.stopPodSandbox(snapshot.sandbox.id)
  }
  const latest = ctx.pods.get(uid) ?? pod
  yield* publishStatus(ctx, latest, { podIsTerminal: true, ...(evict !== undefined ? { evict } : {}) })
  memory.terminated = true
  if (latest.metadata.deletionTimestamp !== undefined) yield* ctx.status.confirmDeletion(latest)
  return { done: true }
})

/**
 * The terminated stage of a pod gone from the API (deleted after termination, or force-deleted):
 * any container still running gets the minimum stop window, then sandboxes, containers and the
 * emptyDir volumes are removed and the kubelet forgets the pod.
 */
export const cleanupPod = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  uid: string
): Effect.fn.Return<SyncOutcome> {
  const memory = ctx.memory.get(uid)
  const pod = memory?.pod
  yield* ctx.prober.remove(uid)
  const snapshot = yield* snapshotOf(ctx, uid)
  if (pod !== undefined) yield* killPodContainers(ctx, pod, snapshot, 0)
  else {
    for (const c of snapshot.containers) if (c.state === "running") yield* ctx.runtime.stopContainer(runtimeId(c.id), 2)
  }
  const sandboxes = yield* ctx.runtime.listSandboxes(uid)
  for (const sandbox of sandboxes) yield* ctx.runtime.removePodSandbox(sandbox.id)
  for (const c of snapshot.containers) ctx.probeResults.delete(c.id)
  ctx.memory.delete(uid)
  ctx.sandboxes.delete(uid)
  return { done: true }
})
