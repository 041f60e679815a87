import { describe, expect, it } from "@effect/vitest"
import { SimNetwork } from "../../src/layers/SimNetwork.js"

const attach = (net: SimNetwork, sandboxId: string, podCIDR = "10.244.1.0/24", extra: object = {}) => {
  const result = net.attach({ sandboxId, podCIDR, namespace: "default", hostname: sandboxId, ...extra })
  if (!("ip" in result)) throw new Error(result.error)
  return result.ip
}

describe("SimNetwork", () => {
  it("allocates unique IPs from each node's podCIDR, sequentially, releasing on detach", () => {
    const net = SimNetwork.make()
    expect(attach(net, "a")).toBe("10.244.1.2")
    expect(attach(net, "b")).toBe("10.244.1.3")
    expect(attach(net, "c", "10.244.2.0/24")).toBe("10.244.2.2")
    expect(attach(net, "a")).toBe("10.244.1.2")
    net.detach("a")
    expect(net.ipOf("a")).toBeUndefined()
    // host-local continues after the last reserved address before reusing a released one
    expect(attach(net, "d")).toBe("10.244.1.4")
  })

  it("fails with the CNI's message when the range is exhausted, and reuses released IPs", () => {
    const net = SimNetwork.make()
    expect(attach(net, "a", "10.0.0.0/30")).toBe("10.0.0.2")
    const full = net.attach({ sandboxId: "b", podCIDR: "10.0.0.0/30", namespace: "default", hostname: "b" })
    expect(full).toEqual({
      error:
        'failed to setup network for sandbox "b": plugin type="host-local" failed (add): failed to allocate for range 0: no IP addresses available in range set: 10.0.0.1-10.0.0.2'
    })
    net.detach("a")
    expect(attach(net, "b", "10.0.0.0/30")).toBe("10.0.0.2")
  })

  it("has one port space per sandbox", () => {
    const net = SimNetwork.make()
    attach(net, "a")
    attach(net, "b")
    expect(net.listen("a", { port: 8080, owner: "c1" })).toBe(true)
    expect(net.listen("a", { port: 8080, owner: "c2" })).toBe(false)
    expect(net.listen("b", { port: 8080, owner: "c3" })).toBe(true)
    net.unlisten("a", 8080, "c2")
    expect(net.listener("a", 8080)?.owner).toBe("c1")
    net.unlistenOwner("a", "c1")
    expect(net.listener("a", 8080)).toBeUndefined()
    expect(net.listen("a", { port: 8080, owner: "c2" })).toBe(true)
  })

  it("keeps several ports per sandbox apart: unlisten closes one port, unlistenOwner only the owner's", () => {
    const net = SimNetwork.make()
    attach(net, "a")
    expect(net.listen("a", { port: 80, owner: "c1" })).toBe(true)
    expect(net.listen("a", { port: 81, owner: "c2" })).toBe(true)
    expect(net.listen("a", { port: 82, owner: "c1" })).toBe(true)
    expect(net.listen("a", { port: 81, owner: "c1" })).toBe(false)
    net.unlisten("a", 80, "c2")
    expect(net.listener("a", 80)?.owner).toBe("c1")
    net.unlistenOwner("a", "c1")
    expect([80, 81, 82].map((port) => net.listener("a", port)?.owner)).toEqual([undefined, "c2", undefined])
    net.unlisten("a", 81, "c2")
    expect(net.listener("a", 81)).toBeUndefined()
    expect(net.connect("a", "localhost", 81)._tag).toBe("Refused")
    expect(net.listen("a", { port: 81, owner: "c3" })).toBe(true)
    expect(net.connect("a", "localhost", 81)._tag).toBe("Connected")
  })

  it("connects across pods by IP, to the own sandbox by localhost/own IP/hostname, refuses closed ports", () => {
    const net = SimNetwork.make()
    const ipA = attach(net, "a", "10.244.1.0/24", { hostname: "web-0", fqdn: "web-0.web.default.svc.cluster.local" })
    const ipB = attach(net, "b", "10.244.2.0/24")
    net.listen("a", { port: 80, owner: "nginx-1", server: "nginx" })
    expect(net.connect("b", ipA, 80)).toEqual({
      _tag: "Connected",
      ip: ipA,
      sandboxId: "a",
      listener: { port: 80, owner: "nginx-1", server: "nginx" }
    })
    expect(net.connect("a", "localhost", 80)._tag).toBe("Connected")
    expect(net.connect("a", "127.0.0.1", 80)._tag).toBe("Connected")
    expect(net.connect("a", "web-0", 80)._tag).toBe("Connected")
    expect(net.connect("a", "web-0.web.default.svc.cluster.local", 80)._tag).toBe("Connected")
    expect(net.connect("b", "localhost", 80)).toEqual({ _tag: "Refused", ip: "127.0.0.1" })
    expect(net.connect("b", ipA, 81)).toEqual({ _tag: "Refused", ip: ipA })
    expect(net.connect("a", ipB, 80)).toEqual({ _tag: "Refused", ip: ipB })
    expect(net.connect("a", "10.244.9.9", 80)).toEqual({ _tag: "Unreachable", ip: "10.244.9.9" })
    expect(net.connect("b", "web-0", 80)).toEqual({ _tag: "UnknownHost", name: "web-0" })
  })

  it("resolves hostAliases, then asks the pluggable resolver with the caller's namespace; routes virtual IPs", () => {
    const net = SimNetwork.make()
    const ipA = attach(net, "a", "10.244.1.0/24", { hostAliases: [{ ip: "1.2.3.4", hostnames: ["foo.local"] }] })
    net.listen("a", { port: 8080, owner: "app" })
    expect(net.resolve("a", "foo.local")).toBe("1.2.3.4")
    expect(net.resolve("a", "web")).toBeUndefined()
    const asked: Array<string> = []
    net.setResolver((name, ns) => {
      asked.push(`${name}@${ns}`)
      return name === "web" ? "10.96.0.10" : undefined
    })
    net.setRouter((ip, port) => (ip === "10.96.0.10" && port === 80 ? { ip: ipA, port: 8080 } : undefined))
    expect(net.connect("a", "web", 80)).toMatchObject({ _tag: "Connected", ip: ipA, listener: { owner: "app" } })
    expect(net.connect("a", "web", 81)).toEqual({ _tag: "Unreachable", ip: "10.96.0.10" })
    expect(asked).toEqual(["web@default", "web@default"])
    // a virtual IP with no ready backend rejects the connection
    net.setRouter(() => "refused")
    expect(net.connect("a", "web", 80)).toEqual({ _tag: "Refused", ip: "10.96.0.10" })
  })
})
