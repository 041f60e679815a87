// End to end: `npm start` in a real terminal (tmux), read the screen as a person would, press keys.
import { execFileSync, spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..", "..")
const hasTmux = spawnSync("tmux", ["-V"]).status === 0
if (!hasTmux) console.log("tmux is not installed: the dashboard end-to-end test does not run on this machine")

const session = `podlet-e2e-${process.pid}`
const tmux = (...args: ReadonlyArray<string>) => execFileSync("tmux", ["-L", session, ...args], { encoding: "utf8" })
const screen = (target: string) => tmux("capture-pane", "-p", "-t", target)

/** Polls the screen (wall time: a real terminal) until `check` holds or `ms` pass. */
const screenWhere = async (check: (text: string) => boolean, ms = 120_000, target = session): Promise<string> => {
  const deadline = Date.now() + ms
  let text = ""
  while (Date.now() < deadline) {
    text = screen(target)
    if (check(text)) return text
    await new Promise((r) => setTimeout(r, 250))
  }
  return text
}

describe.runIf(hasTmux)("npm start in a terminal", () => {
  afterAll(() => {
    spawnSync("tmux", ["-L", session, "kill-server"])
  })

  it("opens the dashboard on the embedded cluster with the examples, answers keys, and quits on q", async () => {
    tmux(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      "150",
      "-y",
      "45",
      "-c",
      root,
      `env -i HOME="$HOME" PATH="$PATH" TERM=xterm-256color npm start; echo podlet-exited-$?; sleep 600`
    )
    const pods = await screenWhere((s) => s.includes("shared-volume") && s.includes("with-sidecar"))
    expect(pods).toContain("podlet embedded (3 nodes)")
    expect(pods).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/)
    expect(pods).toMatch(/shared-volume\s+2\/2\s+Running/)
    expect(pods).toMatch(/job-succeeds\s+\S+\s+(Running|Completed)/)

    tmux("send-keys", "-t", session, "?")
    expect(await screenWhere((s) => s.includes("Keys"))).toContain("pause or resume the clock")
    tmux("send-keys", "-t", session, "Escape")
    await screenWhere((s) => s.includes("STATUS"))
    tmux("send-keys", "-t", session, "3")
    expect(await screenWhere((s) => s.includes("TAINTS"))).toMatch(/node-1\s+Ready/)
    tmux("send-keys", "-t", session, "q")
    expect(await screenWhere((s) => s.includes("podlet-exited-"))).toContain("podlet-exited-0")
  }, 600_000)

  it("opens it on the process runtime: this machine, the real clock, the node's runtime, a real pod", async () => {
    const manifest = join(mkdtempSync(join(tmpdir(), "podlet-e2e-")), "hello.yaml")
    writeFileSync(
      manifest,
      `apiVersion: v1
kind: Pod
metadata: { name: hello }
spec:
  restartPolicy: Never
  containers:
    - { name: app, image: busybox, command: ["sh", "-c", "echo hi"] }
`
    )
    const onProcess = `${session}-process`
    tmux(
      "new-session",
      "-d",
      "-s",
      onProcess,
      "-x",
      "150",
      "-y",
      "45",
      "-c",
      root,
      `env -i HOME="$HOME" PATH="$PATH" TERM=xterm-256color npm start -- --runtime process --isolation host; echo podlet-exited-$?; sleep 600`
    )
    const header = await screenWhere((s) => s.includes("real clock"), 120_000, onProcess)
    expect(header).toContain("podlet embedded (process (host), 1 node)")
    tmux("send-keys", "-t", onProcess, "3")
    expect(await screenWhere((s) => s.includes("podlet-process://"), 120_000, onProcess)).toMatch(
      /CONTAINER-RUNTIME[\s\S]*Ready\s.*podlet-process:\/\/host/
    )
    tmux("send-keys", "-t", onProcess, "Space")
    expect(await screenWhere((s) => s.includes("not available"), 120_000, onProcess)).toContain(
      "pause and speed: not available on the real clock"
    )
    // one key per read: keys that arrive together reach the app as one string
    tmux("send-keys", "-t", onProcess, "1")
    await screenWhere((s) => s.includes("RESTARTS"), 120_000, onProcess)
    tmux("send-keys", "-t", onProcess, "a")
    await screenWhere((s) => s.includes("apply file or example"), 120_000, onProcess)
    tmux("send-keys", "-t", onProcess, "-l", manifest)
    await screenWhere((s) => s.includes("hello.yaml"), 120_000, onProcess)
    tmux("send-keys", "-t", onProcess, "Enter")
    expect(await screenWhere((s) => /hello\s+0\/1\s+Completed/.test(s), 120_000, onProcess)).toMatch(
      /hello\s+0\/1\s+Completed/
    )
    tmux("send-keys", "-t", onProcess, "q")
    expect(await screenWhere((s) => s.includes("podlet-exited-"), 120_000, onProcess)).toContain("podlet-exited-0")
  }, 600_000)
})
