/**
 * `POST .../pods/{name}/eviction` (policy/v1 Eviction): a delete that honours
 * PodDisruptionBudgets, through core's `evictPod`; `kubectl drain` uses it. 201 with a Success
 * Status; 429 TooManyRequests when a budget forbids it.
 */
import { BadRequest } from "@podlet/core/api/Errors"
import { evictPod } from "@podlet/core/control/Eviction"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Effect } from "effect"
import { readObjectBody } from "./Body.js"
import { deleteOptions, writeOptions } from "./Query.js"
import { jsonResponse } from "./Respond.js"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Evicts the pod named in the URL. */
export const evict = (namespace: string, name: string, request: Request, query: URLSearchParams) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const body = yield* readObjectBody(request)
    if (!isRecord(body)) return yield* new BadRequest({ message: "an Eviction must be an object" })
    if (body["kind"] !== undefined && body["kind"] !== "Eviction") {
      return yield* new BadRequest({ message: `expected an Eviction, got ${String(body["kind"])}` })
    }
    const metadata = isRecord(body["metadata"]) ? body["metadata"] : {}
    if (metadata["name"] !== undefined && metadata["name"] !== name) {
      return yield* new BadRequest({ message: `name in URL does not match name in Eviction object` })
    }
    const write = yield* writeOptions(query, "Create")
    const { dryRun, fieldValidation: _f, ...options } = yield* deleteOptions(body["deleteOptions"] ?? {}, query)
    const dry = dryRun === true || write.dryRun === true
    yield* evictPod(store, namespace, name, { ...options, ...(dry ? { dryRun: ["All"] } : {}) })
    return jsonResponse({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201)
  })
