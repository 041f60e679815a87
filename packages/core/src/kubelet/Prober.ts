/**
 * The prober (`pkg/kubelet/prober`): one worker fiber per (pod, container, probe type), driven by
 * the pure reducer of `domain/Probe.ts`. Probe n of a container instance runs at
 * `start + initialDelaySeconds + n·periodSeconds` (RTM-7); exec probes go through `runtime.exec`,
 * httpGet/tcpSocket/grpc through `runtime.probePort`. Each failed probe records `Unhealthy`; a
 * published result is stored by container id and wakes the pod worker, whose sync acts on it.
 */

import type { Scope } from "effect"
import { Clock, Effect, FiberMap, Queue } from "effect"
import type { Container, Pod, Probe } from "../api/Pod.js"
import type { ProbeResult, ProbeType, ProbeWorkerState } from "../domain/Probe.js"
import {
  initialWorkerState,
  observeProbeTarget,
  probeOf,
  probeSettings,
  recordOutcome,
  tick,
  unhealthyEvent
} from "../domain/Probe.js"
import type { KubeletContext } from "./KubeletContext.js"
import { allContainers, memoryOf, recordEvents } from "./KubeletContext.js"
import { runtimeId } from "./PodRuntime.js"

const probeTypes: ReadonlyArray<ProbeType> = ["startup", "liveness", "readiness"]

/** Resolves a probe or hook port (a number or a named container port). */
export const resolvePort = (container: Container, port: number | string): number | undefined => {
  if (typeof port === "number") return port
  const byName = container.ports?.find((p) => p.name === port)
  if (byName !== undefined) return byName.containerPort
  const n = Number(port)
  return Number.isInteger(n) ? n : undefined
}

/** The outcome of one probe: success, or failure with the prober's output text. */
export type ProbeOutcome = { readonly ok: true } | { readonly ok: false; readonly output: string }

/** Runs one probe action against the container instance (`prober.runProbe`). */
export const runProbe = (
  ctx: KubeletContext,
  pod: Pod,
  container: Container,
  containerId: string,
  sandboxId: string,
  probe: Probe
): Effect.Effect<ProbeOutcome> =>
  Effect.gen(function* () {
    const timeout = probe.timeoutSeconds ?? 1
    const ip = pod.status?.podIP ?? memoryOf(ctx, pod.metadata.uid ?? "").podIP ?? ""
    if (probe.exec !== undefined) {
      const argv = probe.exec.command ?? []
      const result = yield* ctx.runtime.exec(runtimeId(containerId), argv, timeout)
      if (result.exitCode === 0) return { ok: true }
      if (result.exitCode === -1) return { ok: false, output: `command ${JSON.stringify(argv.join(" "))} timed out` }
      return { ok: false, output: result.output.trimEnd() }
    }
    if (probe.httpGet !== undefined) {
      const port = resolvePort(container, probe.httpGet.port)
      const path = probe.httpGet.path ?? "/"
      const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase()
      const host = probe.httpGet.host ?? ip
      if (port === undefined) return { ok: false, output: `unknown port ${probe.httpGet.port}` }
      const ok = yield* ctx.runtime.probePort(sandboxId, port, "http", path)
      if (ok) return { ok: true }
      return {
        ok: false,
        output: `Get "${scheme}://${host}:${port}${path}": dial tcp ${host}:${port}: connect: connection refused`
      }
    }
    if (probe.tcpSocket !== undefined) {
      const port = resolvePort(container, probe.tcpSocket.port)
      const host = probe.tcpSocket.host ?? ip
      if (port === undefined) return { ok: false, output: `unknown port ${probe.tcpSocket.port}` }
      const ok = yield* ctx.runtime.probePort(sandboxId, port, "tcp")
      return ok ? { ok: true } : { ok: false, output: `dial tcp ${host}:${port}: connect: connection refused` }
    }
    if (probe.grpc !== undefined) {
      const port = probe.grpc.port
      const ok = yield* ctx.runtime.probePort(sandboxId, port, "grpc")
      return ok
        ? { ok: true }
        : { ok: false, output: `timeout: failed to connect service "${ip}:${port}" within ${timeout}s` }
    }
    return { ok: false, output: "missing probe handler" }
  })

