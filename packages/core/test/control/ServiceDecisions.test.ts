// The pure parts of Services: ClusterIP allocation, cluster DNS lookups with the search path, Endpoints subsets.
import { describe, expect, it } from "@effect/vitest"
import type { Endpoints, Service } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import type { DnsView } from "../../src/control/ClusterDns.js"
import { resolveName, searchCandidates } from "../../src/control/ClusterDns.js"
import { ClusterIPAllocator } from "../../src/control/ClusterIPAllocator.js"
import {
  endpointSubsets,
  findPort,
  readyBackends,
  shouldPodBeInEndpoints
} from "../../src/control/EndpointsDecision.js"

describe("ClusterIPAllocator", () => {
  it("hands out the dynamic band in order, then reuses released IPs after wrapping", () => {
    const a = new ClusterIPAllocator("10.96.0.0/24")
    expect(a.reserve("10.96.0.1", "default/kubernetes")).toBe("ok")
    expect([a.allocate("x"), a.allocate("y")]).toEqual(["10.96.0.17", "10.96.0.18"])
    a.release("10.96.0.17", "x")
    expect(a.allocate("z")).toBe("10.96.0.19")
    expect(a.reserve("10.96.0.18", "other")).toBe("taken")
    expect(a.reserve("10.97.0.3", "other")).toBe("out-of-range")
    expect(a.contains("10.96.0.255")).toBe(false)
    for (let i = 20; i <= 254; i++) expect(a.allocate(`s${i}`)).toBe(`10.96.0.${i}`)
    expect(a.allocate("wrapped")).toBe("10.96.0.17")
    expect(a.allocate("static")).toBe("10.96.0.2")
    const tiny = new ClusterIPAllocator("10.0.0.0/29")
    expect(tiny.allocate("a")).toBe("10.0.0.1")
  })

  it("the default range keeps 10.96.0.0/24 for chosen IPs", () => {
    const a = new ClusterIPAllocator()
    expect(a.allocate("a")).toBe("10.96.1.1")
    expect(a.contains("10.111.255.254")).toBe(true)
    expect(a.contains("10.112.0.1")).toBe(false)
  })
})

const svc = (name: string, namespace: string, spec: NonNullable<Service["spec"]>): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace },
  spec
})

const view = (services: ReadonlyArray<Service>, endpoints: ReadonlyArray<Endpoints> = []): DnsView => ({
  service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
  endpoints: (ns, name) => endpoints.find((e) => e.metadata.namespace === ns && e.metadata.name === name)
})

describe("cluster DNS", () => {
  const dns = view(
    [
      svc("web", "default", { clusterIP: "10.96.1.1", ports: [{ port: 80 }] }),
      svc("web", "prod", { clusterIP: "10.96.1.2", ports: [{ port: 80 }] }),
      svc("db", "prod", { clusterIP: "None", ports: [{ port: 5432 }] }),
      svc("ext", "default", { type: "ExternalName", externalName: "example.com" })
    ],
    [
      {
        apiVersion: "v1",
        kind: "Endpoints",
        metadata: { name: "db", namespace: "prod" },
        subsets: [
          {
            addresses: [
              { ip: "10.244.0.7", hostname: "db-0" },
              { ip: "10.244.1.3", hostname: "db-1" }
            ]
          }
        ]
      }
    ]
  )
  it.each([
    ["web", "default", "10.96.1.1"],
    ["web", "prod", "10.96.1.2"],
    ["web.prod", "default", "10.96.1.2"],
    ["web.prod.svc", "default", "10.96.1.2"],
    ["web.prod.svc.cluster.local", "default", "10.96.1.2"],
    ["db", "prod", "10.244.0.7"],
    ["db-1.db.prod.svc.cluster.local", "default", "10.244.1.3"],
    ["db-1.db", "prod", "10.244.1.3"],
    ["10-244-3-9.prod.pod.cluster.local", "default", "10.244.3.9"],
    ["db", "default", undefined],
    ["ext", "default", undefined],
    ["example.com", "default", undefined],
    ["web.default.svc.cluster.local.other", "default", undefined]
  ])("%s from %s → %s", (name, namespace, expected) => {
    expect(resolveName(dns, name, namespace)).toBe(expected)
  })

  it("the search path, and absolute names first with 5 dots or more", () => {
    expect(searchCandidates("web", "ns")).toEqual([
      "web.ns.svc.cluster.local",
      "web.svc.cluster.local",
      "web.cluster.local",
      "web"
    ])
    expect(searchCandidates("a.b.c.d.e.f", "ns")[0]).toBe("a.b.c.d.e.f")
  })
})

const pod = (
  name: string,
  ip: string,
  extra: { ready?: boolean; labels?: Record<string, string>; phase?: "Running" | "Succeeded"; portName?: string } = {}
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}`, labels: extra.labels ?? { app: "web" } },
  spec: {
    restartPolicy: "OnFailure",
    nodeName: "n1",
    containers: [{ name: "c", image: "nginx", ports: [{ name: extra.portName ?? "http", containerPort: 8080 }] }]
  },
  status: {
    phase: extra.phase ?? "Running",
    podIP: ip,
    conditions: [{ type: "Ready", status: extra.ready === false ? "False" : "True" }]
  }
})

describe("Endpoints subsets", () => {
  const web = svc("web", "default", {
    selector: { app: "web" },
    ports: [
      { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
      { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" }
    ]
  })
  it("groups addresses by resolved ports, sorted by IP; skips finished and unlabeled pods", () => {
    const subsets = endpointSubsets(web, [
      pod("b", "10.244.0.10"),
      pod("a", "10.244.0.9"),
      pod("c", "10.244.0.11", { ready: false }),
      pod("d", "10.244.0.12", { portName: "web" }),
      pod("done", "10.244.0.13", { phase: "Succeeded" }),
      pod("other", "10.244.0.14", { labels: { app: "other" } })
    ])
    expect(subsets.map((s) => [s.addresses?.map((a) => a.ip), s.notReadyAddresses?.map((a) => a.ip), s.ports])).toEqual(
      [
        [
          ["10.244.0.9", "10.244.0.10"],
          ["10.244.0.11"],
          [
            { name: "http", port: 8080, protocol: "TCP" },
            { name: "metrics", port: 9090, protocol: "TCP" }
          ]
        ],
        [["10.244.0.12"], undefined, [{ name: "metrics", port: 9090, protocol: "TCP" }]]
      ]
    )
    expect(readyBackends(web.spec!.ports![0]!, subsets)).toEqual([
      { ip: "10.244.0.9", port: 8080 },
      { ip: "10.244.0.10", port: 8080 }
    ])
  })

  it("FindPort and ShouldPodBeInEndpoints", () => {
    expect(findPort(pod("a", "1.1.1.1"), { port: 80, targetPort: "http" })).toBe(8080)
    expect(findPort(pod("a", "1.1.1.1"), { port: 80, targetPort: "nope" })).toBeUndefined()
    expect(findPort(pod("a", "1.1.1.1"), { port: 80 })).toBe(80)
    expect(shouldPodBeInEndpoints(pod("a", ""), false)).toBe(false)
    expect(
      shouldPodBeInEndpoints(
        { ...pod("a", "1.1.1.1"), metadata: { name: "a", deletionTimestamp: "2025-01-01T00:00:00Z" } },
        false
      )
    ).toBe(false)
    expect(shouldPodBeInEndpoints(pod("a", "1.1.1.1", { phase: "Succeeded" }), true)).toBe(false)
  })
})
