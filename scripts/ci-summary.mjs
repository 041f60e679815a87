#!/usr/bin/env node
// Sums every package's vitest JSON report (`<pkg>/.vitest/results.json`) into the one closing line
// CI reads: `N passed, N failed`. Exits 1 when a package that has a test script left no report.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
let passed = 0
let failed = 0
let missing = 0
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name)
    const manifest = join(dir, "package.json")
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue
    const report = join(dir, ".vitest", "results.json")
    if (!existsSync(report)) {
      console.error(`ci: no test report from ${group}/${name}`)
      missing++
      continue
    }
    const r = JSON.parse(readFileSync(report, "utf8"))
    passed += r.numPassedTests ?? 0
    // a file that failed to load has no failing test of its own: count it as one failure
    const brokenFiles = (r.testResults ?? []).filter(
      (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")
    ).length
    failed += (r.numFailedTests ?? 0) + brokenFiles
    console.error(
      `ci: ${group}/${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed (${r.numTotalTestSuites} files)`
    )
  }
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(missing > 0 ? 1 : 0)
