/**
 * The kube-scheduler's decision for one pod, as pure functions over the scheduler's node cache
 * (`pkg/scheduler/framework/plugins/*`, default profile): filters in the default plugin order
 * (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit; a node stops at
 * the first plugin that rejects it), scores (TaintToleration ×3, NodeAffinity ×2, NodeResourcesFit
 * LeastAllocated ×1, NodeResourcesBalancedAllocation ×1), the adaptive number of feasible nodes to
 * find from a round-robin start index, and the `FitError` message with its preemption part.
 * Not modelled: inter-pod affinity, topology spread, image locality, volumes, preemption itself
 * (the preemption message assumes no lower-priority victims). Ties go to the lowest node name
 * (upstream picks one at random).
 */
import type { Taint } from "../api/Objects.js"
import type {
  Container,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  QuantityValue,
  ResourceList,
  Toleration
} from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { milliValue, quantityOrUndefined, unitValue } from "../api/Quantity.js"

/** `node.kubernetes.io/unschedulable`: the taint semantics of `spec.unschedulable`. */
export const TaintNodeUnschedulable = "node.kubernetes.io/unschedulable"
/** `v1.PodReasonUnschedulable`. */
export const ReasonUnschedulable = "Unschedulable"
/** `ErrNoNodesAvailable`. */
export const NoNodesAvailableMessage = "no nodes available to schedule pods"

/** Filter reasons, worded as the plugins word them. */
export const FilterReason = {
  unschedulable: "node(s) were unschedulable",
  affinity: "node(s) didn't match Pod's node affinity/selector",
  ports: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: "Too many pods",
  untoleratedTaint: (taint: Taint): string => `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`,
  insufficient: (resource: string): string => `Insufficient ${resource}`
} as const

/** Preemption's per-node verdicts (DefaultPreemption). */
export const PreemptionReason = {
  notHelpful: "Preemption is not helpful for scheduling",
  noVictims: "No preemption victims found for incoming pod"
} as const

/** `schedutil.DefaultMilliCPURequest` / `DefaultMemoryRequest`: what scoring assumes for a missing request. */
export const DefaultMilliCpuRequest = 100
export const DefaultMemoryRequest = 200 * 1024 * 1024

const maxNodeScore = 100
const minFeasibleNodesToFind = 100
const minFeasibleNodesPercentageToFind = 5

// ---------------------------------------------------------------------------------------------
// quantities

const milliCache = new Map<QuantityValue, number>()
const unitCache = new Map<QuantityValue, number>()

/** A quantity in milli-units (cpu), rounded up; 0 when unparsable. Cached by text. */
export const milliOf = (value: QuantityValue): number => {
  let n = milliCache.get(value)
  if (n === undefined) {
    const q = quantityOrUndefined(value)
    n = q === undefined ? 0 : milliValue(q)
    if (milliCache.size > 4096) milliCache.clear()
    milliCache.set(value, n)
  }
  return n
}

/** A quantity in whole units (bytes, counts), rounded up; 0 when unparsable. Cached by text. */
export const unitsOf = (value: QuantityValue): number => {
  let n = unitCache.get(value)
  if (n === undefined) {
    const q = quantityOrUndefined(value)
    n = q === undefined ? 0 : unitValue(q)
    if (unitCache.size > 4096) unitCache.clear()
    unitCache.set(value, n)
  }
  return n
}

const amountOf = (resource: string, value: QuantityValue): number =>
  resource === "cpu" ? milliOf(value) : unitsOf(value)

// ---------------------------------------------------------------------------------------------
// pod requests (`resourcehelper.PodRequests`)

/** What a pod asks of a node: cpu in millicores, everything else in units. */
export interface PodRequests {
  readonly cpu: number
  readonly memory: number
  /** ephemeral-storage and extended resources (`nvidia.com/gpu`), when requested */
  readonly scalar: ReadonlyMap<string, number> | undefined
  /** with a missing cpu/memory request counted as 100m / 200Mi (what scoring uses) */
  readonly nonZeroCpu: number
  readonly nonZeroMemory: number
}

