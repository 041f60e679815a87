/**
 * The process runtime's pure parts as tables: exit status → terminated state, the CRI log format
 * and its rotation, /proc and ps parsing, volume paths, the host argv, runc's exec messages, the
 * gRPC health answer.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { ImageConfig } from "@podlet/core/services/ImageService"
import type { EndCause, ProcessEnd } from "../src/process/ExitStatus.js"
import { terminationOf } from "../src/process/ExitStatus.js"
import { formatEntry, LogFile, maxEntryLength, parseEntries } from "../src/process/LogFile.js"
import { isServing } from "../src/process/Probes.js"
import { psGroupRss, statGroup, statusRss } from "../src/process/ProcessTree.js"
import {
  inside,
  makeVolumes,
  mountDirectories,
  mountEnvName,
  translatePath,
  volumePaths,
  volumesToMake
} from "../src/process/Volumes.js"
import { execFailure, hostArgv } from "../src/RuntimeProcess.js"

const dir = mkdtempSync(join(tmpdir(), "podlet-units-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("terminationOf", () => {
  const exited: EndCause = { _tag: "Exited" }
  const table: ReadonlyArray<[string, ProcessEnd, EndCause, string]> = [
    ["exit 0", { code: 0, signal: null }, exited, "Completed 0"],
    ["exit 1", { code: 1, signal: null }, exited, "Error 1"],
    ["exit 143 by the program", { code: 143, signal: null }, exited, "Error 143"],
    ["SIGTERM", { code: null, signal: "SIGTERM" }, exited, "Error 143"],
    ["SIGKILL", { code: null, signal: "SIGKILL" }, exited, "Error 137"],
    ["SIGINT", { code: null, signal: "SIGINT" }, exited, "Error 130"],
    ["killed over its memory limit", { code: null, signal: "SIGKILL" }, { _tag: "OutOfMemory" }, "OOMKilled 137"],
    ["a fault", { code: null, signal: "SIGKILL" }, { _tag: "Injected", exitCode: 3, reason: "Error" }, "Error 3"]
  ]
  for (const [name, end, cause, expected] of table) {
    it(name, () => {
      const t = terminationOf(end, cause)
      expect(`${t.reason} ${t.exitCode}`).toBe(expected)
    })
  }
})

describe("CRI log entries", () => {
  it("format and parse back, partial entries joined, garbage skipped", () => {
    const t = Date.parse("2025-01-01T00:00:00.123Z")
    const text =
      formatEntry(t, "stdout", false, "hello") +
      formatEntry(t, "stderr", true, "par") +
      "not an entry\n" +
      formatEntry(t + 1, "stdout", false, "") +
      formatEntry(t + 2, "stderr", false, "tial")
    expect(formatEntry(t, "stdout", false, "hello")).toBe("2025-01-01T00:00:00.123Z stdout F hello\n")
    expect(parseEntries(text)).toEqual([
      { time: t, stream: "stdout", line: "hello" },
      { time: t + 1, stream: "stdout", line: "" },
      { time: t, stream: "stderr", line: "partial" }
    ])
  })

  it("a log file: lines across chunks, split UTF-8, long lines, an unterminated last line", () => {
    let now = 1_000
    const log = new LogFile(join(dir, "a.log"), { maxBytes: 1 << 20, maxFiles: 2 }, () => now)
    log.write("stdout", Buffer.from("one\ntw"))
    now = 2_000
    const euro = Buffer.from("o €\n")
    log.write("stdout", euro.subarray(0, 4))
    log.write("stdout", euro.subarray(4))
    log.write("stderr", Buffer.from(`${"x".repeat(maxEntryLength + 10)}\n`))
    log.write("stdout", Buffer.from("no newline"))
    expect(log.read().map((l) => [l.time, l.stream, l.line.length > 100 ? l.line.length : l.line])).toEqual([
      [1_000, "stdout", "one"],
      [1_000, "stdout", "two €"],
      [2_000, "stderr", maxEntryLength + 10],
      [2_000, "stdout", "no newline"]
    ])
    expect(
      readFileSync(join(dir, "a.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes(" P "))
    ).toHaveLength(1)
    log.close()
    expect(log.read().map((l) => l.line)).toContain("no newline")
    log.remove()
    expect(readdirSync(dir).filter((f) => f.startsWith("a.log"))).toEqual([])
  })

  it("rotation keeps at most maxFiles files of about maxBytes, the newest lines", () => {
    const log = new LogFile(join(dir, "r.log"), { maxBytes: 1000, maxFiles: 3 }, () => 0)
    for (let i = 0; i < 500; i++) log.write("stdout", Buffer.from(`line ${i}\n`))
    const files = readdirSync(dir).filter((f) => f.startsWith("r.log"))
    expect(files.sort()).toEqual(["r.log", "r.log.1", "r.log.2"])
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThan(1100)
    const lines = log.read().map((l) => l.line)
    expect(lines[lines.length - 1]).toBe("line 499")
    expect(lines.length).toBeLessThan(100)
    expect(lines).toEqual([...lines].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))))
    log.remove()
  })
})

describe("process tree memory", () => {
  it("reads the group of a /proc stat line (a command with spaces and parentheses)", () => {
    expect(statGroup("4242 (my (odd) cmd) S 1 4200 4200 0 -1 4194560 1 0 0 0")).toBe(4200)
    expect(statGroup("garbage")).toBeUndefined()
  })
  it("reads VmRSS in bytes", () => {
    expect(statusRss("Name:\tsleep\nVmRSS:\t    1612 kB\nThreads:\t1\n")).toBe(1612 * 1024)
    expect(statusRss("Name:\tkthreadd\n")).toBe(0)
  })
  it("sums ps lines by group", () => {
    const out = psGroupRss("  100  2000\n  100   48\n  200 10\n bad\n", new Set([100, 300]))
    expect([...out]).toEqual([[100, 2048 * 1024]])
  })
})

describe("volumes", () => {
  it("env names", () => {
    expect(["cache", "my-config", "data.v1"].map(mountEnvName)).toEqual([
      "PODLET_MOUNT_CACHE",
      "PODLET_MOUNT_MY_CONFIG",
      "PODLET_MOUNT_DATA_V1"
    ])
  })
  it("a subPath stays inside its volume", () => {
    expect(inside("/v/a", "x/y")).toBe("/v/a/x/y")
    expect(inside("/v/a", "../b")).toBeUndefined()
    expect(inside("/v/a", "x/../../a2")).toBeUndefined()
  })
  it("files volumes are written read-only; mounts resolve subPaths; a missing volume is reported", async () => {
    const specs = [
      { name: "cfg", type: "files", files: { "a.conf": "a=1", "sub/b.conf": "b=2", "../escape": "no" } },
      { name: "cache", type: "emptyDir" },
      { name: "host", type: "hostPath", path: "/etc" }
    ] as const
    expect(volumesToMake(specs)).toBe(true)
    expect(volumesToMake([specs[2]])).toBe(false)
    const volumes = await makeVolumes(join(dir, "vols"), specs)
    expect(volumePaths(join(dir, "vols"), specs)).toEqual(volumes)
    expect(readFileSync(join(volumes.get("cfg")!, "sub/b.conf"), "utf8")).toBe("b=2")
    expect(statSync(join(volumes.get("cfg")!, "a.conf")).mode & 0o777).toBe(0o444)
    expect(readdirSync(join(dir, "vols")).sort()).toEqual(["cache", "cfg"])
    expect(volumes.get("host")).toBe("/etc")
    const mounts = mountDirectories(volumes, [
      { volume: "cache", mountPath: "/data", subPath: "logs", readOnly: false },
      { volume: "cfg", mountPath: "/etc/app/a.conf", subPath: "a.conf", readOnly: true }
    ])
    if ("missing" in mounts) throw new Error("unexpected")
    expect(mounts.map((m) => m.path)).toEqual([
      join(volumes.get("cache")!, "logs"),
      join(volumes.get("cfg")!, "a.conf")
    ])
    expect(mountDirectories(volumes, [{ volume: "nope", mountPath: "/x", readOnly: false }])).toEqual({
      missing: "nope"
    })
    expect(translatePath(mounts, "/data/x/y")).toBe(join(volumes.get("cache")!, "logs/x/y"))
    expect(translatePath(mounts, "/data")).toBe(join(volumes.get("cache")!, "logs"))
    expect(translatePath(mounts, "/database")).toBeUndefined()
  })
})

describe("host argv", () => {
  const image = (entrypoint: ReadonlyArray<string>, cmd: ReadonlyArray<string>): ImageConfig => ({
    entrypoint,
    cmd,
    exposedPorts: []
  })
  const none = () => false
  const table: ReadonlyArray<[string, ReadonlyArray<string>, ReadonlyArray<string>, ImageConfig, string | undefined]> =
    [
      ["command and args", ["sh", "-c"], ["echo"], image([], ["sh"]), "sh -c echo"],
      ["the image's cmd", [], [], image([], ["sh"]), "sh"],
      ["args after the image's entrypoint", [], ["-x"], image(["/bin/app"], ["--default"]), "/bin/app -x"],
      ["a wrapper the host lacks is dropped", [], [], image(["docker-entrypoint.sh"], ["node"]), "node"],
      ["tini --", [], [], image(["tini", "--"], ["redis-server"]), "redis-server"],
      ["a command is never rewritten", ["docker-entrypoint.sh"], ["x"], image([], []), "docker-entrypoint.sh x"],
      ["no command at all", [], [], image([], []), undefined]
    ]
  for (const [name, command, args, config, expected] of table) {
    it(name, () => {
      expect(hostArgv({ command, args }, config, none)?.join(" ")).toBe(expected)
    })
  }
  it("a wrapper the host has is kept", () => {
    expect(hostArgv({ command: [], args: [] }, image(["tini", "--"], ["x"]), () => true)).toEqual(["tini", "--", "x"])
  })
  it("runc's exec failures", () => {
    const error = (code: string) => Object.assign(new Error(code), { code })
    expect(execFailure("/nope", error("ENOENT"))).toBe('exec: "/nope": stat /nope: no such file or directory')
    expect(execFailure("nope", error("ENOENT"))).toBe('exec: "nope": executable file not found in $PATH')
    expect(execFailure("/etc/passwd", error("EACCES"))).toBe('exec: "/etc/passwd": permission denied')
  })
})

describe("grpc health", () => {
  it("SERVING is field 1 = 1 in the framed answer", () => {
    expect(isServing(Buffer.from([0, 0, 0, 0, 2, 0x08, 1]))).toBe(true)
    expect(isServing(Buffer.from([0, 0, 0, 0, 2, 0x08, 2]))).toBe(false)
    expect(isServing(Buffer.from([0, 0, 0, 0, 0]))).toBe(false)
  })
})
