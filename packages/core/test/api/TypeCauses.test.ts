/** `typeCauses` answers typed objects by a quick walk and sends the rest to the decoding Schema. */
import { describe, expect, it } from "@effect/vitest"
import { typeCauses } from "../../src/api/Decode.js"

const pod = (container: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", labels: { app: "web" } },
  spec: { containers: [{ name: "app", image: "nginx", ...container }], ...extra }
})

describe("typeCauses", () => {
  it("finds nothing in a typed pod (nulls and unknown fields included)", () => {
    expect(
      typeCauses(
        pod(
          { ports: [{ containerPort: 80 }], resources: { requests: { cpu: "100m", memory: 1024 } }, extra: 1 },
          { nodeName: null, terminationGracePeriodSeconds: 30 }
        )
      )
    ).toEqual([])
  })

  it.each([
    [
      { ports: [{ containerPort: "80" }] },
      "spec.containers[0].ports[0].containerPort",
      "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
    ],
    [
      { ports: [{ containerPort: 2 ** 40 }] },
      "spec.containers[0].ports[0].containerPort",
      `json: cannot unmarshal number ${2 ** 40} into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`
    ],
    [
      { resources: { limits: { cpu: "lots" } } },
      "spec.containers[0].resources.limits[cpu]",
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    ],
    [
      { stdin: "yes" },
      "spec.containers[0].stdin",
      "json: cannot unmarshal string into Go struct field Container.spec.containers.stdin of type bool"
    ],
    [
      { command: "sleep" },
      "spec.containers[0].command",
      "json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string"
    ]
  ])("reports a mistyped field through the Schema (%j)", (container, field, message) => {
    expect(typeCauses(pod(container))).toEqual([{ reason: "FieldValueTypeInvalid", field, message }])
  })

  it("reports a mistyped label value and a non-object map", () => {
    const labels = { ...(pod({}) as object), metadata: { name: "web", labels: { app: 1 } } }
    expect(typeCauses(labels).map((c) => c.field)).toEqual(["metadata.labels[app]"])
    const map = { ...(pod({}) as object), metadata: { name: "web", labels: ["a"] } }
    expect(typeCauses(map).map((c) => c.field)).toEqual(["metadata.labels"])
  })
})