type Totals = Map<string, number>

const containerRequests = (c: Container, nonZero: boolean): Totals => {
  const out: Totals = new Map()
  const requests = c.resources?.requests
  if (requests !== undefined) for (const [k, v] of Object.entries(requests)) out.set(k, amountOf(k, v))
  if (nonZero) {
    if (!out.has("cpu")) out.set("cpu", DefaultMilliCpuRequest)
    if (!out.has("memory")) out.set("memory", DefaultMemoryRequest)
  }
  return out
}

const addInto = (into: Totals, add: Totals): void => {
  for (const [k, v] of add) into.set(k, (into.get(k) ?? 0) + v)
}

const maxInto = (into: Totals, other: Totals): void => {
  for (const [k, v] of other) if (v > (into.get(k) ?? 0)) into.set(k, v)
}

/** `PodRequests`: app containers summed; sidecars add up; regular init containers run one at a time. */
const podTotals = (spec: PodSpec, nonZero: boolean): Totals => {
  const reqs: Totals = new Map()
  for (const c of spec.containers) addInto(reqs, containerRequests(c, nonZero))
  const sidecars: Totals = new Map()
  const initMax: Totals = new Map()
  for (const c of spec.initContainers ?? []) {
    const own = containerRequests(c, nonZero)
    if (isSidecar(c)) {
      addInto(reqs, own)
      addInto(sidecars, own)
      maxInto(initMax, sidecars)
    } else {
      const running = new Map(own)
      addInto(running, sidecars)
      maxInto(initMax, running)
    }
  }
  maxInto(reqs, initMax)
  return reqs
}

const hasNoRequests = (spec: PodSpec): boolean =>
  spec.containers.every((c) => c.resources?.requests === undefined) &&
  (spec.initContainers ?? []).every((c) => c.resources?.requests === undefined)

const bestEffortRequests: PodRequests = {
  cpu: 0,
  memory: 0,
  scalar: undefined,
  nonZeroCpu: DefaultMilliCpuRequest,
  nonZeroMemory: DefaultMemoryRequest
}

/** The pod's requests (real and non-zero). */
export const podRequests = (spec: PodSpec): PodRequests => {
  if (hasNoRequests(spec) && (spec.initContainers ?? []).length === 0 && spec.containers.length === 1) {
    return bestEffortRequests
  }
  const real = podTotals(spec, false)
  const nonZero = podTotals(spec, true)
  let scalar: Map<string, number> | undefined
  for (const [k, v] of real) {
    if (k === "cpu" || k === "memory" || v === 0) continue
    scalar ??= new Map()
    scalar.set(k, v)
  }
  return {
    cpu: real.get("cpu") ?? 0,
    memory: real.get("memory") ?? 0,
    scalar,
    nonZeroCpu: nonZero.get("cpu") ?? 0,
    nonZeroMemory: nonZero.get("memory") ?? 0
  }
}

// ---------------------------------------------------------------------------------------------
// the scheduler's view of a node and of a pod

/** One node as the scheduler caches it; the `requested*` fields change as pods come and go. */
export interface NodeState {
  readonly name: string
  labels: Readonly<Record<string, string>>
  unschedulable: boolean
  /** NoSchedule and NoExecute taints */
  hardTaints: ReadonlyArray<Taint>
  /** PreferNoSchedule taints */
  softTaints: ReadonlyArray<Taint>
  allocatableCpu: number
  allocatableMemory: number
  allocatablePods: number
  allocatableScalar: ReadonlyMap<string, number>
  requestedCpu: number
  requestedMemory: number
  requestedScalar: Map<string, number>
  nonZeroCpu: number
  nonZeroMemory: number
  podCount: number
  /** `protocol/hostIP/hostPort` → number of pods using it */
  usedPorts: Map<string, number>
}

/** A node object's spec/status fields the scheduler reads. */
export interface NodeInput {
  readonly name: string
  readonly labels?: Readonly<Record<string, string>>
  readonly unschedulable?: boolean
  readonly taints?: ReadonlyArray<Taint>
  readonly allocatable?: ResourceList
}

