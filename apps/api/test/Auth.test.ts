/**
 * `--token-file` authentication and podlet's group authorisation: the static token file format,
 * request attributes as the apiserver reads them, the group rules, and the 401/403 Statuses the
 * app answers.
 */
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  authorize,
  bearerToken,
  forbiddenStatus,
  kubeconfigToken,
  parseTokenFile,
  type RequestAttributes,
  requestAttributes,
  type TokenUser,
  type TokenUsers
} from "../src/Auth.js"
import { makeApp } from "../src/app.js"
import { json, pod } from "./support.js"

const tokenFile = [
  'admin-token,admin,1,"system:masters"',
  'view-token,viewer,2,"podlet:view"',
  'team-token,alice,3,"podlet:namespace:team,podlet:view"',
  "dev-token, bob ,4,podlet:namespace:dev",
  "nogroup-token,nobody,5",
  ""
].join("\n")

const users = parseTokenFile(tokenFile) as TokenUsers

describe("static token file", () => {
  it("reads token, user, uid and the quoted group list", () => {
    expect(typeof users).not.toBe("string")
    expect(users.get("admin-token")).toEqual({ name: "admin", uid: "1", groups: ["system:masters"] })
    expect(users.get("team-token")).toEqual({
      name: "alice",
      uid: "3",
      groups: ["podlet:namespace:team", "podlet:view"]
    })
    // Go's csv trims leading spaces only
    expect(users.get("dev-token")).toEqual({ name: "bob ", uid: "4", groups: ["podlet:namespace:dev"] })
    expect(users.get("nogroup-token")).toEqual({ name: "nobody", uid: "5", groups: [] })
  })

  it.each([
    ["a,b", "must have at least 3 columns (token, user name, user uid), found 2"],
    ['a,b,c,"unterminated', 'extraneous or missing " in quoted-field'],
    ['a,b"c,d', 'bare " in non-quoted-field'],
    ["\n\n", "holds no token"]
  ])("refuses %j", (text, message) => {
    expect(parseTokenFile(text, "t.csv")).toContain(message)
  })

  it("skips empty tokens; a later duplicate wins", () => {
    const parsed = parseTokenFile(",x,1\nt,first,1\nt,second,2") as TokenUsers
    expect([...parsed.keys()]).toEqual(["t"])
    expect(parsed.get("t")?.name).toBe("second")
  })

  it("puts the first system:masters user's token into the kubeconfig", () => {
    const reordered = parseTokenFile('v,viewer,1,podlet:view\na,admin,2,"x,system:masters"') as TokenUsers
    expect(kubeconfigToken(reordered)).toMatchObject({ token: "a", user: { name: "admin" } })
    expect(kubeconfigToken(parseTokenFile("v,viewer,1") as TokenUsers).token).toBe("v")
  })

  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer ", undefined],
    [undefined, undefined]
  ])("bearer token of %j is %j", (header, token) => {
    expect(bearerToken(header)).toBe(token)
  })
})

const q = (s = "") => new URLSearchParams(s)

