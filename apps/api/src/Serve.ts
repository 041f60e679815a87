/**
 * `npm run serve` as a function: the cluster the flags ask for (store, clock, runtime, node
 * lifecycle, nodes), the API app over it (with bearer-token auth from `--token-file`), listening
 * with @hono/node-server, and the kubeconfig written beside the state. `node.ts` only parses argv,
 * prints and exits; tests call this in-process.
 */
import { X509Certificate } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { isIP } from "node:net"
import { join } from "node:path"
import type { ClusterOptions } from "@podlet/core/Cluster"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { BackendSqlite, writtenJson } from "@podlet/platform-node/BackendSqlite"
import { Effect, Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { kubeconfigToken, parseTokenFile, type TokenUsers } from "./Auth.js"
import { makeApp } from "./app.js"
import { clusterLayer } from "./ClusterLayer.js"
import { kubeconfigYaml } from "./Kubeconfig.js"
import { listen } from "./NodeServer.js"
import { PodletCluster } from "./PodletApp.js"
import { isLoopback, type ServeFlags, type StoreChoice } from "./ServeFlags.js"
import { type ServingCertificate, selfSignedCertificate, validKey } from "./Tls.js"

/** A running server. */
export interface Served {
  readonly url: string
  readonly kubeconfig: string
  /** what `npm run serve` prints */
  readonly banner: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

/** What a caller other than `node.ts` may add (the API benchmark serves its own routes beside the API's). */
export interface ServeOptions {
  /** given the API app before it listens: adds routes, and answers the app to serve (itself or a wrapper) */
  readonly extend?: (app: Hono) => Hono
  /** false: answers serialise objects again instead of reusing the JSON SQLite wrote (a same-build comparison) */
  readonly reuseWrittenJson?: boolean
}

/** Why the server did not start, and the exit code (2: usage, 1: runtime). */
export interface ServeFailure {
  readonly _tag: "ServeFailure"
  readonly message: string
  readonly exitCode: 1 | 2
}

const failure = (message: string, exitCode: 1 | 2): ServeFailure => ({ _tag: "ServeFailure", message, exitCode })

const storeLayerOf = (store: StoreChoice): Layer.Layer<ObjectStore> =>
  store.kind === "memory"
    ? StoreMemory.layer
    : ObjectStoreLive.layer.pipe(Layer.provide(BackendSqlite.layer({ path: store.path })), Layer.orDie)

/** Reads `--token-file`, or the error to print. */
const readTokens = (path: string): TokenUsers | ServeFailure => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (error) {
    return failure(`--token-file ${path}: ${error instanceof Error ? error.message : String(error)}`, 2)
  }
  const users = parseTokenFile(text, path)
  return typeof users === "string" ? failure(users, 2) : users
}

/** The virtual time a SQLite-backed cluster stopped at (written after every advance), if any. */
const savedClock = (path: string): number | undefined => {
  if (!existsSync(path)) return undefined
  try {
    const now = (JSON.parse(readFileSync(path, "utf8")) as { readonly now?: unknown }).now
    return typeof now === "number" && Number.isFinite(now) ? now : undefined
  } catch {
    return undefined
  }
}

const wildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]"

/** The host clients dial: loopback for a wildcard listen address. */
const dialHost = (host: string) => (wildcard(host) ? "127.0.0.1" : host)

/**
 * The serving certificate under the state directory (`tls.crt`, `tls.key`): reused while it is valid
 * for another day and names the host, else a new self-signed one.
 */
const servingCertificate = (stateDir: string, host: string): ServingCertificate => {
  const certPath = join(stateDir, "tls.crt")
  const keyPath = join(stateDir, "tls.key")
  const bare = dialHost(host).replace(/^\[|\]$/g, "")
  if (existsSync(certPath) && existsSync(keyPath)) {
    try {
      const cert = readFileSync(certPath, "utf8")
      const key = readFileSync(keyPath, "utf8")
      const x509 = new X509Certificate(cert)
      const names = isIP(bare) === 0 ? x509.checkHost(bare) : x509.checkIP(bare)
      if (validKey(key) && names !== undefined && Date.parse(x509.validTo) > Date.now() + 86_400_000) {
        return { cert, key }
      }
    } catch {
      // unreadable: replaced below
    }
  }
  const fresh = selfSignedCertificate([bare], new Date())
  writeFileSync(keyPath, fresh.key, { mode: 0o600 })
  writeFileSync(certPath, fresh.cert)
  return fresh
}