/** A fresh node state (no pods). */
export const makeNodeState = (input: NodeInput): NodeState => {
  const state: NodeState = {
    name: input.name,
    labels: {},
    unschedulable: false,
    hardTaints: [],
    softTaints: [],
    allocatableCpu: 0,
    allocatableMemory: 0,
    allocatablePods: 0,
    allocatableScalar: new Map(),
    requestedCpu: 0,
    requestedMemory: 0,
    requestedScalar: new Map(),
    nonZeroCpu: 0,
    nonZeroMemory: 0,
    podCount: 0,
    usedPorts: new Map()
  }
  updateNodeState(state, input)
  return state
}

/** Applies a node update (labels, taints, unschedulable, allocatable); pod accounting is kept. */
export const updateNodeState = (state: NodeState, input: NodeInput): void => {
  state.labels = input.labels ?? {}
  state.unschedulable = input.unschedulable === true
  const taints = input.taints ?? []
  state.hardTaints = taints.filter((t) => t.effect === "NoSchedule" || t.effect === "NoExecute")
  state.softTaints = taints.filter((t) => t.effect === "PreferNoSchedule")
  const allocatable = input.allocatable ?? {}
  const scalar = new Map<string, number>()
  let cpu = 0
  let memory = 0
  let pods = 0
  for (const [k, v] of Object.entries(allocatable)) {
    if (k === "cpu") cpu = milliOf(v)
    else if (k === "memory") memory = unitsOf(v)
    else if (k === "pods") pods = unitsOf(v)
    else scalar.set(k, unitsOf(v))
  }
  state.allocatableCpu = cpu
  state.allocatableMemory = memory
  state.allocatablePods = pods
  state.allocatableScalar = scalar
}

/** A pod compiled once for scheduling. */
export interface SchedulingPod {
  readonly requests: PodRequests
  readonly tolerations: ReadonlyArray<Toleration>
  readonly nodeSelector: ReadonlyArray<readonly [string, string]>
  /** OR of terms; undefined = no required node affinity */
  readonly requiredTerms: ReadonlyArray<NodeSelectorTerm> | undefined
  readonly preferredTerms: ReadonlyArray<{ readonly weight: number; readonly preference: NodeSelectorTerm }>
  /** `protocol/hostIP/hostPort` of every container port with a hostPort */
  readonly hostPorts: ReadonlyArray<string>
  readonly preemptionNever: boolean
}

/** The keys of a pod's host ports (`TCP/0.0.0.0/8080`). */
export const hostPortKeys = (spec: PodSpec): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue
      out.push(`${p.protocol ?? "TCP"}/${p.hostIP ?? "0.0.0.0"}/${p.hostPort}`)
    }
  }
  return out
}

/** Compiles a pod spec for the filters and scores. */
export const schedulingPod = (spec: PodSpec): SchedulingPod => {
  const affinity = spec.affinity?.nodeAffinity
  return {
    requests: podRequests(spec),
    tolerations: spec.tolerations ?? [],
    nodeSelector: Object.entries(spec.nodeSelector ?? {}),
    requiredTerms: affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    preferredTerms: affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
    hostPorts: hostPortKeys(spec),
    preemptionNever: spec.preemptionPolicy === "Never"
  }
}

// ---------------------------------------------------------------------------------------------
// matching

/** `Toleration.ToleratesTaint`. */
export const toleratesTaint = (t: Toleration, taint: Taint): boolean => {
  if ((t.effect ?? "") !== "" && t.effect !== taint.effect) return false
  if ((t.key ?? "") !== "" && t.key !== taint.key) return false
  const operator = t.operator ?? "Equal"
  if (operator === "Exists") return true
  if (operator === "Equal") return (t.value ?? "") === (taint.value ?? "")
  return false
}

/** Does any toleration tolerate the taint. */
export const tolerates = (tolerations: ReadonlyArray<Toleration>, taint: Taint): boolean => {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true
  return false
}

