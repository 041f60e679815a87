import { describe, expect, it } from "@effect/vitest"
import { defaultPod, defaultReplicaSet, defaultService } from "../../src/api/Defaults.js"
import type { FieldCause } from "../../src/api/Errors.js"
import { causeText } from "../../src/api/FieldErrors.js"
import type { ConfigMap, ReplicaSet, Secret, Service } from "../../src/api/Objects.js"
import type { Container, Pod, PodSpec } from "../../src/api/Pod.js"
import {
  invalidMessage,
  podUpdateForbiddenMessage,
  validateConfigMap,
  validateConfigMapUpdate,
  validateNamespace,
  validateNode,
  validatePod,
  validatePodUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
  validateSecretUpdate,
  validateService
} from "../../src/api/Validation.js"

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

const pod = (spec: Partial<PodSpec>, name = "web"): Pod =>
  defaultPod({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { containers: [{ name: "app", image: "nginx:1.25" }], ...spec }
  })

const texts = (causes: ReadonlyArray<FieldCause>): ReadonlyArray<string> => causes.map(causeText)
const c = (extra: Partial<Container>): Container => ({ name: "app", image: "nginx:1.25", ...extra })

describe("pod validation", () => {
  it("accepts a defaulted minimal pod", () => {
    expect(validatePod(pod({}))).toEqual([])
  })

  it.each<[string, Pod, ReadonlyArray<string>]>([
    ["bad object name", pod({}, "Bad_Name"), [`metadata.name: Invalid value: "Bad_Name": ${subdomainMsg}`]],
    ["missing image", pod({ containers: [{ name: "app" }] }), ["spec.containers[0].image: Required value"]],
    [
      "bad container name",
      pod({ containers: [c({ name: "App" })] }),
      [`spec.containers[0].name: Invalid value: "App": ${labelMsg}`]
    ],
    ["missing container name", pod({ containers: [c({ name: "" })] }), ["spec.containers[0].name: Required value"]],
    ["no containers", pod({ containers: [] }), ["spec.containers: Required value"]],
    [
      "duplicate names across init and app containers",
      pod({ containers: [c({ name: "x" })], initContainers: [c({ name: "x" })] }),
      ['spec.initContainers[0].name: Duplicate value: "x"']
    ],
    [
      "duplicate app container names",
      pod({ containers: [c({ name: "x" }), c({ name: "x" })] }),
      ['spec.containers[1].name: Duplicate value: "x"']
    ],
    [
      "port out of range",
      pod({ containers: [c({ ports: [{ containerPort: 70000 }] })] }),
      ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]
    ],
    [
      "duplicate port names",
      pod({
        containers: [
          c({
            ports: [
              { name: "http", containerPort: 80 },
              { name: "http", containerPort: 81 }
            ]
          })
        ]
      }),
      ['spec.containers[0].ports[1].name: Duplicate value: "http"']
    ],
    [
      "invalid port name",
      pod({ containers: [c({ ports: [{ name: "HTTP", containerPort: 80 }] })] }),
      [
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)'
      ]
    ],
    [
      "request above limit",
      pod({ containers: [c({ resources: { requests: { cpu: "600m" }, limits: { cpu: "500m" } } })] }),
      ['spec.containers[0].resources.requests: Invalid value: "600m": must be less than or equal to cpu limit of 500m']
    ],
    [
      "negative request",
      pod({ containers: [c({ resources: { requests: { memory: "-1" } } })] }),
      ['spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0']
    ],
    [
      "two probe handlers",
      pod({ containers: [c({ livenessProbe: { exec: { command: ["true"] }, tcpSocket: { port: 80 } } })] }),
      ["spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"]
    ],
    [
      "no probe handler",
      pod({ containers: [c({ readinessProbe: { periodSeconds: 3 } })] }),
      ["spec.containers[0].readinessProbe: Required value: must specify a handler type"]
    ],
    [
      "liveness successThreshold",
      pod({ containers: [c({ livenessProbe: { exec: { command: ["true"] }, successThreshold: 2 } })] }),
      ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"]
    ],
    [
      "startup successThreshold",
      pod({ containers: [c({ startupProbe: { exec: { command: ["true"] }, successThreshold: 3 } })] }),
      ["spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"]
    ],
    [
      "exec without command",
      pod({ containers: [c({ livenessProbe: { exec: {} } })] }),
      ["spec.containers[0].livenessProbe.exec.command: Required value"]
    ],
    [
      "mount of a missing volume",
      pod({ containers: [c({ volumeMounts: [{ name: "x", mountPath: "/x" }] })] }),
      ['spec.containers[0].volumeMounts[0].name: Not found: "x"']
    ],
    [
      "restartPolicy",
      pod({ restartPolicy: "Sometimes" as never }),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']
    ],
    [
      "init container restartPolicy",
      pod({ initContainers: [c({ name: "init", restartPolicy: "Never" as never })] }),
      ['spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"']
    ],
    [
      "restartPolicy on an app container",
      pod({ containers: [c({ restartPolicy: "Always" })] }),
      ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"]
    ],
    [
      "probe on a regular init container",
      pod({ initContainers: [c({ name: "init", readinessProbe: { exec: { command: ["true"] } } })] }),
      [
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"
      ]
    ],
    [
      "bad label",
      { ...pod({}), metadata: { name: "web", namespace: "default", labels: { "app/x/y": "ok" } } },
      [
        "metadata.labels: Invalid value: \"app/x/y\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
      ]
    ],
    [
      "envFrom without a source",
      pod({ containers: [c({ envFrom: [{ prefix: "A_" }] })] }),
      ['spec.containers[0].envFrom[0]: Invalid value: "": must specify one of: `configMapRef` or `secretRef`']
    ],
    [
      "activeDeadlineSeconds",
      pod({ activeDeadlineSeconds: 0 }),
      ["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"]
    ],
    [
      "toleration operator",
      pod({ tolerations: [{ key: "", operator: "Equal", value: "x" }] }),
      [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'
      ]
    ]
  ])("%s", (_name, p, expected) => {
    expect(texts(validatePod(p))).toEqual(expected)
  })

  it("collects every problem, not just the first", () => {
    const p = pod({ containers: [{ name: "" }, c({ ports: [{ containerPort: 0 }] })] }, "Bad_Name")
    expect(texts(validatePod(p))).toEqual([
      `metadata.name: Invalid value: "Bad_Name": ${subdomainMsg}`,
      "spec.containers[0].name: Required value",
      "spec.containers[0].image: Required value",
      "spec.containers[1].ports[0].containerPort: Required value"
    ])
  })

  it("uses Kubernetes cause types", () => {
    const causes = validatePod(pod({ containers: [{ name: "app" }] }))
    expect(causes).toEqual([
      { reason: "FieldValueRequired", message: "Required value", field: "spec.containers[0].image" }
    ])
  })
})

