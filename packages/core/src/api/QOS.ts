/**
 * The pod's QoS class (`pkg/apis/core/helper/qos` `GetPodQOS`): Guaranteed when every container
 * has cpu and memory limits and requests equal to them, BestEffort when nothing is requested or
 * limited, Burstable otherwise. Computed once, on create, after defaulting.
 */
import type { PodSpec, PodStatus, ResourceList } from "./Pod.js"
import { type Quantity, quantityOrUndefined } from "./Quantity.js"

export type QOSClass = NonNullable<PodStatus["qosClass"]>

/** Summed positive cpu and memory, in nanos (-1n: none of that resource). */
interface Sums {
  cpu: bigint
  memory: bigint
}

const positive = (value: unknown): Quantity | undefined => {
  if (value === undefined) return undefined
  const q = quantityOrUndefined(value as string)
  return q !== undefined && q.nanos > 0n ? q : undefined
}

const add = (sum: bigint, q: Quantity | undefined): bigint =>
  q === undefined ? sum : sum < 0n ? q.nanos : sum + q.nanos

const present = (sum: bigint): number => (sum < 0n ? 0 : 1)

/** Adds the containers' cpu and memory to the sums; false when one of them misses a cpu or memory limit. */
const visit = (containers: PodSpec["containers"] | undefined, requests: Sums, limits: Sums): boolean => {
  let guaranteed = true
  if (containers === undefined) return guaranteed
  for (const c of containers) {
    const resources = c.resources
    const req = resources?.requests as ResourceList | undefined
    const lim = resources?.limits as ResourceList | undefined
    requests.cpu = add(requests.cpu, positive(req?.cpu))
    requests.memory = add(requests.memory, positive(req?.memory))
    const cpu = positive(lim?.cpu)
    const memory = positive(lim?.memory)
    limits.cpu = add(limits.cpu, cpu)
    limits.memory = add(limits.memory, memory)
    if (cpu === undefined || memory === undefined) guaranteed = false
  }
  return guaranteed
}

/** `GetPodQOS` over init and app containers (cpu and memory only; no maps or copies). */
export const podQOSClass = (spec: PodSpec): QOSClass => {
  const requests: Sums = { cpu: -1n, memory: -1n }
  const limits: Sums = { cpu: -1n, memory: -1n }
  // no closure per call: tsx's keepNames would name each one (a defineProperty per pod)
  const initGuaranteed = visit(spec.initContainers, requests, limits)
  let guaranteed = visit(spec.containers, requests, limits) && initGuaranteed
  const requested = present(requests.cpu) + present(requests.memory)
  const limited = present(limits.cpu) + present(limits.memory)
  if (requested === 0 && limited === 0) return "BestEffort"
  if (guaranteed) {
    // every requested resource is limited at the same total
    if (requests.cpu >= 0n && requests.cpu !== limits.cpu) guaranteed = false
    if (requests.memory >= 0n && requests.memory !== limits.memory) guaranteed = false
  }
  return guaranteed && requested === limited ? "Guaranteed" : "Burstable"
}
