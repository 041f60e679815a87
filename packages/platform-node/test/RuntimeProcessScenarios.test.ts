/**
 * Spec pod-lifecycle §16 scenarios on both runtimes: each scenario's pod runs on a simulated
 * cluster (TestClock) and on a process cluster (this machine, the real clock, real processes), and
 * the observations at each step — phase, container states, restart counts, kubectl columns,
 * conditions, event reasons, exec output — must be the same, timing aside (sleeps are short; a
 * step's real time must be within a tolerance of its simulated time). The scripts are the same on
 * both: a volume path is `${PODLET_MOUNT_<NAME>:-<mountPath>}`, which host mode provides.
 * Where the machine can (root, Linux, an OCI runtime), each comparison also runs the process
 * runtime in Linux isolation mode. The process drivers follow every watch event of the pod, so a
 * transient state (B1's `2/2 Running`) is seen even when it lasts less than a poll.
 */
import { createServer } from "node:net"
import { cpus, totalmem } from "node:os"
import { describe, expect, it } from "@effect/vitest"
import type { Event, Node } from "@podlet/core/api/Objects"
import type { Container, ContainerStatus, Pod, PodSpec } from "@podlet/core/api/Pod"
import type { Cluster, ClusterOptions } from "@podlet/core/Cluster"
import { makeCluster } from "@podlet/core/Cluster"
import { printPod } from "@podlet/core/domain/DisplayStatus"
import { makeImageInfo } from "@podlet/core/layers/RegistrySimulated"
import { Cause, Effect, Exit, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { RuntimeMode } from "../src/linux/Detect.js"
import { chooseMode, machineFacts } from "../src/linux/Detect.js"
import { RuntimeProcess, thisMachine } from "../src/RuntimeProcess.js"

const linuxChoice = chooseMode("auto", machineFacts())
if (linuxChoice.mode !== "linux") console.log(`scenarios in Linux isolation mode skipped: ${linuxChoice.reason}`)
/** The process runtime's modes this machine can run the scenarios in. */
const processModes: ReadonlyArray<RuntimeMode> = linuxChoice.mode === "linux" ? ["host", "linux"] : ["host"]

const image = "busybox:1.36"
const python = "python:3.12"

// ---- observations ------------------------------------------------------------------------------

const stateOf = (s: ContainerStatus): string => {
  if (s.state.running !== undefined) return "R"
  if (s.state.waiting !== undefined) return `W(${s.state.waiting.reason ?? ""})`
  if (s.state.terminated !== undefined) return `T(${s.state.terminated.reason ?? ""},${s.state.terminated.exitCode})`
  return "?"
}

const statuses = (p: Pod | undefined): ReadonlyArray<ContainerStatus> => [
  ...(p?.status?.initContainerStatuses ?? []),
  ...(p?.status?.containerStatuses ?? [])
]

const status = (p: Pod | undefined, name: string): ContainerStatus | undefined =>
  statuses(p).find((s) => s.name === name)

const state = (p: Pod | undefined, name: string): string => {
  const s = status(p, name)
  return s === undefined ? "" : stateOf(s)
}

const conditionTypes = ["PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"]

/** What a user sees of the pod, without times, IPs and UIDs. */
const observe = (p: Pod): ReadonlyArray<string> => {
  const uid = p.metadata.uid ?? ""
  const row = printPod(p, Date.now())
  const lines = [
    `phase ${p.status?.phase}`,
    `kubectl ${row.ready} ${row.status} ${row.restarts.replace(/ \(.*\)$/, "")}`,
    ...conditionTypes.map((type) => {
      const c = p.status?.conditions?.find((x) => x.type === type)
      return `${type} ${c?.status ?? "-"} ${c?.reason ?? ""} ${c?.message ?? ""}`.trimEnd()
    })
  ]
  for (const s of statuses(p)) {
    const last = s.lastState.terminated
    lines.push(
      [
        `${s.name} ${stateOf(s)} rc=${s.restartCount} ready=${s.ready} started=${s.started}`,
        last === undefined ? "" : ` last=T(${last.reason},${last.exitCode})`,
        s.state.waiting?.message === undefined ? "" : ` "${s.state.waiting.message.replaceAll(uid, "U")}"`
      ].join("")
    )
  }
  return lines
}

/** Event `type reason` pairs, once each, sorted; the process runtime's own notices left out. */
const eventReasons = (events: ReadonlyArray<Event>): ReadonlyArray<string> =>
  [
    ...new Set(
      events.filter((e) => e.reason !== "HostMode" && e.reason !== "LinuxMode").map((e) => `${e.type} ${e.reason}`)
    )
  ].sort()

// ---- drivers -----------------------------------------------------------------------------------

/** One runtime's way to run a scenario: its cluster, how it waits, how time is read. */
interface Driver {
  readonly name: string
  readonly cluster: Cluster
  /**
   * waits until `check` holds for pod `p` (undefined once deleted); returns that version of the pod
   * and, once deleted, its last state when the driver knows it
   */
  readonly waitUntil: (what: string, check: Check) => Effect.Effect<Observed>
}

interface Observed {
  readonly pod: Pod | undefined
  readonly last?: Pod
}

const podOf = (c: Cluster) => c.pod("p")

/** A condition on pod `p` (undefined once deleted), possibly reading the cluster. */
type Check = (p: Pod | undefined, c: Cluster) => boolean | Effect.Effect<boolean>

const holds = (check: Check, c: Cluster) =>
  Effect.flatMap(podOf(c), (p) => {
    const result = check(p, c)
    return typeof result === "boolean" ? Effect.succeed(result) : result
  })

const simulated = (options: ClusterOptions) =>
  Effect.gen(function* () {
    const cluster = yield* makeCluster(options)
    const waitUntil = (what: string, check: Check) =>
      Effect.gen(function* () {
        for (let i = 0; i < 7000; i++) {
          if (yield* holds(check, cluster)) return { pod: yield* podOf(cluster) } satisfies Observed
          yield* cluster.advance(100)
        }
        return yield* Effect.die(new Error(`simulated: ${what} never happened`))
      })
    return { name: "simulated", cluster, waitUntil } satisfies Driver
  })

/** The version with the highest resourceVersion (a DELETED event may carry an older copy than the last update). */
const newest = (pods: ReadonlyArray<Pod>): Pod =>
  pods.reduce((a, b) => (Number(b.metadata.resourceVersion ?? 0) >= Number(a.metadata.resourceVersion ?? 0) ? b : a))

const evaluate = (check: Check, p: Pod | undefined, c: Cluster): Effect.Effect<boolean> => {
  const result = check(p, c)
  return typeof result === "boolean" ? Effect.succeed(result) : result
}

/**
 * A cluster on the process runtime (`mode`). Every watch event of pod `p` is recorded; `waitUntil`
 * checks each recorded version in order from where the previous wait matched, then the current
 * pod (for checks that read logs or the runtime), waking at the next event or after 20 ms.
 */
const processCluster = (options: ClusterOptions, mode: RuntimeMode = "host") =>
  Effect.gen(function* () {
    const cluster = yield* makeCluster({
      ...options,
      ...RuntimeProcess.clusterOptions({ memoryPollMillis: 50, mode }),
      nodes: [{ ...thisMachine("n1"), images: [image, python] }]
    })
    /** every version of pod `p` (undefined: deleted), and each version's last state */
    const versions: Array<Pod | undefined> = []
    const finals: Array<Pod> = []
    let wake: (() => void) | undefined
    yield* cluster.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event.object.metadata?.name !== "p") return
          versions.push(event.type === "DELETED" ? undefined : event.object)
          finals.push(event.object)
          wake?.()
        })
      ),
      Effect.forkScoped
    )
    let cursor = 0
    const waitUntil = (what: string, check: Check) =>
      Effect.gen(function* () {
        const deadline = Date.now() + 25_000
        while (Date.now() < deadline) {
          for (let i = cursor; i < versions.length; i++) {
            if (yield* evaluate(check, versions[i], cluster)) {
              cursor = i
              return { pod: versions[i], last: newest(finals.slice(0, i + 1)) } satisfies Observed
            }
          }
          cursor = versions.length
          // the current pod, for checks that read logs or the runtime; a deletion is left to the watch
          // (its DELETED event carries the last state, which may not have arrived yet)
          const pod = yield* podOf(cluster)
          const caughtUp = pod !== undefined || (versions.length > 0 && versions.at(-1) === undefined)
          if (caughtUp && (yield* evaluate(check, pod, cluster))) {
            cursor = Math.max(0, versions.length - 1)
            return (pod === undefined ? { pod, last: newest(finals) } : { pod }) satisfies Observed
          }
          yield* Effect.callback<void>((resume) => {
            const timer = setTimeout(() => resume(Effect.void), 20)
            wake = () => {
              clearTimeout(timer)
              resume(Effect.void)
            }
            return Effect.sync(() => clearTimeout(timer))
          })
          wake = undefined
        }
        return yield* Effect.die(new Error(`process (${mode}): ${what} never happened`))
      })
    return { name: `process (${mode})`, cluster, waitUntil } satisfies Driver
  })

