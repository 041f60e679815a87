/**
 * What a container's argv runs, decided purely from the argv, the image and the container's
 * filesystem: the shell interpreter (a shell, a builtin, a script file), a long-running server
 * (nginx, redis, any program of an image the simulation does not know), an immediate exit
 * (`node`/`python` reading an empty stdin), or a start error (an executable the image does not
 * have: containerd's `StartError`, exit 128).
 */
import type { ImageConfig } from "../../services/ImageService.js"
import { parseDuration } from "../../sim/Builtins.js"

/** How a container's main process behaves. */
export type Program =
  | { readonly _tag: "Interpreter"; readonly argv: ReadonlyArray<string> }
  | { readonly _tag: "Server"; readonly server: ServerKind; readonly ports: ReadonlyArray<number> }
  | { readonly _tag: "Exit"; readonly code: number }
  /** `sleep N` as the whole command: waits N ms (Infinity: forever), ignoring SIGTERM as PID 1 */
  | { readonly _tag: "Sleep"; readonly millis: number }
  | { readonly _tag: "StartError"; readonly message: string }
  /**
   * A shell script of only plain `echo`, `sleep` and `exit` commands (`sh -c "echo starting; sleep 5;
   * exit 1"`): the lines it prints and the waits between them, then its exit code. Run on the
   * runtime's timers, as the interpreter would run it (see `scriptTimeline`).
   */
  | {
      readonly _tag: "Timeline"
      readonly argv: ReadonlyArray<string>
      readonly steps: ReadonlyArray<TimelineStep>
      readonly code: number
    }

/** A timeline's step: a line printed to stdout, or a wait of `millis` (> 0). */
export type TimelineStep =
  | { readonly _tag: "Echo"; readonly line: string }
  | { readonly _tag: "Wait"; readonly millis: number }

/** Server programs with behaviour of their own; `generic` is any other long-running program. */
export type ServerKind = "nginx" | "httpd" | "redis" | "postgres" | "mysql" | "pause" | "python-http" | "generic"

/** containerd's `generateSpec` merge of command/args with the image's entrypoint/cmd; undefined: no command. */
export const resolveArgv = (
  command: ReadonlyArray<string>,
  args: ReadonlyArray<string>,
  image: ImageConfig
): ReadonlyArray<string> | undefined => {
  let cmd = command
  let rest = args
  if (cmd.length === 0) {
    if (rest.length === 0) rest = image.cmd
    cmd = image.entrypoint.length === 1 && image.entrypoint[0] === "" ? [] : image.entrypoint
  }
  const argv = [...cmd, ...rest]
  return argv.length === 0 ? undefined : argv
}

/** containerd's StartError text for an executable that cannot be started. */
export const startErrorMessage = (detail: string): string =>
  `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${detail}: unknown`

const binDirs = new Set(["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"])

const wrappers = new Set(["docker-entrypoint.sh", "tini", "dumb-init", "entrypoint.sh"])

const servers: Readonly<Record<string, ServerKind>> = {
  nginx: "nginx",
  httpd: "httpd",
  "httpd-foreground": "httpd",
  apache2: "httpd",
  "redis-server": "redis",
  postgres: "postgres",
  mysqld: "mysql",
  pause: "pause"
}

/** Programs that read a script from stdin when given no arguments: with no stdin attached they exit 0 at once. */
const stdinReaders = new Set(["node", "python", "python3", "perl", "ruby", "irb", "php"])

const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1)
const dirName = (path: string): string => {
  const i = path.lastIndexOf("/")
  return i <= 0 ? "/" : path.slice(0, i)
}

/** What the classification needs to know of the container. */
export interface ProgramContext {
  readonly image: ImageConfig
  /** does the interpreter run this argv (a shell invocation, a builtin); argv[0] may be a path */
  readonly isCommand: (argv: ReadonlyArray<string>) => boolean
  /** does this absolute path exist in the container's filesystem (volumes, written files) */
  readonly exists: (path: string) => boolean
  readonly workingDir: string
  /** commands the interpreter has but this image does not ship (`bash` in busybox); see `imageLacks` */
  readonly lacks?: ((name: string) => boolean) | undefined
}

const busyboxLacks = ["bash", "curl", "python", "python3", "dig", "host", "stress"]
const debianLacks = [
  "curl",
  "wget",
  "nc",
  "netcat",
  "ping",
  "nslookup",
  "dig",
  "host",
  "httpd",
  "python",
  "python3",
  "stress"
]

/** Simulated commands each OS image does not have (their real contents), by repository. */
const osImageLacks: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["docker.io/library/busybox", new Set([...busyboxLacks, "getent"])],
  ["docker.io/library/alpine", new Set(busyboxLacks)],
  ["docker.io/library/debian", new Set(debianLacks)],
  ["docker.io/library/ubuntu", new Set(debianLacks)]
])

