/**
 * Services in the cluster: ClusterIP allocation (the API server's job, done here when a Service
 * without one appears), the Endpoints controller (`pkg/controller/endpoint`: one Endpoints object per
 * Service with a selector, written only when it changes), and what kube-proxy and CoreDNS do for
 * pods: a resolver on the SimNetwork for Service and pod names (`ClusterDns`) and a router that
 * sends a connection to `ClusterIP:port` to a ready endpoint (round robin per Service port; no
 * ready endpoint = connection refused, as kube-proxy's REJECT rule). Also creates the `kubernetes`
 * Service in `default` (10.96.0.1:443) when asked.
 */
import type { Scope } from "effect"
import { Effect } from "effect"
import type { Endpoints, Service } from "../api/Objects.js"
import { jsonEqual } from "../api/Patch.js"
import type { Pod } from "../api/Pod.js"
import type { SimNetwork } from "../layers/SimNetwork.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import { resolveName } from "./ClusterDns.js"
import { ClusterDnsIP, ClusterIPAllocator, KubernetesServiceIP } from "./ClusterIPAllocator.js"
import { endpointSubsets, isHeadless, readyBackends, selectsPod } from "./EndpointsDecision.js"
import type { InformerEvent, SharedInformers } from "./Informer.js"
import { keyOf, makeSharedInformers } from "./Informer.js"
import { makeWorkQueue } from "./WorkQueue.js"

export interface ServicesOptions {
  readonly store: ObjectStore["Service"]
  /** the control plane's shared informers (default: this controller's own) */
  readonly informers?: SharedInformers
  readonly network: SimNetwork
  /** default `10.96.0.0/12` */
  readonly serviceCIDR?: string
  /** create the `kubernetes` Service and its Endpoints in `default` (default true) */
  readonly kubernetesService?: boolean
  /** the API server's address behind the `kubernetes` Service (default `172.18.0.1`) */
  readonly apiServerIP?: string
}

export interface Services {
  /** work waits or runs */
  readonly busy: () => boolean
  readonly allocator: ClusterIPAllocator
}

/** The label the Endpoints of a headless Service carry. */
const HeadlessLabel = "service.kubernetes.io/headless"

const kubernetesService = (): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "kubernetes",
    namespace: "default",
    labels: { component: "apiserver", provider: "kubernetes" }
  },
  spec: {
    type: "ClusterIP",
    clusterIP: KubernetesServiceIP,
    clusterIPs: [KubernetesServiceIP],
    sessionAffinity: "None",
    ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
    ...{ ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack", internalTrafficPolicy: "Cluster" }
  }
})

const kubernetesEndpoints = (ip: string): Endpoints => ({
  apiVersion: "v1",
  kind: "Endpoints",
  metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
  subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }]
})

const needsClusterIP = (service: Service): boolean =>
  service.spec?.type !== "ExternalName" && (service.spec?.clusterIP ?? "") === ""

/** The Service with its allocated ClusterIP and the API server's defaults for a ClusterIP Service. */
const withClusterIP = (service: Service, ip: string): Service => {
  const spec = service.spec ?? {}
  const extra = spec as { ipFamilies?: unknown; ipFamilyPolicy?: unknown; internalTrafficPolicy?: unknown }
  return {
    ...service,
    spec: {
      ...spec,
      type: spec.type ?? "ClusterIP",
      clusterIP: ip,
      clusterIPs: [ip],
      sessionAffinity: spec.sessionAffinity ?? "None",
      ...{
        ipFamilies: extra.ipFamilies ?? ["IPv4"],
        ipFamilyPolicy: extra.ipFamilyPolicy ?? "SingleStack",
        internalTrafficPolicy: extra.internalTrafficPolicy ?? "Cluster"
      }
    }
  }
}

const splitKey = (key: string): readonly [string, string] => {
  const slash = key.indexOf("/")
  return [key.slice(0, slash), key.slice(slash + 1)]
}