// ---- scenarios ---------------------------------------------------------------------------------

interface Step {
  readonly name: string
  readonly until: Check
  /** runs once the condition holds; its lines join the observation */
  readonly act?: (c: Cluster, p: Pod | undefined) => Effect.Effect<ReadonlyArray<string>, unknown>
}

interface Scenario {
  readonly pod: Pod
  readonly steps: ReadonlyArray<Step>
}

interface Run {
  /** per step: seconds since the pod was applied, and what was seen */
  readonly steps: ReadonlyArray<{ readonly name: string; readonly at: number; readonly seen: ReadonlyArray<string> }>
  readonly events: ReadonlyArray<string>
}

const runScenario = (driver: Driver, scenario: Scenario) =>
  Effect.gen(function* () {
    const c = driver.cluster
    let last: Pod | undefined
    yield* c.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event.object.metadata?.name === "p" && event.type !== "DELETED") last = event.object
        })
      ),
      Effect.forkScoped
    )
    const start = yield* c.elapsed
    yield* c.apply(scenario.pod)
    const steps: Array<Run["steps"][number]> = []
    for (const step of scenario.steps) {
      const observed = yield* driver.waitUntil(step.name, step.until)
      const current = observed.pod
      const at = ((yield* c.elapsed) - start) / 1000
      const seen = [...observe(current ?? observed.last ?? last!)]
      if (current === undefined) seen.unshift("deleted")
      if (step.act !== undefined) seen.push(...(yield* step.act(c, current)))
      steps.push({ name: step.name, at, seen })
    }
    const events = eventReasons(yield* c.events("p"))
    return { steps, events } satisfies Run
  }).pipe(Effect.scoped)

