import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeDir, resolvePath, VirtualFs } from "../../src/sim/VirtualFs.js"
import { sh } from "./support.js"

describe("VirtualFs", () => {
  it.each([
    ["/", "a", "/a"],
    ["/srv", "a/../b/./c", "/srv/b/c"],
    ["/srv/", "x", "/srv/x"],
    ["/x", "/abs//path/", "/abs/path"],
    ["/", "..", "/"],
    ["/a/b", "../..", "/"]
  ])("resolvePath(%j, %j) = %j", (cwd, path, expected) => {
    expect(resolvePath(cwd, path)).toBe(expected)
  })

  it("starts with the usual directories and the caller's files", () => {
    const fs = VirtualFs.make({ files: { "/etc/hostname": "web-0\n", "/etc/hosts": "127.0.0.1\tlocalhost\n" } })
    expect(fs.readFile("/etc/hostname")).toBe("web-0\n")
    expect(fs.isDir("/tmp")).toBe(true)
    expect(fs.list("/etc")).toEqual(["hostname", "hosts"])
    expect(fs.readFile("/nope")).toBe("ENOENT")
    expect(fs.readFile("/tmp")).toBe("EISDIR")
  })

  it("shares an emptyDir between containers and keeps it across a restart", () => {
    const cache = makeDir()
    const app = VirtualFs.make({ mounts: [{ path: "/cache", node: cache }] })
    const sidecar = VirtualFs.make({ mounts: [{ path: "/data", node: cache }] })
    expect(app.writeFile("/cache/a.txt", "from app", false)).toBeUndefined()
    expect(sidecar.readFile("/data/a.txt")).toBe("from app")
    app.writeFile("/tmp/private", "x", false)
    const restarted = VirtualFs.make({ mounts: [{ path: "/cache", node: cache }] })
    expect(restarted.readFile("/cache/a.txt")).toBe("from app")
    expect(restarted.exists("/tmp/private")).toBe(false)
  })

  it("rejects writes under a read-only mount (ConfigMap/Secret volumes)", () => {
    const config = makeDir({ "app.yaml": "port: 80\n", "nested/key": "v" })
    const fs = VirtualFs.make({ mounts: [{ path: "/etc/config", node: config, readOnly: true }] })
    expect(fs.readFile("/etc/config/app.yaml")).toBe("port: 80\n")
    expect(fs.readFile("/etc/config/nested/key")).toBe("v")
    expect(fs.writeFile("/etc/config/app.yaml", "x", false)).toBe("EROFS")
    expect(fs.writeFile("/etc/config/new", "x", false)).toBe("EROFS")
    expect(fs.remove("/etc/config/app.yaml", false)).toBe("EROFS")
    expect(fs.mkdir("/etc/config/d", false)).toBe("EROFS")
    expect(fs.remove("/etc/config", true)).toBe("EBUSY")
    expect(fs.list("/etc")).toContain("config")
  })

  it("mounts a single file (subPath)", () => {
    const fs = VirtualFs.make({
      mounts: [{ path: "/etc/nginx/nginx.conf", node: { _tag: "File", content: "events {}\n" }, readOnly: true }]
    })
    expect(fs.readFile("/etc/nginx/nginx.conf")).toBe("events {}\n")
    expect(fs.list("/etc/nginx")).toEqual(["nginx.conf"])
  })

  it.effect("shell commands see mounts and read-only errors", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({ mounts: [{ path: "/etc/config", node: makeDir({ key: "value" }), readOnly: true }] })
      const r = yield* sh(
        "cat /etc/config/key; echo; ls /etc/config; touch /etc/config/x; echo $?; echo y > /etc/config/y",
        { fs }
      )
      expect(r.out).toEqual(["value", "key", "1"])
      expect(r.err).toEqual([
        "touch: /etc/config/x: Read-only file system",
        "sh: can't create /etc/config/y: Read-only file system"
      ])
    })
  )
})