describe("request attributes", () => {
  it.each<[string, string, string, Partial<RequestAttributes>]>([
    ["GET", "/api/v1/namespaces/default/pods", "", { verb: "list", resource: "pods", namespace: "default", name: "" }],
    ["GET", "/api/v1/namespaces/default/pods", "watch=true", { verb: "watch", resource: "pods" }],
    ["GET", "/api/v1/watch/namespaces/default/pods", "", { verb: "watch", namespace: "default" }],
    ["GET", "/api/v1/namespaces/default/pods/web", "", { verb: "get", name: "web", subresource: "" }],
    ["GET", "/api/v1/namespaces/default/pods/web/log", "", { verb: "get", name: "web", subresource: "log" }],
    ["POST", "/api/v1/namespaces/x/pods", "", { verb: "create", namespace: "x", group: "" }],
    ["POST", "/api/v1/namespaces/x/pods/web/eviction", "", { verb: "create", subresource: "eviction" }],
    ["PUT", "/apis/apps/v1/namespaces/x/replicasets/rs/scale", "", { verb: "update", group: "apps" }],
    ["PATCH", "/api/v1/nodes/node-1", "", { verb: "patch", resource: "nodes", namespace: "", name: "node-1" }],
    ["DELETE", "/api/v1/namespaces/x/pods", "", { verb: "deletecollection" }],
    ["DELETE", "/api/v1/namespaces/x/pods/web", "", { verb: "delete" }],
    ["GET", "/api/v1/pods", "", { verb: "list", namespace: "" }],
    // a namespace is its own namespace
    ["GET", "/api/v1/namespaces/team", "", { verb: "get", resource: "namespaces", namespace: "team", name: "team" }]
  ])("%s %s?%s", (method, path, query, expected) => {
    expect(requestAttributes(method, path, q(query))).toMatchObject({ resourceRequest: true, ...expected })
  })

  it.each([
    ["GET", "/api"],
    ["GET", "/api/v1"],
    ["GET", "/apis/apps/v1"],
    ["GET", "/openapi/v3"],
    ["POST", "/podlet/v1/clock/advance"]
  ])("%s %s is a non-resource request", (method, path) => {
    expect(requestAttributes(method, path, q())).toEqual({
      resourceRequest: false,
      verb: method.toLowerCase(),
      path
    })
  })
})

describe("authorisation by group", () => {
  const admin = users.get("admin-token")!
  const viewer = users.get("view-token")!
  const alice = users.get("team-token")!
  const bob = users.get("dev-token")!
  const nobody = users.get("nogroup-token")!
  const can = (user: TokenUser, method: string, path: string, query = "") =>
    authorize(user, requestAttributes(method, path, q(query)))

  it.each<[string, TokenUser, string, string, string, boolean]>([
    ["masters create anywhere", admin, "POST", "/api/v1/namespaces/x/pods", "", true],
    ["masters advance the clock", admin, "POST", "/podlet/v1/clock/advance", "", true],
    ["view lists", viewer, "GET", "/api/v1/pods", "", true],
    ["view watches", viewer, "GET", "/api/v1/namespaces/x/pods", "watch=1", true],
    ["view reads logs", viewer, "GET", "/api/v1/namespaces/x/pods/web/log", "", true],
    ["view reads nodes", viewer, "GET", "/api/v1/nodes", "", true],
    ["view reads the clock", viewer, "GET", "/podlet/v1/clock", "", true],
    ["view cannot create", viewer, "POST", "/api/v1/namespaces/x/pods", "", false],
    ["view cannot delete", viewer, "DELETE", "/api/v1/namespaces/x/pods/web", "", false],
    ["view cannot evict", viewer, "POST", "/api/v1/namespaces/x/pods/web/eviction", "", false],
    ["view cannot advance", viewer, "POST", "/podlet/v1/clock/advance", "", false],
    ["namespace writes inside", bob, "POST", "/api/v1/namespaces/dev/pods", "", true],
    ["namespace deletes inside", bob, "DELETE", "/api/v1/namespaces/dev/pods/web", "", true],
    ["namespace reads its namespace", bob, "GET", "/api/v1/namespaces/dev", "", true],
    ["namespace injects faults inside", bob, "POST", "/podlet/v1/namespaces/dev/pods/web/faults", "", true],
    ["namespace cannot write outside", bob, "POST", "/api/v1/namespaces/x/pods", "", false],
    ["namespace cannot list cluster-wide", bob, "GET", "/api/v1/pods", "", false],
    ["namespace cannot read nodes", bob, "GET", "/api/v1/nodes", "", false],
    ["namespace+view reads outside", alice, "GET", "/api/v1/namespaces/x/pods", "", true],
    ["namespace+view writes only inside", alice, "POST", "/api/v1/namespaces/x/pods", "", false],
    ["anyone authenticated discovers", nobody, "GET", "/api/v1", "", true],
    ["anyone authenticated reads OpenAPI", nobody, "GET", "/openapi/v3/api/v1", "", true],
    ["no group reads nothing else", nobody, "GET", "/api/v1/namespaces/x/pods", "", false],
    ["no group cannot scrape metrics", nobody, "GET", "/metrics", "", false]
  ])("%s", (_, user, method, path, query, allowed) => {
    expect(can(user, method, path, query)).toBe(allowed)
  })

  it("words a refusal as the apiserver does", () => {
    const attrs = (method: string, path: string) => requestAttributes(method, path, q())
    expect(forbiddenStatus({ name: "u", uid: "1", groups: [] }, attrs("POST", "/api/v1/namespaces/x/pods"))).toEqual({
      apiVersion: "v1",
      kind: "Status",
      metadata: {},
      status: "Failure",
      message: 'pods is forbidden: User "u" cannot create resource "pods" in API group "" in the namespace "x"',
      reason: "Forbidden",
      details: { kind: "pods" },
      code: 403
    })
    expect(forbiddenStatus(viewer, attrs("GET", "/api/v1/namespaces/x/pods/web/log")).message).toBe(
      'pods "web" is forbidden: User "viewer" cannot get resource "pods/log" in API group "" in the namespace "x"'
    )
    expect(forbiddenStatus(bob, attrs("DELETE", "/api/v1/nodes/n1")).message).toBe(
      'nodes "n1" is forbidden: User "bob " cannot delete resource "nodes" in API group "" at the cluster scope'
    )
    expect(forbiddenStatus(viewer, attrs("PATCH", "/apis/apps/v1/namespaces/x/replicasets/rs/scale"))).toMatchObject({
      message:
        'replicasets.apps "rs" is forbidden: User "viewer" cannot patch resource "replicasets/scale" in API group "apps" in the namespace "x"',
      details: { name: "rs", group: "apps", kind: "replicasets" }
    })
    expect(forbiddenStatus(viewer, attrs("POST", "/podlet/v1/clock/advance")).message).toBe(
      'forbidden: User "viewer" cannot post path "/podlet/v1/clock/advance"'
    )
  })
})

