import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { json, pod, TABLE, type TestApp, testApp } from "./support.js"

let t: TestApp
beforeEach(() => {
  t = testApp()
})
afterEach(() => t.dispose())

const PODS = "/api/v1/namespaces/default/pods"

interface Obj {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; resourceVersion: string; uid: string; labels?: Record<string, string> }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}
interface ListBody {
  kind: string
  apiVersion: string
  metadata: { resourceVersion: string; continue?: string }
  items: Array<Obj>
}
interface TableBody {
  kind: string
  apiVersion: string
  metadata: { resourceVersion: string; continue?: string }
  columnDefinitions: Array<{ name: string; priority: number }>
  rows: Array<{
    cells: Array<unknown>
    object?: { kind: string; apiVersion: string; metadata: Obj["metadata"]; spec?: unknown }
  }>
}
interface StatusBody {
  kind: string
  apiVersion: string
  status: string
  reason: string
  code: number
  message: string
  details?: { name?: string; kind?: string; causes?: Array<{ field: string; message: string; reason: string }> }
}

const create = async (body: unknown, path = PODS) => {
  const res = await t.app.request(path, json("POST", body))
  expect(res.status).toBe(201)
  return (await res.json()) as Obj
}

const expectStatus = async (res: Response, code: number, reason: string): Promise<StatusBody> => {
  expect(res.status).toBe(code)
  expect(res.headers.get("content-type")).toBe("application/json")
  const body = (await res.json()) as StatusBody
  expect(body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason, code })
  return body
}

describe("create and read", () => {
  it("POST creates with 201 and the stored object carries kind, apiVersion, uid and resourceVersion", async () => {
    const created = await create(pod("web", { app: "web" }))
    expect(created).toMatchObject({ apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default" } })
    expect(created.metadata.uid).not.toBe("")
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/)
    const res = await t.app.request(`${PODS}/web`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ kind: "Pod", apiVersion: "v1", metadata: { uid: created.metadata.uid } })
  })

  it("fills kind and apiVersion from the endpoint when the body leaves them out", async () => {
    const { apiVersion: _a, kind: _k, ...bare } = pod("bare")
    expect(await create(bare)).toMatchObject({ kind: "Pod", apiVersion: "v1" })
  })

  it("accepts YAML bodies", async () => {
    const yaml =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fromyaml\nspec:\n  containers:\n  - name: main\n    image: busybox\n"
    const res = await t.app.request(PODS, json("POST", yaml, "application/yaml"))
    expect(res.status).toBe(201)
    expect(((await res.json()) as Obj).metadata.name).toBe("fromyaml")
  })

  it("answers YAML when asked", async () => {
    await create(pod("web"))
    const res = await t.app.request(`${PODS}/web`, { headers: { accept: "application/yaml" } })
    expect(res.headers.get("content-type")).toBe("application/yaml")
    expect(await res.text()).toMatch(/^apiVersion: v1\nkind: Pod\n/)
  })

  it("answers JSON when the client lists protobuf first", async () => {
    await create(pod("web"))
    const res = await t.app.request(`${PODS}/web`, {
      headers: { accept: "application/vnd.kubernetes.protobuf,application/json" }
    })
    expect(res.headers.get("content-type")).toBe("application/json")
    expect(((await res.json()) as Obj).kind).toBe("Pod")
  })

  it("dryRun=All answers 201 and persists nothing", async () => {
    const res = await t.app.request(`${PODS}?dryRun=All`, json("POST", pod("dry")))
    expect(res.status).toBe(201)
    expect((await t.app.request(`${PODS}/dry`)).status).toBe(404)
  })

  it("creates cluster-scoped objects and other groups", async () => {
    const ns = await create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } }, "/api/v1/namespaces")
    expect(ns).toMatchObject({ kind: "Namespace", metadata: { name: "team" } })
    const cm = await create(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { a: "1" } },
      "/api/v1/namespaces/team/configmaps"
    )
    expect(cm.metadata.namespace).toBe("team")
    const rs = await create(
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name: "rs" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "rs" } },
          template: { metadata: { labels: { app: "rs" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }
        }
      },
      "/apis/apps/v1/namespaces/default/replicasets"
    )
    expect(rs).toMatchObject({ apiVersion: "apps/v1", kind: "ReplicaSet" })
    const got = await t.app.request("/apis/apps/v1/namespaces/default/replicasets/rs")
    expect(got.status).toBe(200)
  })
})

