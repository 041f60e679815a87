import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { nameIsDNSSubdomain } from "../../src/api/Names.js"
import type { Event } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import { collectEventCauses, validateEvent, validateObjectMeta, validatePodSpec } from "../../src/api/Validation.js"
import { eventLooksValid, podLooksValid } from "../../src/api/ValidationFast.js"

/** The collecting validator alone (what `validatePod` reports when the fast pass says no). */
const collected = (pod: Pod) => [
  ...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain),
  ...validatePodSpec(pod.spec ?? {})
]

const base = (): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "default", labels: { app: "web" }, uid: "u", generation: 1 },
    spec: {
      volumes: [{ name: "data", emptyDir: {} }],
      containers: [
        {
          name: "app",
          image: "nginx:1.27",
          imagePullPolicy: "IfNotPresent",
          terminationMessagePolicy: "File",
          ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
          env: [{ name: "A", value: "1" }],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          volumeMounts: [{ name: "data", mountPath: "/data" }],
          readinessProbe: { httpGet: { path: "/", port: 80, scheme: "HTTP" }, periodSeconds: 10, successThreshold: 1 },
          livenessProbe: { tcpSocket: { port: "http" }, successThreshold: 1 },
          lifecycle: { preStop: { sleep: { seconds: 5 } } }
        }
      ],
      initContainers: [
        { name: "init", image: "busybox", imagePullPolicy: "Always" },
        {
          name: "side",
          image: "busybox",
          imagePullPolicy: "Always",
          restartPolicy: "Always",
          startupProbe: { exec: { command: ["true"] } }
        }
      ],
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      terminationGracePeriodSeconds: 30,
      nodeName: "node-1",
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }
      ],
      schedulingGates: [{ name: "example.com/gate" }]
    }
  }) as unknown as Pod

type Json = Record<string, unknown>

