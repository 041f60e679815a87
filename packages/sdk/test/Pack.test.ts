/**
 * Packaging, for real: `npm run pack` writes tarballs of @podlet/core, @podlet/platform-node and
 * @podlet/sdk; in an empty folder outside the repository `npm install` of those tarballs (their
 * dependencies from the npm registry) gives a plain Node ESM program that imports `@podlet/sdk`
 * and runs createCluster + apply + waitFor, and `tsc` type-checks a TypeScript file against the
 * published types (Promise and Effect APIs). Install scripts are skipped: without a reachable
 * prebuilt binary better-sqlite3 compiles from source (minutes); the memory store does not load it.
 */
import { execFileSync } from "node:child_process"
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "../../..")
const exec = (command: string, args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 })

describe("npm run pack", () => {
  it("writes tarballs that install and run outside the repository, with types", { timeout: 1_500_000 }, () => {
    exec("node", ["scripts/podlet.mjs", "pack"], root)
    const out = join(root, ".packages")
    const tarballs = ["core", "platform-node", "sdk"].map((name) => {
      const file = readdirSync(out).find((f) => f.startsWith(`podlet-${name}-`) && f.endsWith(".tgz"))
      expect(file, `a tarball of @podlet/${name}`).toBeDefined()
      return join(out, file!)
    })
    const dir = mkdtempSync(join(tmpdir(), "podlet-consumer-"))
    try {
      writeFileSync(join(dir, "package.json"), '{ "name": "consumer", "private": true, "type": "module" }\n')
      cpSync(join(here, "fixtures", "consumer"), dir, { recursive: true })
      exec(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", ...tarballs, "effect@4.1.0"],
        dir
      )
      const output = exec("node", ["main.mjs"], dir)
      expect(JSON.parse(output.trim())).toEqual({ phase: "Running", logs: ["hello from podlet"], notFound: true })
      exec("node", [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
