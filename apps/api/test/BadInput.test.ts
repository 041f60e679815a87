/**
 * Malformed and mutated manifests (a seeded generator: wrong types, huge strings, deep nesting,
 * invalid names and quantities, truncated JSON, broken YAML) get 2xx or 4xx Status answers, never
 * a 5xx, and the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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

describe("bad input", () => {
  let t: TestApp
  beforeAll(() => {
    t = testApp()
  })
  afterAll(() => t.dispose())

  const PODS = "/api/v1/namespaces/default/pods"

  it("1,500 mutated pods: every answer is 2xx or a 4xx Status", { timeout: 180_000 }, async () => {
    const codes = new Map<number, number>()
    for (const [i, body] of bodies(1_500, 20261128).entries()) {
      const method = i % 3 === 0 ? "PUT" : "POST"
      const path = method === "PUT" ? `${PODS}/base` : PODS
      const res = await t.app.request(path, { method, headers: { "content-type": body.type }, body: body.text })
      codes.set(res.status, (codes.get(res.status) ?? 0) + 1)
      if (res.status >= 500)
        throw new Error(`${res.status} for ${body.type} ${body.text.slice(0, 300)}: ${await res.text()}`)
      if (res.status >= 400) {
        const status = (await res.json()) as { kind: string; code: number }
        expect(status.kind).toBe("Status")
        expect(status.code).toBe(res.status)
      } else await res.arrayBuffer()
      if (res.status < 300 && method === "POST") {
        const created = (await (await t.app.request(`${PODS}?limit=1`)).json()) as {
          items: Array<{ metadata: { name: string } }>
        }
        for (const item of created.items) {
          if (item.metadata.name !== "base")
            await t.app.request(`${PODS}/${item.metadata.name}?gracePeriodSeconds=0`, { method: "DELETE" })
        }
      }
    }
    expect([...codes.keys()].every((c) => c < 500)).toBe(true)
    expect(codes.get(400) ?? 0).toBeGreaterThan(100)
    const after = await t.app.request(PODS)
    expect(after.status).toBe(200)
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
