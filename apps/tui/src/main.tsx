/**
 * The `podlet` command. `podlet` (what `npm start` runs) opens the dashboard on an embedded
 * cluster preloaded with `examples/` (with `--runtime process`: this machine, real clock, nothing
 * preloaded); `podlet run FILE...` answers "what will my pod do?" and exits. When stdout is not a
 * terminal the dashboard prints the pods (process runtime: the node) once instead.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import type { Pod } from "@podlet/core"
import { render } from "ink"
import { parseArgs, type Runtime, type Target } from "./Args.js"
import { runCommand } from "./RunCommand.js"
import { podTable } from "./render/Pods.js"
import { nodeTable } from "./render/Resources.js"
import type { DashboardSource } from "./source/DashboardSource.js"
import { type EmbeddedSource, makeEmbeddedSource } from "./source/EmbeddedSource.js"
import { placementLabel, processClusterOptions } from "./source/ProcessRuntime.js"
import { makeRemoteSource } from "./source/RemoteSource.js"
import { tabwrite } from "./Tabwriter.js"
import { App } from "./ui/App.js"
import { renderOptions } from "./ui/RenderOptions.js"

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const examplesDir = join(repoRoot, "examples")
/** The example applied later, so that the init container waiting for it is seen waiting first. */
const delayedExample = "03-mydb-service.yaml"

/** A path, or an example's name (`06-crashloop`, `06-crashloop.yaml`). */
const readManifest = async (pathOrExample: string): Promise<string> => {
  const candidates = [
    resolve(process.env.PODLET_CWD ?? process.cwd(), pathOrExample),
    join(examplesDir, pathOrExample),
    join(examplesDir, `${pathOrExample}.yaml`)
  ]
  const found = candidates.find((p) => existsSync(p))
  if (found === undefined) throw new Error(`no such file or example: ${pathOrExample}`)
  return readFileSync(found, "utf8")
}

