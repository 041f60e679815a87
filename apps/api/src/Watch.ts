/**
 * Watch responses (§7): newline-delimited WatchEvent JSON over a streamed body whose headers go out
 * at once. Objects carry kind and apiVersion; with the Table Accept each event holds a one-row Table
 * (column definitions only in the first); a too-old resourceVersion ends the stream with an ERROR
 * event (410 Expired); an idle stream gets a bare newline every 10 s so clients that give up after
 * 30 s of silence stay connected; `timeoutSeconds` closes the stream.
 *
 * A watch without a resourceVersion (or "0") starts from the state at request time: the handler
 * lists, sends those objects as synthetic ADDED events, then watches from the list's
 * resourceVersion, so nothing depends on when the client starts reading the body.
 */
import { type ApiError, Expired } from "@podlet/core/api/Errors"
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { ResourceType } from "@podlet/core/api/Resources"
import { toStatus } from "@podlet/core/api/Status"
import { printerFor } from "@podlet/core/domain/Printers"
import { isVirtualClock } from "@podlet/core/layers/VirtualClock"
import { ObjectStore, type WatchOptions } from "@podlet/core/services/ObjectStore"
import { Cause, Channel, Clock, Duration, Effect, Pull, Scope, Stream } from "effect"
import { contentTypeOf, type Output } from "./Negotiate.js"
import { type ObjectJson, typedJson, withTypeMeta } from "./Respond.js"
import { internalErrorStatus } from "./StatusResponse.js"
import { type IncludeObject, toTable } from "./Table.js"

/** Interval of the keep-alive newline on idle watch streams. */
export const keepAliveInterval = Duration.seconds(10)

/** The wall clock: a cluster on the VirtualClock still sends keep-alives and honours `timeoutSeconds` in real time. */
const wallClock: Clock.Clock = Clock.Clock.defaultValue()

export interface WatchRequest {
  readonly resource: ResourceType
  /** sent as ADDED before the changes after `options.resourceVersion` */
  readonly initial: ReadonlyArray<KubeObject>
  readonly options: WatchOptions
  readonly output: Output
  readonly include: IncludeObject
  readonly timeoutSeconds: number | undefined
  /** told when the stream starts and when it ends (the open-watch gauge of `/metrics`) */
  readonly gauge?: WatchGauge
  /** the JSON the store's backend already wrote for an object: its lines reuse it */
  readonly objectJson?: ObjectJson
}

/** An open-watch gauge. */
export interface WatchGauge {
  readonly opened: () => void
  readonly closed: () => void
}

/**
 * Gauges by request: the metrics middleware registers one for a watch request and the watch handler
 * reports to it, so the body needs no second stream around it.
 */
export const watchGauges = new WeakMap<Request, WatchGauge>()

const line = (event: unknown) => `${JSON.stringify(event)}\n`

/** JSON lines by event object and type: the watchers of one change share one serialisation. */
const jsonLines = new WeakMap<object, Partial<Record<string, string>>>()

const jsonLine = (
  resource: ResourceType,
  event: WatchEvent<KubeObject>,
  objectJson: ObjectJson | undefined
): string => {
  if (event.type === "ERROR") return line(event)
  let byType = jsonLines.get(event.object)
  const cached = byType?.[event.type]
  if (cached !== undefined) return cached
  // JSON.stringify({ type, object }) with the object's typed JSON as it is
  const text = `{"type":${JSON.stringify(event.type)},"object":${typedJson(resource, event.object, objectJson)}}\n`
  if (byType === undefined) {
    byType = {}
    jsonLines.set(event.object, byType)
  }
  byType[event.type] = text
  return text
}

/** The ERROR line of an API error (410 Expired, 400). */
const errorLine = (error: ApiError): string => line({ type: "ERROR", object: toStatus(error) })

/** The ERROR line of a defect (a 500 Status), logged. */
const defectLine = (cause: Cause.Cause<unknown>): string => {
  console.error(`podlet api: watch failed\n${Cause.pretty(cause)}`)
  return line({ type: "ERROR", object: internalErrorStatus(String(Cause.squash(cause))) })
}