describe("pod updates", () => {
  const old = { ...pod({ activeDeadlineSeconds: 100 }), metadata: { name: "web", namespace: "default", uid: "u1" } }
  const change = (spec: Partial<PodSpec>): Pod => ({ ...old, spec: { ...old.spec, ...spec } })

  it("allows image changes, activeDeadlineSeconds decreases and added tolerations", () => {
    const next = change({
      containers: [{ ...old.spec.containers[0]!, image: "nginx:1.26" }],
      activeDeadlineSeconds: 50,
      tolerations: [...(old.spec.tolerations ?? []), { key: "gpu", operator: "Exists", effect: "NoSchedule" }]
    })
    expect(validatePodUpdate(next, old)).toEqual([])
  })

  it("forbids other spec changes", () => {
    const next = change({ containers: [{ ...old.spec.containers[0]!, command: ["sleep", "1000"] }] })
    expect(texts(validatePodUpdate(next, old))).toEqual([`spec: Forbidden: ${podUpdateForbiddenMessage}`])
    expect(podUpdateForbiddenMessage).toBe(
      "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
    )
  })

  it("forbids adding containers", () => {
    const next = change({ containers: [...old.spec.containers, c({ name: "b" })] })
    expect(texts(validatePodUpdate(next, old))).toContain(
      "spec.containers: Forbidden: pod updates may not add or remove containers"
    )
  })

  it("forbids raising activeDeadlineSeconds or removing it", () => {
    expect(texts(validatePodUpdate(change({ activeDeadlineSeconds: 200 }), old))).toEqual([
      "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
    ])
    const { activeDeadlineSeconds: _a, ...rest } = old.spec
    expect(texts(validatePodUpdate({ ...old, spec: rest }, old))).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value'
    ])
  })

  it("forbids changing an existing toleration", () => {
    const next = change({ tolerations: [{ key: "x", operator: "Exists" }] })
    expect(texts(validatePodUpdate(next, old))).toContain(
      "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    )
  })

  it("allows removing scheduling gates but not adding them", () => {
    const gated = change({ schedulingGates: [{ name: "example.com/a" }] })
    expect(validatePodUpdate(change({ schedulingGates: [] }), gated)).toEqual([])
    expect(texts(validatePodUpdate(change({ schedulingGates: [{ name: "example.com/b" }] }), gated))).toEqual([
      "spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/b'"
    ])
  })

  it("keeps the name immutable", () => {
    const next = { ...old, metadata: { ...old.metadata, name: "other" } }
    expect(texts(validatePodUpdate(next, old))).toContain('metadata.name: Invalid value: "other": field is immutable')
  })
})

