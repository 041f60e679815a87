/**
 * core/v1 Pod: spec, containers, volumes, probes, hooks, and the status shapes of
 * `../shared/spec/pod-lifecycle.md` §1. Plain readonly types, as on the wire.
 */
import type { LabelSelector, ObjectMeta } from "./Meta.js"

export type RestartPolicy = "Always" | "OnFailure" | "Never"
export type PullPolicy = "Always" | "IfNotPresent" | "Never"
export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown"
export type ConditionStatus = "True" | "False" | "Unknown"
export type Protocol = "TCP" | "UDP" | "SCTP"

/** A quantity as written (`500m`, `64Mi`, `1.5Gi`) or a bare number. See `Quantity.ts`. */
export type QuantityValue = string | number
export type ResourceList = Readonly<Record<string, QuantityValue>>

export interface ResourceRequirements {
  readonly requests?: ResourceList
  readonly limits?: ResourceList
}

export interface KeySelector {
  readonly name?: string
  readonly key: string
  readonly optional?: boolean
}

export interface ObjectFieldSelector {
  readonly apiVersion?: string
  readonly fieldPath: string
}

export interface ResourceFieldSelector {
  readonly containerName?: string
  readonly resource: string
  readonly divisor?: QuantityValue
}

export interface EnvVarSource {
  readonly configMapKeyRef?: KeySelector
  readonly secretKeyRef?: KeySelector
  readonly fieldRef?: ObjectFieldSelector
  readonly resourceFieldRef?: ResourceFieldSelector
}

export interface EnvVar {
  readonly name: string
  readonly value?: string
  readonly valueFrom?: EnvVarSource
}

export interface EnvFromSource {
  readonly prefix?: string
  readonly configMapRef?: { readonly name?: string; readonly optional?: boolean }
  readonly secretRef?: { readonly name?: string; readonly optional?: boolean }
}

export interface ContainerPort {
  readonly name?: string
  readonly containerPort: number
  readonly hostPort?: number
  readonly hostIP?: string
  readonly protocol?: Protocol
}

export interface VolumeMount {
  readonly name: string
  readonly mountPath: string
  readonly subPath?: string
  readonly readOnly?: boolean
}

export interface ExecAction {
  readonly command?: ReadonlyArray<string>
}

export interface HTTPHeader {
  readonly name: string
  readonly value: string
}

export interface HTTPGetAction {
  readonly path?: string
  readonly port: number | string
  readonly host?: string
  readonly scheme?: "HTTP" | "HTTPS"
  readonly httpHeaders?: ReadonlyArray<HTTPHeader>
}

export interface TCPSocketAction {
  readonly port: number | string
  readonly host?: string
}

export interface GRPCAction {
  readonly port: number
  readonly service?: string
}

export interface SleepAction {
  readonly seconds: number
}

export interface Probe {
  readonly exec?: ExecAction
  readonly httpGet?: HTTPGetAction
  readonly tcpSocket?: TCPSocketAction
  readonly grpc?: GRPCAction
  readonly initialDelaySeconds?: number
  readonly timeoutSeconds?: number
  readonly periodSeconds?: number
  readonly successThreshold?: number
  readonly failureThreshold?: number
  readonly terminationGracePeriodSeconds?: number
}

export interface LifecycleHandler {
  readonly exec?: ExecAction
  readonly httpGet?: HTTPGetAction
  readonly tcpSocket?: TCPSocketAction
  readonly sleep?: SleepAction
}

export interface Lifecycle {
  readonly postStart?: LifecycleHandler
  readonly preStop?: LifecycleHandler
}

export interface SecurityContext {
  readonly runAsUser?: number
  readonly runAsGroup?: number
  readonly runAsNonRoot?: boolean
  readonly privileged?: boolean
  readonly readOnlyRootFilesystem?: boolean
  readonly allowPrivilegeEscalation?: boolean
  readonly capabilities?: { readonly add?: ReadonlyArray<string>; readonly drop?: ReadonlyArray<string> }
}

export interface Container {
  readonly name: string
  readonly image?: string
  readonly imagePullPolicy?: PullPolicy
  readonly command?: ReadonlyArray<string>
  readonly args?: ReadonlyArray<string>
  readonly workingDir?: string
  readonly env?: ReadonlyArray<EnvVar>
  readonly envFrom?: ReadonlyArray<EnvFromSource>
  readonly ports?: ReadonlyArray<ContainerPort>
  readonly resources?: ResourceRequirements
  readonly volumeMounts?: ReadonlyArray<VolumeMount>
  readonly livenessProbe?: Probe
  readonly readinessProbe?: Probe
  readonly startupProbe?: Probe
  readonly lifecycle?: Lifecycle
  /** Only on init containers: `Always` makes it a sidecar (§0.3). */
  readonly restartPolicy?: "Always"
  readonly terminationMessagePath?: string
  readonly terminationMessagePolicy?: "File" | "FallbackToLogsOnError"
  readonly securityContext?: SecurityContext
  readonly stdin?: boolean
  readonly tty?: boolean
}

export interface KeyToPath {
  readonly key: string
  readonly path: string
  readonly mode?: number
}

