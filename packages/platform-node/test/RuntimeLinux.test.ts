/**
 * The process runtime in Linux isolation mode, on this machine (root, Linux, runc/crun, `ip`): pod
 * sandboxes with their own network and UTS namespaces, containers through the OCI runtime, memory
 * limits enforced by the kernel. Waits follow every watch event of the pod (no polling); nothing is
 * left behind (namespaces, cgroups, addresses) when a cluster goes away.
 */
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import type { Container, ContainerStatus, Pod, PodSpec } from "@podlet/core/api/Pod"
import type { Cluster } from "@podlet/core/Cluster"
import { makeCluster } from "@podlet/core/Cluster"
import { Deferred, Effect, Stream } from "effect"
import { chooseMode, machineFacts } from "../src/linux/Detect.js"
import { RuntimeProcess, thisMachine } from "../src/RuntimeProcess.js"

const choice = chooseMode("auto", machineFacts())
if (choice.mode !== "linux") console.log(`Linux isolation mode tests skipped: ${choice.reason}`)
const linuxIt = choice.mode === "linux" ? it.live : it.live.skip

const image = "busybox:1.36"
const python = "python:3.12"
const here = dirname(fileURLToPath(import.meta.url))

const stateOf = (s: ContainerStatus | undefined): string => {
  if (s === undefined) return ""
  if (s.state.running !== undefined) return "R"
  if (s.state.waiting !== undefined) return `W(${s.state.waiting.reason ?? ""})`
  if (s.state.terminated !== undefined) return `T(${s.state.terminated.reason ?? ""},${s.state.terminated.exitCode})`
  return "?"
}

const status = (p: Pod | undefined, name: string): ContainerStatus | undefined =>
  [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])].find((s) => s.name === name)

const state = (p: Pod | undefined, name: string): string => stateOf(status(p, name))

const linuxCluster = Effect.gen(function* () {
  return yield* makeCluster({
    ...RuntimeProcess.clusterOptions({ mode: "linux" }),
    nodes: [{ ...thisMachine("n1"), images: [image, python] }]
  })
})

/**
 * Follows every watch event of pod `name`: `until` resolves at the first version for which `check`
 * holds (the current one included), so no transient state is missed.
 */
const follow = (c: Cluster, name: string, namespace = "default") =>
  Effect.gen(function* () {
    const seen: Array<Pod | undefined> = []
    const waiters: Array<{ check: (p: Pod | undefined) => boolean; done: Deferred.Deferred<Pod | undefined> }> = []
    const offer = (p: Pod | undefined) => {
      seen.push(p)
      for (const w of [...waiters]) {
        if (w.check(p)) {
          waiters.splice(waiters.indexOf(w), 1)
          Deferred.doneUnsafe(w.done, Effect.succeed(p))
        }
      }
    }
    yield* c.store.watch<Pod>("pods", { namespace }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event.object.metadata?.name === name) offer(event.type === "DELETED" ? undefined : event.object)
        })
      ),
      Effect.forkScoped
    )
    const until = (what: string, check: (p: Pod | undefined) => boolean) =>
      Effect.gen(function* () {
        const found = seen.find(check)
        if (found !== undefined || (seen.length > 0 && check(seen.at(-1)))) return found
        const current = yield* c.pod(name, namespace)
        if (check(current)) return current
        const done = Deferred.makeUnsafe<Pod | undefined>()
        waiters.push({ check, done })
        return yield* Deferred.await(done).pipe(
          Effect.timeoutOrElse({
            duration: 30_000,
            orElse: () => Effect.die(new Error(`${what} never happened`))
          })
        )
      })
    return { seen, until }
  })

const pod = (spec: Partial<PodSpec> & Pick<PodSpec, "containers">, name = "p"): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { nodeName: "n1", ...spec }
})

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({
  name,
  image,
  command: ["sh", "-c", script],
  ...extra
})

const logText = (c: Cluster, podName: string, container: string) =>
  Effect.map(c.logs("default", podName, container), (lines) => lines.map((l) => l.line).join("\n"))

/** Every directory named `name` below `dir` (depth-first search). */
const findDirs = (dir: string, name: string): Array<string> => {
  let entries: Array<string>
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
  } catch {
    return []
  }
  return entries.flatMap((e) => (e === name ? [join(dir, e)] : findDirs(join(dir, e), name)))
}

/**
 * The runtime holding the lease on `ip`, if any (other test files lease addresses from the same
 * range at the same time: an address this test's runtime released may be another's a moment later).
 */
const leaseHolder = (ip: string): string | undefined => {
  try {
    return readFileSync(`/run/podlet/ipam/${ip}`, "utf8")
  } catch {
    return undefined
  }
}

