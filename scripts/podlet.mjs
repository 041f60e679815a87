#!/usr/bin/env node
// The front door behind `npm start`, `npm test`, `npm run serve|serve:worker|bench|lint|typecheck|build|pack`.
// It installs what is missing (pnpm 12.4.2 inside the repo, the workspace dependencies with the
// environment better-sqlite3 needs), then runs the job. Only Node >= 20.19 and npm are assumed.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const PNPM_VERSION = "12.4.2"
const toolsDir = join(root, ".tools")
const stampFile = join(root, "node_modules", ".podlet-install-stamp")

const log = (msg) => process.stderr.write(`podlet: ${msg}\n`)

const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  log(`Node >= 20.19 is required (this is ${process.version}).`)
  process.exit(1)
}

/** The environment every child gets: offline-friendly tool settings and Node headers for node-gyp. */
function environment() {
  const env = {
    ...process.env,
    TURBO_TELEMETRY_DISABLED: "1",
    TURBO_NO_UPDATE_NOTIFIER: "1",
    DO_NOT_TRACK: "1",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    npm_config_update_notifier: "false",
    // where the user ran `npm start`/`npm run ...` (npm runs scripts from the root): relative paths resolve here
    PODLET_CWD: process.env.PODLET_CWD ?? process.env.INIT_CWD ?? process.cwd()
  }
  const nodePrefix = dirname(dirname(process.execPath))
  if (!env.npm_config_nodedir && existsSync(join(nodePrefix, "include", "node", "node.h"))) {
    env.npm_config_nodedir = nodePrefix
  }
  env.PATH = [join(root, "node_modules", ".bin"), join(toolsDir, "node_modules", ".bin"), env.PATH].join(":")
  return env
}

const env = environment()

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root, env, ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

function capture(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8" })
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** pnpm 12.4.2: the one on PATH if it is that version, else a copy kept in `.tools/`. */
function ensurePnpm() {
  const local = join(toolsDir, "node_modules", ".bin", "pnpm")
  if (existsSync(local) && capture(local, ["--version"]) === PNPM_VERSION) return local
  if (capture("pnpm", ["--version"]) === PNPM_VERSION) return "pnpm"
  log(`installing pnpm ${PNPM_VERSION} into .tools/ ...`)
  mkdirSync(toolsDir, { recursive: true })
  if (!existsSync(join(toolsDir, "package.json"))) {
    writeFileSync(join(toolsDir, "package.json"), '{ "name": "podlet-tools", "private": true }\n')
  }
  const status = run("npm", ["install", "--prefix", toolsDir, "--no-audit", "--no-fund", "-E", `pnpm@${PNPM_VERSION}`])
  if (status !== 0) {
    log("could not install pnpm")
    process.exit(status)
  }
  return local
}

/** A hash of everything that decides what `pnpm install` does. */
function installInputs() {
  const hash = createHash("sha256")
  hash.update(process.version)
  const files = ["package.json", "pnpm-workspace.yaml", "pnpm-lock.yaml"]
  for (const group of ["packages", "apps"]) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir).sort()) files.push(join(group, name, "package.json"))
  }
  files.push(join("bench", "package.json"))
  for (const file of files) {
    const path = join(root, file)
    if (existsSync(path)) hash.update(`${file}\0${readFileSync(path)}\0`)
  }
  return hash.digest("hex")
}

function ensureInstalled() {
  const pnpm = ensurePnpm()
  const wanted = installInputs()
  const have = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : ""
  if (have !== wanted) {
    log("installing dependencies ...")
    const frozen = existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : []
    const status = run(pnpm, ["install", ...frozen])
    if (status !== 0) process.exit(status)
    writeFileSync(stampFile, `${installInputs()}\n`)
  }
  return pnpm
}

const [job = "start", ...rest] = process.argv.slice(2)

/**
 * The dashboard, the API server and the benchmarks run Node with a 32 MB young generation
 * (`--max-semi-space-size=32`, V8's default is 16 MB on 64-bit): podlet allocates many short-lived
 * objects per write and per sync, and fewer scavenges cost about 15% less CPU on these workloads.
 * A `--max-semi-space-size` already in NODE_OPTIONS wins.
 */
function tuneNode() {
  const options = env.NODE_OPTIONS ?? ""
  if (!options.includes("--max-semi-space-size")) env.NODE_OPTIONS = `${options} --max-semi-space-size=32`.trim()
}
const pnpm = ensureInstalled()
const turbo = (...tasks) => run(pnpm, ["exec", "turbo", "run", ...tasks, "--output-logs=errors-only", ...rest])

let status = 0
switch (job) {
  case "install":
    break
  case "test":
    // one package at a time: the real-process and real-terminal tests keep their timing on 2 cores
    status = run(pnpm, ["exec", "turbo", "run", "typecheck", "lint", "test", "--continue", "--concurrency=1", ...rest])
    break
  case "typecheck":
  case "lint":
  case "build":
    status = turbo(job)
    break
  case "format":
    status = run(pnpm, ["exec", "biome", "check", "--write", ".", ...rest])
    break
  case "start":
    tuneNode()
    status = run(pnpm, ["--silent", "--filter", "@podlet/tui", "run", "start", ...rest])
    break
  case "serve":
    tuneNode()
    status = run(pnpm, ["--silent", "--filter", "@podlet/api", "run", "serve", ...rest])
    break
  case "serve:worker":
    status = run(pnpm, ["--silent", "--filter", "@podlet/api", "run", "serve:worker", ...rest])
    break
  case "pack": {
    // installable tarballs of the publishable packages: JS + .d.ts from tsc, publishConfig's exports,
    // workspace and catalog versions written out (pnpm pack)
    const out = join(root, ".packages")
    mkdirSync(out, { recursive: true })
    const publishable = ["core", "platform-node", "sdk"]
    const filters = publishable.flatMap((name) => ["--filter", `@podlet/${name}`])
    // pnpm runs the builds in dependency order (no turbo: the SDK's packaging test runs this inside `npm test`)
    status = run(pnpm, [...filters, "run", "build"])
    for (const name of publishable) {
      if (status !== 0) break
      status = run(pnpm, ["pack", "--pack-destination", out], { cwd: join(root, "packages", name) })
    }
    break
  }
  case "bench":
    tuneNode()
    status = run(pnpm, ["--silent", "--filter", "@podlet/bench", "run", "bench", ...rest])
    break
  default:
    log(`unknown job '${job}' (start, test, serve, serve:worker, bench, lint, typecheck, build, pack, format, install)`)
    status = 2
}
process.exit(status)