describe("the app with a token file", () => {
  let runtime: ManagedRuntime.ManagedRuntime<unknown, never>
  let app: ReturnType<typeof makeApp>
  beforeAll(() => {
    const rt = ManagedRuntime.make(StoreMemory.layer)
    runtime = rt as ManagedRuntime.ManagedRuntime<unknown, never>
    app = makeApp({ runtime: rt, auth: users })
  })
  afterAll(() => runtime.dispose())

  const as = (token: string | undefined, init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(token ? { authorization: `Bearer ${token}` } : {}) }
  })
  const PODS = "/api/v1/namespaces/default/pods"

  it("answers 401 Unauthorized without a token or with an unknown one", async () => {
    for (const init of [as(undefined), as("wrong"), { headers: { authorization: "Basic YTpi" } }]) {
      const res = await app.request(PODS, init)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        apiVersion: "v1",
        kind: "Status",
        metadata: {},
        status: "Failure",
        message: "Unauthorized",
        reason: "Unauthorized",
        code: 401
      })
    }
    expect((await app.request(PODS, as(undefined, json("POST", pod("x"))))).status).toBe(401)
    expect((await app.request("/api", as(undefined))).status).toBe(401)
  })

  it("lets health probes and /version through without a token, but not a bad token", async () => {
    expect((await app.request("/healthz")).status).toBe(200)
    expect((await app.request("/readyz")).status).toBe(200)
    expect((await app.request("/version")).status).toBe(200)
    expect((await app.request("/version", as("wrong"))).status).toBe(401)
  })

  it("serves a valid token by its groups: 201 for masters, 403 Forbidden for a viewer's write", async () => {
    expect((await app.request(PODS, as("admin-token", json("POST", pod("web"))))).status).toBe(201)
    expect((await app.request(`${PODS}/web`, as("view-token"))).status).toBe(200)
    const refused = await app.request(PODS, as("view-token", json("POST", pod("web2"))))
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({
      kind: "Status",
      reason: "Forbidden",
      code: 403,
      message:
        'pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "default"'
    })
    expect((await app.request("/api/v1/namespaces/default/pods", as("nogroup-token"))).status).toBe(403)
    expect((await app.request("/api/v1", as("nogroup-token"))).status).toBe(200)
  })

  it("counts refused requests in /metrics", async () => {
    await app.request(PODS, as("wrong"))
    const text = await (await app.request("/metrics", as("admin-token"))).text()
    expect(text).toMatch(/code="401"/)
  })
})
