/**
 * The simulated pod network, one per cluster and shared by every node's runtime: pod IPs from
 * each node's podCIDR (host-local IPAM: sequential, never reused until released, starting at .2),
 * one port space per sandbox, a flat network where any pod reaches any listening pod by IP, and
 * name resolution (`localhost`, the pod's own hostname/FQDN and hostAliases as `/etc/hosts` has
 * them, then a pluggable resolver for Services, and a router for virtual IPs such as ClusterIPs).
 *
 * Plain synchronous methods: the runtime calls them on hot paths; JavaScript is single-threaded.
 */

/** Resolves a name the pod's `/etc/hosts` does not know (Services: `web`, `web.prod.svc.cluster.local`). */
export type NameResolver = (name: string, fromNamespace: string) => string | undefined

/**
 * Maps a virtual IP and port (a Service's ClusterIP) to one backend pod IP and port; `"refused"` when
 * the virtual IP rejects the connection (no ready endpoint); undefined when nothing routes it.
 */
export type VirtualRouter = (
  ip: string,
  port: number,
  fromNamespace: string
) => { readonly ip: string; readonly port: number } | "refused" | undefined

/** Who listens on a port: the container instance and, for servers, what answers (e.g. `nginx`) and how. */
export interface Listener {
  readonly port: number
  readonly owner: string
  readonly server?: string
  /** the answer to `GET path`; absent or undefined: any path answers 200 */
  readonly http?: (path: string) => { readonly status: number; readonly body: string } | undefined
}

/** The outcome of `connect`: a listener, `refused` (the host exists, nothing listens), or `unreachable`/`unknown-host`. */
export type ConnectResult =
  | { readonly _tag: "Connected"; readonly ip: string; readonly sandboxId: string; readonly listener: Listener }
  | { readonly _tag: "Refused"; readonly ip: string }
  | { readonly _tag: "Unreachable"; readonly ip: string }
  | { readonly _tag: "UnknownHost"; readonly name: string }

/** What a sandbox brings to the network. */
export interface AttachOptions {
  readonly sandboxId: string
  readonly podCIDR: string
  readonly namespace: string
  readonly hostname: string
  readonly fqdn?: string
  readonly hostAliases?: ReadonlyArray<{ readonly ip: string; readonly hostnames: ReadonlyArray<string> }>
}

interface SandboxNet {
  readonly id: string
  readonly ip: string
  /** `ip` as a number (its slot in the range) */
  readonly ipInt: number
  readonly cidr: string
  readonly namespace: string
  /** the `/etc/hosts` view: the pod's hostname and FQDN (lower case), and hostAliases */
  readonly hostname: string
  readonly fqdn: string | undefined
  readonly aliases: AttachOptions["hostAliases"]
  /** the listeners in bind order, created on the first listen (one or two per pod: an array, not a Map) */
  ports: Array<Listener> | undefined
}

const listenerOn = (ports: ReadonlyArray<Listener> | undefined, port: number): Listener | undefined => {
  if (ports === undefined) return undefined
  for (const listener of ports) if (listener.port === port) return listener
  return undefined
}

interface IpRange {
  readonly base: number
  readonly first: number
  readonly last: number
  next: number
  readonly used: Set<number>
}

const ipToInt = (ip: string): number | undefined => {
  const parts = ip.split(".")
  if (parts.length !== 4) return undefined
  let n = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const octet = Number(part)
    if (octet > 255) return undefined
    n = n * 256 + octet
  }
  return n
}