const unschedulableTaint: Taint = { key: TaintNodeUnschedulable, effect: "NoSchedule" }

const parseInt64 = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined)

const requirementMatches = (r: NodeSelectorRequirement, value: string | undefined): boolean => {
  const values = r.values ?? []
  switch (r.operator) {
    case "In":
      return value !== undefined && values.includes(value)
    case "NotIn":
      return value === undefined || !values.includes(value)
    case "Exists":
      return value !== undefined
    case "DoesNotExist":
      return value === undefined
    case "Gt":
    case "Lt": {
      if (value === undefined || values.length !== 1) return false
      const have = parseInt64(value)
      const want = parseInt64(values[0]!)
      if (have === undefined || want === undefined) return false
      return r.operator === "Gt" ? have > want : have < want
    }
    default:
      return false
  }
}

/** One node selector term: every expression on labels and every field (only `metadata.name`, In/NotIn); empty matches nothing. */
export const termMatches = (term: NodeSelectorTerm, node: Pick<NodeState, "name" | "labels">): boolean => {
  const expressions = term.matchExpressions ?? []
  const fields = term.matchFields ?? []
  if (expressions.length === 0 && fields.length === 0) return false
  for (const r of expressions) {
    const value = Object.hasOwn(node.labels, r.key) ? node.labels[r.key] : undefined
    if (!requirementMatches(r, value)) return false
  }
  for (const r of fields) {
    if (r.key !== "metadata.name" || (r.operator !== "In" && r.operator !== "NotIn")) return false
    if (!requirementMatches(r, node.name)) return false
  }
  return true
}

/** nodeSelector and required node affinity (`NodeAffinity` filter). */
export const matchesNodeAffinity = (pod: SchedulingPod, node: Pick<NodeState, "name" | "labels">): boolean => {
  for (const [k, v] of pod.nodeSelector) if (!Object.hasOwn(node.labels, k) || node.labels[k] !== v) return false
  const terms = pod.requiredTerms
  if (terms === undefined) return true
  for (const term of terms) if (termMatches(term, node)) return true
  return false
}

// ---------------------------------------------------------------------------------------------
// filters

/** Why a node was rejected; `resolvable` = preemption could help (`Unschedulable` vs `UnschedulableAndUnresolvable`). */
export interface Rejection {
  readonly reasons: ReadonlyArray<string>
  readonly resolvable: boolean
}

const rejectUnschedulable: Rejection = { reasons: [FilterReason.unschedulable], resolvable: false }
const rejectAffinity: Rejection = { reasons: [FilterReason.affinity], resolvable: false }
const rejectPorts: Rejection = { reasons: [FilterReason.ports], resolvable: true }

/** The NodeResourcesFit reasons (`fitsRequest`): pods, cpu, memory, then the other resources. */
const insufficient = (pod: SchedulingPod, node: NodeState): Array<string> | undefined => {
  let reasons: Array<string> | undefined
  if (node.podCount + 1 > node.allocatablePods) (reasons ??= []).push(FilterReason.tooManyPods)
  const r = pod.requests
  if (r.cpu > 0 && r.cpu > node.allocatableCpu - node.requestedCpu) {
    ;(reasons ??= []).push(FilterReason.insufficient("cpu"))
  }
  if (r.memory > 0 && r.memory > node.allocatableMemory - node.requestedMemory) {
    ;(reasons ??= []).push(FilterReason.insufficient("memory"))
  }
  if (r.scalar !== undefined) {
    for (const [k, v] of r.scalar) {
      if (v > (node.allocatableScalar.get(k) ?? 0) - (node.requestedScalar.get(k) ?? 0)) {
        ;(reasons ??= []).push(FilterReason.insufficient(k))
      }
    }
  }
  return reasons
}

