/**
 * The kubelet's per-sync plan (spec pod-lifecycle §4.2, §5; K-mgr `computePodActions`, K-ctr
 * `computeInitContainerActions`, `setTerminationGracePeriod`): which sandbox to create or kill, which init and app
 * containers to start (by spec index, in order) and which container instances to kill with which Killing message.
 * Pure: reads the pod, the runtime snapshot and the published probe results; no times. Backoff is applied by the
 * caller at each start (`Backoff.decide`) with the same pre-kill snapshot, so a probe-killed container restarts
 * measured from the previous exited instance (§4.3: the first probe kill restarts immediately).
 */
import type { Container, Pod } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { containerHash } from "./Backoff.js"
import { type ProbeResults, probeResultOf } from "./Probe.js"
import { shouldContainerBeRestarted, shouldRestartOnFailure } from "./Restart.js"
import { type ContainerInstance, latestInstance, podSandboxChanged, type RuntimeSnapshot } from "./RuntimeSnapshot.js"

/** Why a container is killed; selects the probe-level grace period (`containerKillReason`). */
export type KillReason = "" | "LivenessProbe" | "StartupProbe" | "Unknown"

/** One container instance to stop before the starts of this sync. */
export interface ContainerToKill {
  /** Runtime id of the instance to stop. */
  readonly containerId: string
  readonly name: string
  /** The `Killing` event message, e.g. `Container app failed liveness probe, will be restarted`. */
  readonly message: string
  readonly reason: KillReason
  /** Stop window before SIGKILL (§9.2 step 1; preStop and the 2 s minimum are the caller's). */
  readonly gracePeriodSeconds: number
}

/** The plan of one sync (`podActions`). */
export interface PodActions {
  /** Stop every container and the sandbox (before re-creating it, or because nothing is left to run). */
  readonly killPod: boolean
  readonly createSandbox: boolean
  /** The sandbox being replaced (with `createSandbox`) or the current one. */
  readonly sandboxId?: string
  /** Attempt number for a new sandbox. */
  readonly attempt: number
  /** Indices into `spec.initContainers`, in spec order. */
  readonly initContainersToStart: ReadonlyArray<number>
  /** Indices into `spec.containers`, in spec order. */
  readonly containersToStart: ReadonlyArray<number>
  readonly containersToKill: ReadonlyArray<ContainerToKill>
}

/**
 * `setTerminationGracePeriod`: `deletionGracePeriodSeconds` if set; else the probe's
 * `terminationGracePeriodSeconds` for a liveness/startup kill; else the pod's (default 30).
 */
export const killGracePeriodSeconds = (pod: Pod, container: Container, reason: KillReason): number => {
  if (pod.metadata.deletionGracePeriodSeconds !== undefined) return pod.metadata.deletionGracePeriodSeconds
  const probe =
    reason === "LivenessProbe"
      ? container.livenessProbe
      : reason === "StartupProbe"
        ? container.startupProbe
        : undefined
  return probe?.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30
}

/** The running instance was created from a different spec (`containerChanged`: hash differs). */
export const containerChanged = (container: Container, instance: ContainerInstance): boolean =>
  instance.hash !== containerHash(container)

/** `isInitContainerFailed`: OOMKilled, exited non-zero, or unknown. */
const isInitContainerFailed = (instance: ContainerInstance): boolean =>
  instance.reason === "OOMKilled" ||
  (instance.state === "exited" && instance.exitCode !== 0) ||
  instance.state === "unknown"

const containerSucceeded = (container: Container, snapshot: RuntimeSnapshot): boolean => {
  const latest = latestInstance(snapshot, container.name)
  return latest?.state === "exited" && latest.exitCode === 0
}

const hasAnyRegularContainerCreated = (pod: Pod, snapshot: RuntimeSnapshot): boolean =>
  pod.spec.containers.some((c) => {
    const state = latestInstance(snapshot, c.name)?.state
    return state === "created" || state === "running" || state === "exited"
  })

