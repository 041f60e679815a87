// The lazy container filesystem against the eager one: classification checks a template of the
// filesystem's shape, the filesystem is built on first real use, and nothing a container, an exec,
// a probe or its termination message shows differs from building it at the first look.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { RuntimeSimulated } from "../../src/layers/RuntimeSimulated.js"
import { SimNetwork } from "../../src/layers/SimNetwork.js"
import type { ContainerConfig, SandboxConfig } from "../../src/services/ContainerRuntime.js"
import { ContainerRuntime } from "../../src/services/ContainerRuntime.js"
import { FsShapes, VirtualFs } from "../../src/sim/VirtualFs.js"
import { container } from "./containerConfig.js"

const segment = fc.constantFrom("etc", "bin", "a", "b", "hostname", ".", "..", "")
const absolute = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => `/${s.join("/")}`)

describe("FsShapes", () => {
  it("a template answers exists/isFile as the filesystem it stands for", () => {
    const shapes = new FsShapes(4)
    fc.assert(
      fc.property(
        fc.dictionary(absolute, fc.string({ maxLength: 3 }), { maxKeys: 4 }),
        absolute,
        fc.array(absolute, { minLength: 1, maxLength: 8 }),
        (files, cwd, paths) => {
          const fs = VirtualFs.make({ files })
          if (cwd !== "/") fs.mkdir(cwd, true)
          const template = shapes.of(files, cwd)
          for (const path of [...paths, ...Object.keys(files), cwd]) {
            // the remembered answer is asked for twice
            const remembered = [shapes.exists(files, cwd, path), shapes.exists(files, cwd, path)]
            expect([path, template.exists(path), template.isFile(path), ...remembered]).toEqual([
              path,
              fs.exists(path),
              fs.isFile(path),
              fs.exists(path),
              fs.exists(path)
            ])
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})

const pod = (uid: string): SandboxConfig => ({
  podUid: uid,
  podName: `p-${uid}`,
  namespace: "default",
  hostname: `p-${uid}`,
  volumes: [
    { name: "data", type: "emptyDir" },
    { name: "conf", type: "files", files: { "run.sh": "echo from-conf; cat /etc/hostname" } }
  ]
})

/** Containers whose start (or exec) looks at the filesystem before anything builds it. */
const cases: ReadonlyArray<ContainerConfig> = [
  container("pause", "registry.k8s.io/pause:3.10", []),
  container("missing", "busybox", ["/nonexistent"]),
  container("missing-rel", "busybox", ["./run.sh"], { workingDir: "/work/dir" }),
  container("bash", "busybox", ["/bin/bash", "-c", "echo hi"]),
  container("etc-exe", "busybox", ["/etc/hostname"]),
  container("nginx-path", "nginx", ["/usr/sbin/nginx"], {
    ports: [{ containerPort: 80, protocol: "TCP" }]
  }),
  container("termination", "busybox", ["/etc/hosts"], { terminationMessagePath: "/etc/hostname" }),
  // refuses to start without a password: exits before anything uses the filesystem
  container("refused", "postgres", ["/usr/local/bin/postgres"], { terminationMessagePath: "/etc/hostname" }),
  container("wd", "busybox", ["/work/x"], { workingDir: "/work" }),
  container("mounted", "busybox", ["/conf/run.sh"], {
    mounts: [
      { volume: "conf", mountPath: "/conf", readOnly: true },
      { volume: "data", mountPath: "/data", subPath: "sub/dir", readOnly: false }
    ]
  }),
  container("sleeper", "busybox", ["sleep", "3600"], { workingDir: "/srv/app" })
]

const execs: ReadonlyArray<ReadonlyArray<string>> = [
  ["/etc/hostname"],
  ["/nonexistent"],
  ["sh", "-c", "pwd; ls /; cat /etc/hostname /etc/resolv.conf; ls /srv"],
  ["sh", "-c", "printf 'echo written' > /tmp/s.sh; chmod +x /tmp/s.sh"],
  ["/tmp/s.sh"],
  ["sh", "-c", "ls /usr/share /data 2>&1; cat /usr/share/nginx/html/index.html 2>&1 | head -1"]
]

/** Everything observable of running every case on one runtime. */
const observe = (eagerFilesystem: boolean) =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const seen: Array<unknown> = []
    for (const [i, config] of cases.entries()) {
      const sb = yield* runtime.runPodSandbox(pod(`u${i}`))
      const id = yield* runtime.createContainer(sb.id, config)
      const started = yield* runtime.startContainer(id).pipe(
        Effect.as("started"),
        Effect.catch((error) => Effect.succeed(error.message))
      )
      seen.push(config.name, started)
      if (config.ports.length > 0) {
        for (const path of ["/", "/index.html", "/missing"])
          seen.push(yield* runtime.probePort(sb.id, 80, "http", path))
      }
      for (const argv of execs) seen.push(yield* runtime.exec(id, argv, 5))
      yield* TestClock.adjust(1_000)
      seen.push((yield* runtime.logs(id)).map((l) => `${l.stream}: ${l.line}`))
      const { createdAt: _c, startedAt: _s, finishedAt: _f, ...info } = (yield* runtime.listContainers(`u${i}`))[0]!
      seen.push({ ...info, id: undefined, sandboxId: undefined })
    }
    return seen
  }).pipe(
    Effect.provide(
      RuntimeSimulated.layer({ nodeName: "n1", podCIDR: "10.244.1.0/24", network: SimNetwork.make(), eagerFilesystem })
    )
  )

describe("lazy container filesystem", () => {
  it.effect("starts, execs, probes, logs and termination messages match the eager filesystem", () =>
    Effect.gen(function* () {
      const lazy = yield* observe(false)
      const eager = yield* observe(true)
      expect(lazy).toEqual(eager)
      // the scenario does reach the interesting outcomes
      expect(lazy).toContainEqual(expect.stringContaining('exec: "/nonexistent": stat /nonexistent'))
      expect(JSON.stringify(lazy)).toContain("from-conf")
      expect(lazy).toContainEqual(expect.objectContaining({ name: "refused", message: "p-u7\n" }))
    })
  )

  it.effect("a server started by its absolute path serves its image's files; a volume at the docroot wins", () =>
    Effect.gen(function* () {
      const serve = (eagerFilesystem: boolean, mounts: ContainerConfig["mounts"]) =>
        Effect.gen(function* () {
          const runtime = yield* ContainerRuntime
          const sb = yield* runtime.runPodSandbox(pod("web"))
          const id = yield* runtime.createContainer(
            sb.id,
            container("web", "nginx", ["/usr/sbin/nginx", "-g", "daemon off;"], {
              ports: [{ containerPort: 80, protocol: "TCP" }],
              mounts
            })
          )
          yield* runtime.startContainer(id)
          const page = yield* runtime.exec(id, ["sh", "-c", "head -n 1 /usr/share/nginx/html/index.html"], 5)
          return { root: yield* runtime.probePort(sb.id, 80, "http", "/"), page }
        }).pipe(
          Effect.provide(
            RuntimeSimulated.layer({
              nodeName: "n1",
              podCIDR: "10.244.1.0/24",
              network: SimNetwork.make(),
              eagerFilesystem
            })
          )
        )
      const elsewhere = [{ volume: "data", mountPath: "/data", readOnly: false }]
      const docroot = [{ volume: "data", mountPath: "/usr/share/nginx/html/", readOnly: false }]
      for (const eager of [false, true]) {
        const plain = yield* serve(eager, [])
        expect(plain.root).toBe(true)
        expect(plain.page.output).toBe("<!DOCTYPE html>\n")
        // a mount elsewhere builds the filesystem during the argv check: the image's files still join it
        expect(yield* serve(eager, elsewhere)).toEqual(plain)
        const shadowed = yield* serve(eager, docroot)
        expect(shadowed.root).toBe(false)
        expect(shadowed.page.exitCode).not.toBe(0)
      }
    })
  )
})
