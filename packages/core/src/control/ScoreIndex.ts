/**
 * The scheduling cycle for plain pods in O(log nodes) instead of a filter pass over
 * `numFeasibleNodesToFind` nodes (420 of 1,000): for each requests signature, a segment tree over
 * the name-sorted node list keeps how many nodes fit and which fitting node scores best in each
 * segment. The round-robin window, the node picked and the next start index are exactly those of
 * `scheduleOne`, which still decides every pod this index does not cover: pods with selectors,
 * node affinity, host ports or extended resources; pods with tolerations while some node is cordoned
 * or has a NoSchedule/NoExecute taint (every pod has the default not-ready/unreachable tolerations);
 * every pod while some node has a PreferNoSchedule taint; and pods that fit nowhere (the FitError
 * message needs every node's reasons).
 * The scheduler reports every node change (`changed`) and every change of the node list (`reset`).
 */
import type { NodeState, ScheduleResult, SchedulingPod } from "./SchedulingDecision.js"
import {
  balancedAllocationScore,
  fitsPlain,
  leastAllocatedScore,
  numFeasibleNodesToFind
} from "./SchedulingDecision.js"

/** Trees kept at once (one per requests signature); the oldest goes first. */
const maxTrees = 8

/** One requests signature's tree: feasible counts and best node index per segment. */
interface Tree {
  /** a pod of this signature (only its requests are read) */
  readonly pod: SchedulingPod
  readonly count: Int32Array
  /** index of the best fitting node of the segment, -1 when none fits */
  readonly best: Int32Array
  /** each node's resource score (LeastAllocated + BalancedAllocation) */
  readonly score: Int32Array
}

export interface ScoreIndex {
  /** the node list changed (a node added or removed); `nodes` sorted by name */
  reset(nodes: ReadonlyArray<NodeState>): void
  /** a node's state changed (its pods' accounting, labels, taints, allocatable) */
  changed(node: NodeState): void
  /** `scheduleOne(pod, nodes, startIndex)` when the index covers the pod, else undefined */
  schedule(pod: SchedulingPod, startIndex: number): ScheduleResult | undefined
}

const signatureOf = (pod: SchedulingPod): string => {
  const r = pod.requests
  return `${r.cpu}/${r.memory}/${r.nonZeroCpu}/${r.nonZeroMemory}`
}

