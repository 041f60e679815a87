/**
 * A podlet API server for the SDK's remote tests: apps/api's Hono app (`makeApp`) over a core
 * cluster on a virtual (TestClock) or real clock, served on 127.0.0.1 by apps/api's `listen`.
 * podlet's own endpoints (`/podlet/v1/...`) come from `podletEndpoints` below, a stand-in until
 * apps/api serves them, written to the contract the SDK's client speaks. Optionally a bearer token
 * is required (401 Status otherwise) and requests are recorded.
 */
import { type Cluster as CoreCluster, makeCluster } from "@podlet/core/Cluster"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Context, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { TestClock } from "effect/testing"

/**
 * What the tests use of apps/api, loaded by path at run time: the SDK's typecheck then does not
 * pull in (and fail on) the API's sources while they are being worked on.
 */
interface ApiModules {
  readonly makeApp: (deps: { readonly runtime: unknown }) => {
    readonly fetch: (request: Request) => Response | Promise<Response>
  }
  readonly listen: (
    app: unknown,
    host: string,
    port: number
  ) => Promise<{ readonly url: string; readonly close: () => Promise<void> }>
  readonly PodLogs: Context.Key<unknown, unknown> & { readonly fromCluster: (cluster: CoreCluster) => unknown }
}

const apiSource = new URL("../../../../apps/api/src/", import.meta.url).href

const loadApi = async (): Promise<ApiModules> => {
  const [app, server, logs] = await Promise.all([
    import(`${apiSource}app.ts`),
    import(`${apiSource}NodeServer.ts`),
    import(`${apiSource}PodLogs.ts`)
  ])
  return { makeApp: app.makeApp, listen: server.listen, PodLogs: logs.PodLogs }
}

class Core extends Context.Service<Core, CoreCluster>()("@podlet/sdk/test/Core") {}

export interface ServerOptions {
  readonly clock?: "virtual" | "real"
  readonly nodes?: ReadonlyArray<string>
  /** require `Authorization: Bearer <token>` */
  readonly token?: string
  /** serve podlet's own endpoints (default true); false: a plain Kubernetes API */
  readonly podletEndpoints?: boolean
}

