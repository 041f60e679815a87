/**
 * The flags of `npm run serve` (apps/api/src/node.ts): where to listen, which store, clock,
 * container runtime and node lifecycle the cluster runs on, and the static token file.
 * Pure parsing with the errors a user sees; the entry point only wires the result.
 */

export type StoreChoice = { readonly kind: "memory" } | { readonly kind: "sqlite"; readonly path: string }

export interface ServeFlags {
  readonly port: number
  readonly host: string
  /** simulated nodes; undefined: 3 on the simulated runtime, this machine on the process runtime */
  readonly nodes: number | undefined
  /** undefined: the default SQLite file under the state directory */
  readonly store: StoreChoice | undefined
  /** `real` (default): the wall clock; `virtual`: time moves only through `POST /podlet/v1/clock/advance` */
  readonly clock: "real" | "virtual"
  /** `simulated` (default): podlet's simulated containers; `process`: processes of this machine */
  readonly runtime: "simulated" | "process"
  /** `modern` (default): taint-based eviction; `legacy`: pre-v1.27 NodeLost */
  readonly nodeLifecycle: "modern" | "legacy"
  /** a Kubernetes static token file (`token,user,uid,"group1,group2"`); undefined: no authentication */
  readonly tokenFile: string | undefined
  /** the process runtime's isolation: `auto` (default: Linux isolation when root with runc/crun, else host), `host`, `linux` */
  readonly isolation: "auto" | "host" | "linux"
  /** the process runtime in Linux mode pulls images from this OCI registry; undefined: images are the host's filesystem */
  readonly registry: string | undefined
}

export const serveUsage =
  "usage: serve [--port 6443] [--host 127.0.0.1] [--clock real|virtual] [--store sqlite:PATH|memory] [--nodes 3]\n" +
  "             [--node-lifecycle modern|legacy] [--token-file PATH] [--runtime simulated|process]\n" +
  "             [--isolation auto|host|linux] [--registry URL]"

const flagNames = [
  "--port",
  "--host",
  "--store",
  "--nodes",
  "--clock",
  "--runtime",
  "--node-lifecycle",
  "--token-file",
  "--isolation",
  "--registry"
] as const

type FlagName = (typeof flagNames)[number]

const isFlag = (s: string): s is FlagName => (flagNames as ReadonlyArray<string>).includes(s)

const oneOf = <A extends string>(flag: string, value: string, choices: ReadonlyArray<A>): A | string =>
  (choices as ReadonlyArray<string>).includes(value)
    ? (value as A)
    : `${flag} must be ${choices.join(" or ")}, got ${value}`

/** Parses argv (after the script name); a string is the error to print. */
export const parseServeFlags = (argv: ReadonlyArray<string>): ServeFlags | string => {
  let port = 6443
  let nodes: number | undefined
  let host = "127.0.0.1"
  let store: StoreChoice | undefined
  let clock: ServeFlags["clock"] = "real"
  let runtime: ServeFlags["runtime"] = "simulated"
  let nodeLifecycle: ServeFlags["nodeLifecycle"] = "modern"
  let tokenFile: string | undefined
  let isolation: ServeFlags["isolation"] = "auto"
  let registry: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") continue
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1]
    if (flag === "--help" || flag === "-h") return serveUsage
    if (!isFlag(flag)) return `unknown flag ${flag}\n${serveUsage}`
    if (value === undefined || value === "") return `${flag} needs a value\n${serveUsage}`
    if (eq < 0) i++
    switch (flag) {
      case "--port": {
        const n = Number(value)
        if (!Number.isInteger(n) || n < 0 || n > 65535) return `--port must be 0-65535, got ${value}`
        port = n
        break
      }
      case "--nodes": {
        const n = Number(value)
        if (!Number.isInteger(n) || n < 0 || n > 100) return `--nodes must be 0-100, got ${value}`
        nodes = n
        break
      }
      case "--host":
        host = value
        break
      case "--store":
        if (value === "memory") store = { kind: "memory" }
        else if (value.startsWith("sqlite:") && value.length > "sqlite:".length) {
          store = { kind: "sqlite", path: value.slice("sqlite:".length) }
        } else return `--store must be memory or sqlite:PATH, got ${value}`
        break
      case "--clock": {
        const choice = oneOf(flag, value, ["real", "virtual"] as const)
        if (choice !== "real" && choice !== "virtual") return choice
        clock = choice
        break
      }
      case "--runtime": {
        const choice = oneOf(flag, value, ["simulated", "process"] as const)
        if (choice !== "simulated" && choice !== "process") return choice
        runtime = choice
        break
      }
      case "--node-lifecycle": {
        const choice = oneOf(flag, value, ["modern", "legacy"] as const)
        if (choice !== "modern" && choice !== "legacy") return choice
        nodeLifecycle = choice
        break
      }
      case "--token-file":
        tokenFile = value
        break
      case "--isolation": {
        const choice = oneOf(flag, value, ["auto", "host", "linux"] as const)
        if (choice !== "auto" && choice !== "host" && choice !== "linux") return choice
        isolation = choice
        break
      }
      case "--registry":
        if (!/^(https?:\/\/)?[^/\s:]+(:\d+)?\/?$/.test(value)) {
          return `--registry must be host[:port] or an http(s) URL, got ${value}`
        }
        registry = value
        break
    }
  }
  if (runtime !== "process" && (isolation !== "auto" || registry !== undefined)) {
    return "--isolation and --registry apply to --runtime process"
  }
  return { port, host, nodes, store, clock, runtime, nodeLifecycle, tokenFile, isolation, registry }
}

/** Whether a host is loopback (without a token file the server listens on nothing else). */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)