/** Edits at a path of the base pod: a good value, and values the validator may reject. */
const edits: ReadonlyArray<readonly [ReadonlyArray<string | number>, ReadonlyArray<unknown>]> = [
  [
    ["metadata", "name"],
    ["web-2", "", "Web", "a".repeat(254), undefined]
  ],
  [
    ["metadata", "generateName"],
    ["web-", "Web-", "-"]
  ],
  [
    ["metadata", "namespace"],
    ["kube-system", "", "a.b", undefined]
  ],
  [
    ["metadata", "generation"],
    [2, -1]
  ],
  [
    ["metadata", "labels"],
    [{ "example.com/a": "b" }, { "-bad": "x" }, { a: "not valid!" }, { a: "" }]
  ],
  [
    ["metadata", "annotations"],
    [{ "Example.com/A": "b" }, { "bad key!": "x" }, { a: "x".repeat(262_200) }]
  ],
  [
    ["metadata", "finalizers"],
    [["example.com/f"], ["bad/finalizer/x"]]
  ],
  [
    ["spec", "volumes", 0, "name"],
    ["other", "", "Bad_Name"]
  ],
  [
    ["spec", "volumes", 0],
    [
      { name: "data", configMap: { name: "cm", items: [{ key: "k", path: "p" }] } },
      { name: "data" },
      { name: "data", emptyDir: {}, hostPath: { path: "/x" } },
      { name: "data", secret: { secretName: "" } },
      { name: "data", configMap: { name: "cm", items: [{ key: "", path: "p" }] } },
      { name: "data", csi: {} }
    ]
  ],
  [
    ["spec", "volumes", 1],
    [
      { name: "data", emptyDir: {} },
      { name: "more", hostPath: { path: "" } },
      { name: "more", hostPath: { path: "/x" } }
    ]
  ],
  [
    ["spec", "containers", 0, "name"],
    ["init", "side", "App", ""]
  ],
  [
    ["spec", "containers", 0, "image"],
    ["", " nginx", "busybox"]
  ],
  [
    ["spec", "containers", 0, "imagePullPolicy"],
    ["Never", "", "Sometimes"]
  ],
  [
    ["spec", "containers", 0, "terminationMessagePolicy"],
    ["FallbackToLogsOnError", "Other"]
  ],
  [
    ["spec", "containers", 0, "ports", 0, "containerPort"],
    [8080, 0, 70000, 1.5]
  ],
  [
    ["spec", "containers", 0, "ports", 0, "name"],
    ["metrics", "toolongportname1", "a--b", "-a", "123", "UP"]
  ],
  [
    ["spec", "containers", 0, "ports", 0, "protocol"],
    ["UDP", "", "ICMP"]
  ],
  [
    ["spec", "containers", 0, "ports", 0, "hostPort"],
    [8080, 70000]
  ],
  [
    ["spec", "containers", 0, "ports", 1],
    [
      { name: "http", containerPort: 81, protocol: "TCP" },
      { containerPort: 82, protocol: "TCP", hostPort: 9000 }
    ]
  ],
  [["spec", "initContainers", 0, "ports"], [[{ containerPort: 82, protocol: "TCP", hostPort: 9000 }]]],
  [
    ["spec", "containers", 0, "env", 0],
    [{ name: "", value: "x" }, { name: "A=B" }, { name: "X", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]
  ],
  [
    ["spec", "containers", 0, "envFrom"],
    [[{ configMapRef: { name: "cm" } }], [{}]]
  ],
  [
    ["spec", "containers", 0, "resources"],
    [
      { requests: { cpu: "2" }, limits: { cpu: "1" } },
      { limits: { cpu: "-1" } },
      { requests: { memory: "1Xi" } },
      { requests: { "example.com/gpu": "1" }, limits: { "example.com/gpu": "1" } },
      { requests: { gpu: "1" } },
      { limits: { cpu: "1" }, requests: { cpu: "1" } }
    ]
  ],
  [
    ["spec", "containers", 0, "volumeMounts", 0],
    [
      { name: "nope", mountPath: "/x" },
      { name: "data", mountPath: "" },
      { name: "data", mountPath: "/d", subPath: "/abs" }
    ]
  ],
  [
    ["spec", "containers", 0, "volumeMounts", 1],
    [
      { name: "data", mountPath: "/data" },
      { name: "data", mountPath: "/other" }
    ]
  ],
  [["spec", "containers", 0, "restartPolicy"], ["Always"]],
  [
    ["spec", "containers", 0, "readinessProbe"],
    [
      { exec: { command: [] } },
      {},
      { exec: { command: ["a"] }, tcpSocket: { port: 1 } },
      { grpc: { port: 0 } },
      { grpc: { port: 9000 } },
      { httpGet: { path: "", port: 80 } },
      { httpGet: { path: "/", port: "" } },
      { httpGet: { path: "/", port: 80, scheme: "FTP" } },
      { tcpSocket: { port: 1 }, timeoutSeconds: -1 },
      { tcpSocket: { port: 1 }, terminationGracePeriodSeconds: 5 },
      { sleep: { seconds: 1 } }
    ]
  ],
  [["spec", "containers", 0, "livenessProbe", "successThreshold"], [2]],
  [
    ["spec", "containers", 0, "livenessProbe", "terminationGracePeriodSeconds"],
    [0, 10]
  ],
  [
    ["spec", "containers", 0, "lifecycle"],
    [
      { postStart: { exec: { command: ["x"] } } },
      { preStop: { sleep: { seconds: 31 } } },
      { preStop: {} },
      { preStop: { grpc: { port: 1 } } },
      { postStart: { httpGet: { path: "/", port: 1 }, exec: { command: ["x"] } } }
    ]
  ],
  [
    ["spec", "initContainers", 0, "restartPolicy"],
    ["Never", "Always"]
  ],
  [["spec", "initContainers", 0, "livenessProbe"], [{ exec: { command: ["x"] } }]],
  [
    ["spec", "initContainers", 1, "startupProbe", "successThreshold"],
    [1, 3]
  ],
  [
    ["spec", "restartPolicy"],
    ["Never", "", "Sometimes"]
  ],
  [
    ["spec", "dnsPolicy"],
    ["None", "Other"]
  ],
  [
    ["spec", "nodeSelector"],
    [{ disk: "ssd" }, { disk: "not ok!" }]
  ],
  [
    ["spec", "serviceAccountName"],
    ["default", "Bad"]
  ],
  [
    ["spec", "nodeName"],
    ["node-2", "Node_2"]
  ],
  [
    ["spec", "activeDeadlineSeconds"],
    [10, 0, 2147483648]
  ],
  [
    ["spec", "terminationGracePeriodSeconds"],
    [0, -1, 2]
  ],
  [
    ["spec", "tolerations", 0],
    [
      { operator: "Exists" },
      { key: "", operator: "Equal" },
      { key: "k", value: "v" },
      { key: "k", operator: "Exists", value: "v" },
      { key: "k", operator: "In" },
      { key: "k", effect: "NoSchedule", tolerationSeconds: 3 },
      { key: "k", effect: "Sometimes" },
      { key: "k", value: "bad value" }
    ]
  ],
  [
    ["spec", "hostname"],
    ["web", "Web"]
  ],
  [
    ["spec", "subdomain"],
    ["sub", "a.b"]
  ],
  [
    ["spec", "readinessGates"],
    [[{ conditionType: "example.com/ready" }], [{ conditionType: "" }]]
  ],
  [
    ["spec", "schedulingGates"],
    [[], [{ name: "a" }, { name: "a" }], [{ name: "bad gate" }]]
  ],
  [["spec", "containers"], [[]]]
]

const setAt = (root: Json, path: ReadonlyArray<string | number>, value: unknown): void => {
  let node: Json = root
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!
    const next = node[key as string]
    if (next === undefined || next === null || typeof next !== "object") return
    node = next as Json
  }
  const last = path[path.length - 1]!
  if (value === undefined) delete node[last as string]
  else node[last as string] = value
}

