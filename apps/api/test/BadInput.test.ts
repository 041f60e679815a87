/**
 * Malformed and mutated manifests get 2xx or 4xx Status answers, never a 5xx, and the server keeps
 * serving: 10,000 fast-check manifests (wrong types, huge strings, deep nesting, invalid names and
 * quantities, truncated JSON, broken YAML) whose 422s name their fields, and a seeded run of
 * mutated patches of every patch type.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { stringify } from "yaml"
import fc from "./fastCheck.js"
import { pod, type TestApp, testApp } from "./support.js"

/** mulberry32: a small deterministic PRNG, so a failure reproduces. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

type Json = null | boolean | number | string | Array<Json> | { [k: string]: Json }

const nasty: ReadonlyArray<Json> = [
  null,
  true,
  -1,
  1.5,
  1e308,
  "",
  "x".repeat(70_000),
  "Bad_Name!",
  "-1Gi",
  "1.5.6Mi",
  "ünïcode-☃",
  [],
  [null],
  {},
  { $patch: "delete" },
  "80",
  2 ** 53
]

const deep = (depth: number): Json => {
  let v: Json = "bottom"
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v }
  return v
}

const mutate = (value: Json, random: () => number): Json => {
  const pick = <T>(xs: ReadonlyArray<T>) => xs[Math.floor(random() * xs.length)]!
  if (random() < 0.15) return random() < 0.1 ? deep(200 + Math.floor(random() * 3000)) : pick(nasty)
  if (Array.isArray(value)) {
    const out = value.map((v) => mutate(v, random))
    if (random() < 0.2) out.push(pick(nasty))
    return out
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) if (random() > 0.1) out[k] = mutate(v, random)
    if (random() < 0.2)
      out[pick(["spec", "status", "metadata", "extra", "containers", "kind", "apiVersion"])] = pick(nasty)
    return out
  }
  return random() < 0.3 ? pick(nasty) : value
}

const base = pod(
  "base",
  { app: "web" },
  {
    spec: {
      containers: [
        {
          name: "main",
          image: "nginx:1.25",
          ports: [{ containerPort: 80, protocol: "TCP" }],
          resources: { limits: { cpu: "500m", memory: "128Mi" } },
          env: [{ name: "A", value: "1" }]
        }
      ],
      restartPolicy: "Always"
    }
  }
) as unknown as Json

const bodies = (count: number, seed: number): Array<{ readonly text: string; readonly type: string }> => {
  const random = prng(seed)
  const out: Array<{ text: string; type: string }> = []
  for (let i = 0; i < count; i++) {
    const value = mutate(base, random)
    const text = JSON.stringify(value)
    const r = random()
    if (r < 0.1) out.push({ text: text.slice(0, Math.floor(random() * text.length)), type: "application/json" })
    else if (r < 0.2)
      out.push({ text: `kind: Pod\nmetadata:\n  name: [${text.slice(0, 40)}`, type: "application/yaml" })
    else if (r < 0.3) out.push({ text, type: "application/yaml" })
    else out.push({ text, type: "application/json" })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// fast-check manifests: a valid pod with 1-4 of its fields replaced by hostile values, encoded as
// JSON or YAML, sometimes truncated or broken

const fieldPaths: ReadonlyArray<ReadonlyArray<string | number>> = [
  ["apiVersion"],
  ["kind"],
  ["metadata"],
  ["metadata", "name"],
  ["metadata", "namespace"],
  ["metadata", "labels"],
  ["metadata", "labels", "app"],
  ["metadata", "annotations"],
  ["metadata", "generateName"],
  ["spec"],
  ["spec", "containers"],
  ["spec", "containers", 0],
  ["spec", "containers", 0, "name"],
  ["spec", "containers", 0, "image"],
  ["spec", "containers", 0, "command"],
  ["spec", "containers", 0, "ports"],
  ["spec", "containers", 0, "ports", 0, "containerPort"],
  ["spec", "containers", 0, "ports", 0, "protocol"],
  ["spec", "containers", 0, "resources", "limits", "cpu"],
  ["spec", "containers", 0, "resources", "limits", "memory"],
  ["spec", "containers", 0, "resources", "requests"],
  ["spec", "containers", 0, "env"],
  ["spec", "containers", 0, "env", 0, "name"],
  ["spec", "containers", 0, "livenessProbe"],
  ["spec", "containers", 0, "readinessProbe", "periodSeconds"],
  ["spec", "restartPolicy"],
  ["spec", "terminationGracePeriodSeconds"],
  ["spec", "activeDeadlineSeconds"],
  ["spec", "nodeName"],
  ["spec", "initContainers"],
  ["spec", "volumes"],
  ["status"]
]

/** Hostile values: wrong types, huge strings, deep nesting, invalid names and quantities. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", "Bad_Name!", "-x", "x-", "a".repeat(254), "UPPER", "a.b", "..", "a/b", "ünïcode-☃"),
  fc.constantFrom("-1Gi", "1.5.6Mi", "1e309", "0x10", "Infinity", "1Ki2", "∞", "12.5m", " 1"),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_VALUE, -0),
  fc.constant("x".repeat(70_000)),
  fc.integer({ min: 100, max: 600 }).map((depth) => {
    let v: unknown = "bottom"
    for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v }
    return v
  }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 })
)

const setPath = (root: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown => {
  if (path.length === 0) return value
  const [head, ...rest] = path as [string | number, ...Array<string | number>]
  const container = (
    typeof head === "number"
      ? Array.isArray(root)
        ? [...(root as Array<unknown>)]
        : []
      : typeof root === "object" && root !== null && !Array.isArray(root)
        ? { ...(root as Record<string, unknown>) }
        : {}
  ) as Record<string | number, unknown>
  container[head] = setPath(container[head], rest, value)
  return container
}

const manifestArbitrary: fc.Arbitrary<unknown> = fc
  .array(fc.tuple(fc.constantFrom(...fieldPaths), hostile), { minLength: 1, maxLength: 4 })
  .map((mutations) => mutations.reduce<unknown>((m, [path, value]) => setPath(m, path, value), base))

const yamlOf = (value: unknown): string => {
  try {
    return stringify(value, { aliasDuplicateObjects: false })
  } catch {
    return JSON.stringify(value)
  }
}

const bodyArbitrary: fc.Arbitrary<{ readonly text: string; readonly type: string }> = fc.oneof(
  { weight: 6, arbitrary: manifestArbitrary.map((m) => ({ text: JSON.stringify(m), type: "application/json" })) },
  { weight: 1, arbitrary: manifestArbitrary.map((m) => ({ text: yamlOf(m), type: "application/yaml" })) },
  {
    weight: 1,
    arbitrary: fc.tuple(manifestArbitrary, fc.double({ min: 0, max: 1, noNaN: true })).map(([m, cut]) => {
      const text = JSON.stringify(m)
      return { text: text.slice(0, Math.floor(text.length * cut)), type: "application/json" }
    })
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 60 }), fc.constantFrom("[", "{", ": :", "\t", "&a *b", "- - -", "'"))
      .map(([s, broken]) => ({ text: `kind: Pod\nmetadata:\n  name: ${broken}${s}\n`, type: "application/yaml" }))
  }
)

/** A create (real or dry-run) or a replace of `base`. */
const requestArbitrary = fc.record({
  method: fc.constantFrom("POST", "DRY", "DRY", "PUT"),
  body: bodyArbitrary
})