/** Starts the cluster and the server the flags describe; `stateDir` holds the default SQLite file and the kubeconfig. */
export const startServe = async (
  flags: ServeFlags,
  stateDir: string,
  serving: ServeOptions = {}
): Promise<Served | ServeFailure> => {
  const users = flags.tokenFile === undefined ? undefined : readTokens(flags.tokenFile)
  if (users !== undefined && "_tag" in users) return users as ServeFailure
  if (users === undefined && !isLoopback(flags.host)) {
    return failure(
      `refusing to listen on ${flags.host}: without --token-file podlet serves loopback only (127.0.0.1, ::1, localhost)`,
      2
    )
  }
  mkdirSync(stateDir, { recursive: true })
  // the embedded default: SQLite under the state directory, so state survives restarts and kill -9
  const store: StoreChoice = flags.store ?? { kind: "sqlite", path: join(stateDir, "cluster.db") }
  const clockFile = flags.clock === "virtual" && store.kind === "sqlite" ? `${store.path}.clock.json` : undefined
  const resumeAt = clockFile === undefined ? undefined : savedClock(clockFile)

  let placement: Pick<ClusterOptions, "nodes" | "runtime" | "imageRegistry">
  if (flags.runtime === "process") {
    const { RuntimeProcess } = await import("@podlet/platform-node/RuntimeProcess")
    const host = RuntimeProcess.clusterOptions({
      mode: flags.isolation,
      ...(flags.registry === undefined ? {} : { registry: flags.registry })
    })
    placement =
      flags.nodes === undefined
        ? host
        : { ...host, nodes: Array.from({ length: flags.nodes }, (_, i) => `node-${i + 1}`) }
  } else {
    placement = { nodes: Array.from({ length: flags.nodes ?? 3 }, (_, i) => `node-${i + 1}`) }
  }
  const options: ClusterOptions = {
    ...placement,
    store: storeLayerOf(store),
    nodeLifecycle: flags.nodeLifecycle,
    ...(resumeAt === undefined ? {} : { startAt: resumeAt })
  }
  const layer = clusterLayer(options, flags.clock)
  const runtime = ManagedRuntime.make(
    flags.clock === "virtual" ? layer.pipe(Layer.provideMerge(VirtualClock.layer())) : layer
  )
  try {
    await runtime.context()
  } catch (error) {
    await runtime.dispose().catch(() => undefined)
    return failure(`cannot start the cluster: ${error instanceof Error ? error.message : String(error)}`, 1)
  }
  const podlet = await runtime.runPromise(Effect.service(PodletCluster))
  const { cluster } = podlet
  const saveClock = Effect.flatMap(cluster.elapsed, (elapsed) =>
    Effect.sync(() => writeFileSync(clockFile!, JSON.stringify({ now: cluster.startedAt + elapsed })))
  )
  const served =
    clockFile === undefined
      ? podlet
      : {
          ...podlet,
          cluster: {
            ...cluster,
            advance: (d: Parameters<typeof cluster.advance>[0]) => Effect.andThen(cluster.advance(d), saveClock)
          }
        }
  if (clockFile !== undefined) await runtime.runPromise(saveClock)

  const app = makeApp({
    runtime,
    podlet: served,
    ...(users === undefined ? {} : { auth: users }),
    ...(store.kind === "sqlite" && serving.reuseWrittenJson !== false ? { objectJson: writtenJson } : {})
  })
  const servedApp = serving.extend?.(app) ?? app
  // kubectl sends a bearer token only over https: with a token file the server serves TLS
  const tls = users === undefined ? undefined : servingCertificate(stateDir, flags.host)
  let server: Awaited<ReturnType<typeof listen>>
  try {
    server = await listen(servedApp, flags.host, flags.port, tls)
  } catch (error) {
    await runtime.dispose().catch(() => undefined)
    const code = (error as NodeJS.ErrnoException).code
    return failure(
      code === "EADDRINUSE"
        ? `${flags.host}:${flags.port} is already in use`
        : error instanceof Error
          ? error.message
          : String(error),
      1
    )
  }
  const credential = users === undefined ? undefined : kubeconfigToken(users)
  const kubeconfig = join(stateDir, "kubeconfig")
  const url = wildcard(flags.host) ? server.url.replace(/\/\/[^/]*:(\d+)$/, "//127.0.0.1:$1") : server.url
  writeFileSync(
    kubeconfig,
    kubeconfigYaml(url, {
      ...(credential === undefined ? {} : { token: credential.token }),
      ...(tls === undefined ? {} : { certificateAuthority: tls.cert })
    }),
    { mode: 0o600 }
  )
  const storeText = store.kind === "memory" ? "memory" : `sqlite ${store.path}`
  const nodeNames = cluster.nodes.map((n) => n.name)
  const banner = [
    `podlet API at ${url} (store: ${storeText}, clock: ${flags.clock}, runtime: ${flags.runtime}, ` +
      `node lifecycle: ${flags.nodeLifecycle}, nodes: ${nodeNames.join(", ") || "none"})`,
    credential === undefined
      ? `kubeconfig: ${kubeconfig}`
      : `kubeconfig: ${kubeconfig} (user ${credential.user.name}, with its bearer token from ${flags.tokenFile})`
  ]
  return {
    url,
    kubeconfig,
    banner,
    close: () => server.close().then(() => runtime.dispose())
  }
}
