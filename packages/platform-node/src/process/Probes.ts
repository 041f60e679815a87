/**
 * The kubelet's network probes, for real, against a port on this machine: httpGet (`GET`, success
 * for 200–399, as `prober/http`), tcpSocket (a connection opens) and grpc (the standard
 * `grpc.health.v1.Health/Check` over HTTP/2, success when the answer is `SERVING`). Each gives up
 * after `timeoutMillis` (on the Effect Clock) and then counts as a failure.
 */
import { request } from "node:http"
import { connect as http2Connect } from "node:http2"
import { connect } from "node:net"
import { Effect } from "effect"

/** The kubelet's probe User-Agent. */
export const probeUserAgent = "kube-probe/1.33"

const bounded = (check: Effect.Effect<boolean>, timeoutMillis: number): Effect.Effect<boolean> =>
  check.pipe(
    Effect.timeoutOption(timeoutMillis),
    Effect.map((result) => result._tag === "Some" && result.value)
  )

/** `GET http://host:port/path`: true for a 2xx or 3xx answer. */
export const httpProbe = (host: string, port: number, path: string, timeoutMillis: number): Effect.Effect<boolean> =>
  bounded(
    Effect.callback<boolean>((resume) => {
      const req = request(
        { host, port, path, method: "GET", headers: { "User-Agent": probeUserAgent, Accept: "*/*" } },
        (res) => {
          const status = res.statusCode ?? 0
          res.resume()
          resume(Effect.succeed(status >= 200 && status < 400))
        }
      )
      req.on("error", () => resume(Effect.succeed(false)))
      req.end()
      return Effect.sync(() => req.destroy())
    }),
    timeoutMillis
  )

/** A TCP connection to `host:port` opens. */
export const tcpProbe = (host: string, port: number, timeoutMillis: number): Effect.Effect<boolean> =>
  bounded(
    Effect.callback<boolean>((resume) => {
      const socket = connect({ host, port })
      socket.once("connect", () => {
        socket.destroy()
        resume(Effect.succeed(true))
      })
      socket.once("error", () => resume(Effect.succeed(false)))
      return Effect.sync(() => socket.destroy())
    }),
    timeoutMillis
  )

/** An empty `HealthCheckRequest` in a gRPC frame (no compression, length 0). */
const emptyRequest = Buffer.from([0, 0, 0, 0, 0])

/** Whether a gRPC `HealthCheckResponse` frame says `SERVING` (field 1, varint 1). */
export const isServing = (body: Buffer): boolean => {
  if (body.length < 5) return false
  const message = body.subarray(5, 5 + body.readUInt32BE(1))
  for (let i = 0; i + 1 < message.length; i += 2) if (message[i] === 0x08) return message[i + 1] === 1
  return false
}

/** `grpc.health.v1.Health/Check` (service "") over cleartext HTTP/2. */
export const grpcProbe = (host: string, port: number, timeoutMillis: number): Effect.Effect<boolean> =>
  bounded(
    Effect.callback<boolean>((resume) => {
      const session = http2Connect(`http://${host}:${port}`)
      const fail = () => {
        session.destroy()
        resume(Effect.succeed(false))
      }
      session.on("error", fail)
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        "content-type": "application/grpc",
        te: "trailers",
        "user-agent": probeUserAgent
      })
      const chunks: Array<Buffer> = []
      let grpcStatus: string | undefined
      stream.on("response", (headers) => {
        const status = headers["grpc-status"]
        if (status !== undefined) grpcStatus = String(status)
      })
      stream.on("trailers", (headers) => {
        const status = headers["grpc-status"]
        if (status !== undefined) grpcStatus = String(status)
      })
      stream.on("data", (chunk: Buffer) => chunks.push(chunk))
      stream.on("error", fail)
      stream.on("end", () => {
        session.close()
        resume(Effect.succeed(grpcStatus === "0" && isServing(Buffer.concat(chunks))))
      })
      stream.end(emptyRequest)
      return Effect.sync(() => session.destroy())
    }),
    timeoutMillis
  )
