/**
 * The container runtime interface (CRI-like) one node's kubelet drives: pod sandboxes (one IP, one
 * port space, the pod's hostname and volumes), containers inside them, exec for probes and hooks,
 * logs, and a stream of container lifecycle events (the PLEG's input).
 *
 * Implementations: `layers/RuntimeSimulated.ts` (containers behave as their YAML says, on the
 * Clock) and the process runtime in `@podlet/platform-node`.
 */
import type { Effect, Scope, Stream } from "effect"
import { Context, Schema } from "effect"

/** A volume as the runtime mounts it: emptyDir (shared, survives restarts), files (configMap/secret), hostPath. */
export type SandboxVolume =
  | { readonly name: string; readonly type: "emptyDir" }
  | { readonly name: string; readonly type: "files"; readonly files: Readonly<Record<string, string>> }
  | { readonly name: string; readonly type: "hostPath"; readonly path: string }

export interface SandboxConfig {
  readonly podUid: string
  readonly podName: string
  readonly namespace: string
  /** the pod's hostname (spec.hostname or metadata.name, truncated to 63) */
  readonly hostname: string
  /** `<hostname>.<subdomain>.<ns>.svc.cluster.local` when spec.subdomain is set */
  readonly fqdn?: string
  readonly hostAliases?: ReadonlyArray<{ readonly ip: string; readonly hostnames: ReadonlyArray<string> }>
  readonly volumes: ReadonlyArray<SandboxVolume>
}

export interface Sandbox {
  readonly id: string
  readonly podUid: string
  readonly ip: string
  readonly state: "ready" | "notready"
  readonly createdAt: number
}

export interface MountConfig {
  readonly volume: string
  readonly mountPath: string
  readonly subPath?: string
  readonly readOnly: boolean
}

export interface ContainerConfig {
  readonly name: string
  readonly image: string
  /** command + args resolved against the image's entrypoint/cmd; empty = the image's default */
  readonly command: ReadonlyArray<string>
  readonly args: ReadonlyArray<string>
  readonly workingDir?: string
  readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }>
  readonly mounts: ReadonlyArray<MountConfig>
  readonly ports: ReadonlyArray<{ readonly containerPort: number; readonly protocol: string }>
  /** bytes; undefined = unlimited */
  readonly memoryLimit?: number
  /** restart attempt (the new instance's restartCount) */
  readonly attempt: number
  /** kubelet's container spec hash, stored as a label */
  readonly hash: string
  readonly terminationMessagePath?: string
}

export type ContainerRuntimeState = "created" | "running" | "exited" | "unknown"

/** One container instance as the runtime reports it. Times are epoch milliseconds. */
export interface ContainerInfo {
  readonly id: string
  readonly sandboxId: string
  readonly podUid: string
  readonly name: string
  readonly image: string
  readonly imageRef: string
  readonly attempt: number
  readonly hash: string
  readonly state: ContainerRuntimeState
  readonly createdAt: number
  readonly startedAt?: number
  readonly finishedAt?: number
  readonly exitCode?: number
  /** Completed | Error | OOMKilled | StartError (containerd's words) */
  readonly reason?: string
  readonly message?: string
}

/** Something the runtime wants the pod's users told (the kubelet records it as an Event on the pod). */
export interface RuntimeNotice {
  readonly type: "Normal" | "Warning"
  readonly reason: string
  readonly message: string
  /** the container it concerns (the event's fieldPath), if any */
  readonly container?: string
}

/**
 * A lifecycle event for the kubelet's PLEG: a container started, exited, or a sandbox changed; or a
 * `Notice` to record on the pod (e.g. the process runtime's host-mode limitations).
 */
export interface RuntimeEvent {
  readonly type: "ContainerStarted" | "ContainerExited" | "SandboxChanged" | "Notice"
  readonly podUid: string
  readonly containerId?: string
  readonly at: number
  /** with type `Notice` */
  readonly notice?: RuntimeNotice
}

export interface LogLine {
  /** epoch ms */
  readonly time: number
  readonly stream: "stdout" | "stderr"
  readonly line: string
}

export interface ExecResult {
  readonly exitCode: number
  readonly output: string
}

/** A CRI call that failed; `reason` is what the kubelet reports (e.g. RunContainerError, CreateContainerError). */
export class RuntimeError extends Schema.TaggedError<RuntimeError>()("RuntimeError", {
  reason: Schema.String,
  message: Schema.String
}) {}

export class ContainerRuntime extends Context.Service<
  ContainerRuntime,
  {
    runPodSandbox(config: SandboxConfig): Effect.Effect<Sandbox, RuntimeError>
    /** kills every container of the sandbox at once (SIGKILL) and releases its IP and ports */
    stopPodSandbox(sandboxId: string): Effect.Effect<void>
    removePodSandbox(sandboxId: string): Effect.Effect<void>
    listSandboxes(podUid?: string): Effect.Effect<ReadonlyArray<Sandbox>>
    createContainer(sandboxId: string, config: ContainerConfig): Effect.Effect<string, RuntimeError>
    /** fails with reason StartError-style RuntimeError when the process cannot start (the container is then exited, 128) */
    startContainer(containerId: string): Effect.Effect<void, RuntimeError>
    /** SIGTERM (the image's stop signal), then SIGKILL after `gracePeriodSeconds`; returns once exited */
    stopContainer(containerId: string, gracePeriodSeconds: number): Effect.Effect<void>
    removeContainer(containerId: string): Effect.Effect<void>
    /** every instance of the pod's containers (newest attempt last), including exited ones not yet removed */
    listContainers(podUid: string): Effect.Effect<ReadonlyArray<ContainerInfo>>
    /** run a command in a running container (exec probes, exec hooks); fails with the timeout as exit code -1 */
    exec(containerId: string, argv: ReadonlyArray<string>, timeoutSeconds: number): Effect.Effect<ExecResult>
    /** does something listen on this port in the sandbox (httpGet, tcpSocket, grpc probes and hooks) */
    probePort(sandboxId: string, port: number, kind: "http" | "tcp" | "grpc", path?: string): Effect.Effect<boolean>
    logs(containerId: string): Effect.Effect<ReadonlyArray<LogLine>>
    /**
     * fault injection: the running container's process ends now with `exitCode` and `reason`
     * (`OOMKilled`, `Error`, `Completed`), as if it had exited or been killed; false when not running
     */
    killContainer(containerId: string, exitCode: number, reason: string): Effect.Effect<boolean>
    /** container lifecycle events for every pod on this runtime */
    readonly events: Stream.Stream<RuntimeEvent>
    /**
     * Optional, in-process only: `events` without a fiber per consumer. Every event `events`
     * delivers also goes to `onEvents`, in order, synchronously where the runtime publishes it,
     * until the scope closes. `onEvents` must not throw; it may call the runtime (events that
     * causes follow once it returns). A wrapper that changes `events` must drop or change this too.
     */
    readonly observeEvents?: (
      onEvents: (events: ReadonlyArray<RuntimeEvent>) => void
    ) => Effect.Effect<void, never, Scope.Scope>
    /**
     * optional (the kubelet's crash-loop retry fast path): a number that changes whenever what
     * `listSandboxes(uid)` / `listContainers(uid)` report changes; -1 when the pod has nothing
     */
    readonly podRevisionUnsafe?: (podUid: string) => number
  }
>()("@podlet/core/services/ContainerRuntime") {}
