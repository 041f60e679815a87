/**
 * The pod's QoS class (`pkg/apis/core/helper/qos` `GetPodQOS`): Guaranteed when every container
 * has cpu and memory limits and requests equal to them, BestEffort when nothing is requested or
 * limited, Burstable otherwise. Computed once, on create, after defaulting.
 */
import type { PodSpec, PodStatus, ResourceList } from "./Pod.js"
import { type Quantity, quantityOrUndefined } from "./Quantity.js"

export type QOSClass = NonNullable<PodStatus["qosClass"]>

const qosResources = new Set(["cpu", "memory"])

const positive = (list: ResourceList | undefined): Map<string, Quantity> => {
  const out = new Map<string, Quantity>()
  for (const [name, value] of Object.entries(list ?? {})) {
    if (!qosResources.has(name)) continue
    const q = quantityOrUndefined(value)
    if (q !== undefined && q.nanos > 0n) out.set(name, q)
  }
  return out
}

const accumulate = (into: Map<string, bigint>, from: Map<string, Quantity>): void => {
  for (const [name, q] of from) into.set(name, (into.get(name) ?? 0n) + q.nanos)
}

/** `GetPodQOS` over init and app containers. */
export const podQOSClass = (spec: PodSpec): QOSClass => {
  const requests = new Map<string, bigint>()
  const limits = new Map<string, bigint>()
  let guaranteed = true
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    accumulate(requests, positive(c.resources?.requests))
    const found = positive(c.resources?.limits)
    accumulate(limits, found)
    if (!found.has("cpu") || !found.has("memory")) guaranteed = false
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort"
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false
        break
      }
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable"
}
