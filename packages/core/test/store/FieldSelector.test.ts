// Field selector parsing and matching, with the selectable fields of pods and events.
import { describe, expect, it } from "@effect/vitest"
import { fieldValue, matchesFields, parseFieldSelector } from "../../src/api/FieldSelector.js"
import type { KubeObject } from "../../src/api/Meta.js"

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default" },
  spec: { nodeName: "node-1", schedulerName: "default-scheduler", restartPolicy: "Always" },
  status: { phase: "Running" }
} as KubeObject

const event = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web.1", namespace: "default" },
  involvedObject: { kind: "Pod", name: "web", namespace: "default", uid: "u-1" },
  reason: "Pulled",
  type: "Normal",
  source: { component: "kubelet", host: "node-1" }
} as KubeObject

const check = (resource: string, selector: string, object: KubeObject): boolean => {
  const parsed = parseFieldSelector(resource, selector)
  if (parsed._tag === "Error") throw new Error(parsed.message)
  return matchesFields(resource, parsed.requirements, object)
}

describe("parseFieldSelector", () => {
  it.each([
    ["", []],
    ["metadata.name=web", [{ field: "metadata.name", operator: "=", value: "web" }]],
    ["metadata.name==web", [{ field: "metadata.name", operator: "=", value: "web" }]],
    [
      "status.phase!=Succeeded,status.phase!=Failed",
      [
        { field: "status.phase", operator: "!=", value: "Succeeded" },
        { field: "status.phase", operator: "!=", value: "Failed" }
      ]
    ],
    ["spec.nodeName=", [{ field: "spec.nodeName", operator: "=", value: "" }]],
    ["metadata.name=a\\,b", [{ field: "metadata.name", operator: "=", value: "a,b" }]]
  ] as const)("pods %j", (selector, requirements) => {
    expect(parseFieldSelector("pods", selector)).toEqual({ _tag: "Ok", requirements })
  })

  it.each([
    ["pods", "foo=bar", "field label not supported: foo"],
    ["pods", "reason=x", "field label not supported: reason"],
    ["configmaps", "spec.nodeName=x", "field label not supported: spec.nodeName"],
    ["pods", "metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ["pods", "metadata.name=a=b", "invalid selector: 'metadata.name=a=b'; can't understand 'metadata.name=a=b'"]
  ])("%s %j is an error", (resource, selector, message) => {
    expect(parseFieldSelector(resource, selector)).toEqual({ _tag: "Error", message })
  })
})

describe("matchesFields", () => {
  it.each([
    ["pods", "metadata.name=web", pod, true],
    ["pods", "metadata.namespace=kube-system", pod, false],
    ["pods", "spec.nodeName=node-1", pod, true],
    ["pods", "spec.schedulerName=default-scheduler", pod, true],
    ["pods", "spec.restartPolicy=Never", pod, false],
    ["pods", "status.phase!=Succeeded,status.phase!=Failed", pod, true],
    ["pods", "status.phase=Running,spec.nodeName!=node-1", pod, false],
    ["events", "involvedObject.name=web,involvedObject.kind=Pod", event, true],
    ["events", "involvedObject.uid=u-1", event, true],
    ["events", "involvedObject.namespace=other", event, false],
    ["events", "reason=Pulled,type=Normal", event, true],
    ["events", "type=Warning", event, false],
    ["events", "source=kubelet", event, true]
  ] as const)("%s %j", (resource, selector, object, expected) => {
    expect(check(resource, selector, object)).toBe(expected)
  })

  it("an absent field is the empty string", () => {
    const unscheduled = { ...pod, spec: {} } as KubeObject
    expect(fieldValue("pods", unscheduled, "spec.nodeName")).toBe("")
    expect(check("pods", "spec.nodeName=", unscheduled)).toBe(true)
  })
})