/**
 * Probe times count from the status's `startedAt`, which has whole seconds: on the real clock the
 * first probe comes up to a second early.
 */
const probeTolerance = { early: 1, late: 3 }

/**
 * Linux mode's extra lateness allowed: each sandbox and container start goes through `ip`,
 * `unshare` and runc (100–300 ms each on a loaded 2-core machine), and a step may chain several.
 */
const linuxLate = 2

type Tolerance = { readonly early: number; readonly late: number }

/** The steps of `real` outside `sim`'s time by `tolerance` (`mode`'s extra lateness included). */
const offTime = (sim: Run, real: Run, tolerance: Tolerance, mode: RuntimeMode) => {
  const say = (i: number) =>
    `${sim.steps[i]!.name}: process (${mode}) at ${real.steps[i]!.at}s vs simulated ${sim.steps[i]!.at}s`
  const late = tolerance.late + (mode === "linux" ? linuxLate : 0)
  return {
    early: sim.steps.flatMap((step, i) => (real.steps[i]!.at < step.at - tolerance.early ? [say(i)] : [])),
    late: sim.steps.flatMap((step, i) => (real.steps[i]!.at > step.at + late ? [say(i)] : []))
  }
}

/**
 * Runs the scenario on both runtimes; asserts the same observations and timing within tolerance.
 * A process run that is late, sees otherwise, or never gets to a step runs once more on a fresh
 * cluster, which must then match in full: a lost wake-up or a missed event fails every time, while
 * a loaded 2-core machine's stall (a Linux sandbox once took 11 s to start under load 15; a Python
 * server not yet listening when its readiness probe came) seldom comes twice. A step earlier than
 * simulated is never the machine's load: it fails at once.
 */