const edited = (choices: ReadonlyArray<readonly [number, number]>): Pod => {
  const pod = base() as unknown as Json
  for (const [e, v] of choices) {
    const [path, values] = edits[e % edits.length]!
    setAt(pod, path, structuredClone(values[v % values.length]))
  }
  return pod as unknown as Pod
}

describe("podLooksValid", () => {
  it("says yes to a valid pod with volumes, probes, hooks, sidecars, tolerations and gates", () => {
    expect(collected(base())).toEqual([])
    expect(podLooksValid(base())).toBe(true)
  })

  it("says yes only when the collecting validator reports nothing (each edit alone)", () => {
    let agreedValid = 0
    for (let e = 0; e < edits.length; e++) {
      for (let v = 0; v < edits[e]![1].length; v++) {
        const pod = edited([[e, v]])
        const causes = collected(pod)
        if (podLooksValid(pod)) {
          expect({ edit: edits[e]![0], value: v, causes }).toEqual({ edit: edits[e]![0], value: v, causes: [] })
          agreedValid++
        }
      }
    }
    // the fast pass covers most valid variants (not just the base)
    expect(agreedValid).toBeGreaterThan(25)
  })

  it("says yes only when the collecting validator reports nothing (edits combined)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }), (choices) => {
        const pod = edited(choices)
        if (podLooksValid(pod)) expect(collected(pod)).toEqual([])
      }),
      { numRuns: 3000 }
    )
  })

  it("says no to a repeated container name or host port in a spec with no init containers, or with no volumes", () => {
    const spec = (containers: ReadonlyArray<Json>): Pod =>
      ({ ...base(), spec: { restartPolicy: "Always", containers } }) as unknown as Pod
    const app = (name: string, hostPort?: number): Json => ({
      name,
      image: "nginx:1.27",
      imagePullPolicy: "IfNotPresent",
      ...(hostPort === undefined ? {} : { ports: [{ containerPort: 80, protocol: "TCP", hostPort }] })
    })
    const cases: ReadonlyArray<readonly [Pod, boolean]> = [
      [spec([app("a")]), true],
      [spec([app("a"), app("b")]), true],
      [spec([app("a"), app("a")]), false],
      [spec([app("a", 8080), app("b", 8081)]), true],
      [spec([app("a", 8080), app("b", 8080)]), false],
      [spec([{ ...app("a"), volumeMounts: [{ name: "data", mountPath: "/d" }] }]), false]
    ]
    for (const [pod, valid] of cases) {
      expect(podLooksValid(pod)).toBe(valid)
      expect(collected(pod).length === 0).toBe(valid)
    }
  })
})

