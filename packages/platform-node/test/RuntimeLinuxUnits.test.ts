/**
 * The pure parts of Linux isolation mode, as tables: the mode decision, addresses of a podCIDR,
 * `ip` batches, the OCI config, cgroup paths and OOM records, whiteouts, image configs, auth
 * challenges, the runtime's start-failure log, paths inside a root filesystem.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ociConfig } from "../src/linux/Bundle.js"
import { oomKilledFrom, ownCgroupDirs } from "../src/linux/Cgroup.js"
import type { MachineFacts } from "../src/linux/Detect.js"
import { chooseMode, pickOciRuntime, processNodeInfo } from "../src/linux/Detect.js"
import { DistributionError, parseChallenge, pickPlatform, registryBase } from "../src/linux/Distribution.js"
import { isGzip, whiteouts } from "../src/linux/ImageStore.js"
import { executableInRoot, runtimeStartFailure } from "../src/linux/LinuxHost.js"
import {
  gateway,
  hostVethCommands,
  leaseAddress,
  parseCidr,
  podAddresses,
  podNetCommands
} from "../src/linux/Network.js"
import { imageConfigOf, pullFailureMessage, registryHostOf } from "../src/linux/RegistryOci.js"
import { hostRootPlan } from "../src/linux/Rootfs.js"

const facts = (over: Partial<MachineFacts> = {}): MachineFacts => ({
  platform: "linux",
  uid: 0,
  ociRuntimes: new Map([
    ["crun", "/usr/bin/crun"],
    ["runc", "/usr/bin/runc"]
  ]),
  ip: "/usr/sbin/ip",
  unshare: "/usr/bin/unshare",
  hybridCgroups: false,
  ...over
})

describe("mode detection", () => {
  it.each([
    ["auto", {}, "linux crun"],
    ["auto", { hybridCgroups: true }, "linux runc"],
    [
      "auto",
      { hybridCgroups: true, ociRuntimes: new Map([["crun", "/usr/bin/crun"]]) },
      "host no usable OCI runtime (crun refuses hybrid cgroups; install runc)"
    ],
    ["auto", { ociRuntimes: new Map() }, "host no OCI runtime (install crun or runc)"],
    ["auto", { uid: 1000 }, "host not root (uid 1000)"],
    ["auto", { platform: "darwin" }, "host not Linux (darwin)"],
    ["auto", { ip: undefined }, "host no `ip` command (install iproute2)"],
    ["host", {}, "host host mode was requested"],
    ["linux", {}, "linux crun"]
  ] as const)("%s with %o: %s", (requested, over, expected) => {
    const choice = chooseMode(requested, facts(over))
    expect(choice.mode === "linux" ? `linux ${choice.ociName}` : `host ${choice.reason}`).toBe(expected)
  })

  it("prefers crun, runc on hybrid cgroups", () => {
    expect(pickOciRuntime(new Map([["runc", "/r"]]), false)).toEqual({ name: "runc", path: "/r" })
    expect(pickOciRuntime(new Map([["crun", "/c"]]), true)).toBeUndefined()
  })
})

describe("pod network", () => {
  it("addresses of a podCIDR: gateway .1, pods from .2 to the last before broadcast", () => {
    const cidr = parseCidr("10.244.3.0/24")!
    expect(gateway(cidr)).toBe("10.244.3.1")
    const all = [...podAddresses(cidr)]
    expect([all[0], all.at(-1), all.length]).toEqual(["10.244.3.2", "10.244.3.254", 253])
    expect(parseCidr("10.244.3.7/30")).toEqual({ base: parseCidr("10.244.3.4/30")!.base, prefix: 30 })
    expect(parseCidr("nonsense")).toBeUndefined()
  })

  it("leases the next free address, exclusively, until released", () => {
    const dir = mkdtempSync(join(tmpdir(), "podlet-ipam-"))
    const cidr = parseCidr("10.9.0.0/29")!
    const leased = [1, 2, 3, 4, 5, 6].map(() => leaseAddress(cidr, "rt", dir))
    expect(leased).toEqual(["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6", undefined])
    rmSync(join(dir, "10.9.0.3"))
    expect(leaseAddress(cidr, "rt", dir)).toBe("10.9.0.3")
    // another runtime's lease is skipped, whatever this one leased before
    rmSync(join(dir, "10.9.0.2"))
    rmSync(join(dir, "10.9.0.5"))
    writeFileSync(join(dir, "10.9.0.2"), "other")
    expect(leaseAddress(cidr, "rt", dir)).toBe("10.9.0.5")
    expect(readFileSync(join(dir, "10.9.0.2"), "utf8")).toBe("other")
    rmSync(dir, { recursive: true })
  })

  it("ip batches: veth to the bridge, eth0 with the address, lo, default route", () => {
    expect(hostVethCommands("podlet-abc", "vpabc")).toBe(
      "link add vpabc type veth peer name eth0 netns podlet-abc\nlink set vpabc master podlet0 up\n"
    )
    expect(podNetCommands("10.244.0.5", parseCidr("10.244.0.0/24")!)).toBe(
      "addr add 10.244.0.5/24 dev eth0\nlink set eth0 up\nlink set lo up\nroute add default via 10.244.0.1\n"
    )
  })
})

describe("OCI bundle", () => {
  it("new PID, mount and IPC namespaces; the pod's network and UTS joined by path; volumes bound", () => {
    const config = ociConfig({
      args: ["sh", "-c", "echo hi"],
      env: { PATH: "/bin", HOSTNAME: "web-0" },
      cwd: "/data",
      rootfs: "/r",
      netns: "/run/netns/podlet-x",
      utsns: "/proc/42/ns/uts",
      mounts: [
        { source: "/v/cache", destination: "/cache", readOnly: false },
        { source: "/v/cfg", destination: "/etc/app", readOnly: true }
      ],
      cgroupsPath: "podlet/rt/c1/c"
    })
    expect(config.process.args).toEqual(["sh", "-c", "echo hi"])
    expect(config.process.env).toEqual(["PATH=/bin", "HOSTNAME=web-0"])
    expect(config.process.cwd).toBe("/data")
    expect(config.linux.namespaces).toEqual([
      { type: "pid" },
      { type: "mount" },
      { type: "ipc" },
      { type: "network", path: "/run/netns/podlet-x" },
      { type: "uts", path: "/proc/42/ns/uts" }
    ])
    expect(config.mounts.slice(-2)).toEqual([
      { destination: "/cache", type: "bind", source: "/v/cache", options: ["rbind", "rprivate", "rw"] },
      { destination: "/etc/app", type: "bind", source: "/v/cfg", options: ["rbind", "rprivate", "ro"] }
    ])
    expect(config.linux.cgroupsPath).toBe("podlet/rt/c1/c")
    expect("hostname" in config).toBe(false)
  })

  it("a host-filesystem root: system directories bound read-only, their links copied", () => {
    const plan = hostRootPlan([{ name: "usr" }, { name: "bin", link: "usr/bin" }, { name: "home" }, { name: "etc" }])
    expect(plan.links).toEqual([{ name: "bin", target: "usr/bin" }])
    expect(plan.binds.map((b) => `${b.destination} ${b.readOnly}`)).toEqual(["/usr true", "/etc true"])
  })
})

describe("cgroups", () => {
  it("this process's directories per hierarchy (v1 with named and unified; v2 only)", () => {
    expect(ownCgroupDirs("4:memory:/a/b\n1:cpu,cpuacct:/\n9:name=systemd:/\n0::/\n")).toEqual([
      "/sys/fs/cgroup/memory/a/b",
      "/sys/fs/cgroup/cpu,cpuacct",
      "/sys/fs/cgroup/systemd",
      "/sys/fs/cgroup/unified"
    ])
    expect(ownCgroupDirs("0::/user.slice/x\n")).toEqual(["/sys/fs/cgroup/user.slice/x"])
  })

  it.each([
    [{ oomControl: "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", failcnt: "0" }, true],
    [{ oomControl: "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", failcnt: "87\n" }, true],
    [{ oomControl: "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", failcnt: "0\n" }, false],
    [{ events: "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n" }, true],
    [{ events: "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n" }, false]
  ])("OOM record %o: %s", (files, expected) => {
    expect(oomKilledFrom(files)).toBe(expected)
  })
})

describe("images", () => {
  it("whiteouts: `.wh.<name>` deletes, `.wh..wh..opq` empties", () => {
    expect(whiteouts(["./", "./etc/", "./etc/.wh.motd", "./var/cache/.wh..wh..opq", ".wh.tmp", "./bin/sh"])).toEqual({
      remove: ["etc/motd", "tmp"],
      opaque: ["var/cache"]
    })
    expect([
      isGzip("application/vnd.oci.image.layer.v1.tar+gzip"),
      isGzip("application/vnd.oci.image.layer.v1.tar")
    ]).toEqual([true, false])
  })

  it("the image config as the runtime applies it", () => {
    expect(
      imageConfigOf({
        config: {
          Entrypoint: ["/docker-entrypoint.sh"],
          Cmd: ["nginx", "-g", "daemon off;"],
          Env: ["PATH=/usr/bin"],
          ExposedPorts: { "80/tcp": {} },
          WorkingDir: "/srv"
        }
      })
    ).toEqual({
      entrypoint: ["/docker-entrypoint.sh"],
      cmd: ["nginx", "-g", "daemon off;"],
      exposedPorts: [80],
      workingDir: "/srv",
      env: ["PATH=/usr/bin"]
    })
    expect(imageConfigOf({ config: { Entrypoint: null, Cmd: null } })).toEqual({
      entrypoint: [],
      cmd: [],
      exposedPorts: []
    })
  })

  it("auth challenges, registry hosts, platform choice, pull failures in containerd's words", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'
      )
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/busybox:pull"
      }
    })
    expect([registryBase("127.0.0.1:5000"), registryBase("docker.io"), registryBase("ghcr.io")]).toEqual([
      "http://127.0.0.1:5000",
      "https://registry-1.docker.io",
      "https://ghcr.io"
    ])
    expect(registryHostOf("http://127.0.0.1:5000/")).toBe("127.0.0.1:5000")
    const index = [
      { mediaType: "m", digest: "sha256:arm", size: 1, platform: { os: "linux", architecture: "arm64" } },
      { mediaType: "m", digest: "sha256:amd", size: 1, platform: { os: "linux", architecture: "amd64" } }
    ]
    expect(pickPlatform(index, "amd64")?.digest).toBe("sha256:amd")
    expect(pullFailureMessage("r/x:1", new DistributionError({ status: 401, message: "" }))).toMatch(
      /pull access denied/
    )
  })
})

describe("the OCI runtime", () => {
  it("reads a start failure from the runtime's JSON log", () => {
    const log =
      '{"level":"warning","msg":"something","time":"t"}\n{"level":"error","msg":"runc run failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH","time":"t"}\n'
    expect(runtimeStartFailure(log)).toBe('exec: "nope": executable file not found in $PATH')
    expect(runtimeStartFailure('{"level":"info","msg":"ok"}\n')).toBeUndefined()
  })

  it("finds executables inside a root filesystem, following its absolute links inside it", () => {
    const root = mkdtempSync(join(tmpdir(), "podlet-root-"))
    mkdirSync(join(root, "usr", "bin"), { recursive: true })
    writeFileSync(join(root, "usr", "bin", "busybox"), "", { mode: 0o755 })
    writeFileSync(join(root, "usr", "bin", "data"), "", { mode: 0o644 })
    symlinkSync("usr/bin", join(root, "bin"))
    symlinkSync("/usr/bin/busybox", join(root, "usr", "bin", "sh"))
    expect(executableInRoot(root, "sh", "/bin")).toBe(true)
    expect(executableInRoot(root, "/bin/sh", "")).toBe(true)
    expect(executableInRoot(root, "data", "/usr/bin")).toBe(false)
    expect(executableInRoot(root, "nope", "/bin:/usr/bin")).toBe(false)
    rmSync(root, { recursive: true })
  })
})

describe("the node's status", () => {
  it("says the mode in nodeInfo", () => {
    expect(processNodeInfo("auto", chooseMode("auto", facts({ hybridCgroups: true })))).toEqual({
      osImage: "podlet process runtime (linux isolation, runc)",
      containerRuntimeVersion: "podlet-process://linux+runc"
    })
    expect(processNodeInfo("auto", chooseMode("auto", facts({ uid: 501 })))).toEqual({
      osImage: "podlet process runtime (host mode: not root (uid 501))",
      containerRuntimeVersion: "podlet-process://host"
    })
    expect(processNodeInfo("host", chooseMode("host", facts())).osImage).toBe("podlet process runtime (host mode)")
  })
})
