/**
 * podlet's own endpoints (stable: tests outside this repository use them), beside the Kubernetes
 * API: the cluster clock, container and node faults, the image registry.
 *
 *   GET  /podlet/v1/clock                                 {"now": RFC 3339, "mode": "virtual"|"real"}
 *   POST /podlet/v1/clock/advance                         {"seconds": n}   (400 on a real clock)
 *   POST /podlet/v1/namespaces/{ns}/pods/{name}/faults    {"type": "exit", "container", "exitCode"} | {"type": "oom", "container"}
 *   POST /podlet/v1/nodes/{name}/faults                   {"type": "stop-heartbeat"|"resume-heartbeat"|"disk-failure"|"memory-pressure"|"recover"}
 *   POST /podlet/v1/images                                {"image": ref, "pullSeconds": n}
 *   POST /podlet/v1/nodes/{name}/images                   {"image": ref}
 *   POST /podlet/v1/registry/faults                       {"type": "outage"|"recover"}
 */
import type { Cluster } from "@podlet/core/Cluster"
import { Context, type Effect, Exit } from "effect"
import { Hono } from "hono"

/** The cluster behind the API, for podlet's own endpoints. */
export class PodletCluster extends Context.Service<
  PodletCluster,
  { readonly cluster: Cluster; readonly mode: "virtual" | "real" }
>()("@podlet/api/PodletCluster") {}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

const failure = (code: number, reason: string, message: string): Response =>
  json({ apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", reason, message, code }, code)

type Run = <A, E>(effect: Effect.Effect<A, E>) => Promise<Exit.Exit<A, E>>

const readBody = async (request: Request): Promise<Record<string, unknown> | undefined> => {
  try {
    const body: unknown = await request.json()
    return typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The `/podlet/v1` sub-app over a cluster; `run` runs an Effect against the API's runtime. */
export const podletApp = (podlet: PodletCluster["Service"], run: Run): Hono => {
  const { cluster, mode } = podlet
  const app = new Hono()
  const answer = async (effect: Effect.Effect<unknown, { readonly _tag: string; readonly message?: string }>) => {
    const exit = await run(effect)
    if (Exit.isSuccess(exit)) return json({})
    const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
    const message = reason?._tag === "Fail" ? (reason.error.message ?? reason.error._tag) : "failed"
    return failure(400, "BadRequest", message)
  }
  const body = async (request: Request, handle: (body: Record<string, unknown>) => Promise<Response>) => {
    const parsed = await readBody(request)
    return parsed === undefined ? failure(400, "BadRequest", "the body must be a JSON object") : handle(parsed)
  }

  app.get("/podlet/v1/clock", async () => {
    const exit = await run(cluster.elapsed)
    const now = cluster.startedAt + (Exit.isSuccess(exit) ? exit.value : 0)
    return json({ now: new Date(now).toISOString(), mode })
  })
  app.post("/podlet/v1/clock/advance", (c) =>
    body(c.req.raw, async (b) => {
      if (mode === "real") return failure(400, "BadRequest", "the clock is real: it cannot be advanced")
      const seconds = b["seconds"]
      if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
        return failure(400, "BadRequest", "seconds: must be a number >= 0")
      }
      return answer(cluster.advance(seconds * 1000))
    })
  )
  app.post("/podlet/v1/namespaces/:namespace/pods/:pod/faults", (c) =>
    body(c.req.raw, async (b) => {
      if (typeof b["container"] !== "string") return failure(400, "BadRequest", "container: Required value")
      const target = { namespace: c.req.param("namespace"), pod: c.req.param("pod"), container: b["container"] }
      if (b["type"] === "exit") {
        const code = b["exitCode"]
        if (typeof code !== "number" || !Number.isInteger(code) || code < 0 || code > 255) {
          return failure(400, "BadRequest", "exitCode: must be an integer from 0 to 255")
        }
        return answer(cluster.faults.containerExit(target, code))
      }
      if (b["type"] === "oom") return answer(cluster.faults.containerOOM(target))
      return failure(
        400,
        "BadRequest",
        `type: Unsupported value: ${JSON.stringify(b["type"])}: supported values: "exit", "oom"`
      )
    })
  )
  app.post("/podlet/v1/nodes/:node/faults", (c) =>
    body(c.req.raw, async (b) => {
      const node = c.req.param("node")
      switch (b["type"]) {
        case "stop-heartbeat":
          return answer(cluster.faults.nodePartition(node, true))
        case "resume-heartbeat":
          return answer(cluster.faults.nodePartition(node, false))
        case "disk-failure":
          return answer(cluster.faults.nodeDiskFailure(node))
        case "memory-pressure":
          return answer(cluster.faults.nodeMemoryPressure(node))
        case "recover":
          return answer(cluster.faults.nodeRecover(node))
      }
      return failure(
        400,
        "BadRequest",
        `type: Unsupported value: ${JSON.stringify(b["type"])}: supported values: "stop-heartbeat", "resume-heartbeat", "disk-failure", "memory-pressure", "recover"`
      )
    })
  )
  app.post("/podlet/v1/nodes/:node/images", (c) =>
    body(c.req.raw, async (b) =>
      typeof b["image"] === "string"
        ? answer(cluster.faults.preloadImage(c.req.param("node"), b["image"]))
        : failure(400, "BadRequest", "image: Required value")
    )
  )
  app.post("/podlet/v1/images", (c) =>
    body(c.req.raw, async (b) => {
      const image = b["image"]
      if (typeof image !== "string" || image === "") return failure(400, "BadRequest", "image: Required value")
      const colon = image.lastIndexOf(":")
      const ref =
        colon > image.lastIndexOf("/") ? { name: image.slice(0, colon), tag: image.slice(colon + 1) } : { name: image }
      const pullSeconds = b["pullSeconds"]
      return answer(cluster.registry.add({ ...ref, ...(typeof pullSeconds === "number" ? { pullSeconds } : {}) }))
    })
  )
  app.post("/podlet/v1/registry/faults", (c) =>
    body(c.req.raw, async (b) =>
      b["type"] === "outage" || b["type"] === "recover"
        ? answer(cluster.faults.registryOutage(b["type"] === "outage"))
        : failure(
            400,
            "BadRequest",
            `type: Unsupported value: ${JSON.stringify(b["type"])}: supported values: "outage", "recover"`
          )
    )
  )
  app.notFound(() => failure(404, "NotFound", "the server could not find the requested resource"))
  return app
}
