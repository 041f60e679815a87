#!/usr/bin/env node
// `npx podlet ...`: runs the podlet command (src/main.tsx) under tsx, from wherever it is called.
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const tsx = join(dirname(require.resolve("tsx/package.json")), "dist", "cli.mjs")
// the package's tsconfig (its JSX settings), not whatever tsconfig the caller's directory has
const args = [tsx, "--tsconfig", join(here, "..", "tsconfig.json"), join(here, "..", "src", "main.tsx")]
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, PODLET_CWD: process.env.PODLET_CWD ?? process.cwd() }
})
process.exit(result.status ?? 1)
