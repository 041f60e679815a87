/**
 * The edge's quick decode (`decodedQuickly`) against core's `decodeObject` on mutated manifests of
 * five kinds (Pod, ConfigMap, Secret, Namespace, ReplicaSet): when the quick path answers, decodeObject succeeds with the same object; when
 * it does not, objectFromBody's answer is decodeObject's (its 400 wording and causes).
 */
import { decodeObject } from "@podlet/core/api/Decode"
import { Resources } from "@podlet/core/api/Resources"
import { Effect, Exit, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodedQuickly, objectFromBody } from "../src/ResourceApp.js"

type Json = null | boolean | number | string | Array<Json> | { [k: string]: Json }

/** mulberry32: a small deterministic PRNG, so a failure reproduces. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const odd: ReadonlyArray<Json> = [
  null,
  true,
  false,
  -1,
  0,
  1.5,
  2 ** 31,
  2 ** 53,
  "",
  "80",
  "1Gi",
  "-1",
  "x",
  [],
  {},
  [null],
  { a: 1 }
]

const pod: Json = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web",
    namespace: "default",
    labels: { app: "web" },
    annotations: { a: "b" },
    creationTimestamp: null
  },
  spec: {
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    nodeSelector: { disk: "ssd" },
    tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 10 }],
    initContainers: [{ name: "init", image: "busybox", command: ["sh", "-c", "true"] }],
    containers: [
      {
        name: "main",
        image: "nginx:1.25",
        args: ["-g", "daemon off;"],
        ports: [{ containerPort: 80, protocol: "TCP", name: "http" }],
        env: [{ name: "A", value: "1" }],
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: 1, memory: "128Mi" } },
        readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: 80 }, failureThreshold: 3 },
        volumeMounts: [{ name: "data", mountPath: "/data", readOnly: true }]
      }
    ],
    volumes: [{ name: "data", emptyDir: {} }]
  },
  status: {}
}

const others: ReadonlyArray<Json> = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" }, binaryData: { b: "aGk=" } },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "Opaque", data: { a: "aGk=" } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "n" } },
  {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "r" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { a: "b" } },
      template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } }
    }
  }
]

const mutate = (value: Json, random: () => number): Json => {
  const pick = <T>(xs: ReadonlyArray<T>) => xs[Math.floor(random() * xs.length)]!
  if (random() < 0.04) return pick(odd)
  if (Array.isArray(value)) {
    const out = value.map((v) => mutate(v, random))
    if (random() < 0.05) out.push(pick(odd))
    return out
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) if (random() > 0.03) out[k] = mutate(v, random)
    if (random() < 0.05) out[pick(["unknownField", "x", "spec", "metadata", "data"])] = pick(odd)
    return out
  }
  return value
}

const resourceOfKind = (kind: string) => Resources.find((r) => r.kind === kind)!

describe("the quick decode at the edge", () => {
  it("answers as decodeObject does on 4,000 mutated manifests of five kinds", () => {
    const random = prng(20261128)
    let quick = 0
    let failures = 0
    for (let i = 0; i < 4000; i++) {
      const base = (i % 2 === 0 ? pod : others[i % others.length]!) as Record<string, Json>
      const mutated = i < 40 ? base : mutate(base, random)
      const body = mutated !== null && typeof mutated === "object" && !Array.isArray(mutated) ? mutated : {}
      const metadata = body["metadata"]
      // the typed object as objectFromBody builds it before decoding
      const typed = {
        ...body,
        apiVersion: base["apiVersion"],
        kind: base["kind"],
        metadata: metadata !== null && typeof metadata === "object" && !Array.isArray(metadata) ? metadata : {}
      }
      const resource = resourceOfKind(String(base["kind"]))
      const fast = decodedQuickly(resource, typed)
      const full = decodeObject(typed, { resource: resource.resource })
      if (fast !== undefined) {
        quick++
        expect(Result.isSuccess(full)).toBe(true)
        if (Result.isSuccess(full)) expect(fast).toEqual(full.success)
        // and in the same key order, so the JSON the store and the client see is the same
        if (Result.isSuccess(full)) expect(JSON.stringify(fast)).toBe(JSON.stringify(full.success))
      }
      if (Result.isFailure(full)) failures++
    }
    expect(quick).toBeGreaterThan(1000)
    expect(failures).toBeGreaterThan(100)
  })

  it("objectFromBody answers decodeObject's 400 for a type error", () => {
    const resource = resourceOfKind("Pod")
    const body = { spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "80" }] }] } }
    const exit = Effect.runSyncExit(
      objectFromBody({ resource, namespace: "default", watchPath: false }, body, undefined)
    )
    const expected = decodeObject(
      { ...body, apiVersion: "v1", kind: "Pod", metadata: { namespace: "default" } },
      { resource: "pods" }
    )
    expect(Result.isFailure(expected)).toBe(true)
    if (Result.isFailure(expected)) expect(exit).toEqual(Exit.fail(expected.failure))
  })
})
