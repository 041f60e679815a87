/**
 * `killContainer` (K-ctr, spec pod-lifecycle §9.2): the `Killing` event, the preStop hook within the
 * grace period (`FailedPreStopHook` on failure), the sidecar's wait for its turn, the 2 s minimum
 * window, then the runtime's SIGTERM and SIGKILL after the remaining grace.
 */
import { Clock, Effect } from "effect"
import type { Container, Pod } from "../api/Pod.js"
import { EventReason, normalEvent, warningEvent } from "../domain/Events.js"
import { runHook } from "./Hooks.js"
import type { KubeletContext } from "./KubeletContext.js"
import { recordEvents } from "./KubeletContext.js"
import { runtimeId } from "./PodRuntime.js"

/** `minimumGracePeriodInSeconds` (K-mgr). */
export const minimumGracePeriodSeconds = 2

export interface KillOptions {
  /** the `Killing` message; default `Stopping container <name>` */
  readonly message?: string
  /** a sidecar's turn (§5.4): completes when every container it must outlive has exited */
  readonly waitForTurn?: Effect.Effect<void>
}

/** Stops one running container instance; returns once it exited. */
export const killContainer = (
  ctx: KubeletContext,
  pod: Pod,
  container: Container | undefined,
  containerId: string,
  gracePeriodSeconds: number,
  options: KillOptions = {}
): Effect.Effect<void> =>
  container?.lifecycle?.preStop === undefined && options.waitForTurn === undefined
    ? // nothing to wait for before the stop: the event, then the runtime's stop within the grace period
      Effect.andThen(
        recordEvents(ctx, pod, container, [
          normalEvent(EventReason.Killing, options.message ?? `Stopping container ${container?.name ?? ""}`)
        ]),
        ctx.runtime.stopContainer(runtimeId(containerId), Math.max(gracePeriodSeconds, minimumGracePeriodSeconds))
      )
    : killContainerInTurn(ctx, pod, container, containerId, gracePeriodSeconds, options)

/** `killContainer` step by step: the event, preStop, the wait for its turn, then the stop. */
export const killContainerInTurn = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  pod: Pod,
  container: Container | undefined,
  containerId: string,
  gracePeriodSeconds: number,
  options: KillOptions = {}
) {
  const name = container?.name ?? ""
  yield* recordEvents(ctx, pod, container, [
    normalEvent(EventReason.Killing, options.message ?? `Stopping container ${name}`)
  ])
  let grace = gracePeriodSeconds
  const preStop = container?.lifecycle?.preStop
  if (preStop !== undefined && grace > 0) {
    const start = yield* Clock.currentTimeMillis
    const outcome = yield* runHook(ctx, pod, container!, containerId, preStop, grace + 1).pipe(
      Effect.timeoutOption(grace * 1000)
    )
    const elapsed = Math.trunc(((yield* Clock.currentTimeMillis) - start) / 1000)
    if (outcome._tag === "None") {
      yield* recordEvents(ctx, pod, container, [
        warningEvent(
          EventReason.ExceededGracePeriod,
          "Container runtime did not kill the pod within specified grace period."
        )
      ])
    } else if (outcome.value !== undefined) {
      yield* recordEvents(ctx, pod, container, [warningEvent(EventReason.FailedPreStopHook, "PreStopHook failed")])
    }
    grace -= elapsed
  }
  if (options.waitForTurn !== undefined) {
    const start = yield* Clock.currentTimeMillis
    yield* options.waitForTurn.pipe(Effect.timeoutOption(Math.max(grace, 0) * 1000))
    grace -= Math.trunc(((yield* Clock.currentTimeMillis) - start) / 1000)
  }
  grace = Math.max(grace, minimumGracePeriodSeconds)
  yield* ctx.runtime.stopContainer(runtimeId(containerId), grace)
})
