import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { KubeObject } from "../../src/api/Meta.js"
import type { Namespace, ReplicaSet, Secret } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import { strategyFor } from "../../src/api/Strategy.js"

const context = { now: "2025-01-01T00:00:00Z", uid: "uid-1" }

const rawPod = (extra: Partial<Pod["spec"]> = {}): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { containers: [{ name: "app", image: "nginx:1.25", imagee: "typo" }], ...extra },
    status: { phase: "Running" }
  }) as unknown as KubeObject

describe("pods", () => {
  const pods = strategyFor("pods")

  it("prepares a created pod: defaults, Pending status with QoS, unknown fields dropped", () => {
    const pod = pods.prepareForCreate(rawPod(), context) as Pod
    expect(pod.metadata.uid).toBe("uid-1")
    expect(pod.metadata.creationTimestamp).toBe("2025-01-01T00:00:00Z")
    expect(pod.status).toEqual({ phase: "Pending", qosClass: "BestEffort" })
    expect(pod.spec.containers[0]).not.toHaveProperty("imagee")
    expect(pod.spec.containers[0]?.imagePullPolicy).toBe("IfNotPresent")
    expect(pod.spec.tolerations?.map((t) => t.key)).toEqual([
      "node.kubernetes.io/not-ready",
      "node.kubernetes.io/unreachable"
    ])
    expect(pods.validate(pod)).toEqual([])
  })

  it("reports unknown fields", () => {
    expect(pods.unknownFields(rawPod())).toEqual(['unknown field "spec.containers[0].imagee"'])
  })

  it("adds PodScheduled=False SchedulingGated for gated pods (spec §7)", () => {
    const pod = pods.prepareForCreate(rawPod({ schedulingGates: [{ name: "example.com/wait" }] }), context) as Pod
    expect(pod.status?.conditions).toEqual([
      {
        type: "PodScheduled",
        status: "False",
        reason: "SchedulingGated",
        message: "Scheduling is blocked due to non-empty scheduling gates",
        lastProbeTime: null
      }
    ])
  })

  it("re-applies defaults on update, so a PUT of the original manifest changes nothing", () => {
    const created = pods.prepareForCreate(rawPod(), context) as Pod
    const put = { ...(rawPod() as unknown as Pod), metadata: created.metadata, status: created.status }
    const updated = pods.prepareForUpdate(put, created)
    expect(updated).toEqual(created)
    expect(pods.validateUpdate(updated, created)).toEqual([])
  })

  it("does not re-default imagePullPolicy when the image changes (scenario E1)", () => {
    const created = pods.prepareForCreate(rawPod(), context) as Pod
    expect(created.spec.containers[0]?.imagePullPolicy).toBe("IfNotPresent")
    const patched: Pod = {
      ...created,
      spec: { ...created.spec, containers: [{ ...created.spec.containers[0]!, image: "nginx:latest" }] }
    }
    const updated = pods.prepareForUpdate(patched, created) as Pod
    expect(updated.spec.containers[0]?.imagePullPolicy).toBe("IfNotPresent")
    expect(pods.validateUpdate(updated, created)).toEqual([])
  })

  it("allows an image change and forbids a command change", () => {
    const created = pods.prepareForCreate(rawPod(), context) as Pod
    const withImage = {
      ...created,
      spec: { ...created.spec, containers: [{ ...created.spec.containers[0]!, image: "nginx:1.26" }] }
    }
    expect(pods.validateUpdate(pods.prepareForUpdate(withImage, created), created)).toEqual([])
    const withCommand = {
      ...created,
      spec: { ...created.spec, containers: [{ ...created.spec.containers[0]!, command: ["sleep"] }] }
    }
    expect(pods.validateUpdate(pods.prepareForUpdate(withCommand, created), created).map((c) => c.field)).toEqual([
      "spec"
    ])
  })

  it("keeps the QoS class, and terminated containers of a Never pod terminated, on status updates", () => {
    const created = pods.prepareForCreate(rawPod({ restartPolicy: "Never" }), context) as Pod
    const guaranteed: Pod = { ...created, status: { phase: "Running", qosClass: "Guaranteed" } }
    const lostQos = pods.prepareForUpdate(guaranteed, created) as Pod
    expect(lostQos.status?.qosClass).toBe("BestEffort")
    const status = (state: object) => ({
      ...created.status,
      containerStatuses: [
        { name: "app", state, lastState: {}, ready: false, restartCount: 0, image: "nginx:1.25", imageID: "" }
      ]
    })
    const done: Pod = { ...created, status: status({ terminated: { exitCode: 0, reason: "Completed" } }) }
    const revived: Pod = { ...created, status: status({ running: { startedAt: "2025-01-01T00:00:05Z" } }) }
    expect(pods.validateUpdate(revived, done).map((c) => `${c.field}: ${c.message}`)).toEqual([
      "status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state"
    ])
  })
})

