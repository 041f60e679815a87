import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  base64Encode,
  defaultPod,
  defaultPodSpec,
  defaultProbe,
  defaultPullPolicy,
  defaultReplicaSet,
  defaultSecret,
  defaultService,
  defaultTolerations,
  defaultVolume,
  parseImageName
} from "../../src/api/Defaults.js"
import type { ReplicaSet, Secret, Service } from "../../src/api/Objects.js"
import type { Container, Pod, Toleration, Volume } from "../../src/api/Pod.js"
import { podQOSClass } from "../../src/api/QOS.js"

const digest = `sha256:${"a".repeat(64)}`

const pod = (containers: ReadonlyArray<Container>, extra: Partial<Pod["spec"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default" },
  spec: { containers, ...extra }
})

describe("imagePullPolicy defaulting (spec §6.1)", () => {
  it.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.25", "IfNotPresent"],
    [`nginx@${digest}`, "IfNotPresent"],
    [`nginx:latest@${digest}`, "Always"],
    ["registry.local:5000/app", "Always"],
    ["registry.local:5000/app:v2", "IfNotPresent"],
    ["docker.io/library/busybox", "Always"],
    ["Nginx", "IfNotPresent"],
    ["", "IfNotPresent"]
  ])("image %j defaults to %s", (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy)
    const defaulted = defaultPod(pod([{ name: "c", image }]))
    expect(defaulted.spec.containers[0]?.imagePullPolicy).toBe(policy)
  })

  it("keeps an explicit policy", () => {
    const defaulted = defaultPod(pod([{ name: "c", image: "nginx", imagePullPolicy: "Never" }]))
    expect(defaulted.spec.containers[0]?.imagePullPolicy).toBe("Never")
  })

  it("splits references like ParseImageName", () => {
    expect(parseImageName("registry.local:5000/app:v2")).toEqual({
      repository: "registry.local:5000/app",
      tag: "v2",
      digest: ""
    })
    expect(parseImageName(`nginx@${digest}`)).toEqual({ repository: "nginx", tag: "", digest })
    expect(parseImageName("nginx@sha256:abc")).toBeUndefined()
  })
})

describe("pod defaulting", () => {
  const defaulted = defaultPod(
    pod(
      [
        {
          name: "c",
          image: "nginx:1.25",
          ports: [{ containerPort: 80 }],
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { exec: { command: ["true"] }, periodSeconds: 5 },
          resources: { limits: { cpu: "0.5", memory: "1.5Gi" } },
          env: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]
        }
      ],
      { initContainers: [{ name: "init", image: "busybox" }], volumes: [{ name: "v" }] }
    )
  )
  const spec = defaulted.spec
  const c = spec.containers[0]!

  it("fills the pod-level defaults", () => {
    expect(spec.restartPolicy).toBe("Always")
    expect(spec.terminationGracePeriodSeconds).toBe(30)
    expect(spec.dnsPolicy).toBe("ClusterFirst")
    expect(spec.schedulerName).toBe("default-scheduler")
    expect(spec.enableServiceLinks).toBe(true)
    expect(spec.securityContext).toEqual({})
    expect(spec.serviceAccountName).toBe("default")
    expect(spec.priority).toBe(0)
    expect(spec.volumes).toEqual([{ name: "v", emptyDir: {} }])
  })

  it("fills container defaults, in init containers too", () => {
    for (const x of [c, spec.initContainers![0]!]) {
      expect(x.terminationMessagePath).toBe("/dev/termination-log")
      expect(x.terminationMessagePolicy).toBe("File")
    }
    expect(spec.initContainers![0]!.imagePullPolicy).toBe("Always")
    expect(c.ports).toEqual([{ containerPort: 80, protocol: "TCP" }])
    expect(c.env?.[0]?.valueFrom?.fieldRef).toEqual({ apiVersion: "v1", fieldPath: "metadata.name" })
  })

  it("fills probe defaults (spec §8.1)", () => {
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 80, path: "/", scheme: "HTTP" },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3
    })
    expect(c.readinessProbe?.periodSeconds).toBe(5)
    expect(defaultProbe({ tcpSocket: { port: 1 }, failureThreshold: 1 }).failureThreshold).toBe(1)
  })

  it("defaults requests to limits and writes quantities canonically", () => {
    expect(c.resources).toEqual({
      limits: { cpu: "500m", memory: "1536Mi" },
      requests: { cpu: "500m", memory: "1536Mi" }
    })
  })

  it("is idempotent", () => {
    expect(defaultPod(defaulted)).toEqual(defaulted)
  })

  it("copies container ports to host ports on the host network", () => {
    const p = defaultPod(pod([{ name: "c", image: "x", ports: [{ containerPort: 8080 }] }], { hostNetwork: true }))
    expect(p.spec.containers[0]?.ports?.[0]?.hostPort).toBe(8080)
  })
})