describe("lists", () => {
  beforeEach(async () => {
    await create(pod("a", { app: "web", tier: "front" }))
    await create(pod("b", { app: "web", tier: "back" }))
    await create(pod("c", { app: "db" }))
    await create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } }, "/api/v1/namespaces")
    await create(pod("d", { app: "web" }), "/api/v1/namespaces/other/pods")
  })

  const names = (body: ListBody) => body.items.map((i) => i.metadata.name)

  it("lists a namespace as a PodList with a resourceVersion; items carry kind and apiVersion", async () => {
    const body = (await (await t.app.request(PODS)).json()) as ListBody
    expect(body).toMatchObject({ kind: "PodList", apiVersion: "v1" })
    expect(body.metadata.resourceVersion).toMatch(/^\d+$/)
    expect(names(body)).toEqual(["a", "b", "c"])
    expect(body.items[0]).toMatchObject({ kind: "Pod", apiVersion: "v1" })
  })

  it("lists every namespace at /api/v1/pods", async () => {
    const body = (await (await t.app.request("/api/v1/pods")).json()) as ListBody
    expect(names(body).sort()).toEqual(["a", "b", "c", "d"])
  })

  it.each([
    ["app=web", ["a", "b"]],
    ["app!=web", ["c"]],
    ["tier in (front,back)", ["a", "b"]],
    ["app,!tier", ["c"]]
  ])("filters by labelSelector %s", async (selector, expected) => {
    const body = (await (
      await t.app.request(`${PODS}?labelSelector=${encodeURIComponent(selector)}`)
    ).json()) as ListBody
    expect(names(body)).toEqual(expected)
  })

  it("filters by fieldSelector metadata.name", async () => {
    const body = (await (await t.app.request(`${PODS}?fieldSelector=metadata.name%3Db`)).json()) as ListBody
    expect(names(body)).toEqual(["b"])
  })

  it("answers an unsupported field label with 400", async () => {
    const body = await expectStatus(await t.app.request(`${PODS}?fieldSelector=foo%3Dbar`), 400, "BadRequest")
    expect(body.message).toContain("foo")
  })

  it("answers a malformed label selector with 400", async () => {
    await expectStatus(
      await t.app.request(`${PODS}?labelSelector=${encodeURIComponent("app in (")}`),
      400,
      "BadRequest"
    )
  })

  it("pages with limit and continue", async () => {
    const first = (await (await t.app.request(`${PODS}?limit=2`)).json()) as ListBody
    expect(names(first)).toEqual(["a", "b"])
    expect(first.metadata.continue).toBeTruthy()
    const second = (await (
      await t.app.request(`${PODS}?limit=2&continue=${encodeURIComponent(first.metadata.continue!)}`)
    ).json()) as ListBody
    expect(names(second)).toEqual(["c"])
    expect(second.metadata.continue ?? "").toBe("")
  })

  it("answers a bad limit with 400", async () => {
    await expectStatus(await t.app.request(`${PODS}?limit=abc`), 400, "BadRequest")
  })

  it("prints a Table with PartialObjectMetadata rows by default", async () => {
    const res = await t.app.request(`${PODS}?limit=500`, { headers: { accept: TABLE } })
    expect(res.headers.get("content-type")).toBe("application/json;as=Table;v=v1;g=meta.k8s.io")
    const table = (await res.json()) as TableBody
    expect(table).toMatchObject({ kind: "Table", apiVersion: "meta.k8s.io/v1" })
    expect(table.metadata.resourceVersion).toMatch(/^\d+$/)
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ["Name", 0],
      ["Ready", 0],
      ["Status", 0],
      ["Restarts", 0],
      ["Age", 0],
      ["IP", 1],
      ["Node", 1],
      ["Nominated Node", 1],
      ["Readiness Gates", 1]
    ])
    expect(table.rows).toHaveLength(3)
    expect(table.rows[0]!.cells[0]).toBe("a")
    expect(table.rows[0]!.cells).toHaveLength(9)
    expect(table.rows[0]!.object).toMatchObject({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: { name: "a", namespace: "default", labels: { app: "web", tier: "front" } }
    })
    expect(table.rows[0]!.object!.spec).toBeUndefined()
  })

  it("puts the whole object in rows with includeObject=Object and nothing with None", async () => {
    const full = (await (
      await t.app.request(`${PODS}?includeObject=Object`, { headers: { accept: TABLE } })
    ).json()) as TableBody
    expect(full.rows[0]!.object).toMatchObject({
      kind: "Pod",
      apiVersion: "v1",
      spec: { containers: [{ name: "main" }] }
    })
    const none = (await (
      await t.app.request(`${PODS}?includeObject=None`, { headers: { accept: TABLE } })
    ).json()) as TableBody
    expect(none.rows[0]!.object).toBeUndefined()
    await expectStatus(
      await t.app.request(`${PODS}?includeObject=Bogus`, { headers: { accept: TABLE } }),
      400,
      "BadRequest"
    )
  })

  it("prints a one-row Table for a single GET, with the object's resourceVersion", async () => {
    const res = await t.app.request(`${PODS}/a`, { headers: { accept: TABLE } })
    const table = (await res.json()) as TableBody
    expect(table.rows).toHaveLength(1)
    expect(table.metadata.resourceVersion).toBe(table.rows[0]!.object!.metadata.resourceVersion)
  })

  it("prints the cluster-wide Table with namespaces in row metadata (kubectl -A)", async () => {
    const table = (await (
      await t.app.request("/api/v1/pods?limit=500", { headers: { accept: TABLE } })
    ).json()) as TableBody
    expect(table.rows.map((r) => `${r.object!.metadata.namespace}/${r.cells[0]}`).sort()).toEqual([
      "default/a",
      "default/b",
      "default/c",
      "other/d"
    ])
  })

  it("answers PartialObjectMetadataList when asked", async () => {
    const res = await t.app.request(PODS, {
      headers: { accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" }
    })
    const body = (await res.json()) as { kind: string; items: Array<{ kind: string }> }
    expect(body.kind).toBe("PartialObjectMetadataList")
    expect(body.items[0]!.kind).toBe("PartialObjectMetadata")
  })

  it("prints the namespaces Table", async () => {
    const table = (await (
      await t.app.request("/api/v1/namespaces", { headers: { accept: TABLE } })
    ).json()) as TableBody
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(["Name", "Status", "Age"])
    expect(table.rows.map((r) => r.cells[0])).toContain("default")
  })
})

