/**
 * A real registry for the Linux-mode tests: Debian's `docker-registry` started on loopback in a
 * temporary directory, an image built here from Debian's `busybox-static` (one gzip layer, an OCI
 * config and manifest) and pushed with the distribution API, and a token-auth front (`401` with a
 * Bearer challenge, a token endpoint, then proxied to the registry) to test bearer-token pulls.
 */
import type { ChildProcess } from "node:child_process"
import { execFileSync, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import type { Server } from "node:http"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { Effect } from "effect"
import { which } from "../src/linux/Detect.js"

/** Why the registry tests cannot run here, if they cannot. */
export const registryMissing = (): string | undefined =>
  which("docker-registry") === undefined
    ? "no docker-registry (apt-get install docker-registry)"
    : which("busybox") === undefined
      ? "no busybox (apt-get install busybox-static)"
      : undefined

const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const sha = (data: Uint8Array): string => `sha256:${createHash("sha256").update(data).digest("hex")}`

/** `docker-registry` on 127.0.0.1:<free port>; its `host:port`. Stopped and removed with the scope. */
export const startRegistry = Effect.gen(function* () {
  const port = yield* freePort
  const dir = mkdtempSync(join(tmpdir(), "podlet-registry-"))
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`
  )
  yield* Effect.acquireRelease(
    Effect.sync(() => spawn(which("docker-registry")!, ["serve", join(dir, "config.yml")], { stdio: "ignore" })),
    (child: ChildProcess) =>
      Effect.sync(() => {
        child.kill("SIGKILL")
        rmSync(dir, { recursive: true, force: true })
      })
  )
  const host = `127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    const up = yield* Effect.tryPromise(() => fetch(`http://${host}/v2/`)).pipe(
      Effect.map((r) => r.ok),
      Effect.orElseSucceed(() => false)
    )
    if (up) return host
    yield* Effect.sleep(25)
  }
  return yield* Effect.die(new Error("docker-registry did not start"))
})

/** What the test image's config says. */
export const testImageConfig = {
  Entrypoint: ["sh", "-c"],
  Cmd: ['echo "from the image: $GREETING"; pwd; ls /'],
  Env: ["PATH=/bin", "GREETING=hello"],
  WorkingDir: "/data"
}

/** Builds the busybox image (gzip layer, config, manifest); pushes it as `name:tag`; returns the manifest digest. */
export const pushBusybox = (host: string, name: string, tag: string) =>
  Effect.gen(function* () {
    const dir = mkdtempSync(join(tmpdir(), "podlet-image-"))
    const root = join(dir, "root")
    for (const sub of ["bin", "etc", "tmp", "data"]) mkdirSync(join(root, sub), { recursive: true })
    copyFileSync(which("busybox")!, join(root, "bin", "busybox"))
    for (const applet of ["sh", "echo", "ls", "pwd", "cat", "sleep", "hostname", "wget", "env", "seq"]) {
      symlinkSync("busybox", join(root, "bin", applet))
    }
    writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n")
    writeFileSync(join(root, "etc", "image-release"), "podlet test image\n")
    execFileSync("tar", ["-cf", join(dir, "layer.tar"), "-C", root, "--numeric-owner", "."])
    const tar = readFileSync(join(dir, "layer.tar"))
    const layer = gzipSync(tar)
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: testImageConfig,
        rootfs: { type: "layers", diff_ids: [sha(tar)] }
      })
    )
    rmSync(dir, { recursive: true, force: true })
    for (const blob of [layer, config]) {
      const start = yield* Effect.tryPromise(() =>
        fetch(`http://${host}/v2/${name}/blobs/uploads/`, { method: "POST" })
      )
      const location = new URL(start.headers.get("location") ?? "", `http://${host}`)
      location.searchParams.set("digest", sha(blob))
      const put = yield* Effect.tryPromise(() =>
        fetch(location, { method: "PUT", body: blob, headers: { "Content-Type": "application/octet-stream" } })
      )
      if (put.status !== 201) return yield* Effect.die(new Error(`blob upload: ${put.status}`))
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }]
      })
    )
    const put = yield* Effect.tryPromise(() =>
      fetch(`http://${host}/v2/${name}/manifests/${tag}`, {
        method: "PUT",
        body: manifest,
        headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }
      })
    )
    if (put.status !== 201) return yield* Effect.die(new Error(`manifest upload: ${put.status}`))
    return sha(manifest)
  })

/**
 * A token-auth front for `upstream`: without `Authorization: Bearer <token>` it answers 401 with a
 * Bearer challenge whose realm is its own `/token`; its `host:port` and how many tokens it issued.
 */
export const startTokenFront = (upstream: string) =>
  Effect.gen(function* () {
    const token = "podlet-test-token"
    let issued = 0
    const server = yield* Effect.acquireRelease(
      Effect.callback<Server>((resume) => {
        const s = createServer((req, res) => {
          const address = s.address() as AddressInfo
          const self = `127.0.0.1:${address.port}`
          if (req.url?.startsWith("/token")) {
            issued++
            res.setHeader("Content-Type", "application/json")
            res.end(JSON.stringify({ token }))
            return
          }
          if (req.headers.authorization !== `Bearer ${token}`) {
            res.statusCode = 401
            res.setHeader(
              "WWW-Authenticate",
              `Bearer realm="http://${self}/token",service="podlet-test",scope="repository:podlet/busybox:pull"`
            )
            res.end()
            return
          }
          fetch(`http://${upstream}${req.url}`, {
            method: req.method ?? "GET",
            headers: req.headers.accept === undefined ? {} : { Accept: String(req.headers.accept) }
          }).then(
            async (answer) => {
              res.statusCode = answer.status
              for (const name of ["content-type", "docker-content-digest"]) {
                const value = answer.headers.get(name)
                if (value !== null) res.setHeader(name, value)
              }
              res.end(Buffer.from(await answer.arrayBuffer()))
            },
            () => {
              res.statusCode = 502
              res.end()
            }
          )
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.callback<void>((resume) => {
          s.closeAllConnections()
          s.close(() => resume(Effect.void))
        })
    )
    const port = (server.address() as AddressInfo).port
    return { host: `127.0.0.1:${port}`, issued: () => issued }
  })
