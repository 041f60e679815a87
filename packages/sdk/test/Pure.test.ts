/**
 * The SDK's pure helpers, as tables: Status → error class, an HTTP answer → Status, API paths, log
 * lines with timestamps, image references, Event order.
 */
import type { Event } from "@podlet/core/api/Objects"
import { resourceForKind } from "@podlet/core/api/Resources"
import { describe, expect, it } from "vitest"
import { splitImageRef } from "../src/Apply.js"
import { sortEvents } from "../src/ClusterOps.js"
import { errorFromStatus, sdkStatus } from "../src/Errors.js"
import { statusOfAnswer } from "../src/Http.js"
import { parseLogLine, pathOf } from "../src/Remote.js"

describe("errorFromStatus", () => {
  it.each([
    [404, "NotFound", "NotFoundError"],
    [409, "AlreadyExists", "AlreadyExistsError"],
    [409, "Conflict", "ConflictError"],
    [422, "Invalid", "InvalidError"],
    [400, "BadRequest", "BadRequestError"],
    [401, "Unauthorized", "UnauthorizedError"],
    [403, "Forbidden", "ForbiddenError"],
    [410, "Expired", "ExpiredError"],
    [410, "Gone", "ExpiredError"],
    [429, "TooManyRequests", "TooManyRequestsError"],
    [409, "", "ConflictError"],
    [429, "", "TooManyRequestsError"],
    [405, "MethodNotAllowed", "ServerError"],
    [500, "InternalError", "ServerError"]
  ] as const)("%i %s is a %s", (code, reason, tag) => {
    const error = errorFromStatus(sdkStatus(code, reason, "m"))
    expect([error._tag, error.name, error.code, error.message]).toEqual([tag, tag, code, "m"])
  })
})

describe("statusOfAnswer", () => {
  it("keeps a Status body, and makes one from a code and text otherwise", () => {
    const body = { apiVersion: "v1", kind: "Status", metadata: {}, status: "Failure", reason: "NotFound", code: 404 }
    expect(statusOfAnswer({ status: 404, text: JSON.stringify(body) })).toEqual(body)
    expect(statusOfAnswer({ status: 400, text: "Bad Request" })).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: "Bad Request"
    })
    expect(statusOfAnswer({ status: 503, text: "" })).toMatchObject({ code: 503, message: "Service Unavailable" })
    expect(statusOfAnswer({ status: 418, text: "{}" })).toMatchObject({ code: 418, reason: "Unknown", message: "{}" })
  })
})

describe("pathOf", () => {
  const kind = (k: string) => resourceForKind(k)!
  it.each([
    ["Pod", "default", "web", "/api/v1/namespaces/default/pods/web"],
    ["Pod", undefined, undefined, "/api/v1/pods"],
    ["Node", undefined, "node-1", "/api/v1/nodes/node-1"],
    ["ReplicaSet", "team a", "web", "/apis/apps/v1/namespaces/team%20a/replicasets/web"],
    ["PodDisruptionBudget", "default", undefined, "/apis/policy/v1/namespaces/default/poddisruptionbudgets"]
  ] as const)("%s %s %s", (k, namespace, name, path) => expect(pathOf(kind(k), namespace, name)).toBe(path))
})

describe("parseLogLine", () => {
  it.each([
    [
      "2025-01-01T00:00:01.250000000Z hello world",
      { time: Date.parse("2025-01-01T00:00:01.250Z"), line: "hello world" }
    ],
    ["2025-01-01T00:00:02Z ", { time: Date.parse("2025-01-01T00:00:02Z"), line: "" }],
    ["no timestamp here", { time: 0, line: "no timestamp here" }]
  ] as const)("%s", (text, parsed) => expect(parseLogLine(text)).toEqual(parsed))
})

describe("splitImageRef", () => {
  it.each([
    ["busybox", { name: "busybox" }],
    ["busybox:1.36", { name: "busybox", tag: "1.36" }],
    ["localhost:5000/app", { name: "localhost:5000/app" }],
    ["localhost:5000/app:dev", { name: "localhost:5000/app", tag: "dev" }],
    ["nginx@sha256:abc", { name: "nginx" }]
  ] as const)("%s", (ref, split) => expect(splitImageRef(ref)).toEqual(split))
})

describe("sortEvents", () => {
  it("orders by the creation counter in the name, not by text", () => {
    const event = (name: string) => ({ metadata: { name } }) as Event
    const names = sortEvents([event("web.1a"), event("web.9"), event("web.10"), event("other")]).map(
      (e) => e.metadata.name
    )
    expect(names).toEqual(["other", "web.9", "web.10", "web.1a"])
  })
})
