// App compiled by tsx outside this package's tsconfig (as bench/ imports it): it must keep
// re-rendering on keys. Without its JSX pragma, tsx compiled it with the classic transform and the
// app died in Ink's error boundary ("React is not defined") after mounting, silently.
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"

const tui = join(import.meta.dirname, "..")
const url = (path: string) => JSON.stringify(pathToFileURL(path).href)
const dir = mkdtempSync(join(tmpdir(), "podlet-app-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Renders App with fake streams, presses `?`, prints whether the help view was drawn. */
const script = `
import { EventEmitter } from "node:events"
const { render } = await import(${url(join(tui, "node_modules/ink/build/index.js"))})
const React = (await import(${url(join(tui, "node_modules/react/index.js"))})).default
const { App } = await import(${url(join(tui, "src/ui/App.tsx"))})
class Out extends EventEmitter { columns = 120; rows = 30; last = ""; write = (s) => { this.last = s; return true } }
class In extends EventEmitter {
  isTTY = true; data = null
  send(s) { this.data = s; this.emit("readable"); this.emit("data", s) }
  read = () => { const d = this.data; this.data = null; return d }
  setEncoding() {} setRawMode() {} resume() {} pause() {} ref() {} unref() {}
}
const snapshot = { now: 0, pods: [], events: [], nodes: [], replicaSets: [], services: [], namespaces: ["default"] }
const source = {
  description: "fake", capabilities: new Set(), snapshot: () => snapshot, subscribe: () => () => {},
  clock: () => ({ mode: "virtual", paused: false, speed: 1 })
}
const out = new Out(), stdin = new In()
const app = render(React.createElement(App, { source, readManifest: async () => "", height: 20 }),
  { stdout: out, stderr: out, stdin, debug: true, exitOnCtrlC: false, patchConsole: false })
let failure
app.waitUntilExit().catch((e) => { failure = e })
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
await sleep(300)
stdin.send("?")
for (let i = 0; i < 100 && !out.last.includes("Keys"); i++) await sleep(20)
console.log(out.last.includes("Keys") ? "HELP SHOWN" : "NO HELP: " + String(failure ?? out.last))
app.unmount()
process.exit(0)
`

describe("App outside its package", () => {
  it("re-renders on keys when compiled by tsx without this package's tsconfig", () => {
    const file = join(dir, "render-app.mjs")
    writeFileSync(file, script)
    const run = spawnSync(join(tui, "node_modules/.bin/tsx"), [file], { cwd: dir, encoding: "utf8", timeout: 300_000 })
    expect(run.stderr).toBe("")
    expect(run.stdout.trim()).toBe("HELP SHOWN")
  }, 320_000)
})
