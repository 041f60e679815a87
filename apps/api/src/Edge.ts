/**
 * The edge between Hono and Effect: handlers are Effects over the API's services, run on the
 * cluster's runtime (a ManagedRuntime or anything with `runPromiseExit`). API errors become Status
 * responses here and only here; a defect is a 500 InternalError and is logged.
 */
import type { ApiError } from "@podlet/core/api/Errors"
import { toStatus } from "@podlet/core/api/Status"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Cause, Effect, Exit } from "effect"
import { statusResponse } from "./Respond.js"
import { internalErrorStatus } from "./StatusResponse.js"

/** The services API handlers use (`PodLogs`, when the runtime has a cluster, is looked up optionally). */
export type ApiServices = ObjectStore

/** What runs handlers: `ManagedRuntime.make(layer)` satisfies it. */
export interface ApiRuntime {
  readonly runPromiseExit: <A, E>(effect: Effect.Effect<A, E, ApiServices>) => Promise<Exit.Exit<A, unknown>>
}

/** Runs a handler and answers its Response, a Status for its API error, or a 500 for a defect. */
export const respond = async (
  runtime: ApiRuntime,
  handler: Effect.Effect<Response, ApiError, ApiServices>
): Promise<Response> => {
  const exit = await runtime.runPromiseExit(
    handler.pipe(Effect.catch((error: ApiError) => Effect.succeed(statusResponse(toStatus(error)))))
  )
  if (Exit.isSuccess(exit)) return exit.value
  const message = Cause.pretty(exit.cause as Cause.Cause<unknown>)
  console.error(`podlet api: handler failed\n${message}`)
  return statusResponse(internalErrorStatus(String(Cause.squash(exit.cause as Cause.Cause<unknown>))))
}