/** This pod's leftovers: its network namespace, address lease (held by `holder`), OCI state and cgroups. */
const leftoversOf = (ip: string, holder: string | undefined, ociId: string): ReadonlyArray<string> => [
  ...(holder !== undefined && leaseHolder(ip) === holder ? [`lease ${ip}`] : []),
  ...(existsSync(`/run/podlet/runc/${ociId}`) || existsSync(`/run/podlet/crun/${ociId}`) ? [`oci ${ociId}`] : []),
  ...findDirs("/sys/fs/cgroup/memory", ociId)
]

/** Polls `check` every 50 ms (a process outside this one: no event to wait on) until it holds. */
const eventually = (what: string, check: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200; i++) {
      if (check()) return
      yield* Effect.sleep(50)
    }
    return yield* Effect.die(new Error(`${what} never happened`))
  })

/** The parent pid of process `pid` (`/proc/<pid>/stat`'s fourth field); undefined when it is gone. */
const parentOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return undefined
  }
}

/** This test process's pause processes: `sleep infinity` children of its spawn helper. */
const pauseProcesses = (): Array<number> =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8") !== "sleep\0infinity\0") return false
      } catch {
        return false
      }
      const helper = parentOf(pid)
      return helper !== undefined && parentOf(helper) === process.pid
    })

/**
 * The network namespaces of pod `name`'s sandboxes, from its LinuxMode events (other test files run
 * Linux-mode pods at the same time: the machine's `/run/netns` is not this test's).
 */
const netnsOf = (c: Cluster, name: string) =>
  Effect.map(c.events(name), (events) =>
    events.flatMap((e) =>
      e.reason === "LinuxMode" ? (/network namespace (\S+)/.exec(e.message ?? "")?.[1] ?? []) : []
    )
  )

