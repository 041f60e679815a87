/**
 * A container runtime's event delivery: each event goes to the `events` stream (a PubSub), then,
 * synchronously, to every `observeEvents` callback in registration order. An event an observer
 * causes while it runs waits until it returns, and goes with any others as one batch.
 */
import { Effect, PubSub, type Scope } from "effect"
import type { RuntimeEvent } from "../../services/ContainerRuntime.js"

export interface RuntimeEvents {
  /** to the stream, then to every observer */
  readonly publish: (event: RuntimeEvent) => void
  /** `ContainerRuntime.observeEvents`: `onEvents` hears every event until the scope closes */
  readonly observeEvents: (
    onEvents: (events: ReadonlyArray<RuntimeEvent>) => void
  ) => Effect.Effect<void, never, Scope.Scope>
}

/** Delivery over `pubsub` (the runtime's `events` stream reads it). */
export const makeRuntimeEvents = (pubsub: PubSub.PubSub<RuntimeEvent>): RuntimeEvents => {
  const observers = new Set<{ readonly onEvents: (events: ReadonlyArray<RuntimeEvent>) => void }>()
  /** events not yet given to the observers; `delivering` while an observer runs (it may publish more) */
  let undelivered: Array<RuntimeEvent> = []
  let delivering = false
  const publish = (event: RuntimeEvent): void => {
    PubSub.publishUnsafe(pubsub, event)
    if (observers.size === 0) return
    undelivered.push(event)
    if (delivering) return
    delivering = true
    try {
      while (undelivered.length > 0) {
        const batch = undelivered
        undelivered = []
        for (const observer of observers) observer.onEvents(batch)
      }
    } finally {
      delivering = false
    }
  }
  const observeEvents = (onEvents: (events: ReadonlyArray<RuntimeEvent>) => void) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const observer = { onEvents }
        observers.add(observer)
        return observer
      }),
      (observer) => Effect.sync(() => observers.delete(observer))
    ).pipe(Effect.asVoid)
  return { publish, observeEvents }
}
