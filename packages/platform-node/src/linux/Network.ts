/**
 * The pod network of Linux mode, as a bridge CNI plugin builds it: one bridge `podlet0` holding the
 * node's podCIDR gateway (`.1`), and per sandbox a network namespace `podlet-<id8>` with a veth
 * pair (the host end on the bridge, `eth0` inside with the next free podCIDR address), `lo` up and
 * a default route through the gateway. Addresses are leased by files `<leases>/<ip>` created
 * exclusively (host-local IPAM: several runtimes on this machine never share an address), released
 * when the sandbox stops.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { CommandFailed } from "./Errors.js"

export const bridgeName = "podlet0"

/** Where address leases live. */
export const leaseDir = "/run/podlet/ipam"

/** An IPv4 CIDR as numbers. */
export interface Cidr {
  readonly base: number
  readonly prefix: number
}

export const ipToInt = (ip: string): number | undefined => {
  const parts = ip.split(".")
  if (parts.length !== 4) return undefined
  let out = 0
  for (const part of parts) {
    const n = Number(part)
    if (!/^\d{1,3}$/.test(part) || n > 255) return undefined
    out = out * 256 + n
  }
  return out
}

export const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")

export const parseCidr = (cidr: string): Cidr | undefined => {
  const [ip, bits] = cidr.split("/")
  const base = ip === undefined ? undefined : ipToInt(ip)
  const prefix = Number(bits)
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) return undefined
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  return { base: (base & mask) >>> 0, prefix }
}

/** The gateway of a podCIDR: its first address (`10.244.0.1`). */
export const gateway = (cidr: Cidr): string => intToIp(cidr.base + 1)

/** Pod addresses in allocation order: `.2` up to the last before broadcast. */
export const podAddresses = function* (cidr: Cidr): Generator<string> {
  const size = 2 ** (32 - cidr.prefix)
  for (let i = 2; i < size - 1; i++) yield intToIp(cidr.base + i)
}

/**
 * Leases the first free address of `cidr` for `owner`; undefined when the range is exhausted. The
 * leases held are read once (a directory listing), so the n-th pod does not try n taken addresses
 * (each a failed `open` and a thrown error); an address taken meanwhile by another runtime is skipped.
 */
export const leaseAddress = (cidr: Cidr, owner: string, dir: string = leaseDir): string | undefined => {
  mkdirSync(dir, { recursive: true })
  const taken = new Set(readdirSync(dir))
  for (const ip of podAddresses(cidr)) {
    if (taken.has(ip)) continue
    try {
      writeFileSync(join(dir, ip), owner, { flag: "wx" })
      return ip
    } catch {}
  }
  return undefined
}

export const releaseAddress = (ip: string, dir: string = leaseDir): void => rmSync(join(dir, ip), { force: true })

/** Are any addresses leased (by any runtime of this machine)? */
export const anyLeases = (dir: string = leaseDir): boolean => {
  try {
    return readdirSync(dir).length > 0
  } catch {
    return false
  }
}

/** Runs `file args` with `input` on stdin; fails with its stderr. */
export const run = (file: string, args: ReadonlyArray<string>, input?: string): Effect.Effect<string, CommandFailed> =>
  Effect.callback<string, CommandFailed>((resume) => {
    const child = execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error === null) resume(Effect.succeed(stdout))
      else
        resume(
          Effect.fail(
            new CommandFailed({ command: [file, ...args].join(" "), stderr: String(stderr || error.message).trim() })
          )
        )
    })
    if (input !== undefined) child.stdin?.end(input)
  })

/** `ip -batch` lines that create the bridge with the gateway address (run with `-force`: existing parts are kept). */
export const bridgeCommands = (cidr: Cidr): string =>
  `link add ${bridgeName} type bridge\naddr add ${gateway(cidr)}/${cidr.prefix} dev ${bridgeName}\nlink set ${bridgeName} up\n`

/** Host-side `ip -batch` lines: the veth pair, `eth0` moved into the namespace, the host end on the bridge. */
export const hostVethCommands = (netns: string, hostEnd: string): string =>
  `link add ${hostEnd} type veth peer name eth0 netns ${netns}\nlink set ${hostEnd} master ${bridgeName} up\n`

/** `ip -n <netns> -batch` lines inside the namespace: address, links up, default route. */
export const podNetCommands = (ip: string, cidr: Cidr): string =>
  `addr add ${ip}/${cidr.prefix} dev eth0\nlink set eth0 up\nlink set lo up\nroute add default via ${gateway(cidr)}\n`

/** Deletes the namespace (its veth pair goes with it); nothing when it is already gone. */
export const tearDownPodNetwork = (ipPath: string, netns: string) =>
  run(ipPath, ["netns", "del", netns]).pipe(Effect.ignore)

/** Deletes the bridge when no runtime of this machine leases an address any more. */
export const removeBridgeIfUnused = (ipPath: string) =>
  Effect.suspend(() => (anyLeases() ? Effect.void : run(ipPath, ["link", "del", bridgeName]).pipe(Effect.ignore)))