describe("Linux isolation mode", () => {
  linuxIt("I1 the pod's hostname and /etc/hosts; its own IP from the podCIDR", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "web-0")
      yield* c.apply(
        pod({ restartPolicy: "Never", containers: [sh("app", "hostname; cat /etc/hosts; cat /etc/hostname")] }, "web-0")
      )
      const done = yield* w.until("completed", (p) => p?.status?.phase === "Succeeded")
      const ip = done?.status?.podIP ?? ""
      expect(ip).toMatch(/^10\.244\.0\.\d+$/)
      const out = yield* logText(c, "web-0", "app")
      expect(out.split("\n")[0]).toBe("web-0")
      expect(out).toContain(`${ip}\tweb-0`)
      expect(out.split("\n").at(-1)).toBe("web-0")
      const events = yield* c.events("web-0")
      expect(events.find((e) => e.reason === "LinuxMode")?.message).toMatch(/resolve to the host filesystem/)
    }).pipe(Effect.scoped)
  )

  linuxIt("I1 (b) hostname and subdomain: the FQDN in /etc/hosts", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "web-0")
      yield* c.apply(
        pod(
          {
            hostname: "db",
            subdomain: "backend",
            restartPolicy: "Never",
            containers: [sh("app", "hostname; grep db /etc/hosts")]
          },
          "web-0"
        )
      )
      const done = yield* w.until("completed", (p) => p?.status?.phase === "Succeeded")
      const ip = done?.status?.podIP ?? ""
      expect((yield* logText(c, "web-0", "app")).split("\n")).toEqual([
        "db",
        `${ip}\tdb.backend.default.svc.cluster.local\tdb`
      ])
    }).pipe(Effect.scoped)
  )

  linuxIt("A10 a real OOM kill (the kernel's, in the container's memory cgroup): OOMKilled 137, restarted", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "p")
      yield* c.apply(
        pod({
          containers: [
            {
              name: "app",
              image: python,
              command: ["python3", "-c", "import time\nb = bytearray(256 * 1024 * 1024)\ntime.sleep(30)"],
              resources: { limits: { memory: "64Mi" } }
            }
          ]
        })
      )
      const restarted = yield* w.until("the restart", (p) => status(p, "app")?.restartCount === 1)
      const last = status(restarted, "app")?.lastState.terminated
      expect([last?.reason, last?.exitCode]).toEqual(["OOMKilled", 137])
      expect(restarted?.status?.phase).toBe("Running")
    }).pipe(Effect.scoped)
  )

  linuxIt("I4 two containers share localhost and ports; a second bind of :8080 fails; the pod IP stays", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "p")
      const reach = "until wget -q -O /dev/null http://localhost:8080/; do sleep 0.1; done"
      yield* c.apply(
        pod({
          containers: [
            { name: "a", image: python, command: ["python3", "-m", "http.server", "8080"], workingDir: "/etc" },
            sh("b", `${reach}; echo "reached from $POD_IP"; sleep 3600`, {
              env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }]
            }),
            {
              name: "c",
              image: python,
              command: ["sh", "-c", `${reach}; exec python3 -m http.server 8080`]
            }
          ]
        })
      )
      const first = yield* w.until(
        "c failed",
        (p) => (status(p, "c")?.lastState.terminated ?? status(p, "c")?.state.terminated) !== undefined
      )
      const ip = first?.status?.podIP ?? ""
      expect(ip).toMatch(/^10\.244\./)
      const cLog = yield* logText(c, "p", "c").pipe(Effect.orElseSucceed(() => ""))
      const cPrevious = yield* c.logs("default", "p", "c", { previous: true }).pipe(
        Effect.map((lines) => lines.map((l) => l.line).join("\n")),
        Effect.orElseSucceed(() => "")
      )
      expect(`${cLog}\n${cPrevious}`).toContain("Address already in use")
      const terminated = status(first, "c")?.lastState.terminated ?? status(first, "c")?.state.terminated
      expect([terminated?.reason, terminated?.exitCode]).toEqual(["Error", 1])
      const again = yield* w.until("c restarted", (p) => (status(p, "c")?.restartCount ?? 0) >= 1)
      expect(again?.status?.podIP).toBe(ip)
      for (let i = 0; i < 100 && !(yield* logText(c, "p", "b")).includes("reached"); i++) yield* Effect.sleep(50)
      expect(yield* logText(c, "p", "b")).toBe(`reached from ${ip}`)
      expect(state(again, "a")).toBe("R")
    }).pipe(Effect.scoped)
  )

  linuxIt("two pods reach each other by IP (the server's /etc/hostname over HTTP)", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const server = yield* follow(c, "server")
      const client = yield* follow(c, "client")
      yield* c.apply(
        pod(
          {
            containers: [
              { name: "web", image: python, command: ["python3", "-m", "http.server", "8080"], workingDir: "/etc" }
            ]
          },
          "server"
        )
      )
      const running = yield* server.until("server running", (p) => state(p, "web") === "R")
      const ip = running?.status?.podIP ?? ""
      yield* c.apply(
        pod(
          {
            restartPolicy: "Never",
            containers: [
              sh(
                "get",
                `for i in $(seq 50); do wget -q -O - http://${ip}:8080/hostname && exit 0; sleep 0.1; done; exit 1`
              )
            ]
          },
          "client"
        )
      )
      const done = yield* client.until(
        "client done",
        (p) => p?.status?.phase === "Succeeded" || p?.status?.phase === "Failed"
      )
      expect(done?.status?.phase).toBe("Succeeded")
      expect(done?.status?.podIP).not.toBe(ip)
      expect(yield* logText(c, "client", "get")).toBe("server")
    }).pipe(Effect.scoped)
  )

  linuxIt("exec runs in the container (its PID namespace, its root); a missing program is 126", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "p")
      yield* c.apply(pod({ containers: [sh("app", "sleep 3600")] }))
      yield* w.until("running", (p) => state(p, "app") === "R")
      const ps = yield* c.exec("default", "p", "app", ["sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '"])
      expect(ps.exitCode).toBe(0)
      const [execPid, init] = ps.output.split("\n")
      expect(Number(execPid)).toBeGreaterThan(1)
      expect(Number(execPid)).toBeLessThan(100)
      expect(init).toBe("sh -c sleep 3600 ")
      const missing = yield* c.exec("default", "p", "app", ["no-such-program"])
      expect(missing.exitCode).toBe(126)
      expect((yield* c.exec("default", "p", "app", ["sh", "-c", "exit 3"])).exitCode).toBe(3)
    }).pipe(Effect.scoped)
  )

  linuxIt("a killed pause process: the sandbox is re-created and the container restarted in it (its hostname)", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "p")
      yield* c.apply(pod({ terminationGracePeriodSeconds: 0, containers: [sh("app", "hostname; sleep 3600")] }))
      yield* w.until("running", (p) => state(p, "app") === "R")
      const [pause, ...others] = pauseProcesses()
      expect(others).toEqual([])
      const [before, ...more] = yield* netnsOf(c, "p")
      expect([before?.startsWith("podlet-"), more]).toEqual([true, []])
      process.kill(pause!, "SIGKILL")
      const again = yield* w.until("the restart", (p) => state(p, "app") === "R" && status(p, "app")!.restartCount > 0)
      expect(again?.status?.phase).toBe("Running")
      expect(pauseProcesses()).toHaveLength(1)
      expect(pauseProcesses()).not.toContain(pause)
      // the output comes through the spawn helper, independently of the start
      let out = ""
      for (let i = 0; i < 100 && out === ""; i++) {
        out = yield* logText(c, "p", "app")
        if (out === "") yield* Effect.sleep(50)
      }
      expect(out).toBe("p")
      // the new sandbox has a namespace of its own; the dead one's is gone
      const namespaces = yield* netnsOf(c, "p")
      expect(namespaces).toHaveLength(2)
      expect(namespaces.filter((n) => existsSync(`/run/netns/${n}`))).toEqual(namespaces.filter((n) => n !== before))
    }).pipe(Effect.scoped)
  )

  linuxIt("the host root made with the sandbox (first container) and one made at create (second) look the same", () =>
    Effect.gen(function* () {
      const c = yield* linuxCluster
      const w = yield* follow(c, "p")
      const look = "ls -A /; stat -c %a /tmp; ls -A /tmp; touch /tmp/mine; readlink /bin"
      yield* c.apply(pod({ restartPolicy: "Never", containers: [sh("a", look), sh("b", look)] }))
      yield* w.until("completed", (p) => p?.status?.phase === "Succeeded")
      const a = yield* logText(c, "p", "a")
      expect(a).toMatch(/\nusr\n/)
      expect(a).toContain("\n1777\n")
      expect(a).not.toContain("mine")
      expect(yield* logText(c, "p", "b")).toBe(a)
      // the first container took the sandbox's root
      const notice = (yield* c.events("p")).find((e) => e.reason === "LinuxMode")?.message ?? ""
      const dir = /sandbox directory (\S+)$/.exec(notice)?.[1] ?? ""
      expect(existsSync(join(dir, "etc"))).toBe(true)
      expect(existsSync(join(dir, "spare.rootfs"))).toBe(false)
    }).pipe(Effect.scoped)
  )

  linuxIt("nothing is left when a pod is deleted, nor when the cluster goes away", () =>
    Effect.gen(function* () {
      const namespaces: Array<string> = []
      const left = yield* Effect.gen(function* () {
        const c = yield* linuxCluster
        const w = yield* follow(c, "p")
        yield* c.apply(pod({ containers: [sh("app", "sleep 3600")] }))
        const running = yield* w.until("running", (p) => state(p, "app") === "R")
        namespaces.push(...(yield* netnsOf(c, "p")))
        const ip = running?.status?.podIP ?? ""
        const holder = leaseHolder(ip)
        expect(holder).toMatch(/^[0-9a-f]{8}$/)
        yield* c.delete("pods", "p", { gracePeriodSeconds: 0, force: true })
        yield* w.until("deleted", (p) => p === undefined)
        yield* eventually("the address released", () => leaseHolder(ip) !== holder)
        yield* c.apply(pod({ containers: [sh("app", "sleep 3600")] }, "q"))
        const q = yield* follow(c, "q")
        const qIp = (yield* q.until("q running", (p) => state(p, "app") === "R"))?.status?.podIP ?? ""
        namespaces.push(...(yield* netnsOf(c, "q")))
        return { ip: qIp, holder: leaseHolder(qIp) }
      }).pipe(Effect.scoped)
      expect(left.holder).toMatch(/^[0-9a-f]{8}$/)
      expect(leaseHolder(left.ip)).not.toBe(left.holder)
      expect(namespaces).toHaveLength(2)
      expect(namespaces.filter((n) => existsSync(`/run/netns/${n}`))).toEqual([])
    })
  )

  linuxIt(
    "a SIGKILLed server leaves nothing behind: the watchdog kills the container, deletes its namespace, cgroups and lease",
    () =>
      Effect.gen(function* () {
        const host = yield* Effect.acquireRelease(
          Effect.sync(() =>
            spawn(process.execPath, ["--import", "tsx", join(here, "RuntimeLinuxOrphanHost.ts")], {
              stdio: ["ignore", "pipe", "inherit"]
            })
          ),
          (child) => Effect.sync(() => child.kill("SIGKILL"))
        )
        const line = yield* Effect.callback<string>((resume) => {
          host.stdout.once("data", (chunk: Buffer) => resume(Effect.succeed(chunk.toString().trim())))
          host.once("exit", () => resume(Effect.succeed("")))
        })
        const [ip = "", ociId = ""] = line.split(" ")
        expect(ip).toMatch(/^10\.244\./)
        const holder = leaseHolder(ip)
        expect(holder).toMatch(/^[0-9a-f]{8}$/)
        expect(leftoversOf(ip, holder, ociId).length).toBeGreaterThan(0)
        host.kill("SIGKILL")
        yield* eventually("the container and its resources to go", () => leftoversOf(ip, holder, ociId).length === 0)
      }).pipe(Effect.scoped)
  )
})
