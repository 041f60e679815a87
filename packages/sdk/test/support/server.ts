/**
 * A podlet API server for the SDK's remote tests: apps/api's Hono app (`makeApp`) over a core
 * cluster on a virtual (TestClock) or real clock, served on 127.0.0.1 by apps/api's `listen`.
 * podlet's own endpoints (`/podlet/v1/...`) come from apps/api's `podletApp`. Optionally a bearer token
 * is required (401 Status otherwise) and requests are recorded.
 */
import { type Cluster as CoreCluster, makeCluster } from "@podlet/core/Cluster"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Context, Effect, type Exit, Layer, ManagedRuntime } from "effect"
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
  readonly podletApp: (
    podlet: { readonly cluster: CoreCluster; readonly mode: "virtual" | "real" },
    run: (effect: Effect.Effect<unknown, unknown>) => Promise<Exit.Exit<unknown, unknown>>
  ) => { readonly fetch: (request: Request) => Response | Promise<Response> }
}

const apiSource = new URL("../../../../apps/api/src/", import.meta.url).href

const loadApi = async (): Promise<ApiModules> => {
  const [app, server, logs, podlet] = await Promise.all([
    import(`${apiSource}app.ts`),
    import(`${apiSource}NodeServer.ts`),
    import(`${apiSource}PodLogs.ts`),
    import(`${apiSource}PodletApp.ts`)
  ])
  return { makeApp: app.makeApp, listen: server.listen, PodLogs: logs.PodLogs, podletApp: podlet.podletApp }
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

/** Starts a server on an ephemeral port. */
export const startServer = async (options: ServerOptions = {}): Promise<TestServer> => {
  const { makeApp, listen, PodLogs, podletApp } = await loadApi()
  const virtual = (options.clock ?? "virtual") === "virtual"
  const cluster = Layer.effectContext(
    Effect.map(makeCluster({ nodes: options.nodes ?? ["node-1"] }), (c) =>
      Context.make(ObjectStore, c.store).pipe(Context.add(PodLogs, PodLogs.fromCluster(c)), Context.add(Core, c))
    )
  )
  const runtime = ManagedRuntime.make(virtual ? cluster.pipe(Layer.provideMerge(TestClock.layer())) : cluster)
  const core = await runtime.runPromise(Effect.service(Core))
  const app = makeApp({ runtime })
  const podletEndpoints = podletApp({ cluster: core, mode: virtual ? "virtual" : "real" }, (effect) =>
    runtime.runPromiseExit(effect)
  )
  const podlet = (request: Request) => podletEndpoints.fetch(request)
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