const baseEvent = (): Json => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web-1.18ec4868207017e9", namespace: "default", uid: "u", generation: 1 },
  involvedObject: { kind: "Pod", namespace: "default", name: "web-1", uid: "p", apiVersion: "v1" },
  reason: "Started",
  message: "Started container app",
  type: "Normal",
  count: 1,
  eventTime: null,
  source: { component: "kubelet", host: "node-1" }
})

/** one member of an event set to each value in turn (undefined: removed) */
const eventEdits: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]> = [
  ["metadata.name", ["a", "A", "", "a..b", "-a", "a.b-c", "x".repeat(253), "x".repeat(254), undefined]],
  ["metadata.generateName", ["web-", "Web-", ""]],
  ["metadata.namespace", ["default", "kube-system", "", "a.b", "Default", undefined]],
  ["metadata.generation", [0, 2, -1]],
  ["metadata.labels", [{}, { app: "web" }, { "bad key": "v" }, { app: "bad value!" }, { "a/b": "" }]],
  ["metadata.annotations", [{ "example.com/a": "x" }, { "Bad Key": "v" }, { a: "x".repeat(262_200) }]],
  ["metadata.finalizers", [[], ["example.com/f"], ["bad finalizer"]]],
  ["involvedObject.namespace", ["default", "", "other", undefined]],
  ["involvedObject", [{}, { kind: "Node", name: "n" }]],
  ["type", ["Warning", "Normal", "normal", "", undefined, 3]]
]

const editedEvent = (choices: ReadonlyArray<readonly [number, number]>): Event => {
  const event = baseEvent()
  for (const [e, v] of choices) {
    const [path, values] = eventEdits[e % eventEdits.length]!
    setAt(event, path.split("."), structuredClone(values[v % values.length]))
  }
  return event as unknown as Event
}

describe("eventLooksValid", () => {
  it("says yes to the recorder's events", () => {
    expect(collectEventCauses(editedEvent([]))).toEqual([])
    expect(eventLooksValid(editedEvent([]))).toBe(true)
  })

  it("agrees with the collecting validator (each edit alone)", () => {
    let agreedValid = 0
    for (let e = 0; e < eventEdits.length; e++) {
      for (let v = 0; v < eventEdits[e]![1].length; v++) {
        const event = editedEvent([[e, v]])
        const causes = collectEventCauses(event)
        const label = { edit: eventEdits[e]![0], value: v }
        expect({ ...label, valid: eventLooksValid(event) }).toEqual({ ...label, valid: causes.length === 0 })
        if (causes.length === 0) agreedValid++
      }
    }
    expect(agreedValid).toBeGreaterThan(15)
  })

  it("says yes only when the collecting validator reports nothing, and validateEvent is the collecting pass (edits combined)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }), (choices) => {
        const event = editedEvent(choices)
        const causes = collectEventCauses(event)
        expect(eventLooksValid(event)).toBe(causes.length === 0)
        expect(validateEvent(event)).toEqual(causes)
      }),
      { numRuns: 3000 }
    )
  })
})