/** The NodeResourcesFit filter as a yes/no (what `insufficient` explains). */
const fitsResources = (pod: SchedulingPod, node: NodeState): boolean => {
  if (node.podCount + 1 > node.allocatablePods) return false
  const r = pod.requests
  if (r.cpu > 0 && r.cpu > node.allocatableCpu - node.requestedCpu) return false
  if (r.memory > 0 && r.memory > node.allocatableMemory - node.requestedMemory) return false
  if (r.scalar !== undefined) {
    for (const [k, v] of r.scalar) {
      if (v > (node.allocatableScalar.get(k) ?? 0) - (node.requestedScalar.get(k) ?? 0)) return false
    }
  }
  return true
}

/** `fitsNode` for a pod `isPlainPod` accepts: cordons, NoSchedule/NoExecute taints and resources. */
export const fitsPlain = (pod: SchedulingPod, node: NodeState): boolean =>
  !node.unschedulable && node.hardTaints.length === 0 && fitsResources(pod, node)

/** The filters in plugin order as a yes/no: what `filterNode` decides, without the reasons. */
export const fitsNode = (pod: SchedulingPod, node: NodeState): boolean => {
  if (node.unschedulable && !tolerates(pod.tolerations, unschedulableTaint)) return false
  for (const taint of node.hardTaints) if (!tolerates(pod.tolerations, taint)) return false
  if (!matchesNodeAffinity(pod, node)) return false
  for (const key of pod.hostPorts) if ((node.usedPorts.get(key) ?? 0) > 0) return false
  return fitsResources(pod, node)
}

/** Runs the filters in plugin order; undefined when the pod fits the node. */
export const filterNode = (pod: SchedulingPod, node: NodeState): Rejection | undefined => {
  if (node.unschedulable && !tolerates(pod.tolerations, unschedulableTaint)) return rejectUnschedulable
  for (const taint of node.hardTaints) {
    if (!tolerates(pod.tolerations, taint)) {
      return { reasons: [FilterReason.untoleratedTaint(taint)], resolvable: false }
    }
  }
  if (!matchesNodeAffinity(pod, node)) return rejectAffinity
  for (const key of pod.hostPorts) if ((node.usedPorts.get(key) ?? 0) > 0) return rejectPorts
  const reasons = insufficient(pod, node)
  return reasons === undefined ? undefined : { reasons, resolvable: true }
}

// ---------------------------------------------------------------------------------------------
// scores

const leastRequested = (requested: number, capacity: number): number =>
  capacity === 0 || requested > capacity ? 0 : Math.floor(((capacity - requested) * maxNodeScore) / capacity)

/** NodeResourcesFit LeastAllocated over cpu and memory (weights 1), with non-zero requests. */
export const leastAllocatedScore = (pod: SchedulingPod, node: NodeState): number => {
  const cpu = leastRequested(node.nonZeroCpu + pod.requests.nonZeroCpu, node.allocatableCpu)
  const memory = leastRequested(node.nonZeroMemory + pod.requests.nonZeroMemory, node.allocatableMemory)
  return Math.floor((cpu + memory) / 2)
}

const fraction = (requested: number, capacity: number): number =>
  capacity === 0 ? 0 : Math.min(1, requested / capacity)

/** NodeResourcesBalancedAllocation over cpu and memory: `(1 - |cpu% - mem%| / 2) * 100`. */
export const balancedAllocationScore = (pod: SchedulingPod, node: NodeState): number => {
  const cpu = fraction(node.requestedCpu + pod.requests.cpu, node.allocatableCpu)
  const memory = fraction(node.requestedMemory + pod.requests.memory, node.allocatableMemory)
  return Math.floor((1 - Math.abs(cpu - memory) / 2) * maxNodeScore)
}

const softTaintCount = (pod: SchedulingPod, node: NodeState): number => {
  let n = 0
  for (const taint of node.softTaints) {
    let tolerated = false
    for (const t of pod.tolerations) {
      if (((t.effect ?? "") === "" || t.effect === "PreferNoSchedule") && toleratesTaint(t, taint)) {
        tolerated = true
        break
      }
    }
    if (!tolerated) n++
  }
  return n
}

const preferredAffinity = (pod: SchedulingPod, node: NodeState): number => {
  let sum = 0
  for (const p of pod.preferredTerms) if (p.weight !== 0 && termMatches(p.preference, node)) sum += p.weight
  return sum
}