const intToIp = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`

/** Is this an IPv4 literal. */
export const isIpv4 = (s: string): boolean => ipToInt(s) !== undefined

const parseCidr = (cidr: string): IpRange | undefined => {
  const [addr, bits] = cidr.split("/")
  const base = addr === undefined ? undefined : ipToInt(addr)
  const prefix = Number(bits)
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) return undefined
  const size = 2 ** (32 - prefix)
  const network = base - (base % size)
  return { base: network, first: network + 2, last: network + size - 2, next: network + 2, used: new Set() }
}

/** The cluster's pod network. */
export class SimNetwork {
  private readonly byId = new Map<string, SandboxNet>()
  private readonly byIp = new Map<string, SandboxNet>()
  private readonly ranges = new Map<string, IpRange>()
  private resolver: NameResolver = () => undefined
  private router: VirtualRouter = () => undefined

  /** A new, empty network. */
  static make(): SimNetwork {
    return new SimNetwork()
  }

  /** Plug in Service name resolution (the cluster's DNS). */
  setResolver(resolver: NameResolver): void {
    this.resolver = resolver
  }

  /** Plug in virtual IP routing (a Service's ClusterIP to a backend). */
  setRouter(router: VirtualRouter): void {
    this.router = router
  }

  /** Give a sandbox an IP from its node's podCIDR; a string error (the CNI's message) when the range is exhausted. */
  attach(options: AttachOptions): { readonly ip: string } | { readonly error: string } {
    const existing = this.byId.get(options.sandboxId)
    if (existing !== undefined) return { ip: existing.ip }
    let range = this.ranges.get(options.podCIDR)
    if (range === undefined) {
      range = parseCidr(options.podCIDR)
      if (range === undefined) return { error: `invalid podCIDR "${options.podCIDR}"` }
      this.ranges.set(options.podCIDR, range)
    }
    const count = range.last - range.first + 1
    let ipInt: number | undefined
    for (let i = 0; i < count; i++) {
      const candidate = range.first + ((range.next - range.first + i) % count)
      if (!range.used.has(candidate)) {
        ipInt = candidate
        break
      }
    }
    if (ipInt === undefined) {
      return {
        error:
          `failed to setup network for sandbox "${options.sandboxId}": plugin type="host-local" failed (add): ` +
          `failed to allocate for range 0: no IP addresses available in range set: ` +
          `${intToIp(range.base + 1)}-${intToIp(range.last)}`
      }
    }
    range.used.add(ipInt)
    range.next = ipInt + 1 > range.last ? range.first : ipInt + 1
    const ip = intToIp(ipInt)
    const net: SandboxNet = {
      id: options.sandboxId,
      ip,
      ipInt,
      cidr: options.podCIDR,
      namespace: options.namespace,
      hostname: options.hostname.toLowerCase(),
      fqdn: options.fqdn?.toLowerCase(),
      aliases: options.hostAliases !== undefined && options.hostAliases.length > 0 ? options.hostAliases : undefined,
      ports: undefined
    }
    this.byId.set(options.sandboxId, net)
    this.byIp.set(ip, net)
    return { ip }
  }

  /** Release the sandbox's IP and every port it listens on. */
  detach(sandboxId: string): void {
    const net = this.byId.get(sandboxId)
    if (net === undefined) return
    this.byId.delete(sandboxId)
    this.byIp.delete(net.ip)
    this.ranges.get(net.cidr)?.used.delete(net.ipInt)
  }

  /** The sandbox's IP, if attached. */
  ipOf(sandboxId: string): string | undefined {
    return this.byId.get(sandboxId)?.ip
  }

  /** Bind a port in the sandbox's port space; false when it is taken (`bind: Address already in use`). */
  listen(sandboxId: string, listener: Listener): boolean {
    const net = this.byId.get(sandboxId)
    if (net === undefined || listenerOn(net.ports, listener.port) !== undefined) return false
    // literal and concat are allocated at their exact length (push would leave ~17 slots)
    net.ports = net.ports === undefined ? [listener] : net.ports.concat([listener])
    return true
  }

  /** Close a port, only if `owner` holds it. */
  unlisten(sandboxId: string, port: number, owner: string): void {
    const ports = this.byId.get(sandboxId)?.ports
    if (ports === undefined) return
    const at = ports.findIndex((l) => l.port === port)
    if (at !== -1 && ports[at]?.owner === owner) ports.splice(at, 1)
  }

  /** Close every port `owner` (a container instance) holds: the process exited. */
  unlistenOwner(sandboxId: string, owner: string): void {
    const ports = this.byId.get(sandboxId)?.ports
    if (ports === undefined) return
    for (let i = ports.length - 1; i >= 0; i--) if (ports[i]?.owner === owner) ports.splice(i, 1)
  }

  /** Who listens on this port of the sandbox. */
  listener(sandboxId: string, port: number): Listener | undefined {
    return listenerOn(this.byId.get(sandboxId)?.ports, port)
  }

  /** Resolve a name as a process in the sandbox would: IP literal, localhost, `/etc/hosts`, then the resolver. */
  resolve(fromSandboxId: string, name: string): string | undefined {
    if (isIpv4(name)) return name
    const lower = name.toLowerCase().replace(/\.$/, "")
    if (lower === "localhost" || lower === "localhost.localdomain") return "127.0.0.1"
    const net = this.byId.get(fromSandboxId)
    if (net !== undefined) {
      if (lower === net.hostname || lower === net.fqdn) return net.ip
      for (const alias of net.aliases ?? []) {
        if (alias.hostnames.some((h) => h.toLowerCase() === lower)) return alias.ip
      }
    }
    return this.resolver(lower, net?.namespace ?? "default")
  }

  /** Open a TCP connection from a sandbox to `host:port` (flat network; loopback and the own IP reach the own sandbox). */
  connect(fromSandboxId: string, host: string, port: number): ConnectResult {
    const resolved = this.resolve(fromSandboxId, host)
    if (resolved === undefined) return { _tag: "UnknownHost", name: host }
    const from = this.byId.get(fromSandboxId)
    let ip = resolved
    let targetPort = port
    let target = resolved.startsWith("127.") ? from : this.byIp.get(resolved)
    if (target === undefined && !resolved.startsWith("127.")) {
      const routed = this.router(resolved, port, from?.namespace ?? "default")
      if (routed === undefined) return { _tag: "Unreachable", ip: resolved }
      if (routed === "refused") return { _tag: "Refused", ip: resolved }
      ip = routed.ip
      targetPort = routed.port
      target = this.byIp.get(routed.ip)
    }
    if (target === undefined) return { _tag: "Unreachable", ip }
    const listener = listenerOn(target.ports, targetPort)
    if (listener === undefined) return { _tag: "Refused", ip }
    return { _tag: "Connected", ip, sandboxId: target.id, listener }
  }
}
