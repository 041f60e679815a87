import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { requestVerb } from "../src/Metrics.js"
import { json, pod, readLines, type TestApp, testApp } from "./support.js"

const PODS = "/api/v1/namespaces/default/pods"

describe("requestVerb", () => {
  it.each([
    ["GET", "/api/v1/namespaces/default/pods", "list pods"],
    ["GET", "/api/v1/pods?watch=true", "watch pods"],
    ["GET", "/api/v1/watch/namespaces/default/pods", "watch pods"],
    ["GET", "/api/v1/namespaces/default/pods/web", "get pods"],
    ["GET", "/api/v1/namespaces/default/pods/web/log", "get pods/log"],
    ["POST", "/api/v1/namespaces/default/pods/web/eviction", "create pods/eviction"],
    ["PUT", "/apis/apps/v1/namespaces/default/replicasets/web/scale", "update replicasets/scale"],
    ["PATCH", "/api/v1/nodes/node-1", "patch nodes"],
    ["DELETE", "/api/v1/namespaces/default/pods", "deletecollection pods"],
    ["DELETE", "/api/v1/namespaces/default/pods/web", "delete pods"]
  ])("%s %s → %s", (method, path, expected) => {
    const info = requestVerb(method, new URL(`http://x${path}`))
    expect(`${info?.verb} ${info?.resource}`).toBe(expected)
  })

  it("ignores non-resource paths", () => {
    expect(requestVerb("GET", new URL("http://x/api"))).toBeUndefined()
    expect(requestVerb("GET", new URL("http://x/metrics"))).toBeUndefined()
  })
})

describe("/metrics", () => {
  let t: TestApp
  beforeEach(() => {
    t = testApp()
  })
  afterEach(() => t.dispose())

  const scrape = async () => {
    const res = await t.app.request("/metrics")
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4")
    return res.text()
  }

  it("counts requests by verb, resource and code, with latency histograms", async () => {
    await t.app.request(PODS, json("POST", pod("a")))
    await t.app.request(PODS, json("POST", pod("a")))
    await t.app.request(`${PODS}/a`)
    await t.app.request(`${PODS}/nope`)
    const text = await scrape()
    expect(text).toContain('podlet_api_requests_total{verb="create",resource="pods",code="201"} 1')
    expect(text).toContain('podlet_api_requests_total{verb="create",resource="pods",code="409"} 1')
    expect(text).toContain('podlet_api_requests_total{verb="get",resource="pods",code="200"} 1')
    expect(text).toContain('podlet_api_requests_total{verb="get",resource="pods",code="404"} 1')
    expect(text).toContain('podlet_api_request_duration_seconds_bucket{verb="create",resource="pods",le="+Inf"} 2')
    expect(text).toContain('podlet_api_request_duration_seconds_count{verb="get",resource="pods"} 2')
  })

  it("reports pods by phase and the open watches", async () => {
    await t.app.request(PODS, json("POST", pod("a")))
    await t.app.request(PODS, json("POST", pod("b")))
    await t.app.request(
      `${PODS}/b/status`,
      json(
        "PATCH",
        {
          status: {
            phase: "Running",
            containerStatuses: [
              {
                name: "main",
                restartCount: 2,
                ready: true,
                image: "x",
                imageID: "",
                state: { running: {} },
                lastState: {}
              }
            ]
          }
        },
        "application/merge-patch+json"
      )
    )
    const watch = await t.app.request(`${PODS}?watch=1`)
    const first = await readLines(watch, 1)
    let text = await scrape()
    expect(text).toContain('podlet_pods{phase="Pending"} 1')
    expect(text).toContain('podlet_pods{phase="Running"} 1')
    expect(text).toContain("podlet_container_restarts 2")
    expect(text).toContain("podlet_api_watches 1")
    await first.cancel()
    text = await scrape()
    expect(text).toContain("podlet_api_watches 0")
  })
})