/**
 * The line encoder of one watch, given the cluster's time for Tables: JSON lines are shared by the
 * watchers of one change; a Table carries its column definitions only in the watch's first event.
 */
const eventEncoder = (request: WatchRequest): ((event: WatchEvent<KubeObject>, now: number) => string) => {
  if (request.output !== "table") return (event) => jsonLine(request.resource, event, request.objectJson)
  const printer = printerFor(request.resource.resource)
  let headers = true
  return (event, now) => {
    if (event.type === "ERROR") return line(event)
    const object = withTypeMeta(request.resource, event.object)
    const rv = object.metadata.resourceVersion
    const metadata = rv === undefined ? {} : { resourceVersion: rv }
    const rows = event.type === "BOOKMARK" ? [] : [object]
    const table = toTable(printer, rows, metadata, now, request.include, headers)
    headers = false
    return line({ type: event.type, object: table })
  }
}

/** The clock of keep-alives and `timeoutSeconds`: the wall clock under a VirtualClock. */
const timingOf = (clock: Clock.Clock): Clock.Clock => (isVirtualClock(clock) ? wallClock : clock)

/** The watch stream as text lines, ending after an ERROR event or `timeoutSeconds`. */
export const watchLines = (request: WatchRequest): Stream.Stream<string, never, ObjectStore> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const clock = yield* Clock.Clock
      const timing = timingOf(clock)
      const encode = eventEncoder(request)
      const initial = Stream.fromIterable(request.initial.map((object): WatchEvent => ({ type: "ADDED", object })))
      const events = Stream.concat(initial, store.watch(request.resource.resource, request.options)).pipe(
        Stream.map((event: WatchEvent<KubeObject>) => encode(event, clock.currentTimeMillisUnsafe())),
        Stream.catch((error: ApiError) => Stream.succeed(errorLine(error))),
        Stream.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause) ? Stream.failCause(cause) : Stream.succeed(defectLine(cause))
        )
      )
      const keepAlive = Stream.tick(keepAliveInterval).pipe(
        Stream.drop(1),
        Stream.map(() => "\n"),
        Stream.provideService(Clock.Clock, timing)
      )
      const lines = Stream.merge(events, keepAlive, { haltStrategy: "left" })
      if (request.timeoutSeconds === undefined) return lines
      const timeout = Stream.fromEffect(
        Effect.sleep(Duration.seconds(request.timeoutSeconds)).pipe(Effect.provideService(Clock.Clock, timing))
      ).pipe(Stream.as(null))
      return Stream.merge(lines, timeout, { haltStrategy: "either" }).pipe(
        Stream.takeWhile((l): l is string => l !== null)
      )
    })
  )

const encoder = new TextEncoder()
/** The bytes of recent lines: the watchers of one change send the same (shared) string, encoded once. */
const recentBytes = new Map<string, Uint8Array>()

const encodeLine = (text: string): Uint8Array => {
  if (text.length < 2) return encoder.encode(text)
  const cached = recentBytes.get(text)
  if (cached !== undefined) return cached
  const bytes = encoder.encode(text)
  if (recentBytes.size >= 64) recentBytes.delete(recentBytes.keys().next().value!)
  recentBytes.set(text, bytes)
  return bytes
}

const headersOf = (output: Output): Record<string, string> => ({
  "content-type": output === "table" ? contentTypeOf("table") : "application/json",
  "cache-control": "no-cache, private",
  "transfer-encoding": "chunked"
})

/** The streamed 200 response of a watch; the body runs in the caller's Effect context. */
export const watchResponse = (request: WatchRequest): Effect.Effect<Response, never, ObjectStore> =>
  Effect.map(
    Stream.toReadableStreamEffect(
      watchLines(request).pipe(Stream.map(encodeLine), (lines) => {
        const gauge = request.gauge
        if (gauge === undefined) return lines
        return lines.pipe(Stream.onStart(Effect.sync(gauge.opened)), Stream.ensuring(Effect.sync(gauge.closed)))
      })
    ),
    (body) => new Response(body, { status: 200, headers: headersOf(request.output) })
  )

