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
import type { ApiError } from "@podlet/core/api/Errors"
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { ResourceType } from "@podlet/core/api/Resources"
import { toStatus } from "@podlet/core/api/Status"
import { printerFor } from "@podlet/core/domain/Printers"
import { isVirtualClock } from "@podlet/core/layers/VirtualClock"
import { ObjectStore, type WatchOptions } from "@podlet/core/services/ObjectStore"
import { Cause, Clock, Duration, Effect, Stream } from "effect"
import { contentTypeOf, type Output } from "./Negotiate.js"
import { withTypeMeta } from "./Respond.js"
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

const jsonLine = (resource: ResourceType, event: WatchEvent<KubeObject>): string => {
  if (event.type === "ERROR") return line(event)
  let byType = jsonLines.get(event.object)
  const cached = byType?.[event.type]
  if (cached !== undefined) return cached
  const text = line({ type: event.type, object: withTypeMeta(resource, event.object) })
  if (byType === undefined) {
    byType = {}
    jsonLines.set(event.object, byType)
  }
  byType[event.type] = text
  return text
}

/** The watch stream as text lines, ending after an ERROR event or `timeoutSeconds`. */
export const watchLines = (request: WatchRequest): Stream.Stream<string, never, ObjectStore> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const clock = yield* Clock.Clock
      const timing = isVirtualClock(clock) ? wallClock : clock
      const printer = printerFor(request.resource.resource)
      let headers = true
      const encodeTable = (event: WatchEvent<KubeObject>) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          if (event.type === "ERROR") return line(event)
          const object = withTypeMeta(request.resource, event.object)
          const rv = object.metadata.resourceVersion
          const metadata = rv === undefined ? {} : { resourceVersion: rv }
          const rows = event.type === "BOOKMARK" ? [] : [object]
          const table = toTable(printer, rows, metadata, now, request.include, headers)
          headers = false
          return line({ type: event.type, object: table })
        })
      const initial = Stream.fromIterable(request.initial.map((object): WatchEvent => ({ type: "ADDED", object })))
      const events = Stream.concat(initial, store.watch(request.resource.resource, request.options)).pipe(
        request.output === "table"
          ? Stream.mapEffect(encodeTable)
          : Stream.map((event: WatchEvent<KubeObject>) => jsonLine(request.resource, event)),
        Stream.catch((error: ApiError) => Stream.succeed(line({ type: "ERROR", object: toStatus(error) }))),
        Stream.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Stream.failCause(cause)
          console.error(`podlet api: watch failed\n${Cause.pretty(cause)}`)
          const status = internalErrorStatus(String(Cause.squash(cause)))
          return Stream.succeed(line({ type: "ERROR", object: status }))
        })
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
    (body) => {
      const contentType = request.output === "table" ? contentTypeOf("table") : "application/json"
      return new Response(body, {
        status: 200,
        headers: { "content-type": contentType, "cache-control": "no-cache, private", "transfer-encoding": "chunked" }
      })
    }
  )
