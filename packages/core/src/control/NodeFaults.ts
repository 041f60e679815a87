/**
 * The node faults of the Faults service: a partition (the node's heartbeats stop, and resume), a
 * disk failure, memory pressure (optionally with a kernel OOM kill), and recovery. Each goes through
 * the node's agent and is recorded as an Event on the Node. After a pressure change the node
 * lifecycle controller is synced at once, so the node's NoSchedule taint is in place before any pod
 * is evicted and replaced.
 */
import { Effect } from "effect"
import type { ObjectReference } from "../api/Objects.js"
import type { EventRecorder } from "../services/EventRecorder.js"
import type { Faults } from "../services/Faults.js"
import { FaultError } from "../services/Faults.js"
import type { NodeAgent } from "./NodeAgent.js"

/** A node as the node faults see it. */
export interface NodeFaultTarget {
  readonly name: string
  readonly agent?: NodeAgent
}

export interface NodeFaultsOptions {
  readonly recorder: EventRecorder["Service"]
  readonly nodes: () => ReadonlyArray<NodeFaultTarget>
  /** reconciles a node in the node lifecycle controller now (its taints) */
  readonly syncNode?: (name: string) => Effect.Effect<void>
}

/** The node members of the Faults service. */
export type NodeFaults = Pick<
  Faults["Service"],
  "nodePartition" | "nodeDiskFailure" | "nodeMemoryPressure" | "nodeRecover"
>

const nodeRef = (name: string): ObjectReference => ({ apiVersion: "v1", kind: "Node", name, uid: name })
const source = { component: "podlet-faults" } as const

/** The node faults over the cluster's node agents. */
export const makeNodeFaults = (options: NodeFaultsOptions): NodeFaults => {
  const { recorder } = options

  const agentOf = (name: string): Effect.Effect<NodeAgent, FaultError> => {
    const agent = options.nodes().find((n) => n.name === name)?.agent
    return agent === undefined
      ? Effect.fail(new FaultError({ message: `nodes "${name}" not found` }))
      : Effect.succeed(agent)
  }
  const record = (name: string, message: string, reason: "FaultInjected" | "FaultCleared" = "FaultInjected") =>
    recorder.record({ involvedObject: nodeRef(name), type: "Warning", reason, message, source })
  const sync = (name: string) => options.syncNode?.(name) ?? Effect.void

  return {
    nodePartition: (name, partitioned) =>
      Effect.gen(function* () {
        const agent = yield* agentOf(name)
        if (partitioned === !agent.link.connected()) return
        if (partitioned) {
          yield* record(
            name,
            `Fault injected: node ${name} stopped posting heartbeats (partitioned from the API server)`
          )
          yield* agent.partition(true)
        } else {
          yield* agent.partition(false)
          yield* record(name, `Fault cleared: node ${name} reconnected to the API server`, "FaultCleared")
        }
      }),
    nodeDiskFailure: (name) =>
      Effect.gen(function* () {
        const agent = yield* agentOf(name)
        yield* record(name, `Fault injected: disk failure on node ${name}`)
        yield* agent.failDisk
        yield* sync(name)
        yield* agent.evict
      }),
    nodeMemoryPressure: (name, pressure = {}) =>
      Effect.gen(function* () {
        const agent = yield* agentOf(name)
        const available = pressure.available ?? "50Mi"
        yield* record(
          name,
          `Fault injected: memory pressure on node ${name} (memory.available ${available})${pressure.oomKill === true ? ", system OOM" : ""}`
        )
        yield* agent.memoryPressure({ ...pressure, available })
        yield* sync(name)
        yield* agent.evict
      }),
    nodeRecover: (name) =>
      Effect.gen(function* () {
        const agent = yield* agentOf(name)
        yield* agent.recover
        if (!agent.link.connected()) yield* agent.partition(false)
        yield* record(name, `Fault cleared: node ${name} recovered`, "FaultCleared")
        yield* sync(name)
      })
  }
}
