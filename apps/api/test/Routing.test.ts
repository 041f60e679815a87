import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { kubeconfigYaml } from "../src/Kubeconfig.js"
import { discoveryFlavorFor, outputFor } from "../src/Negotiate.js"
import { isLoopback, parseServeFlags } from "../src/ServeFlags.js"
import { GroupVersions, resolveTarget } from "../src/Target.js"

const core = GroupVersions.find((gv) => gv.groupVersion === "v1")!
const apps = GroupVersions.find((gv) => gv.groupVersion === "apps/v1")!

const show = (segments: string, gv = core) => {
  const t = resolveTarget(gv, segments === "" ? [""] : segments.split("/"))
  if (t === undefined) return "404"
  return [t.resource.resource, t.namespace ?? "-", t.name ?? "-", t.subresource ?? "-", t.watchPath ? "watch" : ""]
    .join(" ")
    .trim()
}

describe("resolveTarget", () => {
  it.each([
    ["pods", "pods - - -"],
    ["namespaces/default/pods", "pods default - -"],
    ["namespaces/default/pods/web", "pods default web -"],
    ["namespaces/default/pods/web/status", "pods default web status"],
    ["namespaces/default/pods/web/log", "pods default web log"],
    ["namespaces/default/pods/web/exec", "404"],
    ["nodes/node-1/log", "404"],
    ["namespaces/default/pods/web/status/x", "404"],
    ["pods/web", "404"],
    ["nodes", "nodes - - -"],
    ["nodes/node-1", "nodes - node-1 -"],
    ["nodes/node-1/status", "nodes - node-1 status"],
    ["namespaces", "namespaces - - -"],
    ["namespaces/default", "namespaces - default -"],
    ["namespaces/default/status", "namespaces - default status"],
    ["namespaces/default/configmaps/cfg/status", "404"],
    ["watch/namespaces/default/pods", "pods default - - watch"],
    ["watch/pods", "pods - - - watch"],
    ["watch/namespaces/default/pods/web/status", "404"],
    ["widgets", "404"],
    ["", "404"],
    ["namespaces//pods", "404"]
  ])("/api/v1/%s → %s", (path, expected) => {
    expect(show(path)).toBe(expected)
  })

  it.each([
    ["namespaces/default/replicasets/rs", "replicasets default rs -"],
    ["replicasets", "replicasets - - -"],
    ["namespaces/default/pods", "404"],
    ["namespaces/default", "404"]
  ])("/apis/apps/v1/%s → %s", (path, expected) => {
    expect(show(path, apps)).toBe(expected)
  })
})

describe("negotiation", () => {
  it.each([
    [undefined, "json"],
    ["application/json", "json"],
    [
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
      "table"
    ],
    ["application/json;as=Table;v=v1beta1;g=meta.k8s.io", "table"],
    ["application/vnd.kubernetes.protobuf,application/json", "json"],
    ["application/vnd.kubernetes.protobuf", "json"],
    ["application/yaml", "yaml"],
    ["application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", "partial"],
    ["application/json;as=Table;v=v2;g=other.io,*/*", "json"],
    ["application/json, */*", "json"]
  ])("Accept %s → %s", (accept, expected) => {
    expect(outputFor(accept)).toBe(expected)
  })

  it.each([
    [undefined, "legacy"],
    ["application/json", "legacy"],
    [
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
      "v2"
    ],
    ["application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1"],
    ["application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", "legacy"]
  ])("discovery Accept %s → %s", (accept, expected) => {
    expect(discoveryFlavorFor(accept)).toBe(expected)
  })
})

describe("serve flags", () => {
  const defaults = {
    port: 6443,
    host: "127.0.0.1",
    nodes: undefined,
    store: undefined,
    clock: "real",
    runtime: "simulated",
    nodeLifecycle: "modern",
    tokenFile: undefined,
    isolation: "auto",
    registry: undefined
  }
  it.each([
    [[], defaults],
    [["--port", "0", "--nodes", "1"], { ...defaults, port: 0, nodes: 1 }],
    [["--", "--port=7000", "--store", "memory"], { ...defaults, port: 7000, store: { kind: "memory" } }],
    [
      ["--store", "sqlite:/tmp/x.db", "--host", "::1"],
      { ...defaults, host: "::1", store: { kind: "sqlite", path: "/tmp/x.db" } }
    ],
    [
      ["--clock", "virtual", "--runtime=process", "--node-lifecycle", "legacy", "--token-file", "/tmp/tokens.csv"],
      { ...defaults, clock: "virtual", runtime: "process", nodeLifecycle: "legacy", tokenFile: "/tmp/tokens.csv" }
    ],
    [["--clock=real", "--runtime", "simulated", "--node-lifecycle=modern"], defaults],
    [
      ["--runtime", "process", "--isolation", "linux", "--registry", "127.0.0.1:5000"],
      { ...defaults, runtime: "process", isolation: "linux", registry: "127.0.0.1:5000" }
    ],
    [
      ["--runtime=process", "--isolation=host", "--registry=https://mirror.example"],
      { ...defaults, runtime: "process", isolation: "host", registry: "https://mirror.example" }
    ]
  ])("%j", (argv, expected) => {
    expect(parseServeFlags(argv)).toEqual(expected)
  })

  it.each([
    [["--port", "70000"], "--port must be 0-65535"],
    [["--port"], "--port needs a value"],
    [["--store", "postgres"], "--store must be memory or sqlite:PATH"],
    [["--nodes", "-1"], "--nodes must be 0-100"],
    [["--clock", "fast"], "--clock must be real or virtual, got fast"],
    [["--clock"], "--clock needs a value"],
    [["--runtime", "docker"], "--runtime must be simulated or process, got docker"],
    [["--node-lifecycle=new"], "--node-lifecycle must be modern or legacy, got new"],
    [["--token-file="], "--token-file needs a value"],
    [["--tokens", "x"], "unknown flag --tokens"],
    [["--runtime", "process", "--isolation", "vm"], "--isolation must be auto or host or linux, got vm"],
    [["--runtime", "process", "--registry", "ftp://x/y"], "--registry must be host[:port] or an http(s) URL"],
    [["--isolation", "linux"], "--isolation and --registry apply to --runtime process"]
  ])("%j is refused", (argv, message) => {
    expect(parseServeFlags(argv)).toContain(message)
  })

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "localhost", "::1"].map(isLoopback)).toEqual([true, true, true, true])
    expect(["0.0.0.0", "10.0.0.1", "::"].map(isLoopback)).toEqual([false, false, false])
  })
})

describe("kubeconfig", () => {
  it("points at the server with insecure-skip-tls-verify and the default namespace", () => {
    const config = parse(kubeconfigYaml("http://127.0.0.1:6443"))
    expect(config).toMatchObject({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "podlet",
      clusters: [{ name: "podlet", cluster: { server: "http://127.0.0.1:6443", "insecure-skip-tls-verify": true } }],
      contexts: [{ name: "podlet", context: { cluster: "podlet", user: "podlet", namespace: "default" } }],
      users: [{ name: "podlet", user: {} }]
    })
  })

  it("carries the bearer token when the server wants one", () => {
    expect(parse(kubeconfigYaml("http://127.0.0.1:6443", { token: "s3cret" })).users).toEqual([
      { name: "podlet", user: { token: "s3cret" } }
    ])
  })
})
