/**
 * The `podlet` command line: `podlet` (the dashboard), `podlet run FILE... [--for 10m] [--output
 * text|json]`, `podlet help`, each embedded cluster on the simulated or the process runtime.
 * Pure: argv in, a parsed command or a clear error out.
 */

/**
 * The container runtime of an embedded cluster: podlet's simulated containers (virtual clock), or
 * processes of this machine (real clock; one node, this machine), as `npm run serve --runtime` takes.
 */
export type Runtime =
  | { readonly _tag: "Simulated" }
  | {
      readonly _tag: "Process"
      /** `auto`: Linux isolation when root with runc/crun, else host mode */
      readonly isolation: "auto" | "host" | "linux"
      /** Linux mode pulls images from this OCI registry (`host[:port]` or an http(s) URL) */
      readonly registry?: string
    }

/** Where the dashboard's cluster is: embedded (default), a podlet API, or a kubeconfig's cluster. */
export type Target =
  | { readonly _tag: "Embedded"; readonly runtime: Runtime }
  | {
      readonly _tag: "Server"
      readonly server: string
      readonly token?: string
      /** a PEM file of the CA that signed the server's certificate (kubectl's `--certificate-authority`) */
      readonly certificateAuthority?: string
      /** accept any server certificate (kubectl's `--insecure-skip-tls-verify`) */
      readonly insecureSkipTlsVerify?: true
    }
  | { readonly _tag: "Kubeconfig"; readonly kubeconfig: string; readonly context?: string }

export type Command =
  | { readonly _tag: "Dashboard"; readonly target: Target }
  | {
      readonly _tag: "Run"
      readonly files: ReadonlyArray<string>
      /** virtual milliseconds to run for */
      readonly forMs: number
      readonly output: "text" | "json"
      readonly runtime: Runtime
    }
  | { readonly _tag: "Serve"; readonly flags: ReadonlyArray<string> }
  | { readonly _tag: "Help"; readonly text: string }
  | { readonly _tag: "Invalid"; readonly message: string }

export const usage = `Usage:
  podlet [RUNTIME]                           open the dashboard on an embedded cluster
  podlet --server URL [--token T]            ... on a podlet API; for https with a self-signed certificate
         [--certificate-authority PEM | --insecure-skip-tls-verify]  (kubectl's flags)
  podlet --kubeconfig PATH [--context NAME]  ... on a kubeconfig's cluster (a podlet API or a real one)
  podlet run FILE... [--for 10m] [--output text|json] [RUNTIME]
                                             apply manifests on a virtual clock, print every status change
                                             (on the process runtime: the real clock, until the pods finish)
  podlet serve [--port 6443] [--host 127.0.0.1] [--store memory|sqlite:PATH] [--nodes 3]
                                             the Kubernetes API (same as npm run serve)
  podlet help                                this text
RUNTIME (embedded cluster):
  --runtime simulated|process                simulated containers (default) or processes of this machine
  --isolation auto|host|linux                the process runtime's isolation (default auto)
  --registry HOST[:PORT]|URL                 the process runtime's image registry (Linux mode)
`

const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** `90s`, `10m`, `1h30m`, `500ms`, or a bare number of seconds; undefined when unparsable. */
export const parseDuration = (text: string): number | undefined => {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1_000
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined
  return parts.reduce((total, p) => total + Number(p[1]) * (units[p[2]!] ?? 0), 0)
}

const runtimeFlags = ["--runtime", "--isolation", "--registry"]
const serverFlags = ["--token", "--certificate-authority", "--insecure-skip-tls-verify"]
/** flags that take no value (`--flag` or `--flag=true|false`) */
const booleanFlags = ["--insecure-skip-tls-verify"]

const oneOf = <A extends string>(value: string, choices: ReadonlyArray<A>): A | undefined =>
  (choices as ReadonlyArray<string>).includes(value) ? (value as A) : undefined

/** The runtime `--runtime`, `--isolation` and `--registry` ask for (wording of `serve`'s flags); a string is the error. */
export const parseRuntime = (flags: ReadonlyMap<string, string>): Runtime | string => {
  const runtime = flags.get("--runtime") ?? "simulated"
  const isolation = flags.get("--isolation") ?? "auto"
  const registry = flags.get("--registry")
  if (oneOf(runtime, ["simulated", "process"]) === undefined) {
    return `--runtime must be simulated or process, got ${runtime}`
  }
  const mode = oneOf(isolation, ["auto", "host", "linux"] as const)
  if (mode === undefined) return `--isolation must be auto or host or linux, got ${isolation}`
  if (registry !== undefined && !/^(https?:\/\/)?[^/\s:]+(:\d+)?\/?$/.test(registry)) {
    return `--registry must be host[:port] or an http(s) URL, got ${registry}`
  }
  if (runtime === "simulated") {
    return mode !== "auto" || registry !== undefined
      ? "--isolation and --registry apply to --runtime process"
      : { _tag: "Simulated" }
  }
  return registry === undefined ? { _tag: "Process", isolation: mode } : { _tag: "Process", isolation: mode, registry }
}

