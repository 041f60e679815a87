/**
 * The other kinds podlet serves: Node, Namespace, Event, Service, Endpoints, ConfigMap, Secret
 * (core/v1), ReplicaSet (apps/v1), PodDisruptionBudget (policy/v1), Lease (coordination/v1).
 * Plain readonly types, as on the wire.
 */
import type { LabelSelector, ObjectMeta } from "./Meta.js"
import type { ConditionStatus, PodTemplateSpec, Protocol, ResourceList, TaintEffect } from "./Pod.js"

export interface Taint {
  readonly key: string
  readonly value?: string
  readonly effect: TaintEffect
  readonly timeAdded?: string
}

export interface NodeCondition {
  readonly type: string
  readonly status: ConditionStatus
  readonly reason?: string
  readonly message?: string
  readonly lastHeartbeatTime?: string
  readonly lastTransitionTime?: string
}

export interface NodeAddress {
  readonly type: "InternalIP" | "ExternalIP" | "Hostname" | "InternalDNS" | "ExternalDNS"
  readonly address: string
}

export interface NodeSystemInfo {
  readonly machineID: string
  readonly systemUUID: string
  readonly bootID: string
  readonly kernelVersion: string
  readonly osImage: string
  readonly containerRuntimeVersion: string
  readonly kubeletVersion: string
  readonly kubeProxyVersion: string
  readonly operatingSystem: string
  readonly architecture: string
}

export interface NodeSpec {
  readonly podCIDR?: string
  readonly podCIDRs?: ReadonlyArray<string>
  readonly unschedulable?: boolean
  readonly taints?: ReadonlyArray<Taint>
  readonly providerID?: string
}

export interface NodeStatus {
  readonly capacity?: ResourceList
  readonly allocatable?: ResourceList
  readonly conditions?: ReadonlyArray<NodeCondition>
  readonly addresses?: ReadonlyArray<NodeAddress>
  readonly nodeInfo?: NodeSystemInfo
  readonly images?: ReadonlyArray<{ readonly names: ReadonlyArray<string>; readonly sizeBytes?: number }>
  readonly phase?: string
}

export interface Node {
  readonly apiVersion: "v1"
  readonly kind: "Node"
  readonly metadata: ObjectMeta
  readonly spec?: NodeSpec
  readonly status?: NodeStatus
}

export interface Namespace {
  readonly apiVersion: "v1"
  readonly kind: "Namespace"
  readonly metadata: ObjectMeta
  readonly spec?: { readonly finalizers?: ReadonlyArray<string> }
  readonly status?: { readonly phase?: "Active" | "Terminating" }
}

export interface ObjectReference {
  readonly apiVersion?: string
  readonly kind?: string
  readonly name?: string
  readonly namespace?: string
  readonly uid?: string
  readonly resourceVersion?: string
  readonly fieldPath?: string
}

/** core/v1 Event, counted and deduplicated like the kubelet's recorder. */
export interface Event {
  readonly apiVersion: "v1"
  readonly kind: "Event"
  readonly metadata: ObjectMeta
  readonly involvedObject: ObjectReference
  readonly reason?: string
  readonly message?: string
  readonly type?: "Normal" | "Warning"
  readonly count?: number
  readonly firstTimestamp?: string
  readonly lastTimestamp?: string
  readonly eventTime?: string | null
  readonly source?: { readonly component?: string; readonly host?: string }
  readonly reportingComponent?: string
  readonly reportingInstance?: string
  readonly action?: string
}

export interface ServicePort {
  readonly name?: string
  readonly protocol?: Protocol
  readonly port: number
  readonly targetPort?: number | string
  readonly nodePort?: number
}

export interface ServiceSpec {
  readonly selector?: Readonly<Record<string, string>>
  readonly ports?: ReadonlyArray<ServicePort>
  readonly clusterIP?: string
  readonly clusterIPs?: ReadonlyArray<string>
  readonly type?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
  readonly externalName?: string
  readonly sessionAffinity?: string
  readonly publishNotReadyAddresses?: boolean
}

export interface Service {
  readonly apiVersion: "v1"
  readonly kind: "Service"
  readonly metadata: ObjectMeta
  readonly spec?: ServiceSpec
  readonly status?: { readonly loadBalancer?: unknown }
}

export interface EndpointAddress {
  readonly ip: string
  readonly hostname?: string
  readonly nodeName?: string
  readonly targetRef?: ObjectReference
}

export interface EndpointSubset {
  readonly addresses?: ReadonlyArray<EndpointAddress>
  readonly notReadyAddresses?: ReadonlyArray<EndpointAddress>
  readonly ports?: ReadonlyArray<{ readonly name?: string; readonly port: number; readonly protocol?: Protocol }>
}

export interface Endpoints {
  readonly apiVersion: "v1"
  readonly kind: "Endpoints"
  readonly metadata: ObjectMeta
  readonly subsets?: ReadonlyArray<EndpointSubset>
}

export interface ConfigMap {
  readonly apiVersion: "v1"
  readonly kind: "ConfigMap"
  readonly metadata: ObjectMeta
  readonly data?: Readonly<Record<string, string>>
  readonly binaryData?: Readonly<Record<string, string>>
  readonly immutable?: boolean
}

export interface Secret {
  readonly apiVersion: "v1"
  readonly kind: "Secret"
  readonly metadata: ObjectMeta
  readonly type?: string
  /** base64-encoded values, as on the wire. */
  readonly data?: Readonly<Record<string, string>>
  /** write-only convenience, merged into `data` on create/update. */
  readonly stringData?: Readonly<Record<string, string>>
  readonly immutable?: boolean
}

export interface ReplicaSetSpec {
  readonly replicas?: number
  readonly minReadySeconds?: number
  readonly selector: LabelSelector
  readonly template: PodTemplateSpec
}

export interface ReplicaSetStatus {
  readonly replicas: number
  readonly fullyLabeledReplicas?: number
  readonly readyReplicas?: number
  readonly availableReplicas?: number
  readonly observedGeneration?: number
}

export interface ReplicaSet {
  readonly apiVersion: "apps/v1"
  readonly kind: "ReplicaSet"
  readonly metadata: ObjectMeta
  readonly spec: ReplicaSetSpec
  readonly status?: ReplicaSetStatus
}

export interface PodDisruptionBudget {
  readonly apiVersion: "policy/v1"
  readonly kind: "PodDisruptionBudget"
  readonly metadata: ObjectMeta
  readonly spec: {
    readonly selector?: LabelSelector
    readonly minAvailable?: number | string
    readonly maxUnavailable?: number | string
  }
  readonly status?: {
    readonly currentHealthy: number
    readonly desiredHealthy: number
    readonly disruptionsAllowed: number
    readonly expectedPods: number
    readonly observedGeneration?: number
  }
}

export interface Lease {
  readonly apiVersion: "coordination.k8s.io/v1"
  readonly kind: "Lease"
  readonly metadata: ObjectMeta
  readonly spec?: {
    readonly holderIdentity?: string
    readonly leaseDurationSeconds?: number
    readonly renewTime?: string
  }
}
