/**
 * Cluster DNS (CoreDNS's `kubernetes` plugin) as a pure lookup over the Services and Endpoints a
 * resolver sees, with the pod's resolv.conf search path (`<ns>.svc.<domain> svc.<domain> <domain>`,
 * `ndots:5`):
 * - `<svc>.<ns>.svc.<domain>`: the ClusterIP; for a headless Service its first ready address;
 * - `<hostname>.<subdomain>.<ns>.svc.<domain>`: the ready address with that hostname in the
 *   Endpoints of the headless Service `<subdomain>` (pod FQDNs);
 * - `<a-b-c-d>.<ns>.pod.<domain>`: the IP `a.b.c.d` (`pods insecure`).
 * Names outside the cluster domain do not resolve (there is no internet). ExternalName Services
 * do not resolve either (their CNAME target is outside the simulation).
 */
import type { Endpoints, Service } from "../api/Objects.js"
import { isHeadless } from "./EndpointsDecision.js"

/** The cluster DNS domain. */
export const ClusterDomain = "cluster.local"

/** What the resolver reads: Services and Endpoints by namespace and name. */
export interface DnsView {
  readonly service: (namespace: string, name: string) => Service | undefined
  readonly endpoints: (namespace: string, name: string) => Endpoints | undefined
}

const ndots = 5

const dashedIp = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/

/** The first ready address of an Endpoints object (optionally the one with `hostname`). */
const readyAddress = (endpoints: Endpoints | undefined, hostname?: string): string | undefined => {
  for (const subset of endpoints?.subsets ?? []) {
    for (const address of subset.addresses ?? []) {
      if (hostname === undefined || address.hostname === hostname) return address.ip
    }
  }
  return undefined
}

/** Answers one fully qualified name (no trailing dot, lower case). */
export const lookupFqdn = (view: DnsView, fqdn: string, domain = ClusterDomain): string | undefined => {
  const suffix = `.${domain}`
  if (!fqdn.endsWith(suffix)) return undefined
  const labels = fqdn.slice(0, -suffix.length).split(".")
  if (labels.length === 3 && labels[2] === "svc") {
    const service = view.service(labels[1]!, labels[0]!)
    if (service === undefined || service.spec?.type === "ExternalName") return undefined
    if (isHeadless(service)) return readyAddress(view.endpoints(labels[1]!, labels[0]!))
    const ip = service.spec?.clusterIP
    return ip === undefined || ip === "" ? undefined : ip
  }
  if (labels.length === 4 && labels[3] === "svc") {
    const service = view.service(labels[2]!, labels[1]!)
    if (service === undefined || !isHeadless(service)) return undefined
    return readyAddress(view.endpoints(labels[2]!, labels[1]!), labels[0]!)
  }
  if (labels.length === 3 && labels[2] === "pod") {
    const m = dashedIp.exec(labels[0]!)
    if (m === null || m.slice(1).some((o) => Number(o) > 255)) return undefined
    return m.slice(1).join(".")
  }
  return undefined
}

/** The names a stub resolver tries for `name` from a pod in `namespace`, in order. */
export const searchCandidates = (name: string, namespace: string, domain = ClusterDomain): ReadonlyArray<string> => {
  const lower = name.toLowerCase().replace(/\.$/, "")
  const search = [`${namespace}.svc.${domain}`, `svc.${domain}`, domain].map((d) => `${lower}.${d}`)
  const dots = lower.split(".").length - 1
  return dots >= ndots ? [lower, ...search] : [...search, lower]
}

/** Resolves a name as a pod in `namespace` would through cluster DNS. */
export const resolveName = (
  view: DnsView,
  name: string,
  namespace: string,
  domain = ClusterDomain
): string | undefined => {
  for (const candidate of searchCandidates(name, namespace, domain)) {
    const ip = lookupFqdn(view, candidate, domain)
    if (ip !== undefined) return ip
  }
  return undefined
}