const compare = (scenario: Scenario, tolerance: Tolerance = { early: 0.3, late: 3 }) =>
  Effect.gen(function* () {
    const sim = yield* simulated({ nodes: [{ name: "n1", images: [image, python] }] }).pipe(
      Effect.flatMap((driver) => runScenario(driver, scenario)),
      Effect.scoped,
      Effect.provide(TestClock.layer())
    )
    for (const mode of processModes) {
      const runReal = processCluster({}, mode).pipe(
        Effect.flatMap((driver) => runScenario(driver, scenario)),
        Effect.scoped
      )
      const first = yield* Effect.exit(runReal)
      const fault = Exit.isFailure(first)
        ? Cause.pretty(first.cause).split("\n")[0]
        : faultOf(sim, first.value, tolerance, mode)
      const early = Exit.isSuccess(first) ? offTime(sim, first.value, tolerance, mode).early : []
      expect(early, `early ${early.join("; ")}`).toEqual([])
      const real = fault === undefined && Exit.isSuccess(first) ? first.value : yield* runReal
      if (fault !== undefined) console.log(`process (${mode}), first run: ${fault}; ran the scenario once more`)
      expectSameObservations(sim, real, mode)
      const timing = offTime(sim, real, tolerance, mode)
      const off = [...timing.early.map((s) => `early ${s}`), ...timing.late.map((s) => `late ${s}`)]
      expect(off, off.join("; ")).toEqual([])
    }
    return sim
  })

/** What differs between the simulated run and a process run, in a line; undefined when nothing does. */
const faultOf = (sim: Run, real: Run, tolerance: Tolerance, mode: RuntimeMode): string | undefined => {
  const step = sim.steps.find((s, i) => JSON.stringify(s.seen) !== JSON.stringify(real.steps[i]!.seen))
  if (step !== undefined) return `${step.name} seen otherwise`
  if (JSON.stringify(sim.events) !== JSON.stringify(real.events)) return `events ${real.events.join(", ")}`
  const late = offTime(sim, real, tolerance, mode).late
  return late.length > 0 ? `late ${late.join("; ")}` : undefined
}

const expectSameObservations = (sim: Run, real: Run, mode: RuntimeMode) => {
  for (const [i, step] of sim.steps.entries()) {
    expect(real.steps[i]!.seen, `${step.name}: process (${mode}) vs simulated`).toEqual(step.seen)
  }
  expect(real.events, `events: process (${mode}) vs simulated`).toEqual(sim.events)
}

const pod = (spec: Partial<PodSpec> & Pick<PodSpec, "containers">): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default" },
  spec: { nodeName: "n1", ...spec }
})

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({
  name,
  image,
  command: ["sh", "-c", script],
  ...extra
})

const kubectlIs = (triple: string) => (p: Pod | undefined) => {
  if (p === undefined) return false
  const row = printPod(p, Date.now())
  return `${row.ready} ${row.status} ${row.restarts.replace(/ \(.*\)$/, "")}` === triple
}