describe("invalidMessage", () => {
  it("renders one cause without brackets and several with", () => {
    const one = validatePod(pod({ containers: [{ name: "app" }] }))
    expect(invalidMessage("Pod", "bad", one)).toBe('Pod "bad" is invalid: spec.containers[0].image: Required value')
    const two = validatePod(pod({ containers: [{ name: "" }] }))
    expect(invalidMessage("Pod", "web", two)).toBe(
      'Pod "web" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value]'
    )
  })

  it("qualifies non-core kinds with their group", () => {
    expect(
      invalidMessage("ReplicaSet", "rs", [
        { reason: "FieldValueRequired", message: "Required value", field: "spec.selector" }
      ])
    ).toBe('ReplicaSet.apps "rs" is invalid: spec.selector: Required value')
  })
})

describe("other kinds", () => {
  const rs = (labels: Record<string, string>, selector: Record<string, string>): ReplicaSet =>
    defaultReplicaSet({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "rs", namespace: "default" },
      spec: {
        selector: { matchLabels: selector },
        template: { metadata: { labels }, spec: { containers: [c({})] } }
      }
    })

  it("requires the ReplicaSet selector to match the template labels", () => {
    expect(validateReplicaSet(rs({ app: "web" }, { app: "web" }))).toEqual([])
    expect(texts(validateReplicaSet(rs({ app: "db" }, { app: "web" })))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: `selector` does not match template `labels`'
    ])
  })

  it("words a missing selector as kube-apiserver does (nil selects nothing; {} selects everything)", () => {
    const base = rs({ app: "web" }, { app: "web" })
    const { selector: _, ...withoutSelector } = base.spec
    expect(
      texts(validateReplicaSet(defaultReplicaSet({ ...base, spec: withoutSelector as ReplicaSet["spec"] })))
    ).toEqual([
      "spec.selector: Required value",
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'
    ])
    expect(texts(validateReplicaSet({ ...base, spec: { ...base.spec, selector: {} } }))).toEqual([
      "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ])
  })

  it("requires restartPolicy Always in a ReplicaSet template and keeps the selector immutable", () => {
    const base = rs({ app: "web" }, { app: "web" })
    const never: ReplicaSet = {
      ...base,
      spec: {
        ...base.spec,
        template: { ...base.spec.template, spec: { ...base.spec.template.spec, restartPolicy: "Never" } }
      }
    }
    expect(texts(validateReplicaSet(never))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ])
    const moved = rs({ app: "web", v: "2" }, { app: "web", v: "2" })
    expect(texts(validateReplicaSetUpdate(moved, base))[0]).toMatch(
      /^spec\.selector: Invalid value: .*field is immutable$/
    )
  })

  it("checks Service ports", () => {
    const svc = (ports: NonNullable<Service["spec"]>["ports"]): Service =>
      defaultService({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "svc", namespace: "default" },
        spec: ports === undefined ? {} : { ports }
      })
    expect(validateService(svc([{ port: 80 }]))).toEqual([])
    expect(texts(validateService(svc([{ port: 80 }, { port: 0, name: "b" }])))).toEqual([
      "spec.ports[0].name: Required value",
      "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"
    ])
    // no port and no targetPort: Go's zero values, defaulted and then validated
    expect(
      texts(validateService(svc([{ protocol: "TCP" }] as unknown as NonNullable<Service["spec"]>["ports"])))
    ).toEqual([
      "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"
    ])
    const bad: Service = { ...svc([{ port: 80 }]), metadata: { name: "1svc", namespace: "default" } }
    expect(texts(validateService(bad))[0]).toMatch(/^metadata\.name: Invalid value: "1svc": a DNS-1035 label/)
  })

  it("checks ConfigMap keys and immutability", () => {
    const cm: ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm", namespace: "default" },
      data: { "bad key": "x", ok: "y" }
    }
    expect(texts(validateConfigMap(cm))).toEqual([
      "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    ])
    const frozen: ConfigMap = { ...cm, data: { ok: "y" }, immutable: true }
    expect(texts(validateConfigMapUpdate({ ...frozen, data: { ok: "z" } }, frozen))).toEqual([
      "data: Forbidden: field is immutable when `immutable` is set"
    ])
  })

  it("keeps the Secret type immutable", () => {
    const s: Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "default" },
      type: "Opaque"
    }
    expect(texts(validateSecretUpdate({ ...s, type: "x" }, s))).toEqual([
      'type: Invalid value: "x": field is immutable'
    ])
  })

  it("checks namespace names as DNS labels and node taints", () => {
    expect(texts(validateNamespace({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a.b" } }))).toEqual([
      `metadata.name: Invalid value: "a.b": ${labelMsg}`
    ])
    expect(
      texts(
        validateNode({
          apiVersion: "v1",
          kind: "Node",
          metadata: { name: "n1" },
          spec: { taints: [{ key: "k", effect: "Sometimes" as never }] }
        })
      )
    ).toEqual([
      'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
    ])
  })
})