export interface Prober {
  /** (re)aligns the workers of a pod to its current container instances; starts missing workers */
  readonly sync: (pod: Pod) => Effect.Effect<void>
  /** stops every worker of the pod */
  readonly remove: (uid: string) => Effect.Effect<void>
  /** whether any container of the spec has a probe */
  readonly hasProbes: (spec: Pod["spec"]) => boolean
}

interface Worker {
  readonly signal: Queue.Queue<void>
}

/** Is `now` a probe time of an instance running since `start`: `start + initialDelay + n·period` (RTM-7). */
const isScheduled = (start: number, probe: Probe, now: number): boolean => {
  const settings = probeSettings(probe)
  const first = start + settings.initialDelaySeconds * 1000
  return now >= first && (now - first) % (settings.periodSeconds * 1000) === 0
}

/** The first probe time of an instance running since `start`. */
const firstProbeAt = (start: number, probe: Probe): number => start + probeSettings(probe).initialDelaySeconds * 1000

/** The next probe time strictly after `now` (this instant was just evaluated). */
const nextTickAfter = (start: number, probe: Probe, now: number): number => {
  const settings = probeSettings(probe)
  const first = start + settings.initialDelaySeconds * 1000
  if (now < first) return first
  const period = settings.periodSeconds * 1000
  const n = Math.ceil((now - first) / period)
  const candidate = first + n * period
  return candidate === now ? candidate + period : candidate
}

const isProbed = (c: Container): boolean =>
  c.livenessProbe !== undefined || c.readinessProbe !== undefined || c.startupProbe !== undefined