interface Plan {
  killPod: boolean
  initContainersToStart: Array<number>
  containersToKill: Array<ContainerToKill>
}

/** Adds the kill of an init container instance to the plan. */
const killInit = (
  plan: Plan,
  pod: Pod,
  instance: ContainerInstance,
  container: Container,
  message: string,
  reason: KillReason
): void => {
  plan.containersToKill.push({
    containerId: instance.id,
    name: container.name,
    message,
    reason,
    gracePeriodSeconds: killGracePeriodSeconds(pod, container, reason)
  })
}

/**
 * `computeInitContainerActions`: walks init containers from the last one back, so that the newest progress decides
 * the next entry; a running started sidecar lets the next entry start; a regular init container must exit 0;
 * sidecars are restarted whenever they exit; a failed regular init container under `Never` kills the pod.
 * Returns whether the pod has initialized.
 */
const computeInitContainerActions = (
  pod: Pod,
  snapshot: RuntimeSnapshot,
  probes: ProbeResults,
  plan: Plan
): boolean => {
  const initContainers = pod.spec.initContainers ?? []
  if (initContainers.length === 0) return true
  let podHasInitialized = pod.spec.containers.some((c) => {
    const state = latestInstance(snapshot, c.name)?.state
    return state === "created" || state === "running"
  })
  let isPreviouslyInitialized = podHasInitialized
  const restartOnFailure = shouldRestartOnFailure(pod)
  const toStart: Array<number> = []

  for (let i = initContainers.length - 1; i >= 0; i--) {
    const container = initContainers[i]!
    const sidecar = isSidecar(container)
    const status = latestInstance(snapshot, container.name)
    if (status === undefined) {
      if (isPreviouslyInitialized && sidecar) toStart.push(i)
      continue
    }
    if (isPreviouslyInitialized && !sidecar) continue

    switch (status.state) {
      case "created":
        toStart.push(i)
        break
      case "running": {
        if (!sidecar) break
        if (container.startupProbe !== undefined) {
          const startup = probeResultOf(probes, status.id, "startup")
          if (startup !== "Success") {
            if (startup === "Failure") {
              killInit(
                plan,
                pod,
                status,
                container,
                `Init container ${container.name} failed startup probe`,
                "StartupProbe"
              )
              toStart.push(i)
            }
            break
          }
        }
        if (i === initContainers.length - 1) podHasInitialized = true
        else if (!isPreviouslyInitialized) toStart.push(i + 1)
        if (containerChanged(container, status)) {
          killInit(plan, pod, status, container, `Init container ${container.name} definition changed`, "")
          toStart.push(i)
          break
        }
        if (container.livenessProbe !== undefined && probeResultOf(probes, status.id, "liveness") === "Failure") {
          killInit(
            plan,
            pod,
            status,
            container,
            `Init container ${container.name} failed liveness probe`,
            "LivenessProbe"
          )
          toStart.push(i)
        }
        break
      }
      case "exited":
        if (sidecar) {
          toStart.push(i)
        } else if (isInitContainerFailed(status)) {
          if (!restartOnFailure) {
            plan.killPod = true
            plan.initContainersToStart = []
            return false
          }
          toStart.push(i)
        } else if (i === initContainers.length - 1) {
          podHasInitialized = true
        } else {
          toStart.push(i + 1)
        }
        break
      case "unknown":
        if (!sidecar && !restartOnFailure) {
          plan.killPod = true
          plan.initContainersToStart = []
          return false
        }
        killInit(
          plan,
          pod,
          status,
          container,
          `Init container is in "unknown" state, try killing it before restart`,
          "Unknown"
        )
        toStart.push(i)
        break
    }
    if (!isPreviouslyInitialized) isPreviouslyInitialized = true
  }
  if (!isPreviouslyInitialized) toStart.push(0)
  plan.initContainersToStart = toStart.reverse()
  return podHasInitialized
}