describe("updates and patches", () => {
  it("PUT replaces the object; a stale resourceVersion is a 409 Conflict", async () => {
    const created = await create(pod("web", { app: "web" }))
    const updated = { ...created, metadata: { ...created.metadata, labels: { app: "web", v: "2" } } }
    const res = await t.app.request(`${PODS}/web`, json("PUT", updated))
    expect(res.status).toBe(200)
    const body = (await res.json()) as Obj
    expect(body.metadata.labels).toEqual({ app: "web", v: "2" })
    expect(Number(body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion))
    const stale = await expectStatus(await t.app.request(`${PODS}/web`, json("PUT", updated)), 409, "Conflict")
    expect(stale.message).toContain("the object has been modified")
  })

  it("PUT with a different name in the body is a 400", async () => {
    const created = await create(pod("web"))
    const res = await t.app.request(
      `${PODS}/web`,
      json("PUT", { ...created, metadata: { ...created.metadata, name: "other" } })
    )
    const body = await expectStatus(res, 400, "BadRequest")
    expect(body.message).toBe("the name of the object (other) does not match the name on the URL (web)")
  })

  it("PATCH applies merge, JSON and strategic merge patches", async () => {
    await create(pod("web", { app: "web" }))
    const merge = await t.app.request(
      `${PODS}/web`,
      json("PATCH", { metadata: { labels: { tier: "front" } } }, "application/merge-patch+json")
    )
    expect(merge.status).toBe(200)
    expect(((await merge.json()) as Obj).metadata.labels).toEqual({ app: "web", tier: "front" })
    const jsonPatch = await t.app.request(
      `${PODS}/web`,
      json("PATCH", [{ op: "remove", path: "/metadata/labels/tier" }], "application/json-patch+json")
    )
    expect(((await jsonPatch.json()) as Obj).metadata.labels).toEqual({ app: "web" })
    const smp = await t.app.request(
      `${PODS}/web?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`,
      json(
        "PATCH",
        { spec: { $setElementOrder_containers: undefined, containers: [{ name: "main", image: "nginx:1.26" }] } },
        "application/strategic-merge-patch+json"
      )
    )
    expect(smp.status).toBe(200)
    const patched = (await smp.json()) as Obj
    expect(patched.spec).toMatchObject({ containers: [{ name: "main", image: "nginx:1.26" }] })
  })

  it("server-side apply creates with 201, then updates with 200; fieldManager is required", async () => {
    const url = `${PODS}/ssa?fieldManager=kubectl&fieldValidation=Strict&force=false`
    const first = await t.app.request(url, json("PATCH", pod("ssa", { app: "app" }), "application/apply-patch+yaml"))
    expect(first.status).toBe(201)
    const second = await t.app.request(
      url,
      json("PATCH", pod("ssa", { app: "app", v: "2" }), "application/apply-patch+yaml")
    )
    expect(second.status).toBe(200)
    expect(((await second.json()) as Obj).metadata.labels).toEqual({ app: "app", v: "2" })
    const yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ssa\n  labels:\n    v: '3'\n"
    const third = await t.app.request(url, json("PATCH", yaml, "application/apply-patch+yaml"))
    expect(((await third.json()) as Obj).metadata.labels).toMatchObject({ v: "3" })
    const missing = await t.app.request(`${PODS}/ssa`, json("PATCH", pod("ssa"), "application/apply-patch+yaml"))
    const body = await expectStatus(missing, 422, "Invalid")
    expect(body.details!.causes![0]!.field).toBe("fieldManager")
  })

  it("PATCH with an unsupported media type is a 415", async () => {
    await create(pod("web"))
    await expectStatus(
      await t.app.request(`${PODS}/web`, json("PATCH", { a: 1 }, "application/json")),
      415,
      "UnsupportedMediaType"
    )
  })

  it("PATCH with a malformed body is a 400, and a patch of a missing object a 404", async () => {
    await create(pod("web"))
    await expectStatus(
      await t.app.request(`${PODS}/web`, json("PATCH", "{not json", "application/merge-patch+json")),
      400,
      "BadRequest"
    )
    await expectStatus(
      await t.app.request(`${PODS}/web`, json("PATCH", { op: "add" }, "application/json-patch+json")),
      400,
      "BadRequest"
    )
    const missing = await expectStatus(
      await t.app.request(`${PODS}/nope`, json("PATCH", { metadata: {} }, "application/merge-patch+json")),
      404,
      "NotFound"
    )
    expect(missing.message).toBe('pods "nope" not found')
  })
})

