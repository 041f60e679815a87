import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { AGG, type TestApp, testApp } from "./support.js"

let t: TestApp
beforeEach(() => {
  t = testApp()
})
afterEach(() => t.dispose())

describe("version and health", () => {
  it("reports a v1.32 server so the kubectl dispatcher runs kubectl 1.32", async () => {
    const res = await t.app.request("/version?timeout=5s")
    expect(res.status).toBe(200)
    const body = (await res.json()) as { gitVersion: string; major: string; minor: string }
    expect(body.gitVersion).toMatch(/^v1\.32\.\d+$/)
    expect([body.major, body.minor]).toEqual(["1", "32"])
  })

  it.each(["/healthz", "/readyz", "/livez", "/readyz/ping"])("%s answers ok", async (path) => {
    const res = await t.app.request(path)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe("ok")
  })
})

describe("legacy discovery", () => {
  it("GET /api lists v1", async () => {
    const res = await t.app.request("/api", { headers: { accept: "application/json" } })
    expect(res.headers.get("content-type")).toBe("application/json")
    const body = (await res.json()) as { kind: string; versions: Array<string> }
    expect(body.kind).toBe("APIVersions")
    expect(body.versions).toEqual(["v1"])
  })

  it("GET /apis lists the named groups with their preferred version", async () => {
    const body = (await (await t.app.request("/apis")).json()) as {
      kind: string
      groups: Array<{ name: string; preferredVersion: { groupVersion: string } }>
    }
    expect(body.kind).toBe("APIGroupList")
    expect(body.groups.map((g) => g.name)).toEqual(["apps", "policy", "coordination.k8s.io"])
    expect(body.groups[0]!.preferredVersion.groupVersion).toBe("apps/v1")
  })

  it("GET /api/v1 is the APIResourceList with subresources, verbs, short names and categories", async () => {
    const body = (await (await t.app.request("/api/v1")).json()) as {
      kind: string
      groupVersion: string
      resources: Array<{
        name: string
        namespaced: boolean
        kind: string
        verbs: Array<string>
        shortNames?: Array<string>
        categories?: Array<string>
      }>
    }
    expect(body.kind).toBe("APIResourceList")
    expect(body.groupVersion).toBe("v1")
    const byName = new Map(body.resources.map((r) => [r.name, r]))
    expect(byName.get("pods")).toMatchObject({ namespaced: true, kind: "Pod", shortNames: ["po"], categories: ["all"] })
    expect(byName.get("pods")!.verbs).toContain("watch")
    expect(byName.get("pods/status")).toMatchObject({ kind: "Pod", verbs: ["get", "patch", "update"] })
    expect(byName.get("pods/log")).toMatchObject({ kind: "Pod", verbs: ["get"] })
    // kubectl drain looks for exactly this to use the Eviction API
    expect(byName.get("pods/eviction")).toMatchObject({
      kind: "Eviction",
      group: "policy",
      version: "v1",
      verbs: ["create"]
    })
    expect(byName.get("nodes")).toMatchObject({ namespaced: false, shortNames: ["no"] })
    expect(byName.get("namespaces")).toMatchObject({ namespaced: false, shortNames: ["ns"] })
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(["events", "services", "endpoints", "configmaps", "secrets"])
    )
  })

  it.each([
    ["/apis/apps/v1", "apps/v1", "replicasets"],
    ["/apis/policy/v1", "policy/v1", "poddisruptionbudgets"],
    ["/apis/coordination.k8s.io/v1", "coordination.k8s.io/v1", "leases"]
  ])("GET %s lists %s", async (path, groupVersion, resource) => {
    const body = (await (await t.app.request(path)).json()) as {
      groupVersion: string
      resources: Array<{ name: string }>
    }
    expect(body.groupVersion).toBe(groupVersion)
    expect(body.resources.map((r) => r.name)).toContain(resource)
  })

  it("GET /apis/apps is the APIGroup", async () => {
    const body = (await (await t.app.request("/apis/apps")).json()) as { kind: string; name: string }
    expect(body).toMatchObject({ kind: "APIGroup", name: "apps" })
  })
})

