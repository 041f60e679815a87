import { describe, expect, it } from "@effect/vitest"
import { ApiFailure, BadRequest, Conflict, Forbidden } from "../../src/api/Errors.js"
import {
  alreadyExistsError,
  conflictError,
  forbiddenError,
  invalidError,
  notFoundError,
  tooOldResourceVersion,
  toStatus
} from "../../src/api/Status.js"

describe("toStatus", () => {
  it("NotFound", () => {
    expect(toStatus(notFoundError({ resource: "pods", name: "nothere" }))).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "nothere" not found',
      reason: "NotFound",
      details: { name: "nothere", kind: "pods" },
      code: 404
    })
    expect(toStatus(notFoundError({ resource: "replicasets", name: "rs" })).message).toBe(
      'replicasets.apps "rs" not found'
    )
    expect(toStatus(notFoundError({ resource: "replicasets", name: "rs" })).details).toEqual({
      name: "rs",
      group: "apps",
      kind: "replicasets"
    })
  })

  it("AlreadyExists", () => {
    const s = toStatus(alreadyExistsError({ resource: "pods", name: "web" }))
    expect([s.code, s.reason, s.message]).toEqual([409, "AlreadyExists", 'pods "web" already exists'])
  })

  it("Conflict, with or without the upstream prefix already in the message", () => {
    const expected =
      'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again'
    expect(toStatus(conflictError({ resource: "pods", name: "web" })).message).toBe(expected)
    const prefixed = new Conflict({ resource: "pods", group: "", kind: "Pod", name: "web", message: expected })
    const s = toStatus(prefixed)
    expect([s.code, s.reason, s.message]).toEqual([409, "Conflict", expected])
  })

  it("Invalid carries every cause and Kubernetes' message", () => {
    const s = toStatus(
      invalidError({ resource: "pods", name: "bad" }, [
        { reason: "FieldValueRequired", message: "Required value", field: "spec.containers[0].image" }
      ])
    )
    expect(s).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Pod "bad" is invalid: spec.containers[0].image: Required value',
      reason: "Invalid",
      details: {
        name: "bad",
        kind: "Pod",
        causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.containers[0].image" }]
      },
      code: 422
    })
  })

  it("Forbidden, Expired, BadRequest and ready-made failures", () => {
    const f = toStatus(
      forbiddenError(
        { resource: "pods", name: "x" },
        "unable to create new content in namespace ns because it is being terminated"
      )
    )
    expect([f.code, f.message]).toEqual([
      403,
      'pods "x" is forbidden: unable to create new content in namespace ns because it is being terminated'
    ])
    const already = toStatus(
      new Forbidden({ resource: "pods", group: "", kind: "Pod", name: "x", message: 'pods "x" is forbidden: no' })
    )
    expect(already.message).toBe('pods "x" is forbidden: no')
    const e = toStatus(tooOldResourceVersion(5, 10))
    expect([e.code, e.reason, e.message]).toEqual([410, "Expired", "too old resource version: 5 (10)"])
    const b = toStatus(new BadRequest({ message: "bad" }))
    expect([b.code, b.reason, b.message, b.details]).toEqual([400, "BadRequest", "bad", undefined])
    const m = toStatus(
      new ApiFailure({
        code: 405,
        reason: "MethodNotAllowed",
        message: "the server does not allow this method on the requested resource"
      })
    )
    expect([m.code, m.reason]).toEqual([405, "MethodNotAllowed"])
  })
})