/** Starts the ClusterIP allocator, the Endpoints controller and cluster DNS/routing in the current scope. */
export const makeServices = Effect.fnUntraced(function* (
  options: ServicesOptions
): Effect.fn.Return<Services, never, Scope.Scope> {
  const { store, network } = options
  const shared = options.informers ?? (yield* makeSharedInformers(store))
  const allocator = new ClusterIPAllocator(options.serviceCIDR)
  allocator.reserve(KubernetesServiceIP, "default/kubernetes")
  allocator.reserve(ClusterDnsIP, "kube-system/kube-dns")
  /** ClusterIP → Service key */
  const byIp = new Map<string, string>()
  /** namespace → keys of its Services with a selector */
  const selecting = new Map<string, Set<string>>()
  /** round-robin position per `service key:port` */
  const turns = new Map<string, number>()

  if (options.kubernetesService !== false) {
    yield* store.create("services", kubernetesService()).pipe(Effect.ignore)
    yield* store.create("endpoints", kubernetesEndpoints(options.apiServerIP ?? "172.18.0.1")).pipe(Effect.ignore)
  }

  // the work queue is created after the informers that feed it; handlers only run once it exists
  let enqueue: (key: string) => void = () => {}

  const onService = (event: InformerEvent<Service>): void => {
    const service = event.object
    const key = keyOf(service)
    const namespace = service.metadata.namespace ?? "default"
    const oldIp = event.old?.spec?.clusterIP
    if (oldIp !== undefined && oldIp !== service.spec?.clusterIP && byIp.get(oldIp) === key) {
      byIp.delete(oldIp)
      allocator.release(oldIp, key)
    }
    if (event.type === "DELETED") {
      const ip = service.spec?.clusterIP
      if (ip !== undefined && byIp.get(ip) === key) byIp.delete(ip)
      if (ip !== undefined) allocator.release(ip, key)
      selecting.get(namespace)?.delete(key)
      enqueue(key)
      return
    }
    const ip = service.spec?.clusterIP
    if (ip !== undefined && ip !== "" && ip !== "None") {
      // a chosen IP another Service holds stays with its first owner (the API server would refuse it)
      if (allocator.reserve(ip, key) === "ok") byIp.set(ip, key)
    }
    let set = selecting.get(namespace)
    if (service.spec?.selector !== undefined) {
      if (set === undefined) selecting.set(namespace, (set = new Set()))
      set.add(key)
    } else set?.delete(key)
    enqueue(key)
  }

  const onPod = (event: InformerEvent<Pod>): void => {
    const pod = event.object
    const namespace = pod.metadata.namespace ?? "default"
    for (const serviceKey of selecting.get(namespace) ?? []) {
      const service = services.get(serviceKey)
      if (service === undefined) continue
      if (selectsPod(service, pod) || (event.old !== undefined && selectsPod(service, event.old))) enqueue(serviceKey)
    }
  }

  const onEndpoints = (event: InformerEvent<Endpoints>): void => {
    const key = keyOf(event.object)
    if (selecting.get(event.object.metadata.namespace ?? "default")?.has(key) === true) enqueue(key)
  }

  const services = yield* shared.informer<Service>("services", onService)
  const endpoints = yield* shared.informer<Endpoints>("endpoints", onEndpoints)
  const pods = yield* shared.informer<Pod>("pods", onPod)

  const desiredEndpoints = (service: Service): Endpoints => {
    const [namespace, name] = splitKey(keyOf(service))
    const subsets = endpointSubsets(service, pods.inNamespace(namespace))
    const labels = { ...service.metadata.labels, ...(isHeadless(service) ? { [HeadlessLabel]: "" } : {}) }
    return {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name, namespace, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
      ...(subsets.length > 0 ? { subsets } : {})
    }
  }

  const reconcile = Effect.fnUntraced(function* (key: string) {
    const [namespace, name] = splitKey(key)
    const service = services.get(key)
    if (service === undefined) {
      if (endpoints.get(key) !== undefined) {
        yield* store.delete("endpoints", namespace, name).pipe(Effect.catchTag("NotFound", () => Effect.void))
      }
      return
    }
    if (needsClusterIP(service)) {
      const ip = allocator.allocate(key)
      if (ip === undefined) return yield* Effect.logWarning(`service ${key}: the service CIDR is full`)
      const written = yield* Effect.result(store.update("services", withClusterIP(service, ip)))
      if (written._tag === "Failure") allocator.release(ip, key)
      return
    }
    if (service.spec?.selector === undefined) return
    const desired = desiredEndpoints(service)
    const existing = endpoints.get(key)
    if (existing === undefined) {
      yield* store.create("endpoints", desired).pipe(Effect.catchTag("AlreadyExists", () => Effect.void))
      return
    }
    if (
      jsonEqual(existing.subsets ?? [], desired.subsets ?? []) &&
      jsonEqual(existing.metadata.labels, desired.metadata.labels)
    ) {
      return
    }
    yield* store.update("endpoints", {
      ...existing,
      metadata: {
        ...existing.metadata,
        ...(desired.metadata.labels !== undefined ? { labels: desired.metadata.labels } : {})
      },
      subsets: desired.subsets ?? []
    } as Endpoints)
  })

  const queue = yield* makeWorkQueue("endpoints-controller", reconcile)
  enqueue = (key) => queue.add(key)
  for (const service of services.values()) queue.add(keyOf(service))

  const view = {
    service: (namespace: string, name: string) => services.get(`${namespace}/${name}`),
    endpoints: (namespace: string, name: string) => endpoints.get(`${namespace}/${name}`)
  }
  network.setResolver((name, fromNamespace) => resolveName(view, name, fromNamespace))
  network.setRouter((ip, port) => {
    const key = byIp.get(ip)
    const service = key === undefined ? undefined : services.get(key)
    if (key === undefined || service === undefined) return undefined
    const servicePort = (service.spec?.ports ?? []).find((p) => p.port === port && (p.protocol ?? "TCP") === "TCP")
    if (servicePort === undefined) return undefined
    const backends = readyBackends(servicePort, endpoints.get(key)?.subsets ?? [])
    if (backends.length === 0) return "refused"
    const turnKey = `${key}:${port}`
    const turn = turns.get(turnKey) ?? 0
    turns.set(turnKey, turn + 1)
    return backends[turn % backends.length]
  })

  return { busy: queue.busy, allocator }
})