describe("aggregated discovery", () => {
  it("answers /api with APIGroupDiscoveryList v2 and its exact Content-Type", async () => {
    const res = await t.app.request("/api?timeout=32s", { headers: { accept: AGG } })
    expect(res.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    const body = (await res.json()) as {
      kind: string
      apiVersion: string
      items: Array<{
        metadata: { name?: string }
        versions: Array<{ version: string; resources: Array<Record<string, unknown>> }>
      }>
    }
    expect(body).toMatchObject({ kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2" })
    expect(body.items).toHaveLength(1)
    const pods = body.items[0]!.versions[0]!.resources.find((r) => r["resource"] === "pods")
    expect(pods).toMatchObject({
      responseKind: { group: "", version: "v1", kind: "Pod" },
      scope: "Namespaced",
      singularResource: "pod",
      shortNames: ["po"],
      subresources: [
        { subresource: "status", verbs: ["get", "patch", "update"] },
        { subresource: "log", verbs: ["get"] },
        {
          subresource: "eviction",
          responseKind: { group: "policy", version: "v1", kind: "Eviction" },
          verbs: ["create"]
        }
      ]
    })
  })

  it("answers /apis with the named groups", async () => {
    const res = await t.app.request("/apis", { headers: { accept: AGG } })
    const body = (await res.json()) as { items: Array<{ metadata: { name: string } }> }
    expect(body.items.map((i) => i.metadata.name)).toEqual(["apps", "policy", "coordination.k8s.io"])
  })

  it("uses v2beta1 when that is all the client accepts (kubectl 1.27)", async () => {
    const res = await t.app.request("/apis", {
      headers: { accept: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json" }
    })
    expect(res.headers.get("content-type")).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    )
    expect(((await res.json()) as { apiVersion: string }).apiVersion).toBe("apidiscovery.k8s.io/v2beta1")
  })
})

describe("OpenAPI", () => {
  it("serves a v3 root whose documents carry a PATCH op per kind declaring fieldValidation", async () => {
    const root = (await (await t.app.request("/openapi/v3?timeout=32s")).json()) as {
      paths: Record<string, { serverRelativeURL: string }>
    }
    expect(Object.keys(root.paths)).toEqual(["api/v1", "apis/apps/v1", "apis/policy/v1", "apis/coordination.k8s.io/v1"])
    const url = root.paths["api/v1"]!.serverRelativeURL
    expect(url).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{16}$/)
    const doc = (await (await t.app.request(url)).json()) as {
      openapi: string
      paths: Record<
        string,
        { patch?: { "x-kubernetes-group-version-kind": unknown; parameters: Array<{ name: string; in: string }> } }
      >
    }
    expect(doc.openapi).toBe("3.0.0")
    const patch = doc.paths["/api/v1/namespaces/{namespace}/pods/{name}"]!.patch!
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "Pod" })
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: "fieldValidation", in: "query" }))
    const apps = (await (await t.app.request(root.paths["apis/apps/v1"]!.serverRelativeURL)).json()) as {
      paths: Record<string, { patch?: { "x-kubernetes-group-version-kind": unknown } }>
    }
    expect(
      apps.paths["/apis/apps/v1/namespaces/{namespace}/replicasets/{name}"]!.patch!["x-kubernetes-group-version-kind"]
    ).toEqual({
      group: "apps",
      version: "v1",
      kind: "ReplicaSet"
    })
  })

  it("answers /openapi/v2 with a 404 Status (kubectl then uses its compiled-in types)", async () => {
    const res = await t.app.request("/openapi/v2?timeout=32s", {
      headers: { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" }
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "NotFound", code: 404 })
  })
})
