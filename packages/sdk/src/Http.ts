/**
 * The remote transport: requests to a Kubernetes API server with the connection settings of
 * @kubernetes/client-node's `KubeConfig` (server, TLS, bearer token, client certificates, exec and
 * OIDC credentials), answers as plain JSON (objects exactly as the server sent them), failures as
 * the SDK's errors from the server's Status, and watches through client-node's `Watch`.
 */
import * as http from "node:http"
import * as https from "node:https"
import { type KubeConfig, Watch } from "@kubernetes/client-node"
import type { Status, WatchEvent } from "@podlet/core/api/Meta"
import { Effect, Queue, Stream } from "effect"
import { type ClusterError, ConnectionError, ExpiredError, errorFromStatus, sdkStatus } from "./Errors.js"

/** A request's parts besides the method and path. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>
  readonly body?: unknown
  /** default `application/json` when there is a body */
  readonly contentType?: string
}

/** A server's answer. */
export interface HttpAnswer {
  readonly status: number
  readonly text: string
}

/** Requests to one API server. */
export interface HttpClient {
  /** the server URL, e.g. `https://127.0.0.1:6443` */
  readonly server: string
  /** the answer, whatever its status; fails only when the server cannot be reached */
  request(method: string, path: string, options?: RequestOptions): Effect.Effect<HttpAnswer, ConnectionError>
  /** the JSON body of a 2xx answer; a non-2xx answer fails with the error of its Status */
  json<T>(method: string, path: string, options?: RequestOptions): Effect.Effect<T, ClusterError>
  /** the text body of a 2xx answer */
  text(method: string, path: string, options?: RequestOptions): Effect.Effect<string, ClusterError>
  /** a watch on a collection path, resumed from the last resourceVersion when the server ends it */
  watch(path: string, query: Readonly<Record<string, string | undefined>>): Stream.Stream<WatchEvent, ClusterError>
}

const reasons: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable"
}

/** The Status of a failed answer: the body's when it is one, else one made from the code and text. */
export const statusOfAnswer = (answer: HttpAnswer): Status => {
  try {
    const body = JSON.parse(answer.text) as Partial<Status>
    if (body.kind === "Status") return { ...body, code: body.code ?? answer.status } as Status
  } catch {
    // not JSON: fall through
  }
  const text = answer.text.trim()
  return sdkStatus(
    answer.status,
    reasons[answer.status] ?? "Unknown",
    text === "" ? (http.STATUS_CODES[answer.status] ?? `HTTP ${answer.status}`) : text
  )
}

const connectionError = (server: string, error: unknown): ConnectionError =>
  new ConnectionError(
    sdkStatus(
      503,
      "ServiceUnavailable",
      `cannot reach ${server}: ${error instanceof Error ? error.message : String(error)}`
    )
  )

const withQuery = (path: string, query: RequestOptions["query"]): string => {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, value)
  const text = params.toString()
  return text === "" ? path : `${path}?${text}`
}

/** A client for the current context of `kc`. */
export const makeHttpClient = (kc: KubeConfig): Effect.Effect<HttpClient, ClusterError> =>
  Effect.gen(function* () {
    const cluster = kc.getCurrentCluster()
    if (cluster === null) {
      return yield* Effect.fail(connectionError("(none)", new Error("the kubeconfig has no current cluster")))
    }
    const server = cluster.server.replace(/\/+$/, "")
    const connection: https.RequestOptions = {}
    yield* Effect.tryPromise({
      try: () => kc.applyToHTTPSOptions(connection),
      catch: (error) => connectionError(server, error)
    })
    const transport = server.startsWith("https:") ? https : http

    const request = (method: string, path: string, options: RequestOptions = {}) =>
      Effect.callback<HttpAnswer, ConnectionError>((resume, signal) => {
        const body = options.body === undefined ? undefined : JSON.stringify(options.body)
        const headers: Record<string, string> = {
          accept: "application/json",
          ...(connection.headers as Record<string, string> | undefined),
          ...(body !== undefined
            ? {
                "content-type": options.contentType ?? "application/json",
                "content-length": String(Buffer.byteLength(body))
              }
            : {})
        }
        const req = transport.request(
          `${server}${withQuery(path, options.query)}`,
          {
            method,
            headers,
            signal,
            ...(connection.agent !== undefined ? { agent: connection.agent } : {}),
            ...(connection.auth !== undefined && connection.auth !== null ? { auth: connection.auth } : {})
          },
          (res) => {
            const chunks: Array<Buffer> = []
            res.on("data", (chunk: Buffer) => chunks.push(chunk))
            res.on("end", () =>
              resume(Effect.succeed({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }))
            )
            res.on("error", (error) => resume(Effect.fail(connectionError(server, error))))
          }
        )
        req.on("error", (error) => {
          if (!signal.aborted) resume(Effect.fail(connectionError(server, error)))
        })
        req.end(body)
      })

    const ok = (method: string, path: string, options?: RequestOptions) =>
      Effect.flatMap(request(method, path, options), (answer) =>
        answer.status >= 200 && answer.status < 300
          ? Effect.succeed(answer.text)
          : Effect.fail(errorFromStatus(statusOfAnswer(answer)))
      )

    const watch = (path: string, query: Readonly<Record<string, string | undefined>>) =>
      Stream.callback<WatchEvent, ClusterError>((queue) =>
        Effect.gen(function* () {
          const watcher = new Watch(kc)
          let resourceVersion = query["resourceVersion"]
          let controller: AbortController | undefined
          let closed = false
          const fail = (error: ClusterError): void => {
            closed = true
            controller?.abort()
            Effect.runFork(Queue.fail(queue, error))
          }
          const start = (): void => {
            void watcher
              .watch(
                path,
                { ...query, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
                (type, object: { metadata?: { resourceVersion?: string } }) => {
                  // a watch ERROR event carries a Status (410 Expired when the history is gone)
                  if (type === "ERROR") return fail(errorFromStatus(object as unknown as Status))
                  resourceVersion = object.metadata?.resourceVersion ?? resourceVersion
                  if (type !== "BOOKMARK") Queue.offerUnsafe(queue, { type, object } as WatchEvent)
                },
                (error: unknown) => {
                  if (closed) return
                  if (error === null || error === undefined) return start()
                  const code = (error as { statusCode?: number }).statusCode
                  fail(
                    code === 410
                      ? new ExpiredError(sdkStatus(410, "Expired", "the watch's resourceVersion is too old"))
                      : code !== undefined
                        ? errorFromStatus(sdkStatus(code, reasons[code] ?? "Unknown", String(error)))
                        : connectionError(server, error)
                  )
                }
              )
              .then((c) => {
                controller = c
                if (closed) c.abort()
              })
          }
          start()
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              closed = true
              controller?.abort()
            })
          )
        })
      )

    return {
      server,
      request,
      json: <T>(method: string, path: string, options?: RequestOptions) =>
        Effect.map(ok(method, path, options), (text) => (text === "" ? undefined : JSON.parse(text)) as T),
      text: ok,
      watch
    } satisfies HttpClient
  })