export interface TestServer {
  readonly url: string
  /** method, path and Authorization header of every request */
  readonly requests: ReadonlyArray<{
    readonly method: string
    readonly path: string
    readonly authorization: string | null
  }>
  readonly close: () => Promise<void>
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

const failure = (code: number, reason: string, message: string): Response =>
  json({ apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", reason, message, code }, code)

/** podlet's own endpoints (issue 5) over a core cluster. */
const podletEndpoints =
  (core: CoreCluster, run: <A, E>(effect: Effect.Effect<A, E>) => Promise<Exit.Exit<A, E>>, virtual: boolean) =>
  async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname
    const body = request.method === "POST" ? ((await request.json()) as Record<string, unknown>) : {}
    const answer = async (effect: Effect.Effect<unknown, { readonly _tag: string; readonly message?: string }>) => {
      const exit = await run(effect)
      if (Exit.isSuccess(exit)) return json({})
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      const message = error?._tag === "Fail" ? ((error.error as { message?: string }).message ?? "failed") : "failed"
      return failure(400, "BadRequest", message)
    }
    if (path === "/podlet/v1/clock" && request.method === "GET") {
      const exit = await run(core.elapsed)
      const now = core.startedAt + (Exit.isSuccess(exit) ? exit.value : 0)
      return json({ now: new Date(now).toISOString(), mode: virtual ? "virtual" : "real" })
    }
    if (path === "/podlet/v1/clock/advance" && request.method === "POST") {
      if (!virtual) return failure(400, "BadRequest", "the clock is real: it cannot be advanced")
      const seconds = Number(body["seconds"])
      if (!Number.isFinite(seconds) || seconds < 0) return failure(400, "BadRequest", "seconds must be >= 0")
      return answer(core.advance(seconds * 1000))
    }
    const podFault = /^\/podlet\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/faults$/.exec(path)
    if (podFault !== null && request.method === "POST") {
      const target = { namespace: podFault[1]!, pod: podFault[2]!, container: String(body["container"]) }
      if (body["type"] === "exit") return answer(core.faults.containerExit(target, Number(body["exitCode"])))
      if (body["type"] === "oom") return answer(core.faults.containerOOM(target))
      return failure(400, "BadRequest", `unknown fault type ${String(body["type"])}`)
    }
    const nodeFault = /^\/podlet\/v1\/nodes\/([^/]+)\/faults$/.exec(path)
    if (nodeFault !== null && request.method === "POST") {
      const node = nodeFault[1]!
      switch (body["type"]) {
        case "stop-heartbeat":
          return answer(core.faults.nodePartition(node, true))
        case "resume-heartbeat":
          return answer(core.faults.nodePartition(node, false))
        case "disk-failure":
          return answer(core.faults.nodeDiskFailure(node))
        case "memory-pressure":
          return answer(core.faults.nodeMemoryPressure(node))
        case "recover":
          return answer(core.faults.nodeRecover(node))
      }
      return failure(400, "BadRequest", `unknown fault type ${String(body["type"])}`)
    }
    const preload = /^\/podlet\/v1\/nodes\/([^/]+)\/images$/.exec(path)
    if (preload !== null && request.method === "POST") {
      return answer(core.faults.preloadImage(preload[1]!, String(body["image"])))
    }
    if (path === "/podlet/v1/images" && request.method === "POST") {
      const image = String(body["image"])
      const colon = image.lastIndexOf(":")
      const ref =
        colon > image.lastIndexOf("/") ? { name: image.slice(0, colon), tag: image.slice(colon + 1) } : { name: image }
      const pullSeconds = body["pullSeconds"]
      return answer(core.registry.add({ ...ref, ...(typeof pullSeconds === "number" ? { pullSeconds } : {}) }))
    }
    if (path === "/podlet/v1/registry/faults" && request.method === "POST") {
      return answer(core.faults.registryOutage(body["type"] === "outage"))
    }
    return failure(404, "NotFound", "the server could not find the requested resource")
  }

/** Starts a server on an ephemeral port. */
export const startServer = async (options: ServerOptions = {}): Promise<TestServer> => {
  const { makeApp, listen, PodLogs } = await loadApi()
  const virtual = (options.clock ?? "virtual") === "virtual"
  const cluster = Layer.effectContext(
    Effect.map(makeCluster({ nodes: options.nodes ?? ["node-1"] }), (c) =>
      Context.make(ObjectStore, c.store).pipe(Context.add(PodLogs, PodLogs.fromCluster(c)), Context.add(Core, c))
    )
  )
  const runtime = ManagedRuntime.make(virtual ? cluster.pipe(Layer.provideMerge(TestClock.layer())) : cluster)
  const core = await runtime.runPromise(Effect.service(Core))
  const app = makeApp({ runtime })
  const podlet = podletEndpoints(core, (effect) => runtime.runPromiseExit(effect), virtual)
  const requests: Array<{ method: string; path: string; authorization: string | null }> = []
  const fetch = (request: Request): Response | Promise<Response> => {
    const path = new URL(request.url).pathname
    const authorization = request.headers.get("authorization")
    requests.push({ method: request.method, path, authorization })
    if (options.token !== undefined && authorization !== `Bearer ${options.token}`) {
      return failure(401, "Unauthorized", "Unauthorized")
    }
    if (path.startsWith("/podlet/v1/") && options.podletEndpoints !== false) return podlet(request)
    return app.fetch(request)
  }
  const server = await listen({ fetch }, "127.0.0.1", 0)
  return {
    url: server.url,
    requests,
    close: async () => {
      await server.close()
      await runtime.dispose()
    }
  }
}
