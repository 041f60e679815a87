#!/usr/bin/env node
// Sums every package's vitest JSON reports into the one closing line CI reads: `N passed, N failed`.
// A package's reports are the `--outputFile.json=PATH` files its scripts name (`.vitest/results.json`
// when none is named; apps/api also writes `.vitest/workers/results.json` from workerd). Exits 1
// when a package that has a test script left a report missing.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")

/** The report files a package's scripts write, in order of first mention. */
const reportsOf = (scripts) => {
  const paths = new Set()
  for (const command of Object.values(scripts)) {
    for (const match of String(command).matchAll(/--outputFile\.json[= ]([^\s;&|"']+)/g)) paths.add(match[1])
  }
  return paths.size > 0 ? [...paths] : [join(".vitest", "results.json")]
}

let passed = 0
let failed = 0
let missing = 0
/** Failing tests and files, named in the last lines of the output, where a truncated CI log still shows them. */
const failures = []
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name)
    const manifest = join(dir, "package.json")
    const scripts = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")).scripts ?? {}) : {}
    if (!scripts.test) continue
    for (const path of reportsOf(scripts)) {
      const label = path === join(".vitest", "results.json") ? `${group}/${name}` : `${group}/${name} (${path})`
      const report = join(dir, path)
      if (!existsSync(report)) {
        console.error(`ci: no test report from ${label}`)
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
      for (const file of r.testResults ?? []) {
        const where = `${group}/${name}/${file.name?.split(`/${group}/${name}/`).pop() ?? "?"}`
        const tests = (file.assertionResults ?? []).filter((a) => a.status === "failed")
        for (const t of tests) {
          const why = String(t.failureMessages?.[0] ?? "")
            .split("\n")[0]
            .slice(0, 300)
          failures.push(`ci: FAILED ${where} > ${t.fullName ?? t.title}: ${why}`)
        }
        if (file.status === "failed" && tests.length === 0) {
          failures.push(
            `ci: FAILED ${where} (did not load): ${String(file.message ?? "")
              .split("\n")[0]
              .slice(0, 300)}`
          )
        }
      }
      console.error(
        `ci: ${label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed (${r.numTotalTestSuites} files)`
      )
    }
  }
}
for (const line of failures) console.error(line)
console.log(`${passed} passed, ${failed} failed`)
process.exit(missing > 0 ? 1 : 0)
