/**
 * The flags of `npm run serve` (apps/api/src/node.ts): where to listen and which store to use.
 * Pure parsing with the errors a user sees; the entry point only wires the result.
 */

export type StoreChoice = { readonly kind: "memory" } | { readonly kind: "sqlite"; readonly path: string }

export interface ServeFlags {
  readonly port: number
  readonly host: string
  /** simulated nodes (default 3) */
  readonly nodes: number
  /** undefined: the default SQLite file under the state directory */
  readonly store: StoreChoice | undefined
}

const usage = "usage: serve [--port 6443] [--host 127.0.0.1] [--store memory|sqlite:PATH] [--nodes 3]"

/** Parses argv (after the script name); a string is the error to print. */
export const parseServeFlags = (argv: ReadonlyArray<string>): ServeFlags | string => {
  let port = 6443
  let nodes = 3
  let host = "127.0.0.1"
  let store: StoreChoice | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") continue
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1]
    if (flag === "--help" || flag === "-h") return usage
    if (flag !== "--port" && flag !== "--host" && flag !== "--store" && flag !== "--nodes") {
      return `unknown flag ${flag}\n${usage}`
    }
    if (value === undefined || value === "") return `${flag} needs a value\n${usage}`
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
    }
  }
  return { port, host, nodes, store }
}

/** Whether a host is loopback (the server refuses anything else until authentication exists). */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)