export interface Volume {
  readonly name: string
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: QuantityValue }
  readonly configMap?: {
    readonly name?: string
    readonly items?: ReadonlyArray<KeyToPath>
    readonly optional?: boolean
    readonly defaultMode?: number
  }
  readonly secret?: {
    readonly secretName?: string
    readonly items?: ReadonlyArray<KeyToPath>
    readonly optional?: boolean
    readonly defaultMode?: number
  }
  readonly hostPath?: { readonly path: string; readonly type?: string }
}

export interface NodeSelectorRequirement {
  readonly key: string
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt"
  readonly values?: ReadonlyArray<string>
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: ReadonlyArray<NodeSelectorRequirement>
  readonly matchFields?: ReadonlyArray<NodeSelectorRequirement>
}

export interface Affinity {
  readonly nodeAffinity?: {
    readonly requiredDuringSchedulingIgnoredDuringExecution?: {
      readonly nodeSelectorTerms: ReadonlyArray<NodeSelectorTerm>
    }
    readonly preferredDuringSchedulingIgnoredDuringExecution?: ReadonlyArray<{
      readonly weight: number
      readonly preference: NodeSelectorTerm
    }>
  }
  readonly podAffinity?: unknown
  readonly podAntiAffinity?: unknown
}

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute"

export interface Toleration {
  readonly key?: string
  readonly operator?: "Exists" | "Equal"
  readonly value?: string
  readonly effect?: TaintEffect
  readonly tolerationSeconds?: number
}

export interface PodReadinessGate {
  readonly conditionType: string
}

export interface PodSchedulingGate {
  readonly name: string
}

export interface HostAlias {
  readonly ip: string
  readonly hostnames?: ReadonlyArray<string>
}

export interface PodSpec {
  readonly containers: ReadonlyArray<Container>
  readonly initContainers?: ReadonlyArray<Container>
  readonly restartPolicy?: RestartPolicy
  readonly volumes?: ReadonlyArray<Volume>
  readonly nodeName?: string
  readonly nodeSelector?: Readonly<Record<string, string>>
  readonly affinity?: Affinity
  readonly tolerations?: ReadonlyArray<Toleration>
  readonly terminationGracePeriodSeconds?: number
  readonly activeDeadlineSeconds?: number
  readonly hostname?: string
  readonly subdomain?: string
  readonly setHostnameAsFQDN?: boolean
  readonly hostAliases?: ReadonlyArray<HostAlias>
  readonly readinessGates?: ReadonlyArray<PodReadinessGate>
  readonly schedulingGates?: ReadonlyArray<PodSchedulingGate>
  readonly priority?: number
  readonly priorityClassName?: string
  readonly dnsPolicy?: "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None"
  readonly schedulerName?: string
  readonly serviceAccountName?: string
  /** deprecated alias of serviceAccountName, still written by the API server */
  readonly serviceAccount?: string
  readonly preemptionPolicy?: "PreemptLowerPriority" | "Never"
  readonly hostNetwork?: boolean
  readonly shareProcessNamespace?: boolean
  readonly enableServiceLinks?: boolean
  readonly securityContext?: unknown
}

export interface PodCondition {
  readonly type: string
  readonly status: ConditionStatus
  readonly reason?: string
  readonly message?: string
  readonly lastProbeTime?: string | null
  readonly lastTransitionTime?: string
  readonly observedGeneration?: number
}

export interface ContainerStateWaiting {
  readonly reason?: string
  readonly message?: string
}

export interface ContainerStateRunning {
  readonly startedAt?: string
}

export interface ContainerStateTerminated {
  readonly exitCode: number
  readonly signal?: number
  readonly reason?: string
  readonly message?: string
  readonly startedAt?: string
  readonly finishedAt?: string
  readonly containerID?: string
}

/** Exactly one member is set (or none, for "unknown"). */
export interface ContainerState {
  readonly waiting?: ContainerStateWaiting
  readonly running?: ContainerStateRunning
  readonly terminated?: ContainerStateTerminated
}

export interface ContainerStatus {
  readonly name: string
  readonly state: ContainerState
  readonly lastState: ContainerState
  readonly ready: boolean
  readonly started?: boolean
  readonly restartCount: number
  readonly image: string
  readonly imageID: string
  readonly containerID?: string
}

export interface PodIP {
  readonly ip: string
}

export interface PodStatus {
  readonly phase?: PodPhase
  readonly reason?: string
  readonly message?: string
  readonly conditions?: ReadonlyArray<PodCondition>
  readonly hostIP?: string
  readonly hostIPs?: ReadonlyArray<PodIP>
  readonly podIP?: string
  readonly podIPs?: ReadonlyArray<PodIP>
  readonly startTime?: string
  readonly initContainerStatuses?: ReadonlyArray<ContainerStatus>
  readonly containerStatuses?: ReadonlyArray<ContainerStatus>
  readonly qosClass?: "Guaranteed" | "Burstable" | "BestEffort"
  readonly nominatedNodeName?: string
}

export interface Pod {
  readonly apiVersion: "v1"
  readonly kind: "Pod"
  readonly metadata: ObjectMeta
  readonly spec: PodSpec
  readonly status?: PodStatus
}

/** A pod template (ReplicaSets). */
export interface PodTemplateSpec {
  readonly metadata?: ObjectMeta
  readonly spec: PodSpec
}

export type { LabelSelector }

/** `spec.initContainers[i]` with `restartPolicy: Always` (§0.3). */
export const isSidecar = (c: Container): boolean => c.restartPolicy === "Always"