/** The prober of one kubelet. `statusOf` is the kubelet's latest generated status of a pod. */
export const makeProber = Effect.fnUntraced(function* (
  ctx: KubeletContext,
  latestPod: (uid: string) => Pod | undefined,
  sandboxOf: (uid: string) => string | undefined
): Effect.fn.Return<Prober, never, Scope.Scope> {
  const fibers = yield* FiberMap.make<string>()
  const workers = new Map<string, Worker>()
  /** pod UID → the keys of its probe workers (`remove` touches only those) */
  const byPod = new Map<string, Set<string>>()
  const forget = (uid: string, k: string): void => {
    const keys = byPod.get(uid)
    keys?.delete(k)
    if (keys?.size === 0) byPod.delete(uid)
  }

  const runWorker = (uid: string, name: string, type: ProbeType, worker: Worker) =>
    Effect.gen(function* () {
      let state: ProbeWorkerState = initialWorkerState
      let nextAt: number | undefined
      let lastProbe: { readonly at: number; readonly containerID: string } | undefined
      while (true) {
        const before = yield* Clock.currentTimeMillis
        if (nextAt === undefined) yield* Queue.take(worker.signal)
        else if (nextAt > before) yield* Effect.timeoutOption(Queue.take(worker.signal), nextAt - before)
        yield* Queue.clear(worker.signal)
        const pod = latestPod(uid)
        if (pod === undefined) return
        const container = allContainers(pod).find((c) => c.name === name)
        const probe = container !== undefined ? probeOf(container, type) : undefined
        if (container === undefined || probe === undefined) return
        const settings = probeSettings(probe)
        const now = yield* Clock.currentTimeMillis
        const observation = observeProbeTarget(pod, name)
        const running = observation.container?.runningSince
        const probedNow = lastProbe?.at === now && lastProbe.containerID === observation.container?.containerID
        // a live clock wakes the worker a little after the tick it slept for: that tick is due
        const due =
          nextAt !== undefined && now >= nextAt && running !== undefined && nextAt >= firstProbeAt(running, probe)
        const onSchedule = running !== undefined && (isScheduled(running, probe, now) || due) && !probedNow
        const step = tick(type, settings, state, observation, now)
        state = step.state
        let changed = false
        if (step.removed !== undefined) ctx.probeResults.delete(step.removed)
        for (const published of step.publish)
          changed = publish(published.containerID, type, published.result) || changed
        if (step.action === "Stop") {
          if (changed) yield* ctx.wake(uid)
          return
        }
        if (step.action === "Probe" && onSchedule && state.containerID !== undefined) {
          lastProbe = { at: now, containerID: state.containerID }
          const sandboxId = sandboxOf(uid) ?? ""
          const outcome = yield* runProbe(ctx, pod, container, state.containerID, sandboxId, probe)
          if (!outcome.ok) yield* recordEvents(ctx, pod, container, [unhealthyEvent(type, outcome.output)])
          const recorded = recordOutcome(type, settings, state, outcome.ok ? "Success" : "Failure")
          state = recorded.state
          if (recorded.publish !== undefined) {
            changed = publish(recorded.publish.containerID, type, recorded.publish.result) || changed
          }
        }
        if (changed) yield* ctx.wake(uid)
        const after = yield* Clock.currentTimeMillis
        nextAt = running !== undefined ? nextTickAfter(running, probe, after) : undefined
      }
    })

  /** Stores a result; true when it changed what the kubelet had. */
  const publish = (containerID: string, type: ProbeType, result: ProbeResult): boolean => {
    const current = ctx.probeResults.get(containerID) ?? {}
    if (current[type] === result) return false
    ctx.probeResults.set(containerID, { ...current, [type]: result })
    return true
  }

  const key = (uid: string, name: string, type: ProbeType) => `${uid}/${name}/${type}`

  /** the spec last asked about (a sync asks several times about the same one) */
  let lastSpec: Pod["spec"] | undefined
  let lastProbed = false
  /** whether any container of the spec has a probe (a few reads: cheaper than remembering it per spec) */
  const hasProbes = (spec: Pod["spec"]): boolean => {
    if (spec === lastSpec) return lastProbed
    lastProbed = (spec.initContainers ?? []).some(isProbed) || spec.containers.some(isProbed)
    lastSpec = spec
    return lastProbed
  }

  const sync = (pod: Pod): Effect.Effect<void> => (hasProbes(pod.spec) ? syncProbed(pod) : Effect.void)

  const syncProbed = (pod: Pod): Effect.Effect<void> =>
    Effect.gen(function* () {
      const uid = pod.metadata.uid ?? ""
      for (const container of allContainers(pod)) {
        for (const type of probeTypes) {
          if (probeOf(container, type) === undefined) continue
          const k = key(uid, container.name, type)
          let worker = workers.get(k)
          if (worker === undefined) {
            worker = { signal: yield* Queue.sliding<void>(1) }
            workers.set(k, worker)
            let keys = byPod.get(uid)
            if (keys === undefined) byPod.set(uid, (keys = new Set()))
            keys.add(k)
            const w = worker
            yield* FiberMap.run(
              fibers,
              k,
              runWorker(uid, container.name, type, w).pipe(
                Effect.ensuring(
                  Effect.sync(() => {
                    if (workers.get(k) !== w) return
                    workers.delete(k)
                    forget(uid, k)
                  })
                )
              )
            )
          }
          Queue.offerUnsafe(worker.signal, undefined)
        }
      }
    })

  const remove = (uid: string): Effect.Effect<void> => {
    const keys = byPod.get(uid)
    if (keys === undefined) return Effect.void
    byPod.delete(uid)
    return Effect.forEach(
      [...keys],
      (k) =>
        Effect.suspend(() => {
          workers.delete(k)
          return FiberMap.remove(fibers, k)
        }),
      { discard: true }
    )
  }

  return { sync, remove, hasProbes }
})