/** The `lacks` test of an image by its normalised repository (`docker.io/library/busybox`); undefined: none known. */
export const imageLacks = (repository: string): ((name: string) => boolean) | undefined => {
  const lacking = osImageLacks.get(repository)
  return lacking === undefined ? undefined : (name) => lacking.has(name)
}

const isOsImage = (ctx: ProgramContext): boolean => {
  const argv = resolveArgv([], [], ctx.image)
  return argv !== undefined && ctx.isCommand([baseName(argv[0]!), ...argv.slice(1)])
}

const serverPorts = (kind: ServerKind, argv: ReadonlyArray<string>): ReadonlyArray<number> => {
  if (kind === "python-http") {
    const port = Number(argv.find((a, i) => i > 2 && /^\d+$/.test(a)) ?? 8000)
    return [port]
  }
  if (kind === "redis") {
    const i = argv.indexOf("--port")
    const port = i >= 0 ? Number(argv[i + 1]) : Number.NaN
    return Number.isInteger(port) ? [port] : []
  }
  return []
}

const programFor = (name: string, argv: ReadonlyArray<string>): Program | undefined => {
  const kind = servers[name]
  if (kind !== undefined) return { _tag: "Server", server: kind, ports: serverPorts(kind, argv) }
  if (stdinReaders.has(name) || /^python3\.\d+$/.test(name)) {
    if (argv.length === 1) return { _tag: "Exit", code: 0 }
    if (
      (name.startsWith("python") && argv[1] === "-m" && argv[2] === "http.server") ||
      argv[2] === "SimpleHTTPServer"
    ) {
      return { _tag: "Server", server: "python-http", ports: serverPorts("python-http", argv) }
    }
    return { _tag: "Server", server: "generic", ports: [] }
  }
  return undefined
}

const shells = new Set(["sh", "ash", "bash", "dash"])
const inBin = (exe: string): boolean => !exe.includes("/") || binDirs.has(dirName(exe))

/**
 * Commands that only wait: `sleep N`, `tail -f /dev/null`, and a shell whose whole script is one of
 * them (`sh -c "sleep 3600"`: busybox sh execs a lone command, so it is PID 1 the same way).
 */
const waitOnly = (argv: ReadonlyArray<string>): Program | undefined => {
  const exe = argv[0]!
  const name = baseName(exe)
  if (!inBin(exe)) return undefined
  if (name === "sleep" && argv.length >= 2) {
    let seconds = 0
    for (const arg of argv.slice(1)) {
      const s = parseDuration(arg)
      if (s === undefined) return undefined
      seconds += s
    }
    return { _tag: "Sleep", millis: seconds === Number.POSITIVE_INFINITY ? seconds : Math.round(seconds * 1000) }
  }
  if (name === "tail" && argv.length === 3 && argv[1] === "-f" && argv[2] === "/dev/null") {
    return { _tag: "Sleep", millis: Number.POSITIVE_INFINITY }
  }
  if (shells.has(name) && argv.length === 3 && argv[1] === "-c") {
    const words = argv[2]!.trim().split(/[ \t]+/)
    if (words[0] === "exec") words.shift()
    if (words.length > 1 && words.every((w) => /^[\w./-]+$/.test(w))) return waitOnly(words)
  }
  return undefined
}

/** Script text without quotes, expansions, redirections, operators other than `;`, comments or globs. */
const plainScript = /^[A-Za-z0-9_.,:=@%+/ \t\n;-]*$/

/**
 * The timeline of `sh -c <script>` (any shell) for a script made only of `echo` with plain words
 * (no option), `sleep` with durations adding up to at least 1 ms and not forever, and `exit` with at
 * most one number, on `;` or newlines, that waits at least once; undefined for any other script.
 * Without traps the script (PID 1) ignores every signal but SIGKILL. Each step is what the interpreter does (`sim/Builtins.ts` `echo` and `sleep`,
 * `sim/Interpreter.ts` `exit`); the interpreter remains the reference (`test/runtime/Timeline.test.ts`).
 */