/**
 * The Node response a watch writes to directly (the members of `http.ServerResponse` it uses), so
 * that a change reaches each watcher without a stream, a ReadableStream and a reader in between.
 */
export interface WatchOutlet {
  writeHead(status: number, headers: Record<string, string>): unknown
  flushHeaders(): void
  /** false: the socket's buffer is full, wait for "drain" */
  write(chunk: string | Uint8Array): boolean
  end(): unknown
  readonly writableEnded: boolean
  readonly writableNeedDrain: boolean
  readonly destroyed: boolean
  once(event: "drain" | "close", listener: () => void): unknown
  off(event: "drain" | "close", listener: () => void): unknown
}

/** The Node response behind a Hono context's `env` (@hono/node-server passes `{ incoming, outgoing }`), if any. */
export const watchOutletOf = (env: unknown): WatchOutlet | undefined => {
  const outgoing = (env as { readonly outgoing?: Partial<WatchOutlet> } | undefined)?.outgoing
  return typeof outgoing?.writeHead === "function" && typeof outgoing.flushHeaders === "function"
    ? (outgoing as WatchOutlet)
    : undefined
}

/**
 * The Response that tells @hono/node-server the handler answered on the Node response itself
 * (its `x-hono-already-sent`). Reading `body` drops the server's cached fast-path copy of the
 * headers, which it would otherwise write a second time.
 */
const alreadySent = (): Response => {
  const response = new Response(null, { headers: { "x-hono-already-sent": "true" } })
  void response.body
  return response
}

/**
 * The watch written straight to a Node response: the same lines as `watchLines` (initial ADDED,
 * changes, ERROR on 410 Expired or a defect, BOOKMARKs, a keep-alive newline every 10 s,
 * `timeoutSeconds`), headers flushed at once. A change is one write of the shared bytes, made in
 * the store's `observe` callback when it has one (no fiber per watcher; watches with BOOKMARKs and
 * stores without it pull the watch stream). While the socket's buffer is full the watch reads
 * nothing more from the store, as a stream that is not read would. A closed connection interrupts
 * the watch; the end of the watch ends the response. Runs detached on the caller's context;
 * answers at once with `alreadySent`.
 */
export const watchToOutlet = (
  request: WatchRequest,
  outlet: WatchOutlet
): Effect.Effect<Response, never, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const clock = yield* Clock.Clock
    const timing = timingOf(clock)
    const encode = eventEncoder(request)
    const drained = Effect.callback<void>((resume) => {
      const done = () => {
        outlet.off("drain", done)
        outlet.off("close", done)
        resume(Effect.void)
      }
      outlet.once("drain", done)
      outlet.once("close", done)
      return Effect.sync(() => {
        outlet.off("drain", done)
        outlet.off("close", done)
      })
    })
    const send = (text: string): Effect.Effect<void> => (outlet.write(encodeLine(text)) ? Effect.void : drained)
    const emit = (events: ReadonlyArray<WatchEvent<KubeObject>>): Effect.Effect<void> => {
      const now = clock.currentTimeMillisUnsafe()
      if (events.length === 1) return send(encode(events[0]!, now))
      let text = ""
      for (const event of events) text += encode(event, now)
      return send(text)
    }
    const initial =
      request.initial.length === 0
        ? Effect.void
        : Effect.suspend(() =>
            emit(request.initial.map((object): WatchEvent<KubeObject> => ({ type: "ADDED", object })))
          )
    const observe = store.observe
    // idle-time BOOKMARKs come only from the stream
    const delivered =
      observe === undefined || request.options.allowBookmarks === true
        ? pulled(store, request, emit)
        : observed(observe, request, outlet, encode, clock, drained)
    const changes = Effect.andThen(initial, delivered).pipe(
      Pull.catchDone(() => Effect.void),
      Effect.catch((error: ApiError) => send(errorLine(error))),
      Effect.catchCause((cause) => (Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : send(defectLine(cause))))
    )
    const keepAlive = Effect.forever(
      Effect.andThen(
        Effect.sleep(keepAliveInterval),
        Effect.sync(() => {
          if (!outlet.writableNeedDrain) outlet.write("\n")
        })
      )
    ).pipe(Effect.provideService(Clock.Clock, timing))
    const alive = Effect.raceFirst(changes, keepAlive)
    const watch =
      request.timeoutSeconds === undefined
        ? alive
        : Effect.raceFirst(
            alive,
            Effect.sleep(Duration.seconds(request.timeoutSeconds)).pipe(Effect.provideService(Clock.Clock, timing))
          )
    if (outlet.destroyed) return alreadySent()
    outlet.writeHead(200, headersOf(request.output))
    outlet.flushHeaders()
    request.gauge?.opened()
    const fiber = yield* Effect.forkDetach(
      Effect.ensuring(
        watch,
        Effect.sync(() => {
          outlet.off("close", interrupt)
          request.gauge?.closed()
          if (!outlet.writableEnded && !outlet.destroyed) outlet.end()
        })
      )
    )
    function interrupt() {
      fiber.interruptUnsafe()
    }
    outlet.once("close", interrupt)
    return alreadySent()
  })

