/**
 * ClusterIP allocation from the service CIDR (`--service-cluster-ip-range`, default 10.96.0.0/12),
 * as the API server's ipallocator does with the static subrange: the lower band (16 to 256
 * addresses) is kept for IPs users choose, dynamic allocation takes the upper band first.
 * Deterministic: dynamic IPs are handed out in order (upstream picks at random) and reused only
 * after the range wraps. `10.96.0.1` is the `kubernetes` Service's; `10.96.0.10` is cluster DNS.
 */

/** The default service CIDR. */
export const DefaultServiceCIDR = "10.96.0.0/12"
/** The `kubernetes` Service's ClusterIP: the first address of the range. */
export const KubernetesServiceIP = "10.96.0.1"
/** The cluster DNS Service IP every pod's `/etc/resolv.conf` names. */
export const ClusterDnsIP = "10.96.0.10"

const toInt = (ip: string): number | undefined => {
  const parts = ip.split(".")
  if (parts.length !== 4) return undefined
  let n = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined
    n = n * 256 + Number(part)
  }
  return n
}

const toIp = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`

/** Why a chosen IP cannot be had. */
export type ReserveResult = "ok" | "taken" | "out-of-range"

/** One service CIDR's allocations. */
export class ClusterIPAllocator {
  private readonly first: number
  private readonly last: number
  private readonly dynamicFirst: number
  private next: number
  private readonly used = new Map<number, string>()

  constructor(cidr: string = DefaultServiceCIDR) {
    const [addr, bits] = cidr.split("/")
    const base = addr === undefined ? undefined : toInt(addr)
    const prefix = Number(bits)
    if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
      throw new Error(`invalid service CIDR ${cidr}`)
    }
    const size = 2 ** (32 - prefix)
    const network = base - (base % size)
    this.first = network + 1
    this.last = network + size - 2
    // `calculateRangeOffset`: min(max(16, size/16), 256), none below 16 addresses
    const staticBand = size < 16 ? 0 : Math.min(Math.max(16, Math.floor(size / 16)), 256)
    const dynamicFirst = network + staticBand + 1
    this.dynamicFirst = dynamicFirst > this.last ? this.first : dynamicFirst
    this.next = this.dynamicFirst
  }

  /** Is the IP inside the range (network and broadcast addresses excluded). */
  contains(ip: string): boolean {
    const n = toInt(ip)
    return n !== undefined && n >= this.first && n <= this.last
  }

  /** The owner (`namespace/name`) of an allocated IP. */
  ownerOf(ip: string): string | undefined {
    const n = toInt(ip)
    return n === undefined ? undefined : this.used.get(n)
  }

  /** Takes a chosen IP for `owner` (idempotent for the same owner). */
  reserve(ip: string, owner: string): ReserveResult {
    const n = toInt(ip)
    if (n === undefined || n < this.first || n > this.last) return "out-of-range"
    const current = this.used.get(n)
    if (current !== undefined && current !== owner) return "taken"
    this.used.set(n, owner)
    return "ok"
  }

  /** The next free IP for `owner`: the dynamic band in order, then the static band; undefined when full. */
  allocate(owner: string): string | undefined {
    const span = this.last - this.first + 1
    if (this.used.size >= span) return undefined
    const dynamicSpan = this.last - this.dynamicFirst + 1
    for (let i = 0; i < dynamicSpan; i++) {
      const candidate = this.dynamicFirst + ((this.next - this.dynamicFirst + i) % dynamicSpan)
      if (!this.used.has(candidate)) {
        this.used.set(candidate, owner)
        this.next = candidate + 1 > this.last ? this.dynamicFirst : candidate + 1
        return toIp(candidate)
      }
    }
    for (let n = this.first; n < this.dynamicFirst; n++) {
      if (!this.used.has(n)) {
        this.used.set(n, owner)
        return toIp(n)
      }
    }
    return undefined
  }

  /** Frees an IP (only when `owner` holds it, if given). */
  release(ip: string, owner?: string): void {
    const n = toInt(ip)
    if (n === undefined) return
    if (owner === undefined || this.used.get(n) === owner) this.used.delete(n)
  }
}