describe("fieldValidation", () => {
  const typo = () => pod("typo", {}, { spec: { containers: [{ name: "main", image: "nginx", imagee: "x" }] } })

  it("Strict rejects unknown fields with a 400 strict decoding error", async () => {
    const body = await expectStatus(
      await t.app.request(`${PODS}?fieldValidation=Strict`, json("POST", typo())),
      400,
      "BadRequest"
    )
    expect(body.message).toContain('strict decoding error: unknown field "spec.containers[0].imagee"')
  })

  it("Warn (the default) creates and says so in a Warning header kubectl prints", async () => {
    const res = await t.app.request(PODS, json("POST", typo()))
    expect(res.status).toBe(201)
    expect(res.headers.get("warning")).toBe('299 - "unknown field \\"spec.containers[0].imagee\\""')
  })

  it("Ignore creates without a warning", async () => {
    const res = await t.app.request(`${PODS}?fieldValidation=Ignore`, json("POST", typo()))
    expect(res.status).toBe(201)
    expect(res.headers.get("warning")).toBeNull()
  })
})

describe("status subresource", () => {
  it("PUT and PATCH .../status change status only; GET .../status reads the object", async () => {
    const created = await create(pod("web"))
    const put = await t.app.request(
      `${PODS}/web/status`,
      json("PUT", {
        ...created,
        metadata: { ...created.metadata, labels: { ignored: "yes" } },
        status: { phase: "Running" }
      })
    )
    expect(put.status).toBe(200)
    const afterPut = (await put.json()) as Obj
    expect(afterPut.status).toMatchObject({ phase: "Running" })
    expect(afterPut.metadata.labels ?? {}).not.toHaveProperty("ignored")
    const patch = await t.app.request(
      `${PODS}/web/status`,
      json("PATCH", { status: { podIP: "10.0.0.7" } }, "application/merge-patch+json")
    )
    expect(patch.status).toBe(200)
    const got = (await (await t.app.request(`${PODS}/web/status`)).json()) as Obj
    expect(got).toMatchObject({ kind: "Pod", status: { phase: "Running", podIP: "10.0.0.7" } })
  })

  it("a resource without a status subresource answers 404 there", async () => {
    await create(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" } },
      "/api/v1/namespaces/default/configmaps"
    )
    await expectStatus(await t.app.request("/api/v1/namespaces/default/configmaps/cfg/status"), 404, "NotFound")
  })
})