/** `--flag value` / `--flag=value` pairs of the dashboard; a string is the error. */
const parseTarget = (argv: ReadonlyArray<string>): Target | string => {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined
    if (![...runtimeFlags, ...serverFlags, "--server", "--kubeconfig", "--context"].includes(flag)) {
      return `unknown flag ${arg}\n${usage}`
    }
    if (booleanFlags.includes(flag)) {
      if (inline !== undefined && inline !== "true" && inline !== "false") {
        return `${flag} takes no value (or =true / =false), got ${inline}`
      }
      if (inline !== "false") flags.set(flag, "true")
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined || value === "") return `${flag} needs a value`
    flags.set(flag, value)
  }
  const remote = flags.has("--server") || flags.has("--kubeconfig")
  if (remote && runtimeFlags.some((f) => flags.has(f))) {
    return "--runtime, --isolation and --registry apply to the embedded cluster, not --server or --kubeconfig"
  }
  const server = flags.get("--server")
  const kubeconfig = flags.get("--kubeconfig")
  if (server !== undefined && kubeconfig !== undefined) return "--server and --kubeconfig cannot be used together"
  if (server !== undefined) {
    if (flags.has("--context")) return "--context goes with --kubeconfig"
    const token = flags.get("--token")
    const certificateAuthority = flags.get("--certificate-authority")
    const insecure = flags.has("--insecure-skip-tls-verify")
    if (insecure && certificateAuthority !== undefined) {
      return "--certificate-authority and --insecure-skip-tls-verify cannot be used together"
    }
    return {
      _tag: "Server",
      server,
      ...(token === undefined ? {} : { token }),
      ...(certificateAuthority === undefined ? {} : { certificateAuthority }),
      ...(insecure ? { insecureSkipTlsVerify: true as const } : {})
    }
  }
  if (kubeconfig !== undefined) {
    const serverOnly = serverFlags.find((f) => flags.has(f))
    if (serverOnly !== undefined) return `${serverOnly} goes with --server`
    const context = flags.get("--context")
    return context === undefined ? { _tag: "Kubeconfig", kubeconfig } : { _tag: "Kubeconfig", kubeconfig, context }
  }
  if (serverFlags.some((f) => flags.has(f)) || flags.has("--context")) {
    return `${[...serverFlags, "--context"].find((f) => flags.has(f))} needs --server or --kubeconfig`
  }
  const runtime = parseRuntime(flags)
  return typeof runtime === "string" ? runtime : { _tag: "Embedded", runtime }
}

export const parseArgs = (argv: ReadonlyArray<string>): Command => {
  const [command, ...rest] = argv
  if (command === undefined || command === "dashboard" || command.startsWith("--")) {
    const target = parseTarget(command === "dashboard" ? rest : argv)
    return typeof target === "string" ? { _tag: "Invalid", message: target } : { _tag: "Dashboard", target }
  }
  if (command === "help" || command === "--help" || command === "-h") return { _tag: "Help", text: usage }
  if (command === "serve") return { _tag: "Serve", flags: rest }
  if (command !== "run") return { _tag: "Invalid", message: `unknown command "${command}"\n${usage}` }
  const files: Array<string> = []
  let forMs = 10 * 60_000
  let output: "text" | "json" = "text"
  const runtimeValues = new Map<string, string>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined
    if (runtimeFlags.includes(flag)) {
      const value = inline ?? rest[++i]
      if (value === undefined || value === "") return { _tag: "Invalid", message: `${flag} needs a value` }
      runtimeValues.set(flag, value)
    } else if (flag === "--for" || flag === "--output") {
      const value = inline ?? rest[++i]
      if (value === undefined) return { _tag: "Invalid", message: `${flag} needs a value` }
      if (flag === "--for") {
        const ms = parseDuration(value)
        if (ms === undefined || ms <= 0) return { _tag: "Invalid", message: `--for: not a duration: ${value}` }
        forMs = ms
      } else {
        if (value !== "text" && value !== "json")
          return { _tag: "Invalid", message: `--output must be text or json, not ${value}` }
        output = value
      }
    } else if (arg.startsWith("-")) {
      return { _tag: "Invalid", message: `unknown flag ${arg}` }
    } else files.push(arg)
  }
  if (files.length === 0) return { _tag: "Invalid", message: `run needs at least one FILE\n${usage}` }
  const runtime = parseRuntime(runtimeValues)
  if (typeof runtime === "string") return { _tag: "Invalid", message: runtime }
  return { _tag: "Run", files, forMs, output, runtime }
}
