/**
 * Fault injection: one service the API, the dashboard and the SDK share to make things go wrong on
 * purpose. Every fault is recorded as an Event (reason `FaultInjected`, or `FaultCleared` when one is
 * turned off) on the object it hits, so `kubectl get events` shows what was injected.
 *
 * Implementation: `layers/FaultsLive.ts`. Node faults (heartbeat stop/resume, disk failure, memory
 * pressure) belong to node lifecycle and are added as members here, implemented there.
 */
import type { Effect } from "effect"
import { Context, Schema } from "effect"

/** A fault that could not be injected: the target does not exist or is not in a state to take it. */
export class FaultError extends Schema.TaggedError<FaultError>()("FaultError", {
  message: Schema.String
}) {}

/** A container of a pod (namespace `default` unless given). */
export interface ContainerTarget {
  readonly namespace?: string
  readonly pod: string
  readonly container: string
}

export class Faults extends Context.Service<
  Faults,
  {
    /** the container's running process exits now with `exitCode` (reason Completed for 0, Error otherwise) */
    containerExit(target: ContainerTarget, exitCode: number): Effect.Effect<void, FaultError>
    /** the kernel OOM-kills the container's process: exit code 137, reason OOMKilled */
    containerOOM(target: ContainerTarget): Effect.Effect<void, FaultError>
    /** while on, every image pull fails as if the registry were unreachable */
    registryOutage(down: boolean): Effect.Effect<void>
    /** puts an image into a node's image store, as `kind load docker-image` does */
    preloadImage(node: string, image: string): Effect.Effect<void, FaultError>
  }
>()("@podlet/core/services/Faults") {}
