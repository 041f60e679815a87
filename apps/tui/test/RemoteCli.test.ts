// `podlet --server URL --token T` against a real `podlet serve --token-file` (https, self-signed):
// the certificate is refused unless trusted with --certificate-authority or skipped with
// --insecure-skip-tls-verify; without a terminal the pods are printed once. Run through bin/ from
// a directory outside the package, as a user runs `npx podlet`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Pod } from "@podlet/core"
import { connect } from "@podlet/sdk"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const bin = join(import.meta.dirname, "..", "bin", "podlet.mjs")
const dir = mkdtempSync(join(tmpdir(), "podlet-remote-cli-"))
let server: ChildProcess | undefined
let url = ""

const podlet = (...args: Array<string>) =>
  spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PODLET_CWD: dir }
  })

beforeAll(async () => {
  writeFileSync(join(dir, "tokens.csv"), 'secret1,admin,1,"system:masters"\n')
  server = spawn(process.execPath, [bin, "serve", "--port", "0", "--store", "memory", "--token-file", "tokens.csv"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PODLET_CWD: dir },
    // its own process group: bin/ → tsx → main → serve are stopped together
    detached: true
  })
  url = await new Promise<string>((resolve, reject) => {
    let out = ""
    server!.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const found = /podlet API at (https:\/\/\S+)/.exec(out)?.[1]
      if (found !== undefined) resolve(found)
    })
    server!.once("exit", (code) => reject(new Error(`podlet serve exited (${code}): ${out}`)))
  })
  const cluster = await connect({
    server: url,
    token: "secret1",
    certificateAuthority: readFileSync(join(dir, ".podlet", "tls.crt"), "utf8")
  })
  await cluster.apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { containers: [{ name: "web", image: "nginx" }] }
  } as Pod)
  await cluster.close()
}, 120_000)

afterAll(() => {
  if (server?.pid !== undefined) process.kill(-server.pid, "SIGTERM")
  rmSync(dir, { recursive: true, force: true })
})

describe("podlet --server on https with a token", () => {
  it("trusts the server's certificate with --certificate-authority", () => {
    const run = podlet("--server", url, "--token", "secret1", "--certificate-authority", ".podlet/tls.crt")
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/)
    expect(run.stdout).toMatch(/\ndefault\s+web\s+/)
  }, 120_000)

  it("skips verification with --insecure-skip-tls-verify", () => {
    const run = podlet("--server", url, "--token", "secret1", "--insecure-skip-tls-verify")
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/\ndefault\s+web\s+/)
  }, 120_000)

  it("refuses the self-signed certificate otherwise, and says what to do", () => {
    const run = podlet("--server", url, "--token", "secret1")
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/self-signed certificate.*--certificate-authority \.podlet\/tls\.crt/)
  }, 120_000)

  it("answers a wrong token with Unauthorized, not a stack", () => {
    const run = podlet("--server", url, "--token", "wrong", "--insecure-skip-tls-verify")
    expect(run.status).toBe(1)
    expect(run.stderr.trim()).toBe("podlet: Unauthorized")
  }, 120_000)
})