describe("other resources", () => {
  it("namespaces start Active with the kubernetes finalizer and name label", () => {
    const ns = strategyFor("namespaces").prepareForCreate(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } },
      context
    ) as Namespace
    expect(ns.status).toEqual({ phase: "Active" })
    expect(ns.spec).toEqual({ finalizers: ["kubernetes"] })
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team" })
    const edited = strategyFor("namespaces").prepareForUpdate(
      { ...ns, spec: { finalizers: [] } } as KubeObject,
      ns
    ) as Namespace
    expect(edited.spec).toEqual({ finalizers: ["kubernetes"] })
  })

  it("secrets merge stringData", () => {
    const s = strategyFor("secrets").prepareForCreate(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s", namespace: "default" },
        stringData: { a: "b" }
      } as KubeObject,
      context
    ) as Secret
    expect(s.data).toEqual({ a: "Yg==" })
    expect(s).not.toHaveProperty("stringData")
  })

  it("replicasets get defaults, an empty status and template validation", () => {
    const rs = strategyFor("replicasets").prepareForCreate(
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name: "rs", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }
        }
      } as KubeObject,
      context
    ) as ReplicaSet
    expect(rs.status).toEqual({ replicas: 0 })
    expect(rs.metadata.generation).toBe(1)
    const scaled = strategyFor("replicasets").prepareForUpdate(
      { ...rs, spec: { ...rs.spec, replicas: 3 } } as KubeObject,
      rs
    )
    expect(scaled.metadata.generation).toBe(2)
    const relabelled = strategyFor("replicasets").prepareForUpdate(
      { ...rs, metadata: { ...rs.metadata, labels: { a: "b" } } },
      rs
    )
    expect(relabelled.metadata.generation).toBe(1)
    expect(rs.spec.replicas).toBe(1)
    expect(
      strategyFor("replicasets")
        .validate(rs)
        .map((c) => c.field)
    ).toEqual(["spec.template.metadata.labels"])
  })

  it("events and configmaps are stored as given", () => {
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "default" },
      data: { a: "b" }
    } as KubeObject
    const prepared = strategyFor("configmaps").prepareForCreate(cm, context)
    expect(prepared).toEqual({ ...cm, metadata: { ...cm.metadata, uid: "uid-1", creationTimestamp: context.now } })
    expect(strategyFor("configmaps").validate(prepared)).toEqual([])
  })
})

describe("robustness", () => {
  const kinds: ReadonlyArray<[string, string, string]> = [
    ["pods", "Pod", "v1"],
    ["replicasets", "ReplicaSet", "apps/v1"],
    ["services", "Service", "v1"],
    ["secrets", "Secret", "v1"],
    ["configmaps", "ConfigMap", "v1"],
    ["namespaces", "Namespace", "v1"],
    ["nodes", "Node", "v1"],
    ["events", "Event", "v1"],
    ["endpoints", "Endpoints", "v1"],
    ["poddisruptionbudgets", "PodDisruptionBudget", "policy/v1"],
    ["leases", "Lease", "coordination.k8s.io/v1"]
  ]

  it("strategies never throw on objects that decode, however sparse", () => {
    const sparse = fc.record(
      {
        spec: fc.record(
          {
            containers: fc.array(fc.record({ name: fc.string(), image: fc.string() }, { requiredKeys: [] }), {
              maxLength: 2
            }),
            template: fc.record(
              { spec: fc.record({ containers: fc.constant([]) }, { requiredKeys: [] }) },
              { requiredKeys: [] }
            ),
            ports: fc.array(fc.record({ port: fc.integer({ min: 0, max: 70000 }) }, { requiredKeys: [] }), {
              maxLength: 2
            }),
            selector: fc.constant({})
          },
          { requiredKeys: [] }
        ),
        status: fc.constant({})
      },
      { requiredKeys: [] }
    )
    fc.assert(
      fc.property(fc.constantFrom(...kinds), sparse, ([resource, kind, apiVersion], body) => {
        const object = {
          apiVersion,
          kind,
          metadata: { name: "x", namespace: "default" },
          ...body
        } as unknown as KubeObject
        const s = strategyFor(resource)
        const created = s.prepareForCreate(object, context)
        s.validate(created)
        const updated = s.prepareForUpdate(object, created)
        s.validateUpdate(updated, created)
        s.unknownFields(object)
      }),
      { numRuns: 300 }
    )
  }, 60_000)

  it("reports undecodable objects as type errors instead of throwing", () => {
    const object = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "x", namespace: "default" },
      spec: { containers: "nginx" }
    } as unknown as KubeObject
    const pods = strategyFor("pods")
    const prepared = pods.prepareForCreate(object, context)
    expect(pods.validate(prepared)).toEqual([
      {
        reason: "FieldValueTypeInvalid",
        field: "spec.containers",
        message: "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container"
      }
    ])
  })
})
