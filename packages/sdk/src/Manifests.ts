/**
 * Reading manifests from disk for the SDK and the dashboard: a YAML/JSON file, or every
 * `.yaml`/`.yml`/`.json` file of a directory in name order (like `kubectl apply -f DIR`).
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { extname, join } from "node:path"

/** One manifest file: its path and text. */
export interface ManifestFile {
  readonly path: string
  readonly text: string
}

const manifestExtensions = new Set([".yaml", ".yml", ".json"])

/** The manifest files at `path` (a file, or a directory read non-recursively in name order). */
export const readManifestFiles = (path: string): Array<ManifestFile> => {
  if (!statSync(path).isDirectory()) return [{ path, text: readFileSync(path, "utf8") }]
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.isFile() && manifestExtensions.has(extname(entry.name)))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ path: join(path, name), text: readFileSync(join(path, name), "utf8") }))
}