const exampleFiles = (): ReadonlyArray<string> => {
  return existsSync(examplesDir)
    ? readdirSync(examplesDir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
    : []
}

/** The dashboard on a remote cluster, through the SDK's `connect`. */
const remoteDashboard = async (target: Exclude<Target, { readonly _tag: "Embedded" }>): Promise<number> => {
  const { connect } = await import("@podlet/sdk")
  const cwd = process.env.PODLET_CWD ?? process.cwd()
  let certificateAuthority: string | undefined
  if (target._tag === "Server" && target.certificateAuthority !== undefined) {
    try {
      certificateAuthority = readFileSync(resolve(cwd, target.certificateAuthority), "utf8")
    } catch (error) {
      process.stderr.write(
        `podlet: --certificate-authority: ${error instanceof Error ? error.message : String(error)}\n`
      )
      return 1
    }
  }
  const connecting =
    target._tag === "Server"
      ? connect({
          server: target.server,
          ...(target.token === undefined ? {} : { token: target.token }),
          ...(certificateAuthority === undefined ? {} : { certificateAuthority }),
          ...(target.insecureSkipTlsVerify === true ? { insecureSkipTlsVerify: true } : {})
        })
      : connect(
          target.context === undefined
            ? { kubeconfig: resolve(cwd, target.kubeconfig) }
            : { kubeconfig: resolve(cwd, target.kubeconfig), context: target.context }
        )
  let cluster: Awaited<typeof connecting>
  try {
    cluster = await connecting
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const hint = /certificate/i.test(message)
      ? " (a podlet API with --token-file: add --certificate-authority .podlet/tls.crt, or --insecure-skip-tls-verify)"
      : ""
    process.stderr.write(`podlet: ${message}${hint}\n`)
    return 1
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    // No terminal to draw on: print the pods (all namespaces) once, then exit.
    const [pods, now] = await Promise.all([cluster.list<Pod>("Pod"), cluster.clock.now()])
    const table = podTable(pods, now.getTime(), { namespace: true })
    process.stdout.write(`${tabwrite([table.header, ...table.rows.map((r) => r.cells)]).join("\n")}\n`)
    await cluster.close()
    return 0
  }
  const source = await makeRemoteSource(cluster, {
    description:
      target._tag === "Server" ? target.server : `${target.kubeconfig}${target.context ? ` (${target.context})` : ""}`
  })
  return show(source)
}

/** Draws `source` in the alternate screen until the user quits. */
const show = async (source: DashboardSource): Promise<number> => {
  process.stdout.write("\x1b[?1049h\x1b[H")
  const instance = render(<App source={source} readManifest={readManifest} />, { ...renderOptions, exitOnCtrlC: true })
  try {
    await instance.waitUntilExit()
  } finally {
    process.stdout.write("\x1b[?1049l")
    await source.close()
  }
  return 0
}

/**
 * The dashboard on the process runtime: one node (this machine), the real clock (no pause or
 * speed), nothing preloaded (the examples are written for simulated containers).
 */
const processDashboard = async (runtime: Extract<Runtime, { readonly _tag: "Process" }>): Promise<number> => {
  const placement = await processClusterOptions(runtime)
  let source: EmbeddedSource
  try {
    source = await makeEmbeddedSource({ cluster: placement, clock: "real", runtimeLabel: placementLabel(placement) })
  } catch (error) {
    // e.g. `--isolation linux` on a machine that cannot (not root, no runc/crun)
    process.stderr.write(
      `podlet: cannot start the cluster: ${error instanceof Error ? error.message : String(error)}\n`
    )
    return 1
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    // No terminal to draw on: show the node once it is registered, then exit.
    await new Promise<void>((done) => {
      const unsubscribe = source.subscribe(() => {
        if (source.snapshot().nodes.length === 0) return
        unsubscribe()
        done()
      })
    })
    const snapshot = source.snapshot()
    const table = nodeTable(snapshot.nodes, snapshot.pods, snapshot.now)
    process.stdout.write(`${tabwrite([table.header, ...table.rows.map((r) => r.cells)]).join("\n")}\n`)
    await source.close()
    return 0
  }
  return show(source)
}

const dashboard = async (runtime: Runtime): Promise<number> => {
  if (runtime._tag === "Process") return processDashboard(runtime)
  const source = await makeEmbeddedSource({ cluster: { nodes: ["node-1", "node-2", "node-3"] } })
  const files = exampleFiles()
  for (const file of files.filter((f) => f !== delayedExample)) {
    await source.apply(readFileSync(join(examplesDir, file), "utf8")).catch((e: unknown) => {
      process.stderr.write(`podlet: ${file}: ${e instanceof Error ? e.message : String(e)}\n`)
    })
  }
  const delayed = files.includes(delayedExample) ? readFileSync(join(examplesDir, delayedExample), "utf8") : undefined

  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    // No terminal to draw on: show the pods after the cluster's first minute, then exit.
    await source.setClock({ paused: true })
    await source.advance(20_000)
    if (delayed !== undefined) await source.apply(delayed)
    await source.advance(40_000)
    const snapshot = source.snapshot()
    const table = podTable(snapshot.pods, snapshot.now, { namespace: false })
    process.stdout.write(`${tabwrite([table.header, ...table.rows.map((r) => r.cells)]).join("\n")}\n`)
    await source.close()
    return 0
  }

  if (delayed !== undefined) {
    const startedAt = source.snapshot().now
    const unsubscribe = source.subscribe(() => {
      if (source.snapshot().now - startedAt >= 20_000) {
        unsubscribe()
        void source.apply(delayed)
      }
    })
  }

  return show(source)
}

/** `podlet serve`: the API server of apps/api, with the same flags as `npm run serve`. */
const serve = async (flags: ReadonlyArray<string>): Promise<number> => {
  const { spawnSync } = await import("node:child_process")
  const { createRequire } = await import("node:module")
  const tsx = join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "cli.mjs")
  const entry = join(repoRoot, "apps", "api", "src", "node.ts")
  if (!existsSync(entry)) throw new Error(`podlet serve needs the repository's apps/api (not found at ${entry})`)
  const result = spawnSync(process.execPath, [tsx, entry, ...flags], { stdio: "inherit", cwd: repoRoot })
  return result.status ?? 1
}

const main = async (): Promise<number> => {
  const args = parseArgs(process.argv.slice(2))
  switch (args._tag) {
    case "Dashboard":
      return args.target._tag === "Embedded" ? dashboard(args.target.runtime) : remoteDashboard(args.target)
    case "Run":
      return runCommand(args, { readManifest, write: (s) => process.stdout.write(s) })
    case "Serve":
      return serve(args.flags)
    case "Help":
      process.stdout.write(args.text)
      return 0
    case "Invalid":
      process.stderr.write(`podlet: ${args.message}\n`)
      return 2
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`podlet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
