/**
 * What the dashboard reads and does, whatever is behind it: an embedded cluster, a podlet API, or
 * a real cluster through a kubeconfig. Views only draw snapshots; actions a source cannot do are
 * listed in `capabilities` and shown as unavailable.
 */
import type { Event, Node, Pod, ReplicaSet, Service } from "@podlet/core"

/** Everything the views draw, at one instant of cluster time. */
export interface ClusterSnapshot {
  /** cluster time, epoch ms */
  readonly now: number
  readonly pods: ReadonlyArray<Pod>
  readonly events: ReadonlyArray<Event>
  readonly nodes: ReadonlyArray<Node>
  readonly replicaSets: ReadonlyArray<ReplicaSet>
  readonly services: ReadonlyArray<Service>
  readonly namespaces: ReadonlyArray<string>
}

export interface ClockState {
  readonly mode: "virtual" | "real"
  readonly paused: boolean
  /** virtual seconds per wall second */
  readonly speed: number
}

export type NodeFault = "partition" | "resume" | "disk-failure" | "memory-pressure"

export type Capability =
  | "apply"
  | "delete"
  | "kill"
  | "oom"
  | "nodeFaults"
  | "cordon"
  | "drain"
  | "scale"
  | "registryOutage"
  | "timeControl"
  | "logs"

export interface LogLine {
  readonly time: number
  readonly line: string
}

export interface DashboardSource {
  /** "embedded (3 nodes)", "https://127.0.0.1:6443", "kind-kind" */
  readonly description: string
  readonly capabilities: ReadonlySet<Capability>
  snapshot(): ClusterSnapshot
  /** called whenever the snapshot may have changed; returns the unsubscribe function */
  subscribe(listener: () => void): () => void
  clock(): ClockState
  setClock(change: Partial<Pick<ClockState, "paused" | "speed">>): Promise<void>
  apply(manifest: string): Promise<ReadonlyArray<string>>
  delete(kind: string, namespace: string | undefined, name: string): Promise<void>
  logs(namespace: string, pod: string, container: string, previous: boolean): Promise<ReadonlyArray<LogLine>>
  killContainer(namespace: string, pod: string, container: string, exitCode: number): Promise<void>
  oomContainer(namespace: string, pod: string, container: string): Promise<void>
  nodeFault(node: string, fault: NodeFault): Promise<void>
  cordon(node: string, unschedulable: boolean): Promise<void>
  drain(node: string): Promise<void>
  scale(namespace: string, replicaSet: string, replicas: number): Promise<void>
  registryOutage(down: boolean): Promise<void>
  close(): Promise<void>
}