/** `DefaultNormalizeScore`: scale to 0..100 by the maximum, reversed for "fewer is better". */
const normalize = (raw: ReadonlyArray<number>, reverse: boolean): Array<number> => {
  let max = 0
  for (const v of raw) if (v > max) max = v
  if (max === 0) return raw.map(() => (reverse ? maxNodeScore : 0))
  return raw.map((v) => {
    const score = Math.floor((maxNodeScore * v) / max)
    return reverse ? maxNodeScore - score : score
  })
}

/** The weighted total of each feasible node's scores (default plugin weights). Hot: no closures per node. */
export const scoreNodes = (pod: SchedulingPod, nodes: ReadonlyArray<NodeState>): Array<number> => {
  let needsTaints = false
  for (const n of nodes) if (n.softTaints.length > 0) needsTaints = true
  let taints: Array<number> | undefined
  if (needsTaints) {
    const raw: Array<number> = []
    for (const n of nodes) raw.push(softTaintCount(pod, n))
    taints = normalize(raw, true)
  }
  let affinity: Array<number> | undefined
  if (pod.preferredTerms.length > 0) {
    const raw: Array<number> = []
    for (const n of nodes) raw.push(preferredAffinity(pod, n))
    affinity = normalize(raw, false)
  }
  const scores: Array<number> = new Array(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!
    scores[i] =
      3 * (taints === undefined ? maxNodeScore : taints[i]!) +
      2 * (affinity === undefined ? 0 : affinity[i]!) +
      leastAllocatedScore(pod, n) +
      balancedAllocationScore(pod, n)
  }
  return scores
}

// ---------------------------------------------------------------------------------------------
// one scheduling cycle

/** `numFeasibleNodesToFind` with the adaptive percentage (`percentageOfNodesToScore` unset). */
export const numFeasibleNodesToFind = (numAllNodes: number): number => {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes
  const percentage = Math.max(minFeasibleNodesPercentageToFind, 50 - Math.floor(numAllNodes / 125))
  return Math.max(minFeasibleNodesToFind, Math.floor((numAllNodes * percentage) / 100))
}

/** The outcome of one scheduling attempt. */
export type ScheduleResult =
  | { readonly _tag: "Scheduled"; readonly node: NodeState; readonly nextStartIndex: number }
  | { readonly _tag: "Unschedulable"; readonly message: string; readonly nextStartIndex: number }

/** A pod only resources, taints and cordons can keep off a node: no tolerations, selector, required affinity or host ports. */
export const isPlainPod = (pod: SchedulingPod): boolean =>
  pod.tolerations.length === 0 &&
  pod.nodeSelector.length === 0 &&
  pod.requiredTerms === undefined &&
  pod.hostPorts.length === 0

/**
 * Filters `nodes` (sorted by name) from `startIndex` (round robin) until enough feasible ones are
 * found, scores them and picks the best (lowest name, i.e. index, on ties); or explains why none
 * fits (the reasons are gathered only then: every node was filtered, so each is asked again).
 * While no feasible node has a PreferNoSchedule taint and the pod prefers no node affinity, the
 * normalized scores are the same on every node, so the best node is kept during the filter pass;
 * otherwise the window is filtered again into a list for `scoreNodes`.
 */