describe("default NoExecute tolerations (spec §10.2)", () => {
  const notReady: Toleration = {
    key: "node.kubernetes.io/not-ready",
    operator: "Exists",
    effect: "NoExecute",
    tolerationSeconds: 300
  }
  const unreachable: Toleration = { ...notReady, key: "node.kubernetes.io/unreachable" }

  it.each<[string, ReadonlyArray<Toleration> | undefined, ReadonlyArray<Toleration>]>([
    ["none", undefined, [notReady, unreachable]],
    [
      "an unrelated one",
      [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }],
      [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }, notReady, unreachable]
    ],
    [
      "not-ready with its own seconds",
      [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 10 }],
      [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 10 },
        unreachable
      ]
    ],
    ["tolerate everything", [{ operator: "Exists" }], [{ operator: "Exists" }]],
    [
      "unreachable with any effect",
      [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }],
      [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }, notReady]
    ],
    [
      "unreachable NoSchedule only",
      [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoSchedule" }],
      [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoSchedule" }, notReady, unreachable]
    ]
  ])("%s", (_name, given, expected) => {
    expect(defaultTolerations(given)).toEqual(expected)
  })
})

describe("QoS class", () => {
  const c = (resources: Container["resources"]): Container => ({
    name: "c",
    image: "x",
    ...(resources ? { resources } : {})
  })
  it.each<[string, ReadonlyArray<Container>, string]>([
    ["nothing set", [c(undefined)], "BestEffort"],
    ["zero requests", [c({ requests: { cpu: "0" } })], "BestEffort"],
    ["requests only", [c({ requests: { cpu: "100m" } })], "Burstable"],
    [
      "limits equal requests",
      [c({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } })],
      "Guaranteed"
    ],
    [
      "limits in other units",
      [c({ requests: { cpu: "1000m", memory: "1024Mi" }, limits: { cpu: "1", memory: "1Gi" } })],
      "Guaranteed"
    ],
    ["memory limit missing", [c({ requests: { cpu: "1" }, limits: { cpu: "1" } })], "Burstable"],
    [
      "one container without limits",
      [c({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }), c(undefined)],
      "Burstable"
    ],
    [
      "requests below limits",
      [c({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } })],
      "Burstable"
    ],
    ["limits only (requests default to them)", [c({ limits: { cpu: "1", memory: "1Gi" } })], "Guaranteed"],
    [
      "two guaranteed containers",
      [c({ limits: { cpu: "1", memory: "1Gi" } }), c({ limits: { cpu: "250m", memory: "64Mi" } })],
      "Guaranteed"
    ],
    ["only resources QoS ignores", [c({ requests: { "ephemeral-storage": "1Gi" } })], "BestEffort"],
    ["a zero limit", [c({ limits: { cpu: "0", memory: "1Gi" } })], "Burstable"]
  ])("%s -> %s", (_name, containers, expected) => {
    expect(podQOSClass(defaultPod(pod(containers)).spec)).toBe(expected)
  })
})

describe("other kinds", () => {
  it("merges Secret stringData into base64 data", () => {
    const secret: Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      data: { a: "eA==" },
      stringData: { b: "héllo", a: "y" }
    }
    expect(defaultSecret(secret)).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      type: "Opaque",
      data: { a: "eQ==", b: "aMOpbGxv" }
    })
    expect(base64Encode("hello")).toBe("aGVsbG8=")
  })

  it("defaults Service port protocol and targetPort, leaving type and clusterIP alone", () => {
    const svc: Service = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80 }] } }
    expect(defaultService(svc).spec).toEqual({ ports: [{ port: 80, protocol: "TCP", targetPort: 80 }] })
  })

  it("defaults ReplicaSet replicas and the template", () => {
    const rs: ReplicaSet = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "rs" },
      spec: {
        selector: { matchLabels: { a: "b" } },
        template: { spec: { containers: [{ name: "c", image: "nginx" }] } }
      }
    }
    const d = defaultReplicaSet(rs)
    expect(d.spec.replicas).toBe(1)
    expect(d.spec.template.spec.restartPolicy).toBe("Always")
    expect(d.spec.template.spec.containers[0]?.imagePullPolicy).toBe("Always")
    expect(d.spec.template.spec.tolerations).toBeUndefined()
  })
})

