/**
 * The process runtime in Linux isolation mode, on this machine (root, Linux, runc/crun, `ip`): pod
 * sandboxes with their own network and UTS namespaces, containers through the OCI runtime, memory
 * limits enforced by the kernel. Waits follow every watch event of the pod (no polling); nothing is
 * left behind (namespaces, cgroups, addresses) when a cluster goes away.
 */
import { existsSync, readdirSync } from "node:fs"
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
    nodes: [{ ...thisMachine("n1"), images: [image] }]
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

/** Network namespaces, address leases and cgroups this machine holds for podlet. */
const leftovers = (): ReadonlyArray<string> => {
  const out: Array<string> = []
  if (existsSync("/run/netns")) out.push(...readdirSync("/run/netns").filter((n) => n.startsWith("podlet-")))
  if (existsSync("/run/podlet/ipam")) out.push(...readdirSync("/run/podlet/ipam").map((ip) => `lease ${ip}`))
  for (const controller of ["memory", "pids", "cpu"]) {
    const dir = `/sys/fs/cgroup/${controller}/podlet`
    if (existsSync(dir))
      out.push(`${dir}: ${readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length}`)
  }
  return out
}

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
})
