// Shared builders for domain tests: API container statuses in the spec's §15 notation and RTM pods.
import fc from "fast-check"
import type { Container, ContainerState, ContainerStatus, Pod, PodSpec } from "../../src/api/Pod.js"

export const T0 = Date.parse("2025-01-01T00:00:00Z")
/** Epoch ms of RTM time `t` seconds. */
export const at = (t: number): number => T0 + t * 1000
/** RFC 3339 of RTM time `t` seconds. */
export const iso = (t: number): string => new Date(at(t)).toISOString().replace(".000Z", "Z")

/** `W(reason)`. */
export const W = (reason?: string, message?: string): ContainerState => ({
  waiting: { ...(reason ? { reason } : {}), ...(message ? { message } : {}) }
})
/** `R` (started at t). */
export const R = (t = 0): ContainerState => ({ running: { startedAt: iso(t) } })
/** `T(reason, exit)` finished at t. */
export const T = (reason: string, exitCode: number, t = 0, extra: { signal?: number } = {}): ContainerState => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), startedAt: iso(0), finishedAt: iso(t), ...extra }
})
export const none: ContainerState = {}

export const status = (
  name: string,
  state: ContainerState,
  opts: { last?: ContainerState; ready?: boolean; started?: boolean; rc?: number } = {}
): ContainerStatus => ({
  name,
  state,
  lastState: opts.last ?? {},
  ready: opts.ready ?? false,
  started: opts.started ?? state.running !== undefined,
  restartCount: opts.rc ?? 0,
  image: "img",
  imageID: "",
  ...(state.running || state.terminated ? { containerID: `containerd://${name}` } : {})
})

export const c = (name: string, extra: Partial<Container> = {}): Container => ({
  name,
  image: "busybox:1.36",
  ...extra
})
export const sidecar = (name: string, extra: Partial<Container> = {}): Container =>
  c(name, { restartPolicy: "Always", ...extra })

export const makePod = (
  spec: Partial<PodSpec> & { containers?: ReadonlyArray<Container> },
  meta: Partial<Pod["metadata"]> = {}
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", uid: "U", creationTimestamp: iso(0), ...meta },
  spec: { containers: [c("app")], nodeName: "n1", ...spec }
})

/** A random container `name` (an init container may be a sidecar), with or without startup and readiness probes. */
export const containerArb = (name: string, init: boolean): fc.Arbitrary<Container> =>
  fc
    .record({ sidecar: init ? fc.boolean() : fc.constant(false), startup: fc.boolean(), readiness: fc.boolean() })
    .map(({ sidecar, startup, readiness }) => ({
      name,
      image: "busybox:1.36",
      ...(sidecar ? { restartPolicy: "Always" as const } : {}),
      ...(startup ? { startupProbe: { exec: { command: ["true"] } } } : {}),
      ...(readiness ? { readinessProbe: { exec: { command: ["true"] } } } : {})
    }))