describe("bad input", () => {
  let t: TestApp
  beforeAll(() => {
    t = testApp()
  })
  afterAll(() => t.dispose())

  const PODS = "/api/v1/namespaces/default/pods"

  it("10,000 fast-check manifests: every answer is 2xx or a 4xx Status; a 422 names its fields", {
    timeout: 300_000
  }, async () => {
    const codes = new Map<number, number>()
    const reasons = new Map<string, number>()
    await t.app.request(PODS, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(base)
    })
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async ({ method, body }) => {
        const path = method === "PUT" ? `${PODS}/base` : method === "DRY" ? `${PODS}?dryRun=All` : PODS
        const res = await t.app.request(path, {
          method: method === "PUT" ? "PUT" : "POST",
          headers: { "content-type": body.type },
          body: body.text
        })
        codes.set(res.status, (codes.get(res.status) ?? 0) + 1)
        if (res.status >= 500) throw new Error(`${res.status}: ${await res.text()}`)
        if (res.status < 300) {
          const created = (await res.json()) as { metadata: { name: string } }
          if (method === "POST" && created.metadata.name !== "base") {
            await t.app.request(`${PODS}/${created.metadata.name}?gracePeriodSeconds=0`, { method: "DELETE" })
          }
          return
        }
        const status = (await res.json()) as {
          kind: string
          code: number
          reason: string
          message: string
          details?: { causes?: Array<{ field?: string }> }
        }
        reasons.set(status.reason, (reasons.get(status.reason) ?? 0) + 1)
        expect(status.kind).toBe("Status")
        expect(status.code).toBe(res.status)
        expect(status.message).not.toBe("")
        if (status.reason === "Invalid") {
          expect(status.details?.causes?.length ?? 0).toBeGreaterThan(0)
          for (const cause of status.details!.causes!) expect(cause.field ?? "").not.toBe("")
        }
      }),
      { numRuns: 10_000, seed: 20261128, endOnFailure: true }
    )
    expect([...codes.keys()].every((c) => c < 500)).toBe(true)
    // the run reaches both the decoder and validation
    expect(reasons.get("BadRequest") ?? 0).toBeGreaterThan(1_000)
    expect(reasons.get("Invalid") ?? 0).toBeGreaterThan(300)
    expect((await t.app.request(PODS)).status).toBe(200)
  })

  it("600 mutated patches of every type: 2xx or a 4xx Status", { timeout: 180_000 }, async () => {
    await t.app.request(PODS, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(pod("target"))
    })
    const random = prng(7)
    const types = [
      "application/merge-patch+json",
      "application/json-patch+json",
      "application/strategic-merge-patch+json",
      "application/apply-patch+yaml"
    ]
    for (const [i, body] of bodies(600, 99).entries()) {
      const type = types[i % types.length]!
      const text =
        type === "application/json-patch+json" && random() < 0.5
          ? `[{"op":"replace","path":"/spec","value":${body.text}}]`
          : body.text
      const res = await t.app.request(`${PODS}/target?fieldManager=fuzz`, {
        method: "PATCH",
        headers: { "content-type": type },
        body: text
      })
      if (res.status >= 500) throw new Error(`${res.status} for ${type} ${text.slice(0, 300)}: ${await res.text()}`)
      await res.arrayBuffer()
    }
    expect((await t.app.request(`${PODS}/target`)).status).toBeLessThan(500)
  })

  it("a body nested deeper than 256 levels is a 400, not a stack overflow", async () => {
    const depth = 100_000
    const text = `{"metadata":{"labels":${"[".repeat(depth)}"x"${"]".repeat(depth)}}}`
    const res = await t.app.request(`${PODS}/target`, {
      method: "PATCH",
      headers: { "content-type": "application/strategic-merge-patch+json" },
      body: text
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "BadRequest" })
    const yaml = await t.app.request(PODS, {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: `metadata:\n  labels: ${"[".repeat(depth)}x${"]".repeat(depth)}\n`
    })
    expect(yaml.status).toBe(400)
  })
})
