import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { stringify } from "yaml"
import {
  checkFieldValidation,
  decodeJson,
  decodeObject,
  parseManifests,
  pruneUnknown,
  unknownFields
} from "../../src/api/Decode.js"
import type { BadRequest } from "../../src/api/Errors.js"
import type { KubeObject } from "../../src/api/Meta.js"
import type { Pod } from "../../src/api/Pod.js"

const failure = <A>(r: Result.Result<A, BadRequest>): BadRequest => {
  if (Result.isSuccess(r)) throw new Error(`expected a failure, got ${JSON.stringify(r.success)}`)
  return r.failure
}
const success = <A>(r: Result.Result<A, BadRequest>): A => {
  if (Result.isFailure(r)) throw new Error(`expected a success, got ${r.failure.message}`)
  return r.success
}

const podYaml = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: nginx
    image: nginx:1.25
    ports:
    - containerPort: 80
    resources:
      requests: {cpu: 0.5, memory: 64Mi}
`

describe("decodeObject", () => {
  it("decodes a pod and keeps its fields", () => {
    const pod = success(
      decodeJson(
        JSON.stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p" },
          spec: { containers: [{ name: "c", image: "x" }] }
        })
      )
    )
    expect(pod).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "x" }] }
    })
  })

  it("fills kind and apiVersion from the endpoint's resource", () => {
    const pod = success(decodeObject({ metadata: { name: "p" }, spec: { containers: [] } }, { resource: "pods" }))
    expect([pod.apiVersion, pod.kind]).toEqual(["v1", "Pod"])
  })

  it("drops null members like Go's decoder, but keeps lastProbeTime: null", () => {
    const pod = success(
      decodeObject({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", labels: null },
        spec: { containers: [{ name: "c", image: "x", command: null }] },
        status: { conditions: [{ type: "Ready", status: "True", lastProbeTime: null }] }
      })
    ) as Pod
    expect(pod.metadata).toEqual({ name: "p" })
    expect(pod.spec.containers[0]).toEqual({ name: "c", image: "x" })
    expect(pod.status?.conditions?.[0]).toEqual({ type: "Ready", status: "True", lastProbeTime: null })
  })

  it("words type errors as the API server's decoder and locates them", () => {
    const e = failure(
      decodeObject({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p" },
        spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: "80" }] }] }
      })
    )
    expect(e.message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32'
    )
    expect(e.causes?.map((c) => c.field)).toEqual(["spec.containers[0].ports[0].containerPort"])
  })

  it.each<[string, unknown, string, string]>([
    [
      "image as a number",
      { containers: [{ name: "c", image: 5 }] },
      "spec.containers[0].image",
      "json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string"
    ],
    [
      "containers as a string",
      { containers: "nginx" },
      "spec.containers",
      "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container"
    ],
    [
      "fractional port",
      { containers: [{ name: "c", ports: [{ containerPort: 80.5 }] }] },
      "spec.containers[0].ports[0].containerPort",
      "json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
    ],
    [
      "label value as a bool",
      { containers: [], nodeSelector: { disk: true } },
      "spec.nodeSelector[disk]",
      "json: cannot unmarshal bool into Go struct field PodSpec.spec.nodeSelector of type string"
    ],
    [
      "bad quantity",
      { containers: [{ name: "c", resources: { limits: { cpu: "lots" } } }] },
      "spec.containers[0].resources.limits[cpu]",
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    ],
    [
      // Go's Quantity.UnmarshalJSON parses the bare token `true` and fails as for any bad quantity
      "quantity as a bool",
      { containers: [{ name: "c", resources: { requests: { memory: true } } }] },
      "spec.containers[0].resources.requests[memory]",
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    ]
  ])("%s", (_name, spec, field, message) => {
    const e = failure(decodeObject({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec }))
    expect(e.causes?.[0]).toEqual({ reason: "FieldValueTypeInvalid", field, message })
    expect(e.message).toBe(`Pod in version "v1" cannot be handled as a Pod: ${message}`)
  })

  it("collects every type error in causes", () => {
    const e = failure(
      decodeObject({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: 1 },
        spec: { containers: [{ name: 2, image: 3 }] }
      })
    )
    expect(e.causes?.map((c) => c.field)).toEqual([
      "metadata.name",
      "spec.containers[0].name",
      "spec.containers[0].image"
    ])
  })

  it("rejects bad secret data as base64", () => {
    const e = failure(
      decodeObject({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "not base64!" } })
    )
    expect(e.message).toBe('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3')
  })

  it.each<[string, unknown, string]>([
    ["no kind", { apiVersion: "v1", metadata: {} }, `Object 'Kind' is missing in '{"apiVersion":"v1","metadata":{}}'`],
    [
      "unknown kind",
      { apiVersion: "apps/v1", kind: "Deployment" },
      'no matches for kind "Deployment" in version "apps/v1"'
    ],
    ["wrong version", { apiVersion: "v1", kind: "ReplicaSet" }, 'no matches for kind "ReplicaSet" in version "v1"'],
    ["not an object", [1, 2], "Object 'Kind' is missing in '[1,2]'"]
  ])("%s", (_name, raw, message) => {
    expect(failure(decodeObject(raw)).message).toBe(message)
  })

  it("reports malformed JSON", () => {
    expect(failure(decodeJson("{nope")).message).toMatch(/^couldn't get version\/kind; json parse error: /)
  })
})

describe("unknown fields (fieldValidation)", () => {
  const raw = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", bogus: 1 },
    spec: { containers: [{ name: "c", image: "x", imagee: "y" }], nodeSelector: { "any-key": "ok" } },
    extra: true
  }

  it("lists them with the strict decoder's wording", () => {
    expect(unknownFields("Pod", raw)).toEqual([
      'unknown field "metadata.bogus"',
      'unknown field "spec.containers[0].imagee"',
      'unknown field "extra"'
    ])
  })

  it("Strict fails, Warn warns, Ignore ignores", () => {
    expect(failure(checkFieldValidation("pods", raw, "Strict")).message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "metadata.bogus", unknown field "spec.containers[0].imagee", unknown field "extra"'
    )
    expect(success(checkFieldValidation("pods", raw, "Warn"))).toHaveLength(3)
    expect(success(checkFieldValidation("pods", raw, "Ignore"))).toEqual([])
  })

  it("accepts real Kubernetes fields podlet does not model", () => {
    const real = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: {
        containers: [{ name: "c", image: "x", resizePolicy: [{ resourceName: "cpu", restartPolicy: "NotRequired" }] }],
        imagePullSecrets: [{ name: "reg" }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }],
        volumes: [{ name: "v", projected: { sources: [] } }]
      }
    }
    expect(unknownFields("Pod", real)).toEqual([])
  })

  it("prunes them from what is stored", () => {
    const decoded = success(decodeObject(raw))
    expect(pruneUnknown(decoded)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "x" }], nodeSelector: { "any-key": "ok" } }
    })
  })
})

describe("parseManifests", () => {
  it("reads one YAML document", () => {
    const [pod] = success(parseManifests(podYaml)) as ReadonlyArray<Pod>
    expect(pod?.metadata.name).toBe("web")
    expect(pod?.spec.containers[0]?.resources?.requests).toEqual({ cpu: 0.5, memory: "64Mi" })
  })

  it("reads several documents, skipping empty ones, and flattens lists", () => {
    const text = `${podYaml}\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: v}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n---\n`
    expect(success(parseManifests(text)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "Pod/web",
      "ConfigMap/a",
      "Namespace/b"
    ])
  })

  it("reads JSON, including a PodList", () => {
    const list = {
      apiVersion: "v1",
      kind: "PodList",
      items: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "x" }, spec: { containers: [] } }]
    }
    expect(success(parseManifests(JSON.stringify(list))).map((o) => o.metadata.name)).toEqual(["x"])
  })

  it("reads YAML 1.1 booleans as Kubernetes does", () => {
    const e = failure(parseManifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  enabled: yes\n"))
    expect(e.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string'
    )
  })

  it("keeps unquoted times like 10:30 as strings and reads 0755 as octal", () => {
    const [pod] = success(
      parseManifests(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: x\n    args: [10:30]\n  volumes:\n  - name: v\n    configMap: {name: cm, defaultMode: 0755}\n"
      )
    ) as ReadonlyArray<Pod>
    expect(pod?.spec.containers[0]?.args).toEqual(["10:30"])
    expect(pod?.spec.volumes?.[0]?.configMap?.defaultMode).toBe(493)
  })

  it("keeps unquoted dates as strings", () => {
    const [cm] = success(
      parseManifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  day: 2024-01-01\n")
    ) as ReadonlyArray<KubeObject & { data: Record<string, string> }>
    expect(cm?.data.day).toBe("2024-01-01")
  })

  it("names the failing document", () => {
    const text = `${podYaml}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: c\n    image: [x]\n`
    const e = failure(parseManifests(text))
    expect(e.message).toBe(
      'object 2 of 2: Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string'
    )
    expect(e.causes?.[0]?.field).toBe("spec.containers[0].image")
  })

  it("reports YAML syntax errors with a line", () => {
    const e = failure(parseManifests("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n    bad: indent\n"))
    expect(e.message).toMatch(/^error converting YAML to JSON: yaml: line \d+: /)
  })

  it("rejects duplicate keys", () => {
    expect(Result.isFailure(parseManifests("kind: Pod\nkind: Pod\n"))).toBe(true)
  })
})

describe("properties", () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/)
  const container = fc.record(
    {
      name,
      image: fc.constantFrom("nginx", "nginx:1.25", "busybox:latest", "registry.local:5000/app"),
      command: fc.array(fc.string(), { maxLength: 3 }),
      ports: fc.array(
        fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom("TCP", "UDP") }),
        { maxLength: 2 }
      ),
      resources: fc.record({
        requests: fc.record({ cpu: fc.constantFrom("100m", "1", 0.5), memory: fc.constantFrom("64Mi", "1Gi") })
      }),
      restartPolicy: fc.constant("Always" as const)
    },
    { requiredKeys: ["name", "image"] }
  )
  const pod = fc.record({
    apiVersion: fc.constant("v1"),
    kind: fc.constant("Pod"),
    metadata: fc.record({ name, namespace: fc.constant("default"), labels: fc.dictionary(name, name, { maxKeys: 3 }) }),
    spec: fc.record(
      {
        containers: fc.array(container, { minLength: 1, maxLength: 3 }),
        restartPolicy: fc.constantFrom("Always", "OnFailure", "Never"),
        terminationGracePeriodSeconds: fc.integer({ min: 0, max: 3600 }),
        nodeSelector: fc.dictionary(name, name, { maxKeys: 2 })
      },
      { requiredKeys: ["containers"] }
    )
  })

  it("decode(encode(pod)) round-trips through JSON and YAML", () => {
    fc.assert(
      fc.property(pod, (p) => {
        expect(success(decodeJson(JSON.stringify(p)))).toEqual(p)
        expect(success(parseManifests(stringify(p, { version: "1.1" })))).toEqual([p])
      }),
      { numRuns: 100 }
    )
  }, 60_000)

  it("never throws on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, "pods", "secrets", "nodes"), (value, resource) => {
        const r = decodeObject(value, resource === undefined ? {} : { resource })
        expect(Result.isSuccess(r) || r.failure._tag === "BadRequest").toBe(true)
      }),
      { numRuns: 500 }
    )
  }, 60_000)

  it("never throws on arbitrary pod-like objects", () => {
    const anything = fc.anything({ maxDepth: 4 })
    fc.assert(
      fc.property(
        fc.record({
          spec: fc.record({
            containers: fc.array(fc.dictionary(fc.constantFrom("name", "image", "ports", "resources", "env"), anything))
          })
        }),
        (value) => {
          const r = decodeObject({ apiVersion: "v1", kind: "Pod", metadata: {}, ...value })
          expect(Result.isSuccess(r) || r.failure._tag === "BadRequest").toBe(true)
          unknownFields("Pod", value)
        }
      ),
      { numRuns: 300 }
    )
  }, 60_000)

  it("never throws on arbitrary text", () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          "a: 1",
          "- x",
          "---",
          "kind: Pod",
          "  b: [",
          "{",
          "apiVersion: v1",
          "&a *a",
          "? x",
          ": y",
          "\t",
          "!!binary",
          "items: []",
          "kind: List"
        ),
        { maxLength: 8 }
      )
      .map((l) => l.join("\n"))
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        const r = parseManifests(text)
        expect(Result.isSuccess(r) || r.failure._tag === "BadRequest").toBe(true)
        const j = decodeJson(text)
        expect(Result.isSuccess(j) || j.failure._tag === "BadRequest").toBe(true)
      }),
      { numRuns: 500 }
    )
  }, 60_000)
})