const seen = (run: Run, step: number) => run.steps[step]!.seen

/**
 * The app runs and has printed `ready` (a real process sets its traps a moment after it starts: a
 * signal before that would find none).
 */
const ready: Check = (p, c) =>
  state(p, "app") === "R" &&
  c.logs("default", "p", "app").pipe(
    Effect.map((lines) => lines.some((l) => l.line === "ready")),
    Effect.orElseSucceed(() => false)
  )

/** A TCP port nobody listens on right now. */
const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

describe("§16 scenarios on the process runtime give the simulated runtime's observations", () => {
  it.live("A2 Never, exits 0: Succeeded, Completed, never restarted", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({ restartPolicy: "Never", containers: [sh("app", "sleep 1")] }),
        steps: [
          { name: "running", until: (p) => state(p, "app") === "R" },
          { name: "completed", until: (p) => p?.status?.phase === "Succeeded" }
        ]
      })
      expect(seen(run, 0)).toContain("kubectl 1/1 Running 0")
      expect(seen(run, 1)).toContain("kubectl 0/1 Completed 0")
      expect(seen(run, 1)).toContain("app T(Completed,0) rc=0 ready=false started=false")
      expect(run.steps[1]!.at).toBe(1)
    })
  )

  it.live("A4 Never, exits 1: Failed, Error", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({ restartPolicy: "Never", containers: [sh("app", "sleep 1; exit 1")] }),
        steps: [
          { name: "running", until: (p) => state(p, "app") === "R" },
          { name: "failed", until: (p) => p?.status?.phase === "Failed" }
        ]
      })
      expect(seen(run, 1)).toEqual(
        expect.arrayContaining([
          "kubectl 0/1 Error 0",
          "ContainersReady False PodFailed",
          "app T(Error,1) rc=0 ready=false started=false"
        ])
      )
    })
  )

  it.live("A5 Always, every instance exits 1 after 0.5 s: immediate restart, then CrashLoopBackOff 10 s, 20 s", () =>
    Effect.gen(function* () {
      const rc = (n: number) => (p: Pod | undefined) => status(p, "app")?.restartCount === n
      const run = yield* compare({
        pod: pod({ containers: [sh("app", "sleep 0.5; exit 1")] }),
        steps: [
          { name: "first instance", until: (p) => state(p, "app") === "R" && rc(0)(p) },
          { name: "restarted at once", until: (p) => state(p, "app") === "R" && rc(1)(p) },
          { name: "back-off 10s", until: (p) => state(p, "app") === "W(CrashLoopBackOff)" && rc(1)(p) },
          { name: "second restart", until: (p) => state(p, "app") === "R" && rc(2)(p) },
          { name: "back-off 20s", until: (p) => state(p, "app") === "W(CrashLoopBackOff)" && rc(2)(p) }
        ]
      })
      expect(seen(run, 1)).toContain("app R rc=1 ready=true started=true last=T(Error,1)")
      expect(seen(run, 2)).toContain(
        'app W(CrashLoopBackOff) rc=1 ready=false started=false last=T(Error,1) "back-off 10s restarting failed container=app pod=p_default(U)"'
      )
      expect(seen(run, 4).join("\n")).toContain("back-off 20s")
      expect(run.events).toContain("Warning BackOff")
    })
  )

  it.live("B1 Never, a exits 1, b runs: Running, 1/2 Error", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({ restartPolicy: "Never", containers: [sh("a", "sleep 2; exit 1"), sh("b", "sleep 3600")] }),
        steps: [
          { name: "both running", until: kubectlIs("2/2 Running 0") },
          { name: "a failed", until: (p) => state(p, "a") === "T(Error,1)" }
        ]
      })
      expect(seen(run, 1)).toEqual(
        expect.arrayContaining([
          "phase Running",
          "kubectl 1/2 Error 0",
          "ContainersReady False ContainersNotReady containers with unready status: [a]"
        ])
      )
    })
  )

  it.live("C1 two init containers then the app: Init:0/2, Init:1/2, Running", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({
          initContainers: [sh("init-a", "sleep 0.5"), sh("init-b", "sleep 0.5")],
          containers: [sh("app", "sleep 3600")]
        }),
        steps: [
          { name: "init-a", until: (p) => state(p, "init-a") === "R" },
          { name: "init-b", until: (p) => state(p, "init-b") === "R" },
          { name: "app", until: (p) => state(p, "app") === "R" }
        ]
      })
      expect(seen(run, 0)).toContain("kubectl 0/1 Init:0/2 0")
      expect(seen(run, 1)).toContain("kubectl 0/1 Init:1/2 0")
      expect(seen(run, 2)).toContain("kubectl 1/1 Running 0")
    })
  )

  it.live("C2 Never, init-a exits 1: Failed, Init:Error, the rest never started", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({
          restartPolicy: "Never",
          initContainers: [sh("init-a", "sleep 0.5; exit 1"), sh("init-b", "sleep 0.5")],
          containers: [sh("app", "sleep 3600")]
        }),
        steps: [
          { name: "init-a", until: (p) => state(p, "init-a") === "R" },
          { name: "failed", until: (p) => p?.status?.phase === "Failed" }
        ]
      })
      expect(seen(run, 1)).toEqual(
        expect.arrayContaining([
          "kubectl 0/1 Init:Error 0",
          "PodReadyToStartContainers False",
          "init-b W(PodInitializing) rc=0 ready=false started=false",
          "app W(PodInitializing) rc=0 ready=false started=false"
        ])
      )
    })
  )

  it.live("E3 pull policy Never, image absent until loaded: ErrImageNeverPull, then Running at the next retry", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({
          containers: [
            { name: "app", image: "local/app:dev", imagePullPolicy: "Never", command: ["sh", "-c", "sleep 3600"] }
          ]
        }),
        steps: [
          {
            name: "never pull",
            until: (p) => state(p, "app") === "W(ErrImageNeverPull)",
            act: (c) =>
              Effect.sync(() => {
                c.nodes[0]!.images.put(makeImageInfo("local/app:dev"))
                return []
              })
          },
          { name: "running", until: (p) => state(p, "app") === "R" }
        ]
      })
      expect(seen(run, 0)).toContain(
        'app W(ErrImageNeverPull) rc=0 ready=false started=false "Container image "local/app:dev" is not present with pull policy of Never"'
      )
      expect(run.steps[1]!.at).toBe(10)
    })
  )

  it.live("F1 readiness httpGet (a real HTTP server) with initialDelaySeconds 2: ready at t=2", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const run = yield* compare(
        {
          pod: pod({
            containers: [
              {
                name: "app",
                image: python,
                command: ["python3", "-m", "http.server", String(port)],
                ports: [{ containerPort: port }],
                readinessProbe: { httpGet: { path: "/", port }, initialDelaySeconds: 2 }
              }
            ]
          }),
          steps: [
            { name: "not ready", until: (p) => state(p, "app") === "R" },
            { name: "ready", until: (p) => status(p, "app")?.ready === true }
          ]
        },
        probeTolerance
      )
      expect(seen(run, 0)).toContain("kubectl 0/1 Running 0")
      expect(seen(run, 1)).toEqual(expect.arrayContaining(["kubectl 1/1 Running 0", "Ready True"]))
      expect(run.steps[1]!.at).toBe(2)
    })
  )

  it.live("G1 the app exits 0 one second after SIGTERM: Terminating, then Succeeded and removed", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({ containers: [sh("app", "trap 'sleep 1; exit 0' TERM; echo ready; sleep 3600 & wait")] }),
        steps: [
          {
            name: "running",
            until: ready,
            act: (c) => Effect.as(c.delete("pods", "p"), [])
          },
          { name: "terminating", until: (p) => p?.metadata.deletionTimestamp !== undefined },
          { name: "removed", until: (p) => p === undefined }
        ]
      })
      expect(seen(run, 1)).toContain("kubectl 1/1 Terminating 0")
      expect(seen(run, 2)).toEqual(
        expect.arrayContaining(["deleted", "phase Succeeded", expect.stringMatching(/^app T\(Completed,0\)/)])
      )
      expect(run.steps[2]!.at).toBe(1)
      expect(run.events).toContain("Normal Killing")
    })
  )

  it.live("G2 the app ignores SIGTERM (grace 2 s): SIGKILL at the end of the grace, Failed 137", () =>
    Effect.gen(function* () {
      const run = yield* compare({
        pod: pod({ terminationGracePeriodSeconds: 2, containers: [sh("app", "trap '' TERM; echo ready; sleep 3600")] }),
        steps: [
          {
            name: "running",
            until: ready,
            act: (c) => Effect.as(c.delete("pods", "p"), [])
          },
          { name: "terminating", until: (p) => p?.metadata.deletionTimestamp !== undefined },
          { name: "removed", until: (p) => p === undefined }
        ]
      })
      expect(seen(run, 2)).toEqual(
        expect.arrayContaining(["phase Failed", expect.stringMatching(/^app T\(Error,137\)/)])
      )
      expect(run.steps[2]!.at).toBe(2)
    })
  )

  it.live("I3 emptyDir survives a container crash, not the pod; a replacement pod starts empty", () =>
    Effect.gen(function* () {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
      const file = '"${PODLET_MOUNT_CACHE:-/cache}/x"'
      const spec = pod({
        volumes: [{ name: "cache", emptyDir: {} }],
        containers: [
          sh(
            "app",
            `trap 'exit 143' TERM; if [ -f ${file} ]; then sleep 3600 & wait; else sleep 0.5; echo data > ${file}; sleep 0.5; exit 1; fi`,
            {
              volumeMounts: [{ name: "cache", mountPath: "/cache" }]
            }
          )
        ]
      })
      const execOut = (c: Cluster, script: string) =>
        Effect.map(c.exec("default", "p", "app", ["sh", "-c", script]), (r) => [
          `exec ${r.exitCode} ${JSON.stringify(r.output)}`
        ])
      let firstUid = ""
      const run = yield* compare({
        pod: spec,
        steps: [
          { name: "first instance", until: (p) => state(p, "app") === "R" && status(p, "app")?.restartCount === 0 },
          {
            name: "restarted",
            until: (p) => state(p, "app") === "R" && status(p, "app")?.restartCount === 1,
            act: (c, p) =>
              Effect.gen(function* () {
                firstUid = p?.metadata.uid ?? ""
                const out = yield* execOut(c, `cat ${file}`)
                yield* c.delete("pods", "p", { gracePeriodSeconds: 0, force: true })
                return out
              })
          },
          { name: "gone", until: (p) => p === undefined },
          {
            name: "sandbox removed",
            until: (_, c) => Effect.map(c.nodes[0]!.runtime.listSandboxes(firstUid), (list) => list.length === 0),
            act: (c) => Effect.as(c.apply(spec), [])
          },
          {
            name: "replacement",
            until: (p) => p !== undefined && p.metadata.uid !== firstUid && state(p, "app") === "R",
            act: (c) => execOut(c, `ls "\${PODLET_MOUNT_CACHE:-/cache}"`)
          }
        ]
      })
      expect(seen(run, 1)).toContain('exec 0 "data\\n"')
      expect(seen(run, 2)[0]).toBe("deleted")
      expect(seen(run, 4)).toContain('exec 0 ""')
    })
  )
})

