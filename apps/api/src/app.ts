/**
 * The podlet API as a Hono app: Kubernetes discovery, OpenAPI, health, and one sub-app per
 * group-version serving every resource of core's resource table. `makeApp` takes the runtime the
 * handlers run on; the Node and Worker entries only wire a runtime and a server to it.
 */
import { Effect } from "effect"
import { Hono } from "hono"
import { authMiddleware, type TokenUsers } from "./Auth.js"
import { discoveryApp } from "./Discovery.js"
import { type ApiRuntime, respond } from "./Edge.js"
import { ApiMetrics, podMetricsText } from "./Metrics.js"
import { openApiApp } from "./OpenApi.js"
import { type PodletCluster, podletApp } from "./PodletApp.js"
import { groupVersionApp } from "./ResourceApp.js"
import { jsonResponse, type ObjectJson, statusResponse } from "./Respond.js"
import { internalErrorStatus, notFoundStatus } from "./StatusResponse.js"
import { GroupVersions } from "./Target.js"

export interface AppDeps {
  /** runs handlers against the cluster's services (e.g. `ManagedRuntime.make(StoreMemory.layer)`) */
  readonly runtime: ApiRuntime
  /** the cluster behind the store: serves podlet's own `/podlet/v1` endpoints (clock, faults, images) */
  readonly podlet?: PodletCluster["Service"]
  /** bearer tokens (`--token-file`): requests without a valid one get 401, refused ones 403 */
  readonly auth?: TokenUsers
  /** the JSON the store's backend already wrote for an object (SQLite's `writtenJson`): answers reuse it */
  readonly objectJson?: ObjectJson
}

const healthApp = (): Hono => {
  const app = new Hono()
  for (const path of ["/healthz", "/readyz", "/livez"]) {
    app.get(path, (c) => c.text("ok"))
    app.get(`${path}/*`, (c) => c.text("ok"))
  }
  return app
}

const metricsApp = (runtime: ApiRuntime, metrics: ApiMetrics): Hono => {
  const app = new Hono()
  app.get("/metrics", () =>
    respond(
      runtime,
      Effect.map(
        podMetricsText,
        (pods) =>
          new Response(metrics.requestText() + pods, { headers: { "content-type": "text/plain; version=0.0.4" } })
      )
    )
  )
  return app
}

/** The API app over a runtime. */
export const makeApp = (deps: AppDeps): Hono => {
  const app = new Hono()
  const metrics = new ApiMetrics()
  app.use("*", metrics.middleware)
  if (deps.auth !== undefined) app.use("*", authMiddleware(deps.auth))
  app.route("/", healthApp())
  app.route("/", metricsApp(deps.runtime, metrics))
  app.route("/", discoveryApp())
  app.route("/", openApiApp())
  if (deps.podlet !== undefined) {
    app.route(
      "/",
      podletApp(deps.podlet, (effect) => deps.runtime.runPromiseExit(effect) as Promise<never>)
    )
  }
  const edge = deps.objectJson === undefined ? {} : { objectJson: deps.objectJson }
  for (const gv of GroupVersions) app.route(gv.prefix, groupVersionApp(gv, deps.runtime, edge))
  app.notFound(() => statusResponse(notFoundStatus()))
  app.onError((error) => {
    console.error("podlet api: unhandled error", error)
    return jsonResponse(internalErrorStatus(error instanceof Error ? error.message : String(error)), 500)
  })
  return app
}