describe("pods/eviction", () => {
  const eviction = (name: string) => ({
    apiVersion: "policy/v1",
    kind: "Eviction",
    metadata: { name, namespace: "default" }
  })
  const runningReady = async (name: string) => {
    const res = await t.app.request(
      `${PODS}/${name}/status`,
      json(
        "PATCH",
        { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } },
        "application/merge-patch+json"
      )
    )
    expect(res.status).toBe(200)
  }

  it("evicts a pod with 201 Success when no budget forbids it", async () => {
    await create(pod("web", { app: "web" }))
    const res = await t.app.request(`${PODS}/web/eviction`, json("POST", eviction("web")))
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ kind: "Status", status: "Success", code: 201 })
    await expectStatus(await t.app.request(`${PODS}/web`), 404, "NotFound")
  })

  it("answers 429 when a PodDisruptionBudget allows no disruption", async () => {
    await create(pod("web", { app: "web" }))
    await runningReady("web")
    const pdb = await t.app.request(
      "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
      json("POST", {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "web" },
        spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } } }
      })
    )
    expect(pdb.status).toBe(201)
    await t.app.request(
      "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web/status",
      json(
        "PATCH",
        {
          status: {
            currentHealthy: 1,
            desiredHealthy: 1,
            disruptionsAllowed: 0,
            expectedPods: 1,
            observedGeneration: 1
          }
        },
        "application/merge-patch+json"
      )
    )
    const res = await t.app.request(`${PODS}/web/eviction`, json("POST", eviction("web")))
    const body = await expectStatus(res, 429, "TooManyRequests")
    expect(body.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.")
    expect((await t.app.request(`${PODS}/web`)).status).toBe(200)
  })

  it("refuses a name that does not match and a missing pod", async () => {
    await create(pod("web"))
    await expectStatus(await t.app.request(`${PODS}/web/eviction`, json("POST", eviction("other"))), 400, "BadRequest")
    await expectStatus(await t.app.request(`${PODS}/nope/eviction`, json("POST", eviction("nope"))), 404, "NotFound")
    await expectStatus(await t.app.request(`${PODS}/web/eviction`), 405, "MethodNotAllowed")
  })
})

describe("replicasets/scale", () => {
  const RS = "/apis/apps/v1/namespaces/default/replicasets"
  const rs = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "web" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } }
    }
  }

  it("GET, PATCH (kubectl scale) and PUT an autoscaling/v1 Scale", async () => {
    await create(rs, RS)
    const scale = (await (await t.app.request(`${RS}/web/scale`)).json()) as {
      metadata: { resourceVersion: string }
    }
    expect(scale).toMatchObject({
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name: "web", namespace: "default" },
      spec: { replicas: 1 },
      status: { replicas: 0, selector: "app=web" }
    })
    const patched = await t.app.request(
      `${RS}/web/scale`,
      json("PATCH", { spec: { replicas: 3 } }, "application/merge-patch+json")
    )
    expect(patched.status).toBe(200)
    expect(await patched.json()).toMatchObject({ kind: "Scale", spec: { replicas: 3 } })
    expect(((await (await t.app.request(`${RS}/web`)).json()) as { spec: { replicas: number } }).spec.replicas).toBe(3)
    const stale = await t.app.request(
      `${RS}/web/scale`,
      json("PUT", { apiVersion: "autoscaling/v1", kind: "Scale", metadata: scale.metadata, spec: { replicas: 2 } })
    )
    await expectStatus(stale, 409, "Conflict")
    const put = await t.app.request(
      `${RS}/web/scale`,
      json("PUT", { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: "web" }, spec: { replicas: 2 } })
    )
    expect(await put.json()).toMatchObject({ spec: { replicas: 2 } })
  })

  it("answers 422 for negative replicas, 400 for a non-number, 404 for a missing ReplicaSet", async () => {
    await create(rs, RS)
    await expectStatus(
      await t.app.request(`${RS}/web/scale`, json("PATCH", { spec: { replicas: -1 } }, "application/merge-patch+json")),
      422,
      "Invalid"
    )
    await expectStatus(
      await t.app.request(
        `${RS}/web/scale`,
        json("PATCH", { spec: { replicas: "3" } }, "application/merge-patch+json")
      ),
      400,
      "BadRequest"
    )
    await expectStatus(await t.app.request(`${RS}/nope/scale`), 404, "NotFound")
    await expectStatus(await t.app.request(`${RS}/web/scale`, { method: "DELETE" }), 405, "MethodNotAllowed")
  })
})

