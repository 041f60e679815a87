/**
 * Container logs for `GET .../pods/{name}/log` (§10.2): the `PodLogs` service the API reads them
 * from (provided from the Cluster facade where there is a cluster), the kubelet's filters
 * (tailLines, sinceSeconds, sinceTime, limitBytes, timestamps) as a pure function, and the
 * response: the text, or with `follow=true` a stream that ends when the container stops or the pod
 * is deleted.
 */

import { type ApiError, BadRequest } from "@podlet/core/api/Errors"
import type { Pod } from "@podlet/core/api/Pod"
import type { Cluster } from "@podlet/core/Cluster"
import type { LogLine } from "@podlet/core/services/ContainerRuntime"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Clock, Context, Duration, Effect, Option, Stream } from "effect"

/** Where the API reads container logs from. */
export class PodLogs extends Context.Service<
  PodLogs,
  {
    /** the lines of the container's current instance, or its previous one */
    logs(
      namespace: string,
      pod: string,
      container: string,
      options: { readonly previous: boolean }
    ): Effect.Effect<ReadonlyArray<LogLine>, ApiError>
  }
>()("@podlet/api/PodLogs") {
  /** Logs from a running cluster. */
  static fromCluster = (cluster: Cluster): PodLogs["Service"] =>
    PodLogs.of({ logs: (namespace, pod, container, options) => cluster.logs(namespace, pod, container, options) })
}

/** The query of a log request. */
export interface LogQuery {
  readonly container: string | undefined
  readonly previous: boolean
  readonly follow: boolean
  readonly timestamps: boolean
  readonly tailLines: number | undefined
  readonly sinceSeconds: number | undefined
  readonly sinceTime: number | undefined
  readonly limitBytes: number | undefined
}

const flag = (query: URLSearchParams, name: string) => query.get(name) === "true" || query.get(name) === "1"

const count = (query: URLSearchParams, name: string, min: number): number | undefined | BadRequest => {
  const raw = query.get(name)
  if (raw === null || raw === "") return undefined
  const n = Number(raw)
  return Number.isInteger(n) && n >= min
    ? n
    : new BadRequest({ message: `invalid value for ${name}: ${JSON.stringify(raw)}` })
}

/** Decodes the log query parameters. */
export const logQuery = (query: URLSearchParams): Effect.Effect<LogQuery, BadRequest> =>
  Effect.gen(function* () {
    const tailLines = count(query, "tailLines", 0)
    const sinceSeconds = count(query, "sinceSeconds", 1)
    const limitBytes = count(query, "limitBytes", 1)
    for (const v of [tailLines, sinceSeconds, limitBytes]) if (v instanceof BadRequest) return yield* v
    const sinceRaw = query.get("sinceTime")
    const sinceTime = sinceRaw === null || sinceRaw === "" ? undefined : Date.parse(sinceRaw)
    if (sinceTime !== undefined && Number.isNaN(sinceTime)) {
      return yield* new BadRequest({ message: `invalid value for sinceTime: ${JSON.stringify(sinceRaw)}` })
    }
    return {
      container: query.get("container") || undefined,
      previous: flag(query, "previous"),
      follow: flag(query, "follow"),
      timestamps: flag(query, "timestamps"),
      tailLines: tailLines as number | undefined,
      sinceSeconds: sinceSeconds as number | undefined,
      sinceTime,
      limitBytes: limitBytes as number | undefined
    }
  })

/** RFC 3339 with nanoseconds, as the kubelet prefixes lines with `timestamps=true`. */
export const rfc3339Nano = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z")

/** Applies the kubelet's filters and renders the lines as the log body (`now` in epoch ms). */
export const renderLog = (lines: ReadonlyArray<LogLine>, query: LogQuery, now: number): string => {
  let selected = lines
  if (query.sinceSeconds !== undefined) {
    const from = now - query.sinceSeconds * 1000
    selected = selected.filter((l) => l.time >= from)
  }
  if (query.sinceTime !== undefined) {
    const from = query.sinceTime
    selected = selected.filter((l) => l.time >= from)
  }
  if (query.tailLines !== undefined) selected = query.tailLines === 0 ? [] : selected.slice(-query.tailLines)
  const text = selected.map((l) => `${query.timestamps ? `${rfc3339Nano(l.time)} ` : ""}${l.line}\n`).join("")
  if (query.limitBytes === undefined) return text
  const bytes = new TextEncoder().encode(text)
  return bytes.length <= query.limitBytes ? text : new TextDecoder().decode(bytes.slice(0, query.limitBytes))
}

/** The container a request names, or the pod's only container; Kubernetes' 400s otherwise. */
export const chooseContainer = (pod: Pod, requested: string | undefined): Effect.Effect<string, BadRequest> => {
  const name = pod.metadata.name ?? ""
  const containers = (pod.spec?.containers ?? []).map((c) => c.name)
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name)
  if (requested === undefined) {
    if (containers.length === 1) return Effect.succeed(containers[0]!)
    const initText = inits.length === 0 ? "" : ` or one of the init containers: [${inits.join(" ")}]`
    return Effect.fail(
      new BadRequest({
        message: `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]${initText}`
      })
    )
  }
  if (containers.includes(requested) || inits.includes(requested)) return Effect.succeed(requested)
  return Effect.fail(new BadRequest({ message: `container ${requested} is not valid for pod ${name}` }))
}

const running = (pod: Pod, container: string) =>
  [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].some(
    (s) => s.name === container && s.state?.running !== undefined
  )

/** How often a followed log looks for new lines. */
export const followInterval = Duration.seconds(1)

/** The `GET .../log` response. */
export const logResponse = (
  namespace: string,
  name: string,
  query: URLSearchParams
): Effect.Effect<Response, ApiError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const options = yield* logQuery(query)
    const pod = yield* store.get<Pod>("pods", namespace, name)
    const container = yield* chooseContainer(pod, options.container)
    const service = yield* Effect.serviceOption(PodLogs)
    if (Option.isNone(service)) {
      return yield* new BadRequest({ message: "container logs are not available: this server runs no kubelets" })
    }
    const logs = service.value
    const read = logs.logs(namespace, name, container, { previous: options.previous })
    const first = yield* read
    const now = yield* Clock.currentTimeMillis
    const headers = { "content-type": "text/plain" }
    if (!options.follow || options.previous) return new Response(renderLog(first, options, now), { headers })
    // follow: the first batch, then new lines of the same instance until it stops or the pod goes
    const fresh = { ...options, tailLines: undefined, sinceSeconds: undefined, sinceTime: undefined }
    const more = Stream.unfold(first.length as number | undefined, (sent) =>
      sent === undefined
        ? Effect.succeed(undefined)
        : Effect.gen(function* () {
            yield* Effect.sleep(followInterval)
            const current = yield* store.get<Pod>("pods", namespace, name).pipe(Effect.option)
            if (Option.isNone(current)) return undefined
            const lines = yield* read.pipe(Effect.orElseSucceed((): ReadonlyArray<LogLine> => []))
            if (lines.length < sent) return undefined
            const text = renderLog(lines.slice(sent), fresh, 0)
            return [text, running(current.value, container) ? lines.length : undefined] as const
          })
    )
    const body = Stream.concat(Stream.succeed(renderLog(first, options, now)), more).pipe(
      Stream.filter((text) => text !== ""),
      Stream.encodeText
    )
    return new Response(yield* Stream.toReadableStreamEffect(body), {
      headers: { ...headers, "transfer-encoding": "chunked" }
    })
  })
