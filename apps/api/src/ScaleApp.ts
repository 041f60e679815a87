/**
 * The `scale` subresource of ReplicaSets (`kubectl scale rs/web --replicas=3`): GET and PUT an
 * autoscaling/v1 Scale, and PATCH it (kubectl sends a merge patch `{"spec":{"replicas":3}}`),
 * over core's `getScale` / `updateScale`.
 */
import { BadRequest } from "@podlet/core/api/Errors"
import { jsonPatch, mergePatch, strategicMergePatch } from "@podlet/core/api/Patch"
import { getScale, type Scale, updateScale } from "@podlet/core/control/Scale"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Effect } from "effect"
import { readObjectBody, readPatchBody } from "./Body.js"
import { jsonResponse } from "./Respond.js"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The replicas a Scale body asks for (a number, or the field missing). */
const scaleRequest = (
  body: unknown
): Effect.Effect<Pick<Scale, "spec"> & { metadata?: { resourceVersion?: string } }, BadRequest> => {
  if (!isRecord(body)) return Effect.fail(new BadRequest({ message: "a Scale must be an object" }))
  const spec = body["spec"]
  const metadata = body["metadata"]
  const replicas = isRecord(spec) ? spec["replicas"] : undefined
  if (replicas !== undefined && typeof replicas !== "number") {
    return Effect.fail(
      new BadRequest({
        message: `Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`
      })
    )
  }
  const rv =
    isRecord(metadata) && typeof metadata["resourceVersion"] === "string" ? metadata["resourceVersion"] : undefined
  return Effect.succeed({
    spec: replicas === undefined ? {} : { replicas },
    ...(rv === undefined ? {} : { metadata: { resourceVersion: rv } })
  })
}

/** GET .../replicasets/{name}/scale */
export const readScale = (namespace: string, name: string) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    return jsonResponse(yield* getScale(store, namespace, name))
  })

/** PUT .../replicasets/{name}/scale */
export const replaceScale = (namespace: string, name: string, request: Request) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const body = yield* readObjectBody(request)
    const scale = yield* scaleRequest(body)
    return jsonResponse(yield* updateScale(store, namespace, name, scale))
  })

/** PATCH .../replicasets/{name}/scale (merge, strategic merge or JSON patch of the Scale) */
export const patchScale = (namespace: string, name: string, request: Request) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const { kind, patch } = yield* readPatchBody(request)
    const current = yield* getScale(store, namespace, name)
    const apply = kind === "json" ? jsonPatch : kind === "merge" ? mergePatch : strategicMergePatch
    const result = apply(current, patch)
    if (result._tag === "Error") return yield* new BadRequest({ message: result.message })
    const scale = yield* scaleRequest(result.value)
    const { metadata: _ignored, ...withoutPrecondition } = scale
    return jsonResponse(yield* updateScale(store, namespace, name, withoutPrecondition))
  })