/** The changes through the store's watch stream, pulled one chunk after the last one was written. */
const pulled = (
  store: ObjectStore["Service"],
  request: WatchRequest,
  emit: (events: ReadonlyArray<WatchEvent<KubeObject>>) => Effect.Effect<void>
): Effect.Effect<never, ApiError | Cause.Done> =>
  Effect.scopedWith((scope) =>
    Effect.flatMap(
      // the store's own pull (Stream.toPull would add a semaphore and a context per pull)
      Channel.toPullScoped(Stream.toChannel(store.watch(request.resource.resource, request.options)), scope),
      // each chunk is written before the next pull: a full socket buffer holds the pulls back
      (pull) => Effect.forever(Effect.flatMap(pull, emit), { disableYield: true })
    )
  )

/** Why one observation stopped: the socket's buffer filled up, or the store ended it. */
type Stop = { readonly _tag: "Full" } | { readonly _tag: "Ended"; readonly error: unknown }

/**
 * The changes through the store's `observe` (no fiber per watcher: the store calls back and the
 * events are written there and then). When the socket's buffer fills up the observation stops
 * after that write; once the socket drains the watch goes on from the last resourceVersion it
 * wrote, through the same store cursor a lagging stream would have read (the history window, a
 * replay, or 410 Expired).
 */
const observed = (
  observe: NonNullable<ObjectStore["Service"]["observe"]>,
  request: WatchRequest,
  outlet: WatchOutlet,
  encode: (event: WatchEvent<KubeObject>, now: number) => string,
  clock: Clock.Clock,
  drained: Effect.Effect<void>
): Effect.Effect<never, ApiError> => {
  /** the resourceVersion of the last event written (the watch goes on after it) */
  let written: string | undefined
  const once = Effect.scopedWith((scope) =>
    Effect.gen(function* () {
      let stop: Stop | undefined
      let stopped: (() => void) | undefined
      const halt = (reason: Stop) => {
        stop = reason
        stopped?.()
      }
      const from = written === undefined ? request.options : { ...request.options, resourceVersion: written }
      yield* observe(request.resource.resource, from, {
        onEvents(events) {
          if (stop !== undefined) return
          const now = clock.currentTimeMillisUnsafe()
          let text = ""
          for (const event of events) text += encode(event, now)
          written = events[events.length - 1]!.object.metadata.resourceVersion ?? written
          if (!outlet.write(encodeLine(text))) halt({ _tag: "Full" })
        },
        onEnd(error) {
          if (stop === undefined) halt({ _tag: "Ended", error })
        }
      }).pipe(Effect.provideService(Scope.Scope, scope))
      if (stop === undefined) {
        yield* Effect.callback<void>((resume) => {
          stopped = () => resume(Effect.void)
        })
      }
      return stop!
    })
  )
  const loop: Effect.Effect<never, ApiError> = Effect.flatMap(once, (stop) => {
    if (stop._tag === "Full") return Effect.andThen(drained, loop)
    if (stop.error instanceof Expired) return Effect.fail(stop.error)
    return Effect.die(stop.error)
  })
  return loop
}
