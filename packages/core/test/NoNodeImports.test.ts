// @podlet/core also runs in workerd: nothing under src/ may import a `node:` module or a Node
// built-in by its bare name, nor use Node-only globals.
import { readdirSync, readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative } from "node:path"
import { describe, expect, it } from "vitest"

const srcDir = join(import.meta.dirname, "..", "src")

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : []
  )

const importSpecifiers = (source: string): Array<string> =>
  [...source.matchAll(/(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (m) => (m[1] ?? m[2]) as string
  )

const builtins = new Set(builtinModules)

export const offendingImports = (source: string): Array<string> =>
  importSpecifiers(source).filter((s) => s.startsWith("node:") || builtins.has(s) || builtins.has(s.split("/")[0]!))

describe("@podlet/core is runtime-agnostic", () => {
  it("finds the offending imports it is meant to find", () => {
    expect(offendingImports(`import { readFileSync } from "node:fs"\nimport * as path from "path"`)).toEqual([
      "node:fs",
      "path"
    ])
    expect(offendingImports(`const m = await import("node:crypto")`)).toEqual(["node:crypto"])
    expect(offendingImports(`import { Effect } from "effect"\nimport type { Pod } from "./api/Pod.js"`)).toEqual([])
  })

  it("has no node: or built-in imports under src/", () => {
    const files = sourceFiles(srcDir)
    expect(files.length).toBeGreaterThan(0)
    const offences = files.flatMap((file) =>
      offendingImports(readFileSync(file, "utf8")).map((s) => `${relative(srcDir, file)}: ${s}`)
    )
    expect(offences).toEqual([])
  })
})
