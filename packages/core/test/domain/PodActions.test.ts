import { describe, expect, it } from "@effect/vitest"
import type { Container, Pod } from "../../src/api/Pod.js"
import { containerHash } from "../../src/domain/Backoff.js"
import { computePodActions, killGracePeriodSeconds, type PodActions } from "../../src/domain/PodActions.js"
import { noProbeResults, type ProbeResults } from "../../src/domain/Probe.js"
import type { ContainerInstance, ContainerRuntimeState, RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import { c, makePod, sidecar } from "./fixtures.js"

const ready = { id: "s1", state: "ready", attempt: 0, createdAt: 0 } as const

const inst = (
  container: Container,
  state: ContainerRuntimeState,
  opts: { exitCode?: number; rc?: number; reason?: string; sandboxId?: string; hash?: string } = {}
): ContainerInstance => ({
  id: `${container.name}-${opts.rc ?? 0}`,
  name: container.name,
  sandboxId: opts.sandboxId ?? "s1",
  state,
  hash: opts.hash ?? containerHash(container),
  restartCount: opts.rc ?? 0,
  image: container.image ?? "",
  imageID: "",
  createdAt: (opts.rc ?? 0) * 1000,
  ...(opts.exitCode !== undefined ? { exitCode: opts.exitCode, finishedAt: 1 } : {}),
  ...(opts.reason !== undefined ? { reason: opts.reason } : {})
})

const snap = (containers: Array<ContainerInstance>, sandbox: RuntimeSnapshot["sandbox"] = ready): RuntimeSnapshot =>
  sandbox === undefined ? { containers } : { sandbox, containers }
const noSandbox: RuntimeSnapshot = { containers: [] }

const actions = (over: Partial<PodActions>): PodActions => ({
  killPod: false,
  createSandbox: false,
  sandboxId: "s1",
  attempt: 0,
  initContainersToStart: [],
  containersToStart: [],
  containersToKill: [],
  ...over
})

const app = c("app")
const initA = c("init-a")
const initB = c("init-b")
const proxy = sidecar("proxy")
const a = c("a")
const b = c("b")
const withInits = (restartPolicy: "Always" | "Never" = "Always") =>
  makePod({ restartPolicy, initContainers: [initA, initB] })
const withProxy = (restartPolicy: "Always" | "Never" = "Always", p: Container = proxy) =>
  makePod({ restartPolicy, initContainers: [p] })
const live = (over: Partial<Container> = {}) => c("app", { livenessProbe: { httpGet: { port: 80 } }, ...over })
const results = (id: string, r: Record<string, string>): ProbeResults => new Map([[id, r as never]])

describe("computePodActions", () => {
  it.each<[string, Pod, RuntimeSnapshot, ProbeResults, PodActions]>([
    [
      "A1 new pod: create the sandbox, start app",
      makePod({}),
      noSandbox,
      noProbeResults,
      {
        killPod: true,
        createSandbox: true,
        attempt: 0,
        initContainersToStart: [],
        containersToStart: [0],
        containersToKill: []
      }
    ],
    [
      "C1 new pod with init containers: create the sandbox, start init 0 only",
      withInits(),
      noSandbox,
      noProbeResults,
      {
        killPod: true,
        createSandbox: true,
        attempt: 0,
        initContainersToStart: [0],
        containersToStart: [],
        containersToKill: []
      }
    ],
    [
      "sandbox died under Never after containers ran: kill, no new sandbox",
      makePod({ restartPolicy: "Never" }),
      snap([inst(app, "running")], { ...ready, state: "notready" }),
      noProbeResults,
      actions({ killPod: true, attempt: 1 })
    ],
    [
      "sandbox died under Always: re-create with the next attempt, restart from init 0",
      withInits(),
      snap([inst(initA, "exited", { exitCode: 0 }), inst(initB, "exited", { exitCode: 0 }), inst(app, "running")], {
        ...ready,
        state: "notready"
      }),
      noProbeResults,
      actions({ killPod: true, createSandbox: true, attempt: 1, initContainersToStart: [0] })
    ],
    [
      "sandbox died under OnFailure with every app container succeeded: kill only",
      makePod({ restartPolicy: "OnFailure", containers: [a, b] }),
      snap([inst(a, "exited", { exitCode: 0 }), inst(b, "exited", { exitCode: 0 })], { ...ready, state: "notready" }),
      noProbeResults,
      actions({ killPod: true, attempt: 1 })
    ],
    [
      "sandbox died under OnFailure: succeeded containers are not restarted",
      makePod({ restartPolicy: "OnFailure", containers: [a, b] }),
      snap([inst(a, "exited", { exitCode: 0 }), inst(b, "running")], { ...ready, state: "notready" }),
      noProbeResults,
      actions({ killPod: true, createSandbox: true, attempt: 1, containersToStart: [1] })
    ],
    ["A1 running: keep", makePod({}), snap([inst(app, "running")]), noProbeResults, actions({})],
    [
      "A5 crashed under Always: start",
      makePod({}),
      snap([inst(app, "exited", { exitCode: 1 })]),
      noProbeResults,
      actions({ containersToStart: [0] })
    ],
    [
      "A2 exit 0 under Never: nothing to keep ⇒ KillPod",
      makePod({ restartPolicy: "Never" }),
      snap([inst(app, "exited", { exitCode: 0 })]),
      noProbeResults,
      actions({ killPod: true })
    ],
    [
      "A3 exit 0 under OnFailure ⇒ KillPod",
      makePod({ restartPolicy: "OnFailure" }),
      snap([inst(app, "exited", { exitCode: 0 })]),
      noProbeResults,
      actions({ killPod: true })
    ],
    [
      "B1 a failed, b runs, Never: keep b, start nothing",
      makePod({ restartPolicy: "Never", containers: [a, b] }),
      snap([inst(a, "exited", { exitCode: 1 }), inst(b, "running")]),
      noProbeResults,
      actions({})
    ],
    [
      "B6 two containers, a crashed: start a only",
      makePod({ containers: [a, b] }),
      snap([inst(a, "exited", { exitCode: 1 }), inst(b, "running")]),
      noProbeResults,
      actions({ containersToStart: [0] })
    ],
    [
      "created container is started again",
      makePod({ restartPolicy: "Never" }),
      snap([inst(app, "created")]),
      noProbeResults,
      actions({ containersToStart: [0] })
    ],
    [
      "unknown container: kill it, then start",
      makePod({}),
      snap([inst(app, "unknown")]),
      noProbeResults,
      actions({
        containersToStart: [0],
        containersToKill: [
          {
            containerId: "app-0",
            name: "app",
            message: 'Container is in "unknown" state, try killing it before restart',
            reason: "Unknown",
            gracePeriodSeconds: 30
          }
        ]
      })
    ],
    [
      "G8 deleting pod: nothing restarts ⇒ KillPod",
      makePod({}, { deletionTimestamp: "2025-01-01T00:01:00Z", deletionGracePeriodSeconds: 30 }),
      snap([inst(app, "exited", { exitCode: 1 })]),
      noProbeResults,
      actions({ killPod: true })
    ],
    [
      "F3 liveness Failure under Always: kill with restart",
      makePod({ containers: [live()] }),
      snap([inst(live(), "running")]),
      results("app-0", { liveness: "Failure" }),
      actions({
        containersToStart: [0],
        containersToKill: [
          {
            containerId: "app-0",
            name: "app",
            message: "Container app failed liveness probe, will be restarted",
            reason: "LivenessProbe",
            gracePeriodSeconds: 30
          }
        ]
      })
    ],
    [
      "F5 liveness Failure under Never: kill, no restart ⇒ KillPod",
      makePod({ restartPolicy: "Never", containers: [live()] }),
      snap([inst(live(), "running")]),
      results("app-0", { liveness: "Failure" }),
      actions({
        killPod: true,
        containersToKill: [
          {
            containerId: "app-0",
            name: "app",
            message: "Container app failed liveness probe",
            reason: "LivenessProbe",
            gracePeriodSeconds: 30
          }
        ]
      })
    ],
    [
      "F4 startup Failure with a probe grace period",
      makePod({ containers: [c("app", { startupProbe: { exec: {}, terminationGracePeriodSeconds: 5 } })] }),
      snap([inst(c("app", { startupProbe: { exec: {}, terminationGracePeriodSeconds: 5 } }), "running")]),
      results("app-0", { startup: "Failure" }),
      actions({
        containersToStart: [0],
        containersToKill: [
          {
            containerId: "app-0",
            name: "app",
            message: "Container app failed startup probe, will be restarted",
            reason: "StartupProbe",
            gracePeriodSeconds: 5
          }
        ]
      })
    ],
    [
      "changed spec: always restarted, even under Never",
      makePod({ restartPolicy: "Never", containers: [c("app", { image: "busybox:1.37" })] }),
      snap([inst(app, "running")]),
      noProbeResults,
      actions({
        containersToStart: [0],
        containersToKill: [
          {
            containerId: "app-0",
            name: "app",
            message: "Container app definition changed, will be restarted",
            reason: "",
            gracePeriodSeconds: 30
          }
        ]
      })
    ],
    [
      "C1 sandbox ready, no instances: start init 0",
      withInits(),
      snap([]),
      noProbeResults,
      actions({ initContainersToStart: [0] })
    ],
    ["C1 init-a running: wait", withInits(), snap([inst(initA, "running")]), noProbeResults, actions({})],
    [
      "C1 init-a done: start init-b",
      withInits(),
      snap([inst(initA, "exited", { exitCode: 0 })]),
      noProbeResults,
      actions({ initContainersToStart: [1] })
    ],
    [
      "C1 all init done: start app",
      withInits(),
      snap([inst(initA, "exited", { exitCode: 0 }), inst(initB, "exited", { exitCode: 0 })]),
      noProbeResults,
      actions({ containersToStart: [0] })
    ],
    [
      "C2 init-a failed under Never: KillPod",
      withInits("Never"),
      snap([inst(initA, "exited", { exitCode: 1 })]),
      noProbeResults,
      actions({ killPod: true })
    ],
    [
      "C3 init-a failed under Always: restart it",
      withInits(),
      snap([inst(initA, "exited", { exitCode: 1 })]),
      noProbeResults,
      actions({ initContainersToStart: [0] })
    ],
    [
      "init OOMKilled counts as failed",
      withInits("Never"),
      snap([inst(initA, "exited", { exitCode: 0, reason: "OOMKilled" })]),
      noProbeResults,
      actions({ killPod: true })
    ],
    [
      "C6 app crashed after init: init containers are not re-run",
      withInits(),
      snap([
        inst(initA, "exited", { exitCode: 0 }),
        inst(initB, "exited", { exitCode: 0 }),
        inst(app, "exited", { exitCode: 1 })
      ]),
      noProbeResults,
      actions({ containersToStart: [0] })
    ],
    [
      "C6 app running, init containers gone from the runtime: nothing to do",
      withInits(),
      snap([inst(app, "running")]),
      noProbeResults,
      actions({})
    ],
    [
      "D1 sidecar running and started: start app",
      withProxy(),
      snap([inst(proxy, "running")]),
      noProbeResults,
      actions({ containersToStart: [0] })
    ],
    [
      "D2 sidecar startup probe not yet successful: wait",
      withProxy("Always", sidecar("proxy", { startupProbe: { exec: {} } })),
      snap([inst(sidecar("proxy", { startupProbe: { exec: {} } }), "running")]),
      results("proxy-0", { startup: "Unknown" }),
      actions({})
    ],
    [
      "D2 sidecar startup Success: start app",
      withProxy("Always", sidecar("proxy", { startupProbe: { exec: {} } })),
      snap([inst(sidecar("proxy", { startupProbe: { exec: {} } }), "running")]),
      results("proxy-0", { startup: "Success" }),
      actions({ containersToStart: [0] })
    ],
    [
      "sidecar startup Failure: kill and restart",
      withProxy("Always", sidecar("proxy", { startupProbe: { exec: {} } })),
      snap([inst(sidecar("proxy", { startupProbe: { exec: {} } }), "running")]),
      results("proxy-0", { startup: "Failure" }),
      actions({
        initContainersToStart: [0],
        containersToKill: [
          {
            containerId: "proxy-0",
            name: "proxy",
            message: "Init container proxy failed startup probe",
            reason: "StartupProbe",
            gracePeriodSeconds: 30
          }
        ]
      })
    ],
    [
      "D3 app done under Never with a running sidecar: KillPod, sidecar not restarted",
      withProxy("Never"),
      snap([inst(proxy, "running"), inst(app, "exited", { exitCode: 0 })]),
      noProbeResults,
      actions({ killPod: true })
    ],
    [
      "D4 sidecar exited after init: restart it, keep app",
      withProxy(),
      snap([inst(proxy, "exited", { exitCode: 1 }), inst(app, "running")]),
      noProbeResults,
      actions({ initContainersToStart: [0] })
    ],
    [
      "D6 sidecar exited under Never: restarted anyway",
      withProxy("Never"),
      snap([inst(proxy, "exited", { exitCode: 1 }), inst(app, "running")]),
      noProbeResults,
      actions({ initContainersToStart: [0] })
    ],
    [
      "sidecar liveness Failure: kill and restart (no suffix)",
      withProxy("Never", sidecar("proxy", { livenessProbe: { exec: {} } })),
      snap([inst(sidecar("proxy", { livenessProbe: { exec: {} } }), "running"), inst(app, "running")]),
      results("proxy-0", { liveness: "Failure" }),
      actions({
        initContainersToStart: [0],
        containersToKill: [
          {
            containerId: "proxy-0",
            name: "proxy",
            message: "Init container proxy failed liveness probe",
            reason: "LivenessProbe",
            gracePeriodSeconds: 30
          }
        ]
      })
    ],
    [
      "J5 sidecar started, regular init running: wait",
      makePod({ initContainers: [proxy, initB] }),
      snap([inst(proxy, "running"), inst(initB, "running")]),
      noProbeResults,
      actions({})
    ],
    [
      "sidecar exits while a later regular init runs: restart the sidecar",
      makePod({ initContainers: [proxy, initB] }),
      snap([inst(proxy, "exited", { exitCode: 1 }), inst(initB, "running")]),
      noProbeResults,
      actions({ initContainersToStart: [0] })
    ],
    [
      "sidecar started, next regular init not yet created: start it",
      makePod({ initContainers: [proxy, initB] }),
      snap([inst(proxy, "running")]),
      noProbeResults,
      actions({ initContainersToStart: [1] })
    ]
  ])("%s", (_name, pod, snapshot, probes, expected) => {
    expect(computePodActions(pod, snapshot, probes)).toEqual(expected)
  })
})

describe("killGracePeriodSeconds", () => {
  const probed = c("app", { livenessProbe: { exec: {}, terminationGracePeriodSeconds: 7 } })
  it.each<[string, Pod, Container, "" | "LivenessProbe" | "StartupProbe", number]>([
    ["pod default", makePod({}), app, "", 30],
    ["pod value", makePod({ terminationGracePeriodSeconds: 10 }), app, "", 10],
    ["probe value for a liveness kill", makePod({ terminationGracePeriodSeconds: 10 }), probed, "LivenessProbe", 7],
    ["probe value ignored for other kills", makePod({ terminationGracePeriodSeconds: 10 }), probed, "", 10],
    ["deletion grace wins", makePod({}, { deletionGracePeriodSeconds: 5 }), probed, "LivenessProbe", 5]
  ])("%s", (_name, pod, container, reason, expected) => {
    expect(killGracePeriodSeconds(pod, container, reason)).toBe(expected)
  })
})
