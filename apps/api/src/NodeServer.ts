/**
 * Serving the app on Node with @hono/node-server: listen, report the bound address, close
 * (including open watch connections). Used by `node.ts` and by the tests that drive a real
 * server on an ephemeral port.
 */
import { createServer } from "node:https"
import type { AddressInfo } from "node:net"
import { serve } from "@hono/node-server"
import type { Hono } from "hono"
import type { ServingCertificate } from "./Tls.js"

export interface NodeServer {
  /** `http://127.0.0.1:PORT` (`https://` with a certificate) */
  readonly url: string
  readonly port: number
  /** stops listening and drops open connections (watches) */
  readonly close: () => Promise<void>
}

/**
 * Listens on `hostname:port` (0 for an ephemeral port), over TLS when given a certificate; rejects
 * when the address cannot be bound.
 */
export const listen = (app: Hono, hostname: string, port: number, tls?: ServingCertificate): Promise<NodeServer> =>
  new Promise((resolve, reject) => {
    const options =
      tls === undefined
        ? { fetch: app.fetch, hostname, port }
        : { fetch: app.fetch, hostname, port, createServer, serverOptions: { key: tls.key, cert: tls.cert } }
    const server = serve(options, (info: AddressInfo) => {
      server.off("error", reject)
      const host = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname
      resolve({
        url: `${tls === undefined ? "http" : "https"}://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            if ("closeAllConnections" in server) server.closeAllConnections()
          })
      })
    })
    server.once("error", reject)
  })