/** The actions of a plan made on the current sandbox. */
const planned = (
  plan: Plan,
  base: { readonly sandboxId?: string; readonly attempt: number },
  containersToStart: ReadonlyArray<number>
): PodActions => ({
  killPod: plan.killPod,
  createSandbox: false,
  ...base,
  initContainersToStart: plan.initContainersToStart,
  containersToStart,
  containersToKill: plan.containersToKill
})

/**
 * `computePodActions`: a missing or not-ready sandbox ⇒ kill everything and re-create it (init containers from
 * index 0), except under `Never` once containers ran, or when all app containers are done; while not initialized
 * only init actions; then each app container: start if it should be restarted, or kill a running one whose spec
 * changed (always restarted) or whose liveness/startup result is Failure (restarted unless `Never`); nothing to keep
 * and nothing to start ⇒ `killPod` (sidecars not restarted).
 */
export const computePodActions = (pod: Pod, snapshot: RuntimeSnapshot, probes: ProbeResults): PodActions => {
  const sandbox = podSandboxChanged(snapshot)
  const base = {
    ...(sandbox.sandboxId !== undefined ? { sandboxId: sandbox.sandboxId } : {}),
    attempt: sandbox.attempt
  }

  if (sandbox.changed) {
    const killOnly: PodActions = {
      killPod: true,
      createSandbox: false,
      ...base,
      initContainersToStart: [],
      containersToStart: [],
      containersToKill: []
    }
    if (!shouldRestartOnFailure(pod) && sandbox.attempt !== 0 && snapshot.containers.length !== 0) return killOnly
    const containersToStart = pod.spec.containers.flatMap((c, i) =>
      pod.spec.restartPolicy === "OnFailure" && containerSucceeded(c, snapshot) ? [] : [i]
    )
    if (containersToStart.length === 0 && hasAnyRegularContainerCreated(pod, snapshot)) return killOnly
    const fresh = { ...killOnly, createSandbox: true }
    if ((pod.spec.initContainers ?? []).length !== 0) return { ...fresh, initContainersToStart: [0] }
    return { ...fresh, containersToStart }
  }

  const plan: Plan = { killPod: false, initContainersToStart: [], containersToKill: [] }
  const initialized = computeInitContainerActions(pod, snapshot, probes, plan)
  if (plan.killPod || !initialized) return planned(plan, base, [])

  let keepCount = 0
  const containersToStart: Array<number> = []
  pod.spec.containers.forEach((container, index) => {
    const status = latestInstance(snapshot, container.name)
    if (status === undefined || status.state !== "running") {
      if (shouldContainerBeRestarted(container, pod, snapshot)) {
        containersToStart.push(index)
        if (status?.state === "unknown") {
          plan.containersToKill.push({
            containerId: status.id,
            name: container.name,
            message: `Container is in "unknown" state, try killing it before restart`,
            reason: "Unknown",
            gracePeriodSeconds: killGracePeriodSeconds(pod, container, "Unknown")
          })
        }
      }
      return
    }
    let restart = shouldRestartOnFailure(pod)
    let message: string
    let reason: KillReason = ""
    if (containerChanged(container, status)) {
      message = `Container ${container.name} definition changed`
      restart = true
    } else if (probeResultOf(probes, status.id, "liveness") === "Failure") {
      message = `Container ${container.name} failed liveness probe`
      reason = "LivenessProbe"
    } else if (probeResultOf(probes, status.id, "startup") === "Failure") {
      message = `Container ${container.name} failed startup probe`
      reason = "StartupProbe"
    } else {
      keepCount++
      return
    }
    if (restart) {
      message = `${message}, will be restarted`
      containersToStart.push(index)
    }
    plan.containersToKill.push({
      containerId: status.id,
      name: container.name,
      message,
      reason,
      gracePeriodSeconds: killGracePeriodSeconds(pod, container, reason)
    })
  })

  if (keepCount === 0 && containersToStart.length === 0) {
    plan.killPod = true
    plan.initContainersToStart = []
  }
  // exact length (a pushed-to array keeps ~17 slots): the pod's worker keeps the plan
  return planned(plan, base, containersToStart.length === 0 ? [] : containersToStart.slice())
}