describe("a pod's requests defaulted from its limits within container defaulting", () => {
  /** the reference: SetDefaults_PodSpec, then each container's requests from its limits (a pass each) */
  const fromLimits = (c: Container): Container => {
    const limits = c.resources?.limits
    if (limits === undefined) return c
    return { ...c, resources: { ...c.resources, requests: { ...limits, ...c.resources?.requests } } }
  }
  const quantity = fc.constantFrom("100m", "1", "64Mi", "1.5Gi", 2, "250m")
  const list = fc.dictionary(fc.constantFrom("cpu", "memory", "ephemeral-storage"), quantity, { maxKeys: 3 })
  const resources = fc.record(
    { requests: list, limits: list, claims: fc.constant([{ name: "gpu" }]) },
    { requiredKeys: [] }
  )
  const container = (name: string) =>
    fc.record({ name: fc.constant(name), image: fc.constant("nginx:1.27"), resources }, { requiredKeys: ["name"] })

  it("equals defaulting the spec, then the requests (key order included)", () => {
    fc.assert(
      fc.property(
        fc.array(container("app"), { minLength: 1, maxLength: 3 }),
        fc.option(fc.array(container("init"), { maxLength: 2 }), { nil: undefined }),
        (containers, initContainers) => {
          const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p" },
            spec: { containers, ...(initContainers === undefined ? {} : { initContainers }) }
          } as unknown as Pod
          const spec = defaultPod(pod).spec
          const template = defaultPodSpec(pod.spec)
          expect(JSON.stringify(spec.containers)).toBe(JSON.stringify(template.containers.map(fromLimits)))
          expect(JSON.stringify(spec.initContainers)).toBe(JSON.stringify(template.initContainers?.map(fromLimits)))
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe("volume defaulting", () => {
  /** the spreads `defaultVolume` was written with */
  const reference = (v: Volume): Volume => {
    const { name: _name, ...source } = v
    if (Object.keys(source).length === 0) return { ...v, emptyDir: {} }
    return {
      ...v,
      ...(v.configMap === undefined
        ? {}
        : { configMap: { ...v.configMap, defaultMode: v.configMap.defaultMode ?? 420 } }),
      ...(v.secret === undefined ? {} : { secret: { ...v.secret, defaultMode: v.secret.defaultMode ?? 420 } }),
      ...(v.hostPath === undefined ? {} : { hostPath: { ...v.hostPath, type: v.hostPath.type ?? "" } })
    }
  }

  it("equals the spreads, key order included, for any mix of sources", () => {
    const volume = fc.record(
      {
        name: fc.constantFrom("a", "b"),
        emptyDir: fc.constant({}),
        configMap: fc.record({ name: fc.constant("cm"), defaultMode: fc.constant(256) }, { requiredKeys: ["name"] }),
        secret: fc.record({ secretName: fc.constant("s"), defaultMode: fc.constant(384) }, { requiredKeys: [] }),
        hostPath: fc.record({ path: fc.constant("/x"), type: fc.constant("Directory") }, { requiredKeys: ["path"] }),
        csi: fc.constant({ driver: "d" })
      },
      { requiredKeys: ["name"] }
    )
    fc.assert(
      fc.property(volume, fc.nat(), (raw, turn) => {
        // members in any order
        const keys = Object.keys(raw)
        const v = Object.fromEntries(
          keys.map((_, i) => [keys[(i + turn) % keys.length]!, raw[keys[(i + turn) % keys.length] as keyof typeof raw]])
        ) as unknown as Volume
        expect(JSON.stringify(defaultVolume(v))).toBe(JSON.stringify(reference(v)))
        expect(defaultVolume(v)).toEqual(reference(v))
      }),
      { numRuns: 500 }
    )
  })
})