/** An empty index; `reset` gives it the nodes. */
export const makeScoreIndex = (): ScoreIndex => {
  let nodes: ReadonlyArray<NodeState> = []
  /** the node list changed and the per-node arrays below are not rebuilt yet (a cluster's nodes join one by one) */
  let stale = false
  let position = new Map<NodeState, number>()
  /** leaves start here (a power of two >= the node count) */
  let size = 1
  /** nodes with a PreferNoSchedule taint (their normalized TaintToleration score differs), and which */
  let softTainted = 0
  let soft = new Uint8Array(0)
  /** nodes cordoned or with a NoSchedule/NoExecute taint (a pod's tolerations decide there), and which */
  let restricted = 0
  let hard = new Uint8Array(0)
  const trees = new Map<string, Tree>()
  let lastRequests: SchedulingPod["requests"] | undefined
  let lastTree: Tree | undefined

  /** the better of two node indexes for the tree (higher score, then lower index) */
  const better = (tree: Tree, a: number, b: number): number => {
    if (a < 0) return b
    if (b < 0) return a
    const sa = tree.score[a]!
    const sb = tree.score[b]!
    return sb > sa || (sb === sa && b < a) ? b : a
  }

  const setLeaf = (tree: Tree, i: number): void => {
    const node = nodes[i]!
    const fits = fitsPlain(tree.pod, node)
    tree.score[i] = fits ? leastAllocatedScore(tree.pod, node) + balancedAllocationScore(tree.pod, node) : 0
    tree.count[size + i] = fits ? 1 : 0
    tree.best[size + i] = fits ? i : -1
  }

  const pull = (tree: Tree, k: number): void => {
    tree.count[k] = tree.count[2 * k]! + tree.count[2 * k + 1]!
    tree.best[k] = better(tree, tree.best[2 * k]!, tree.best[2 * k + 1]!)
  }

  const build = (pod: SchedulingPod): Tree => {
    const tree: Tree = {
      pod,
      count: new Int32Array(2 * size),
      best: new Int32Array(2 * size).fill(-1),
      score: new Int32Array(nodes.length)
    }
    for (let i = 0; i < nodes.length; i++) setLeaf(tree, i)
    for (let k = size - 1; k >= 1; k--) pull(tree, k)
    return tree
  }

  const treeFor = (pod: SchedulingPod): Tree => {
    if (pod.requests === lastRequests && lastTree !== undefined) return lastTree
    const key = signatureOf(pod)
    let tree = trees.get(key)
    if (tree === undefined) {
      if (trees.size >= maxTrees) trees.delete(trees.keys().next().value!)
      tree = build(pod)
      trees.set(key, tree)
    }
    lastRequests = pod.requests
    lastTree = tree
    return tree
  }

  /** feasible nodes among indexes [0, end) */
  const countBefore = (tree: Tree, end: number): number => {
    let n = 0
    for (let l = size, r = size + end; l < r; l >>= 1, r >>= 1) {
      if (l & 1) n += tree.count[l++]!
      if (r & 1) n += tree.count[--r]!
    }
    return n
  }

  /** the index of the k-th (1-based) feasible node */
  const kth = (tree: Tree, k: number): number => {
    let node = 1
    while (node < size) {
      const left = tree.count[2 * node]!
      if (left >= k) node = 2 * node
      else {
        k -= left
        node = 2 * node + 1
      }
    }
    return node - size
  }

  /** the best feasible node among indexes [from, to), -1 when none */
  const bestIn = (tree: Tree, from: number, to: number): number => {
    let best = -1
    for (let l = size + from, r = size + to; l < r; l >>= 1, r >>= 1) {
      if (l & 1) best = better(tree, best, tree.best[l++]!)
      if (r & 1) best = better(tree, best, tree.best[--r]!)
    }
    return best
  }

  /** rebuilds the per-node arrays after `reset` */
  const refresh = (): void => {
    if (!stale) return
    stale = false
    const next = nodes
    position = new Map(next.map((node, i) => [node, i]))
    size = 1
    while (size < next.length) size *= 2
    soft = new Uint8Array(next.length)
    hard = new Uint8Array(next.length)
    softTainted = 0
    restricted = 0
    next.forEach((node, i) => {
      soft[i] = node.softTaints.length > 0 ? 1 : 0
      hard[i] = node.unschedulable || node.hardTaints.length > 0 ? 1 : 0
      softTainted += soft[i]!
      restricted += hard[i]!
    })
  }

  return {
    reset: (next) => {
      nodes = next
      stale = true
      trees.clear()
      lastRequests = undefined
      lastTree = undefined
    },
    changed: (node) => {
      if (stale) return
      const i = position.get(node)
      if (i === undefined) return
      const tainted = node.softTaints.length > 0 ? 1 : 0
      softTainted += tainted - soft[i]!
      soft[i] = tainted
      const closed = node.unschedulable || node.hardTaints.length > 0 ? 1 : 0
      restricted += closed - hard[i]!
      hard[i] = closed
      for (const tree of trees.values()) {
        setLeaf(tree, i)
        for (let k = (size + i) >> 1; k >= 1; k >>= 1) pull(tree, k)
      }
    },
    schedule: (pod, startIndex) => {
      refresh()
      const total = nodes.length
      if (
        total === 0 ||
        softTainted > 0 ||
        (restricted > 0 && pod.tolerations.length > 0) ||
        pod.nodeSelector.length > 0 ||
        pod.requiredTerms !== undefined ||
        pod.hostPorts.length > 0 ||
        pod.preferredTerms.length > 0 ||
        pod.requests.scalar !== undefined
      ) {
        return undefined
      }
      const tree = treeFor(pod)
      const feasible = tree.count[1]!
      if (feasible === 0) return undefined
      const wanted = numFeasibleNodesToFind(total)
      const start = startIndex % total
      let processed: number
      let best: number
      if (feasible < wanted) {
        processed = total
        best = tree.best[1]!
      } else {
        const before = countBefore(tree, start)
        const after = feasible - before
        if (after >= wanted) {
          const last = kth(tree, before + wanted)
          processed = last - start + 1
          best = bestIn(tree, start, last + 1)
        } else {
          const last = kth(tree, wanted - after)
          processed = total - start + last + 1
          best = better(tree, bestIn(tree, start, total), bestIn(tree, 0, last + 1))
        }
      }
      return { _tag: "Scheduled", node: nodes[best]!, nextStartIndex: (start + processed) % total }
    }
  }
}