export const scriptTimeline = (argv: ReadonlyArray<string>): Extract<Program, { _tag: "Timeline" }> | undefined => {
  if (argv.length !== 3 || argv[1] !== "-c" || !shells.has(baseName(argv[0]!))) return undefined
  const script = argv[2]!
  if (!plainScript.test(script)) return undefined
  const commands: Array<ReadonlyArray<string>> = []
  const segments = script.split(";")
  for (let s = 0; s < segments.length; s++) {
    const lines = segments[s]!.split("\n")
    // `;` with no command before it is a syntax error
    if (s < segments.length - 1 && lines[lines.length - 1]!.trim() === "") return undefined
    for (const line of lines) {
      const trimmed = line.trim()
      if (trimmed !== "") commands.push(trimmed.split(/[ \t]+/))
    }
  }
  const steps: Array<TimelineStep> = []
  let code: number | undefined
  for (const [name, ...args] of commands) {
    if (name === "echo") {
      if (args[0]?.startsWith("-") === true) return undefined
      if (code === undefined) steps.push({ _tag: "Echo", line: args.join(" ") })
    } else if (name === "sleep") {
      let seconds = 0
      for (const arg of args) {
        const d = parseDuration(arg)
        if (d === undefined) return undefined
        seconds += d
      }
      const millis = Math.round(seconds * 1000)
      if (args.length === 0 || !(millis > 0) || millis === Number.POSITIVE_INFINITY) return undefined
      if (code === undefined) steps.push({ _tag: "Wait", millis })
    } else if (name === "exit") {
      if (args.length > 1 || (args.length === 1 && !/^\d+$/.test(args[0]!))) return undefined
      code ??= args.length === 0 ? 0 : Number(args[0]) & 255
    } else return undefined
  }
  // a script that never waits runs to its end in the interpreter at once, as it always has
  if (!steps.some((step) => step._tag === "Wait")) return undefined
  return { _tag: "Timeline", argv, steps, code: code ?? 0 }
}

/** The interpreter runs `argv`: as a timeline when it is `sh -c` with a script that is one. */
const interpreted = (argv: ReadonlyArray<string>): Program => scriptTimeline(argv) ?? { _tag: "Interpreter", argv }

/**
 * Classify the container's resolved argv. Rules: entrypoint wrappers (`docker-entrypoint.sh`, tini)
 * exec their arguments; a shell or builtin (bare or in a bin directory) and an existing script file
 * run in the interpreter; known servers and other programs run as servers; an absolute path the
 * image does not have, or a bare name an OS image (busybox, alpine, debian, ubuntu) lacks, is a
 * StartError. Images the simulation does not know are assumed to have any program outside `/`.
 */
export const classifyProgram = (argv: ReadonlyArray<string>, ctx: ProgramContext): Program => {
  const exe = argv[0]
  if (exe === undefined) return { _tag: "Exit", code: 0 }
  const name = baseName(exe)
  const isImageDefault = exe === ctx.image.entrypoint[0] || exe === ctx.image.cmd[0]
  if (wrappers.has(name) && (isImageDefault || !exe.includes("/"))) {
    const rest = argv[1] === "--" ? argv.slice(2) : argv.slice(1)
    if (rest.length === 0) return { _tag: "Exit", code: 0 }
    // official images' entrypoints run their program when the first argument is an option (`redis --port 7000`)
    const program = ctx.image.cmd[0]
    if (rest[0]!.startsWith("-") && program !== undefined && !wrappers.has(baseName(program))) {
      return classifyProgram([program, ...rest], ctx)
    }
    return classifyProgram(rest, ctx)
  }
  if (inBin(exe) && ctx.lacks?.(name) === true && !(exe.startsWith("/") && ctx.exists(exe))) {
    const detail = exe.includes("/")
      ? `exec: "${exe}": stat ${exe}: no such file or directory`
      : `exec: "${exe}": executable file not found in $PATH`
    return { _tag: "StartError", message: startErrorMessage(detail) }
  }
  const waiting = waitOnly(argv)
  if (waiting !== undefined) return waiting
  if (exe.includes("/")) {
    const path = exe.startsWith("/") ? exe : `${ctx.workingDir.replace(/\/$/, "")}/${exe}`
    if (binDirs.has(dirName(path)) && ctx.isCommand(argv)) return interpreted(argv)
    if (ctx.exists(path)) return { _tag: "Interpreter", argv: [path, ...argv.slice(1)] }
    if (isImageDefault || binDirs.has(dirName(path))) {
      const known = programFor(name, argv)
      if (known !== undefined) return known
      if (isImageDefault) return { _tag: "Server", server: "generic", ports: [] }
    }
    if (!isOsImage(ctx) && dirName(path) !== "/") return { _tag: "Server", server: "generic", ports: [] }
    return { _tag: "StartError", message: startErrorMessage(`exec: "${exe}": stat ${exe}: no such file or directory`) }
  }
  if (ctx.isCommand(argv)) return interpreted(argv)
  const known = programFor(name, argv)
  if (isOsImage(ctx) && !isImageDefault) {
    return { _tag: "StartError", message: startErrorMessage(`exec: "${exe}": executable file not found in $PATH`) }
  }
  return known ?? { _tag: "Server", server: "generic", ports: [] }
}