describe("§16 scenarios on the process runtime alone (programs the simulation does not run)", () => {
  it.live("F3 liveness httpGet fails after 1.5 s: killed (143) and restarted at once, twice", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const server = `const s = Date.now(); require("http").createServer((q, r) => { r.statusCode = Date.now() - s < 1500 ? 200 : 500; r.end() }).listen(${port})`
      const driver = yield* processCluster({})
      const c = driver.cluster
      yield* c.apply(
        pod({
          containers: [
            {
              name: "app",
              image: "node:22",
              command: [process.execPath, "-e", server],
              livenessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 1, failureThreshold: 2 }
            }
          ]
        })
      )
      yield* driver.waitUntil("running", (p) => state(p, "app") === "R")
      yield* driver.waitUntil("the first kill", (p) => status(p, "app")?.restartCount === 1)
      const p = (yield* c.pod("p"))!
      expect(observe(p)).toEqual(
        expect.arrayContaining(["kubectl 1/1 Running 1", "app R rc=1 ready=true started=true last=T(Error,143)"])
      )
      const killing = (yield* c.events("p")).filter((e) => e.reason === "Killing")
      expect(killing.map((e) => e.message)).toEqual(["Container app failed liveness probe, will be restarted"])
      const unhealthy = (yield* c.events("p")).find((e) => e.reason === "Unhealthy")
      // the runtime contract's probePort answers a boolean: the kubelet words every failure as a refused connection
      expect(unhealthy?.message).toMatch(/^Liveness probe failed: /)
      yield* driver.waitUntil("the second kill", (p) => status(p, "app")?.restartCount === 2)
      expect(state(yield* c.pod("p"), "app")).toBe("R")
    }).pipe(Effect.scoped)
  )

  it.live("A11 memory limit (RSS polling): OOMKilled 137, Failed with restartPolicy Never", () =>
    Effect.gen(function* () {
      const driver = yield* processCluster({})
      yield* driver.cluster.apply(
        pod({
          restartPolicy: "Never",
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
      yield* driver.waitUntil("the OOM kill", (p) => p?.status?.phase === "Failed")
      expect(observe((yield* driver.cluster.pod("p"))!)).toEqual(
        expect.arrayContaining(["kubectl 0/1 OOMKilled 0", "app T(OOMKilled,137) rc=0 ready=false started=false"])
      )
    }).pipe(Effect.scoped)
  )

  it.live("host mode says so: a Normal HostMode event per pod, a Warning for mounts", () =>
    Effect.gen(function* () {
      const driver = yield* processCluster({})
      const c = driver.cluster
      yield* c.apply(
        pod({
          volumes: [{ name: "cache", emptyDir: {} }],
          containers: [sh("app", "sleep 3600", { volumeMounts: [{ name: "cache", mountPath: "/cache" }] })]
        })
      )
      yield* driver.waitUntil("running", (p) => state(p, "app") === "R")
      const events = yield* Effect.gen(function* () {
        for (let i = 0; i < 100; i++) {
          const list = (yield* c.events("p")).filter((e) => e.reason === "HostMode")
          if (list.length >= 2) return list
          yield* Effect.sleep(20)
        }
        return []
      })
      expect(events.map((e) => [e.type, e.involvedObject.fieldPath])).toEqual([
        ["Normal", undefined],
        ["Warning", "spec.containers{app}"]
      ])
      expect(events[1]?.message).toMatch(/^host mode cannot mount volumes at their mountPath: \/cache \(volume cache\)/)
      const rows = yield* c.printPods("default")
      expect(rows[0]?.ip).toBe("127.0.0.1")
      const node = yield* c.get<Node>("nodes", "n1")
      expect(node.status?.addresses?.[0]?.address).toBe("127.0.0.1")
      expect(node.status?.capacity?.["cpu"]).toBe(String(cpus().length))
      expect(node.status?.capacity?.["memory"]).toBe(`${Math.floor(totalmem() / 1024)}Ki`)
    }).pipe(Effect.scoped)
  )
})
