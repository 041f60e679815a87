import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { readManifestFiles } from "../src/Manifests.js"

describe("readManifestFiles", () => {
  it("reads one file, or a directory's manifests in name order, skipping other files and subdirectories", () => {
    const dir = mkdtempSync(join(tmpdir(), "podlet-sdk-"))
    writeFileSync(join(dir, "b.yaml"), "kind: Pod\n")
    writeFileSync(join(dir, "a.json"), "{}")
    writeFileSync(join(dir, "notes.txt"), "not a manifest")
    mkdirSync(join(dir, "nested.yaml"))
    expect(readManifestFiles(dir).map((f) => [f.path.slice(dir.length + 1), f.text])).toEqual([
      ["a.json", "{}"],
      ["b.yaml", "kind: Pod\n"]
    ])
    expect(readManifestFiles(join(dir, "b.yaml"))).toEqual([{ path: join(dir, "b.yaml"), text: "kind: Pod\n" }])
  })

  it("fails clearly on a missing path", () => {
    expect(() => readManifestFiles("/nonexistent/podlet")).toThrow(/ENOENT/)
  })
})