describe("delete", () => {
  it("DELETE with a DeleteOptions body answers 200 with the object; then GET is 404", async () => {
    await create(pod("web"))
    const res = await t.app.request(
      `${PODS}/web`,
      json("DELETE", { gracePeriodSeconds: 0, propagationPolicy: "Background" })
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ kind: "Pod", apiVersion: "v1", metadata: { name: "web" } })
    await expectStatus(await t.app.request(`${PODS}/web`), 404, "NotFound")
  })

  it("DELETE takes options from the query with an empty JSON body (client-node)", async () => {
    await create(pod("web"))
    const res = await t.app.request(`${PODS}/web?gracePeriodSeconds=0`, {
      method: "DELETE",
      headers: { "content-type": "application/json" }
    })
    expect(res.status).toBe(200)
    expect((await t.app.request(`${PODS}/web`)).status).toBe(404)
  })

  it("a graceful delete of a scheduled pod marks it with a deletionTimestamp", async () => {
    await create(pod("web", {}, { spec: { nodeName: "node-1", containers: [{ name: "main", image: "nginx" }] } }))
    const res = await t.app.request(`${PODS}/web`, json("DELETE", { gracePeriodSeconds: 30 }))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } }
    expect(body.metadata.deletionTimestamp).toBeTruthy()
    expect(body.metadata.deletionGracePeriodSeconds).toBe(30)
  })

  it("DELETE dryRun=All keeps the object", async () => {
    await create(pod("web"))
    expect((await t.app.request(`${PODS}/web?dryRun=All&gracePeriodSeconds=0`, { method: "DELETE" })).status).toBe(200)
    expect((await t.app.request(`${PODS}/web`)).status).toBe(200)
  })

  it("a failed precondition is a 409 and a missing object a 404", async () => {
    await create(pod("web"))
    await expectStatus(
      await t.app.request(`${PODS}/web`, json("DELETE", { preconditions: { uid: "not-the-uid" } })),
      409,
      "Conflict"
    )
    await expectStatus(await t.app.request(`${PODS}/nope`, { method: "DELETE" }), 404, "NotFound")
  })

  it("bad DeleteOptions are 400 or 422, never 500", async () => {
    await create(pod("web"))
    await expectStatus(
      await t.app.request(`${PODS}/web`, json("DELETE", { gracePeriodSeconds: "x" })),
      400,
      "BadRequest"
    )
    await expectStatus(
      await t.app.request(`${PODS}/web`, json("DELETE", { propagationPolicy: "Sideways" })),
      422,
      "Invalid"
    )
    await expectStatus(await t.app.request(`${PODS}/web`, json("DELETE", [1, 2])), 400, "BadRequest")
  })

  it("deletecollection deletes what the selector matches", async () => {
    await create(pod("a", { app: "web" }))
    await create(pod("b", { app: "db" }))
    const res = await t.app.request(`${PODS}?labelSelector=app%3Dweb&gracePeriodSeconds=0`, { method: "DELETE" })
    expect(res.status).toBe(200)
    expect(((await res.json()) as ListBody).items.map((i) => i.metadata.name)).toEqual(["a"])
    const left = (await (await t.app.request(PODS)).json()) as ListBody
    expect(left.items.map((i) => i.metadata.name)).toEqual(["b"])
  })
})