export const scheduleOne = (
  pod: SchedulingPod,
  nodes: ReadonlyArray<NodeState>,
  startIndex: number
): ScheduleResult => {
  const total = nodes.length
  if (total === 0) return { _tag: "Unschedulable", message: NoNodesAvailableMessage, nextStartIndex: 0 }
  const wanted = numFeasibleNodesToFind(total)
  const start = startIndex % total
  const plainPod = isPlainPod(pod)
  const fits = (node: NodeState): boolean => (plainPod ? fitsPlain(pod, node) : fitsNode(pod, node))
  /** the scores are the resource scores alone (the taint and affinity parts are the same for every node) */
  let resourceOnly = pod.preferredTerms.length === 0
  let found = 0
  let best = -1
  let bestScore = -1
  let processed = 0
  for (let i = 0; i < total && found < wanted; i++) {
    const index = start + i < total ? start + i : start + i - total
    const node = nodes[index]!
    processed++
    if (!fits(node)) continue
    found++
    if (!resourceOnly) continue
    if (node.softTaints.length > 0) {
      resourceOnly = false
      continue
    }
    const score = leastAllocatedScore(pod, node) + balancedAllocationScore(pod, node)
    if (score > bestScore || (score === bestScore && index < best)) {
      best = index
      bestScore = score
    }
  }
  const nextStartIndex = (start + processed) % total
  if (found === 0) {
    const rejections: Array<Rejection> = []
    for (const node of nodes) {
      const rejection = filterNode(pod, node)
      if (rejection !== undefined) rejections.push(rejection)
    }
    return { _tag: "Unschedulable", message: fitErrorMessage(total, rejections, pod.preemptionNever), nextStartIndex }
  }
  if (resourceOnly) return { _tag: "Scheduled", node: nodes[best]!, nextStartIndex }
  const feasible: Array<NodeState> = []
  for (let i = 0; i < processed; i++) {
    const node = nodes[start + i < total ? start + i : start + i - total]!
    if (fits(node)) feasible.push(node)
  }
  if (feasible.length === 1) return { _tag: "Scheduled", node: feasible[0]!, nextStartIndex }
  const scores = scoreNodes(pod, feasible)
  let top = 0
  for (let i = 1; i < feasible.length; i++) {
    const s = scores[i]!
    const b = scores[top]!
    if (s > b || (s === b && feasible[i]!.name < feasible[top]!.name)) top = i
  }
  return { _tag: "Scheduled", node: feasible[top]!, nextStartIndex }
}

const histogram = (entries: Iterable<string>): string => {
  const counts = new Map<string, number>()
  for (const e of entries) counts.set(e, (counts.get(e) ?? 0) + 1)
  return [...counts]
    .map(([reason, n]) => `${n} ${reason}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .join(", ")
}

/**
 * `FitError.Error()` with DefaultPreemption's PostFilter message, e.g.
 * `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: }. preemption: 0/3 nodes are
 * available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.`
 */
export const fitErrorMessage = (
  numAllNodes: number,
  rejections: ReadonlyArray<Rejection>,
  preemptionNever: boolean
): string => {
  const reasons = histogram(rejections.flatMap((r) => r.reasons))
  const filterPart = `0/${numAllNodes} nodes are available: ${reasons}.`
  if (preemptionNever) return `${filterPart} preemption: not eligible due to preemptionPolicy=Never.`
  const verdicts = histogram(
    rejections.map((r) => (r.resolvable ? PreemptionReason.noVictims : PreemptionReason.notHelpful))
  )
  return `${filterPart} preemption: 0/${numAllNodes} nodes are available: ${verdicts}.`
}

// ---------------------------------------------------------------------------------------------
// pod accounting on a node

/** What a bound pod takes from its node. */
export interface PodUsage {
  readonly requests: PodRequests
  readonly hostPorts: ReadonlyArray<string>
}

/** Adds (sign 1) or removes (sign -1) a pod's usage on a node. */
export const accountPod = (node: NodeState, usage: PodUsage, sign: 1 | -1): void => {
  const r = usage.requests
  node.podCount += sign
  node.requestedCpu += sign * r.cpu
  node.requestedMemory += sign * r.memory
  node.nonZeroCpu += sign * r.nonZeroCpu
  node.nonZeroMemory += sign * r.nonZeroMemory
  if (r.scalar !== undefined) {
    for (const [k, v] of r.scalar) node.requestedScalar.set(k, (node.requestedScalar.get(k) ?? 0) + sign * v)
  }
  for (const key of usage.hostPorts) {
    const n = (node.usedPorts.get(key) ?? 0) + sign
    if (n <= 0) node.usedPorts.delete(key)
    else node.usedPorts.set(key, n)
  }
}
