/**
 * The OpenAPI v3 component schemas `kubectl explain` reads: every served kind tagged with its GVK,
 * every `$ref` resolvable inside its own document, fields typed as Kubernetes types them.
 */
import { describe, expect, it } from "vitest"
import { openApiDocument } from "../src/OpenApi.js"
import { componentName } from "../src/OpenApiSchemas.js"
import { GroupVersions } from "../src/Target.js"

type Schema = Record<string, unknown>

const refsOf = (value: unknown, out: Array<string> = []): Array<string> => {
  if (Array.isArray(value)) for (const v of value) refsOf(v, out)
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v)
      else refsOf(v, out)
    }
  }
  return out
}

describe("OpenAPI v3 component schemas", () => {
  it.each(GroupVersions.map((gv) => [gv.groupVersion, gv] as const))(
    "%s: kinds tagged, every $ref resolves",
    (_, gv) => {
      const doc = openApiDocument(gv)
      const schemas = doc.components.schemas as Record<string, Schema>
      for (const r of gv.resources) {
        const tagged = Object.values(schemas).filter((s) =>
          (s["x-kubernetes-group-version-kind"] as Array<Schema> | undefined)?.some(
            (g) => g["kind"] === r.kind && g["group"] === r.group && g["version"] === r.version
          )
        )
        expect(tagged, r.kind).toHaveLength(1)
        expect(tagged[0]!["description"], r.kind).toEqual(expect.any(String))
      }
      for (const target of refsOf(doc)) {
        expect(target).toMatch(/^#\/components\/schemas\//)
        expect(schemas[target.slice("#/components/schemas/".length)], target).toBeDefined()
      }
    }
  )

  it("types pod fields as Kubernetes does", () => {
    const schemas = openApiDocument(GroupVersions[0]!).components.schemas as Record<string, Schema>
    const props = (name: string) => schemas[name]!["properties"] as Record<string, Schema>
    expect(props("io.k8s.api.core.v1.Pod")["spec"]).toMatchObject({
      allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.PodSpec" }]
    })
    expect(props("io.k8s.api.core.v1.PodSpec")["containers"]).toMatchObject({
      type: "array",
      items: { allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.Container" }] }
    })
    expect(schemas["io.k8s.api.core.v1.PodSpec"]!["required"]).toEqual(["containers"])
    expect(props("io.k8s.api.core.v1.ContainerPort")["containerPort"]).toMatchObject({
      type: "integer",
      format: "int32"
    })
    expect(props("io.k8s.api.core.v1.ResourceRequirements")["limits"]).toMatchObject({
      type: "object",
      additionalProperties: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity" }
    })
    expect(props("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")["labels"]).toMatchObject({
      type: "object",
      additionalProperties: { type: "string" }
    })
  })

  it.each([
    ["v1.PodSpec", "io.k8s.api.core.v1.PodSpec"],
    ["v1.ObjectMeta", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"],
    ["v1.LabelSelector", "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"],
    ["v1.ReplicaSetSpec", "io.k8s.api.apps.v1.ReplicaSetSpec"],
    ["v1.PodDisruptionBudgetStatus", "io.k8s.api.policy.v1.PodDisruptionBudgetStatus"],
    ["v1.LeaseSpec", "io.k8s.api.coordination.v1.LeaseSpec"]
  ])("names %s %s", (go, name) => {
    expect(componentName(go)).toBe(name)
  })
})