describe("errors are Status objects, never 500 for bad input", () => {
  it("AlreadyExists is a 409", async () => {
    await create(pod("web"))
    const body = await expectStatus(await t.app.request(PODS, json("POST", pod("web"))), 409, "AlreadyExists")
    expect(body.message).toBe('pods "web" already exists')
    expect(body.details).toMatchObject({ name: "web", kind: "pods" })
  })

  it("Invalid is a 422 with details.causes", async () => {
    const res = await t.app.request(
      PODS,
      json("POST", { apiVersion: "v1", kind: "Pod", metadata: {}, spec: { containers: [] } })
    )
    const body = await expectStatus(res, 422, "Invalid")
    expect(body.details!.kind).toBe("Pod")
    expect(body.details!.causes!.length).toBeGreaterThan(0)
    expect(body.details!.causes![0]!.field).toMatch(/^metadata\./)
  })

  it.each([
    ["malformed JSON", "{", "application/json"],
    ["malformed YAML", "a: [1, 2\n", "application/yaml"],
    ["several YAML documents", "a: 1\n---\nb: 2\n", "application/yaml"],
    ["a JSON array", "[1]", "application/json"],
    ["a JSON string", '"pod"', "application/json"],
    ["metadata that is not an object", '{"metadata":"x"}', "application/json"],
    [
      "another kind",
      JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "x" } }),
      "application/json"
    ],
    [
      "another apiVersion",
      JSON.stringify({ apiVersion: "apps/v1", kind: "Pod", metadata: { name: "x" } }),
      "application/json"
    ],
    [
      "another namespace",
      JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "x", namespace: "other" } }),
      "application/json"
    ],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "application/json"]
  ])("%s is a 400", async (_, body, contentType) => {
    await expectStatus(
      await t.app.request(PODS, { method: "POST", headers: { "content-type": contentType }, body }),
      400,
      "BadRequest"
    )
  })

  it("a field of the wrong type is a 400 with Go's wording (describe and logs decode typed)", async () => {
    const bad = pod(
      "badtype",
      {},
      { spec: { containers: [{ name: "c", image: "nginx", ports: [{ containerPort: "80" }] }] } }
    )
    const body = await expectStatus(await t.app.request(PODS, json("POST", bad)), 400, "BadRequest")
    expect(body.message).toContain('Pod in version "v1" cannot be handled as a Pod')
    expect(body.message).toContain("containerPort")
  })

  it("a body over 3 MiB is a 413", async () => {
    const big = JSON.stringify(pod("big", {}, { data: "x".repeat(3 * 1024 * 1024) }))
    await expectStatus(await t.app.request(PODS, json("POST", big)), 413, "RequestEntityTooLarge")
  })

  it("an unsupported Content-Type is a 415", async () => {
    await expectStatus(
      await t.app.request(PODS, json("POST", "a=b", "application/x-www-form-urlencoded")),
      415,
      "UnsupportedMediaType"
    )
  })

  it("bad dryRun or fieldValidation values are 422", async () => {
    await expectStatus(await t.app.request(`${PODS}?dryRun=Some`, json("POST", pod("x"))), 422, "Invalid")
    const body = await expectStatus(
      await t.app.request(`${PODS}?fieldValidation=Loose`, json("POST", pod("x"))),
      422,
      "Invalid"
    )
    expect(body.details!.causes![0]!.field).toBe("fieldValidation")
  })

  it.each([
    ["PUT on a collection", "PUT", PODS],
    ["PATCH on a collection", "PATCH", PODS],
    ["POST on a named object", "POST", `${PODS}/web`],
    ["POST on a cluster-wide list", "POST", "/api/v1/pods"],
    ["DELETE on a cluster-wide list", "DELETE", "/api/v1/pods"],
    ["OPTIONS", "OPTIONS", PODS]
  ])("%s is a 405", async (_, method, path) => {
    await expectStatus(await t.app.request(path, json(method, pod("web"))), 405, "MethodNotAllowed")
  })

  it.each([
    "/api/v1/namespaces/default/widgets",
    "/api/v1/namespaces/default/pods/web/exec",
    "/api/v1/pods/web",
    "/apis/apps/v1/namespaces/default/pods",
    "/apis/batch/v1/jobs",
    "/nothing/here",
    "/api/v1/namespaces/default/pods/%E0%A4%A"
  ])("%s is a 404 Status", async (path) => {
    await expectStatus(await t.app.request(path), 404, "NotFound")
  })

  it("creating in a namespace that does not exist is a 404", async () => {
    const body = await expectStatus(
      await t.app.request("/api/v1/namespaces/ghost/pods", json("POST", pod("x"))),
      404,
      "NotFound"
    )
    expect(body.message).toBe('namespaces "ghost" not found')
  })
})
