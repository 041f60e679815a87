/**
 * The field catalogue of every kind podlet serves: each known field with its Go type, as in
 * `k8s.io/api`. One table drives the decoding Schema (`Decode.ts`), unknown-field detection
 * (`fieldValidation`), pruning of unknown fields and the Go-worded decode errors. Rarely used
 * subtrees (cloud volume sources, pod affinity terms...) are `any`: accepted without checks.
 */

export type Shape =
  | { readonly _tag: "Leaf"; readonly go: LeafType; readonly nullable?: boolean }
  | { readonly _tag: "Any" }
  | { readonly _tag: "Object"; readonly go: string; readonly fields: Readonly<Record<string, Shape>> }
  | { readonly _tag: "Array"; readonly item: Shape }
  | { readonly _tag: "Map"; readonly value: Shape }

export type LeafType =
  | "string"
  | "int32"
  | "int64"
  | "bool"
  | "float64"
  | "resource.Quantity"
  | "intstr.IntOrString"
  | "v1.Time"
  | "v1.MicroTime"
  | "[]uint8"

const leaf = (go: LeafType): Shape => ({ _tag: "Leaf", go })
const str = leaf("string")
const i32 = leaf("int32")
const i64 = leaf("int64")
const bool = leaf("bool")
const quantity = leaf("resource.Quantity")
const intOrString = leaf("intstr.IntOrString")
const time = leaf("v1.Time")
/** a `metav1.Time` the API server writes as `null` when unset (`lastProbeTime`) */
const nullTime: Shape = { _tag: "Leaf", go: "v1.Time", nullable: true }
const any: Shape = { _tag: "Any" }
const obj = (go: string, fields: Readonly<Record<string, Shape>>): Shape => ({ _tag: "Object", go, fields })
const arr = (item: Shape): Shape => ({ _tag: "Array", item })
const map = (value: Shape): Shape => ({ _tag: "Map", value })
const strings = arr(str)
const stringMap = map(str)
const resourceList = map(quantity)

/** The Go type name of a shape, as `encoding/json` prints it (`[]v1.Container`). */
export const goTypeOf = (shape: Shape): string => {
  switch (shape._tag) {
    case "Leaf":
      return shape.go
    case "Any":
      return "interface {}"
    case "Object":
      return shape.go
    case "Array":
      return `[]${goTypeOf(shape.item)}`
    case "Map":
      return `map[string]${goTypeOf(shape.value)}`
  }
}

// ---------------------------------------------------------------------------------------------
// meta/v1

const OwnerReference = obj("v1.OwnerReference", {
  apiVersion: str,
  kind: str,
  name: str,
  uid: str,
  controller: bool,
  blockOwnerDeletion: bool
})

export const ObjectMeta = obj("v1.ObjectMeta", {
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: i64,
  creationTimestamp: time,
  deletionTimestamp: time,
  deletionGracePeriodSeconds: i64,
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: arr(OwnerReference),
  finalizers: strings,
  managedFields: arr(any)
})

const LabelSelector = obj("v1.LabelSelector", {
  matchLabels: stringMap,
  matchExpressions: arr(obj("v1.LabelSelectorRequirement", { key: str, operator: str, values: strings }))
})

const typeMeta = { apiVersion: str, kind: str, metadata: ObjectMeta }

// ---------------------------------------------------------------------------------------------
// core/v1 Pod

const LocalObjectReference = obj("v1.LocalObjectReference", { name: str })
const KeySelector = (go: string) => obj(go, { name: str, key: str, optional: bool })
const ObjectFieldSelector = obj("v1.ObjectFieldSelector", { apiVersion: str, fieldPath: str })
const ResourceFieldSelector = obj("v1.ResourceFieldSelector", { containerName: str, resource: str, divisor: quantity })

const EnvVar = obj("v1.EnvVar", {
  name: str,
  value: str,
  valueFrom: obj("v1.EnvVarSource", {
    fieldRef: ObjectFieldSelector,
    resourceFieldRef: ResourceFieldSelector,
    configMapKeyRef: KeySelector("v1.ConfigMapKeySelector"),
    secretKeyRef: KeySelector("v1.SecretKeySelector"),
    fileKeyRef: any
  })
})

const EnvFromSource = obj("v1.EnvFromSource", {
  prefix: str,
  configMapRef: obj("v1.ConfigMapEnvSource", { name: str, optional: bool }),
  secretRef: obj("v1.SecretEnvSource", { name: str, optional: bool })
})

const ExecAction = obj("v1.ExecAction", { command: strings })
const HTTPGetAction = obj("v1.HTTPGetAction", {
  path: str,
  port: intOrString,
  host: str,
  scheme: str,
  httpHeaders: arr(obj("v1.HTTPHeader", { name: str, value: str }))
})
const TCPSocketAction = obj("v1.TCPSocketAction", { port: intOrString, host: str })

const Probe = obj("v1.Probe", {
  exec: ExecAction,
  httpGet: HTTPGetAction,
  tcpSocket: TCPSocketAction,
  grpc: obj("v1.GRPCAction", { port: i32, service: str }),
  initialDelaySeconds: i32,
  timeoutSeconds: i32,
  periodSeconds: i32,
  successThreshold: i32,
  failureThreshold: i32,
  terminationGracePeriodSeconds: i64
})

const LifecycleHandler = obj("v1.LifecycleHandler", {
  exec: ExecAction,
  httpGet: HTTPGetAction,
  tcpSocket: TCPSocketAction,
  sleep: obj("v1.SleepAction", { seconds: i64 })
})

const SeccompProfile = obj("v1.SeccompProfile", { type: str, localhostProfile: str })
const AppArmorProfile = obj("v1.AppArmorProfile", { type: str, localhostProfile: str })
const SELinuxOptions = obj("v1.SELinuxOptions", { user: str, role: str, type: str, level: str })
const WindowsOptions = obj("v1.WindowsSecurityContextOptions", {
  gmsaCredentialSpecName: str,
  gmsaCredentialSpec: str,
  runAsUserName: str,
  hostProcess: bool
})

const SecurityContext = obj("v1.SecurityContext", {
  capabilities: obj("v1.Capabilities", { add: strings, drop: strings }),
  privileged: bool,
  seLinuxOptions: SELinuxOptions,
  windowsOptions: WindowsOptions,
  runAsUser: i64,
  runAsGroup: i64,
  runAsNonRoot: bool,
  readOnlyRootFilesystem: bool,
  allowPrivilegeEscalation: bool,
  procMount: str,
  seccompProfile: SeccompProfile,
  appArmorProfile: AppArmorProfile
})

const PodSecurityContext = obj("v1.PodSecurityContext", {
  seLinuxOptions: SELinuxOptions,
  windowsOptions: WindowsOptions,
  runAsUser: i64,
  runAsGroup: i64,
  runAsNonRoot: bool,
  supplementalGroups: arr(i64),
  supplementalGroupsPolicy: str,
  fsGroup: i64,
  sysctls: arr(obj("v1.Sysctl", { name: str, value: str })),
  fsGroupChangePolicy: str,
  seccompProfile: SeccompProfile,
  appArmorProfile: AppArmorProfile,
  seLinuxChangePolicy: str
})

const ResourceRequirements = obj("v1.ResourceRequirements", {
  limits: resourceList,
  requests: resourceList,
  claims: arr(obj("v1.ResourceClaim", { name: str, request: str }))
})

const containerFields = {
  name: str,
  image: str,
  command: strings,
  args: strings,
  workingDir: str,
  ports: arr(obj("v1.ContainerPort", { name: str, hostPort: i32, containerPort: i32, protocol: str, hostIP: str })),
  envFrom: arr(EnvFromSource),
  env: arr(EnvVar),
  resources: ResourceRequirements,
  resizePolicy: arr(obj("v1.ContainerResizePolicy", { resourceName: str, restartPolicy: str })),
  restartPolicy: str,
  restartPolicyRules: arr(any),
  volumeMounts: arr(
    obj("v1.VolumeMount", {
      name: str,
      readOnly: bool,
      recursiveReadOnly: str,
      mountPath: str,
      subPath: str,
      mountPropagation: str,
      subPathExpr: str
    })
  ),
  volumeDevices: arr(obj("v1.VolumeDevice", { name: str, devicePath: str })),
  livenessProbe: Probe,
  readinessProbe: Probe,
  startupProbe: Probe,
  lifecycle: obj("v1.Lifecycle", { postStart: LifecycleHandler, preStop: LifecycleHandler, stopSignal: str }),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext: SecurityContext,
  stdin: bool,
  stdinOnce: bool,
  tty: bool
}

const Container = obj("v1.Container", containerFields)
const EphemeralContainer = obj("v1.EphemeralContainer", { ...containerFields, targetContainerName: str })

const KeyToPath = obj("v1.KeyToPath", { key: str, path: str, mode: i32 })

const Volume = obj("v1.Volume", {
  name: str,
  hostPath: obj("v1.HostPathVolumeSource", { path: str, type: str }),
  emptyDir: obj("v1.EmptyDirVolumeSource", { medium: str, sizeLimit: quantity }),
  secret: obj("v1.SecretVolumeSource", { secretName: str, items: arr(KeyToPath), defaultMode: i32, optional: bool }),
  configMap: obj("v1.ConfigMapVolumeSource", { name: str, items: arr(KeyToPath), defaultMode: i32, optional: bool }),
  persistentVolumeClaim: obj("v1.PersistentVolumeClaimVolumeSource", { claimName: str, readOnly: bool }),
  downwardAPI: any,
  projected: any,
  ephemeral: any,
  csi: any,
  image: obj("v1.ImageVolumeSource", { reference: str, pullPolicy: str }),
  nfs: any,
  iscsi: any,
  gcePersistentDisk: any,
  awsElasticBlockStore: any,
  gitRepo: any,
  glusterfs: any,
  rbd: any,
  flexVolume: any,
  cinder: any,
  cephfs: any,
  flocker: any,
  fc: any,
  azureFile: any,
  azureDisk: any,
  vsphereVolume: any,
  quobyte: any,
  photonPersistentDisk: any,
  portworxVolume: any,
  scaleIO: any,
  storageos: any
})

const NodeSelectorRequirement = obj("v1.NodeSelectorRequirement", { key: str, operator: str, values: strings })
const NodeSelectorTerm = obj("v1.NodeSelectorTerm", {
  matchExpressions: arr(NodeSelectorRequirement),
  matchFields: arr(NodeSelectorRequirement)
})

const Affinity = obj("v1.Affinity", {
  nodeAffinity: obj("v1.NodeAffinity", {
    requiredDuringSchedulingIgnoredDuringExecution: obj("v1.NodeSelector", {
      nodeSelectorTerms: arr(NodeSelectorTerm)
    }),
    preferredDuringSchedulingIgnoredDuringExecution: arr(
      obj("v1.PreferredSchedulingTerm", { weight: i32, preference: NodeSelectorTerm })
    )
  }),
  podAffinity: any,
  podAntiAffinity: any
})

const Toleration = obj("v1.Toleration", { key: str, operator: str, value: str, effect: str, tolerationSeconds: i64 })

export const PodSpec = obj("v1.PodSpec", {
  volumes: arr(Volume),
  initContainers: arr(Container),
  containers: arr(Container),
  ephemeralContainers: arr(EphemeralContainer),
  restartPolicy: str,
  terminationGracePeriodSeconds: i64,
  activeDeadlineSeconds: i64,
  dnsPolicy: str,
  nodeSelector: stringMap,
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  nodeName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: bool,
  securityContext: PodSecurityContext,
  imagePullSecrets: arr(LocalObjectReference),
  hostname: str,
  hostnameOverride: str,
  subdomain: str,
  affinity: Affinity,
  schedulerName: str,
  tolerations: arr(Toleration),
  hostAliases: arr(obj("v1.HostAlias", { ip: str, hostnames: strings })),
  priorityClassName: str,
  priority: i32,
  dnsConfig: any,
  readinessGates: arr(obj("v1.PodReadinessGate", { conditionType: str })),
  runtimeClassName: str,
  enableServiceLinks: bool,
  preemptionPolicy: str,
  overhead: resourceList,
  topologySpreadConstraints: arr(any),
  setHostnameAsFQDN: bool,
  os: obj("v1.PodOS", { name: str }),
  hostUsers: bool,
  schedulingGates: arr(obj("v1.PodSchedulingGate", { name: str })),
  resourceClaims: arr(any),
  resources: ResourceRequirements
})

const ContainerState = obj("v1.ContainerState", {
  waiting: obj("v1.ContainerStateWaiting", { reason: str, message: str }),
  running: obj("v1.ContainerStateRunning", { startedAt: time }),
  terminated: obj("v1.ContainerStateTerminated", {
    exitCode: i32,
    signal: i32,
    reason: str,
    message: str,
    startedAt: time,
    finishedAt: time,
    containerID: str
  })
})

const ContainerStatus = obj("v1.ContainerStatus", {
  name: str,
  state: ContainerState,
  lastState: ContainerState,
  ready: bool,
  restartCount: i32,
  image: str,
  imageID: str,
  containerID: str,
  started: bool,
  allocatedResources: resourceList,
  resources: ResourceRequirements,
  volumeMounts: arr(any),
  user: any,
  allocatedResourcesStatus: arr(any),
  stopSignal: str
})

const PodIP = obj("v1.PodIP", { ip: str })

const PodStatus = obj("v1.PodStatus", {
  observedGeneration: i64,
  phase: str,
  conditions: arr(
    obj("v1.PodCondition", {
      observedGeneration: i64,
      type: str,
      status: str,
      lastProbeTime: nullTime,
      lastTransitionTime: time,
      reason: str,
      message: str
    })
  ),
  message: str,
  reason: str,
  nominatedNodeName: str,
  hostIP: str,
  hostIPs: arr(obj("v1.HostIP", { ip: str })),
  podIP: str,
  podIPs: arr(PodIP),
  startTime: time,
  initContainerStatuses: arr(ContainerStatus),
  containerStatuses: arr(ContainerStatus),
  qosClass: str,
  ephemeralContainerStatuses: arr(ContainerStatus),
  resize: str,
  resourceClaimStatuses: arr(any),
  extendedResourceClaimStatus: any
})

const Pod = obj("v1.Pod", { ...typeMeta, spec: PodSpec, status: PodStatus })

const PodTemplateSpec = obj("v1.PodTemplateSpec", { metadata: ObjectMeta, spec: PodSpec })

// ---------------------------------------------------------------------------------------------
// Other kinds

const Taint = obj("v1.Taint", { key: str, value: str, effect: str, timeAdded: time })

const Node = obj("v1.Node", {
  ...typeMeta,
  spec: obj("v1.NodeSpec", {
    podCIDR: str,
    podCIDRs: strings,
    providerID: str,
    unschedulable: bool,
    taints: arr(Taint),
    configSource: any,
    externalID: str
  }),
  status: obj("v1.NodeStatus", {
    capacity: resourceList,
    allocatable: resourceList,
    phase: str,
    conditions: arr(
      obj("v1.NodeCondition", {
        type: str,
        status: str,
        lastHeartbeatTime: time,
        lastTransitionTime: time,
        reason: str,
        message: str
      })
    ),
    addresses: arr(obj("v1.NodeAddress", { type: str, address: str })),
    daemonEndpoints: any,
    nodeInfo: obj("v1.NodeSystemInfo", {
      machineID: str,
      systemUUID: str,
      bootID: str,
      kernelVersion: str,
      osImage: str,
      containerRuntimeVersion: str,
      kubeletVersion: str,
      kubeProxyVersion: str,
      operatingSystem: str,
      architecture: str,
      swap: any
    }),
    images: arr(obj("v1.ContainerImage", { names: strings, sizeBytes: i64 })),
    volumesInUse: strings,
    volumesAttached: arr(any),
    config: any,
    runtimeHandlers: arr(any),
    features: any
  })
})

const Namespace = obj("v1.Namespace", {
  ...typeMeta,
  spec: obj("v1.NamespaceSpec", { finalizers: strings }),
  status: obj("v1.NamespaceStatus", { phase: str, conditions: arr(any) })
})

const ObjectReference = obj("v1.ObjectReference", {
  kind: str,
  namespace: str,
  name: str,
  uid: str,
  apiVersion: str,
  resourceVersion: str,
  fieldPath: str
})

const Event = obj("v1.Event", {
  ...typeMeta,
  involvedObject: ObjectReference,
  reason: str,
  message: str,
  source: obj("v1.EventSource", { component: str, host: str }),
  firstTimestamp: time,
  lastTimestamp: time,
  count: i32,
  type: str,
  eventTime: { _tag: "Leaf", go: "v1.MicroTime", nullable: true },
  series: any,
  action: str,
  related: ObjectReference,
  reportingComponent: str,
  reportingInstance: str
})

const Service = obj("v1.Service", {
  ...typeMeta,
  spec: obj("v1.ServiceSpec", {
    ports: arr(
      obj("v1.ServicePort", {
        name: str,
        protocol: str,
        appProtocol: str,
        port: i32,
        targetPort: intOrString,
        nodePort: i32
      })
    ),
    selector: stringMap,
    clusterIP: str,
    clusterIPs: strings,
    type: str,
    externalIPs: strings,
    sessionAffinity: str,
    loadBalancerIP: str,
    loadBalancerSourceRanges: strings,
    externalName: str,
    externalTrafficPolicy: str,
    healthCheckNodePort: i32,
    publishNotReadyAddresses: bool,
    sessionAffinityConfig: any,
    ipFamilies: strings,
    ipFamilyPolicy: str,
    allocateLoadBalancerNodePorts: bool,
    loadBalancerClass: str,
    internalTrafficPolicy: str,
    trafficDistribution: str
  }),
  status: obj("v1.ServiceStatus", { loadBalancer: any, conditions: arr(any) })
})

const EndpointAddress = obj("v1.EndpointAddress", { ip: str, hostname: str, nodeName: str, targetRef: ObjectReference })

const Endpoints = obj("v1.Endpoints", {
  ...typeMeta,
  subsets: arr(
    obj("v1.EndpointSubset", {
      addresses: arr(EndpointAddress),
      notReadyAddresses: arr(EndpointAddress),
      ports: arr(obj("v1.EndpointPort", { name: str, port: i32, protocol: str, appProtocol: str }))
    })
  )
})

const ConfigMap = obj("v1.ConfigMap", {
  ...typeMeta,
  data: stringMap,
  binaryData: map(leaf("[]uint8")),
  immutable: bool
})

const Secret = obj("v1.Secret", {
  ...typeMeta,
  data: map(leaf("[]uint8")),
  stringData: stringMap,
  type: str,
  immutable: bool
})

const ReplicaSet = obj("v1.ReplicaSet", {
  ...typeMeta,
  spec: obj("v1.ReplicaSetSpec", {
    replicas: i32,
    minReadySeconds: i32,
    selector: LabelSelector,
    template: PodTemplateSpec
  }),
  status: obj("v1.ReplicaSetStatus", {
    replicas: i32,
    fullyLabeledReplicas: i32,
    readyReplicas: i32,
    availableReplicas: i32,
    terminatingReplicas: i32,
    observedGeneration: i64,
    conditions: arr(any)
  })
})

const PodDisruptionBudget = obj("v1.PodDisruptionBudget", {
  ...typeMeta,
  spec: obj("v1.PodDisruptionBudgetSpec", {
    minAvailable: intOrString,
    selector: LabelSelector,
    maxUnavailable: intOrString,
    unhealthyPodEvictionPolicy: str
  }),
  status: obj("v1.PodDisruptionBudgetStatus", {
    observedGeneration: i64,
    disruptedPods: map(time),
    disruptionsAllowed: i32,
    currentHealthy: i32,
    desiredHealthy: i32,
    expectedPods: i32,
    conditions: arr(any)
  })
})

const Lease = obj("v1.Lease", {
  ...typeMeta,
  spec: obj("v1.LeaseSpec", {
    holderIdentity: str,
    leaseDurationSeconds: i32,
    acquireTime: { _tag: "Leaf", go: "v1.MicroTime" },
    renewTime: { _tag: "Leaf", go: "v1.MicroTime" },
    leaseTransitions: i32,
    strategy: str,
    preferredHolder: str
  })
})

const byKind: Readonly<Record<string, Shape>> = {
  Pod,
  Node,
  Namespace,
  Event,
  Service,
  Endpoints,
  ConfigMap,
  Secret,
  ReplicaSet,
  PodDisruptionBudget,
  Lease
}

/** The shape of a served kind, or undefined. */
export const shapeForKind = (kind: string): Shape | undefined => byKind[kind]

/** The known-field tree of a pod template (exported for tests and the ReplicaSet controller). */
export const PodTemplateShape = PodTemplateSpec

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const childPath = (path: string, name: string): string => (path === "" ? name : `${path}.${name}`)

/**
 * Unknown fields of a raw value, as the strict decoder words them:
 * `unknown field "spec.containers[0].imagee"` (no leading dot; array indices in brackets).
 */
export const unknownFieldsOf = (shape: Shape, value: unknown, path = ""): Array<string> => {
  const out: Array<string> = []
  walkUnknown(shape, value, { out, path, segments: [] })
  return out
}

/** The walk of `unknownFieldsOf`: `segments` holds the keys and indices down to the current value. */
interface UnknownWalk {
  readonly out: Array<string>
  readonly path: string
  readonly segments: Array<string | number>
}

/** The path of member `key` of the current value (built only for an unknown field). */
const unknownPath = (walk: UnknownWalk, key: string): string => {
  let p = walk.path
  for (const segment of walk.segments) p = typeof segment === "number" ? `${p}[${segment}]` : childPath(p, segment)
  return childPath(p, key)
}

/** Leaves and `any` hold no unknown fields: the walk does not enter them. */
const hasFields = (s: Shape): boolean => s._tag !== "Leaf" && s._tag !== "Any"

const walkUnknown = (s: Shape, v: unknown, walk: UnknownWalk): void => {
  switch (s._tag) {
    case "Object": {
      if (!isPlainObject(v)) return
      const keys = Object.keys(v)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const f = s.fields[k]
        if (f === undefined) walk.out.push(`unknown field ${JSON.stringify(unknownPath(walk, k))}`)
        else if (hasFields(f)) {
          walk.segments.push(k)
          walkUnknown(f, v[k], walk)
          walk.segments.pop()
        }
      }
      return
    }
    case "Array":
      if (Array.isArray(v) && hasFields(s.item)) {
        for (let i = 0; i < v.length; i++) {
          walk.segments.push(i)
          walkUnknown(s.item, v[i], walk)
          walk.segments.pop()
        }
      }
      return
    case "Map":
      if (isPlainObject(v) && hasFields(s.value)) {
        const keys = Object.keys(v)
        for (let i = 0; i < keys.length; i++) {
          walk.segments.push(keys[i]!)
          walkUnknown(s.value, v[keys[i]!], walk)
          walk.segments.pop()
        }
      }
      return
    default:
      return
  }
}

/**
 * A copy without unknown fields (unless `keepUnknown`) and without `null` members (Go decodes
 * `null` to the zero value, which is then omitted), as the API server stores what it decoded.
 * Nullable times keep `null`. Copy on write: a value with nothing to prune is returned as it is
 * (the store then shares it with its writer).
 */
export const prune = (shape: Shape, value: unknown, options?: { readonly keepUnknown?: boolean }): unknown => {
  switch (shape._tag) {
    case "Object": {
      if (!isPlainObject(value)) return value
      let out: Record<string, unknown> | undefined
      const keys = Object.keys(value)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const v = value[k]
        const f = shape.fields[k]
        let next: unknown
        let keep = true
        if (f === undefined) keep = options?.keepUnknown === true
        else if (v === null && !(f._tag === "Leaf" && f.nullable === true)) keep = false
        next = keep && f !== undefined ? prune(f, v, options) : v
        if (out === undefined) {
          if (keep && next === v) continue
          // the first change: copy the members before it
          out = {}
          for (let j = 0; j < i; j++) out[keys[j]!] = value[keys[j]!]
        }
        if (keep) out[k] = next
      }
      return out ?? value
    }
    case "Array": {
      if (!Array.isArray(value)) return value
      let out: Array<unknown> | undefined
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i]
        const next = v === null ? zeroOf(shape.item) : prune(shape.item, v, options)
        if (out === undefined) {
          if (next === v) continue
          out = value.slice(0, i)
        }
        out.push(next)
      }
      return out ?? value
    }
    case "Map": {
      if (!isPlainObject(value)) return value
      let out: Record<string, unknown> | undefined
      const keys = Object.keys(value)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const v = value[k]
        const next = v === null ? zeroOf(shape.value) : prune(shape.value, v, options)
        if (out === undefined) {
          if (next === v) continue
          out = {}
          for (let j = 0; j < i; j++) out[keys[j]!] = value[keys[j]!]
        }
        out[k] = next
      }
      return out ?? value
    }
    default:
      return value
  }
}

/** Go's zero value for a map member that was `null` (`labels: {a: null}` stores `a: ""`). */
const zeroOf = (shape: Shape): unknown => {
  if (shape._tag !== "Leaf") return shape._tag === "Object" ? {} : null
  switch (shape.go) {
    case "string":
    case "[]uint8":
      return ""
    case "bool":
      return false
    case "resource.Quantity":
      return "0"
    case "int32":
    case "int64":
    case "float64":
    case "intstr.IntOrString":
      return 0
    default:
      return null
  }
}

/** The shape at a path of keys (strings) and indices (numbers), with the enclosing struct's Go name. */
export const shapeAt = (
  shape: Shape,
  path: ReadonlyArray<PropertyKey>
): { readonly shape: Shape; readonly struct: string } | undefined => {
  let current = shape
  let struct = shape._tag === "Object" ? shape.go : ""
  for (const segment of path) {
    switch (current._tag) {
      case "Object": {
        const f = current.fields[String(segment)]
        if (f === undefined) return undefined
        struct = current.go
        current = f
        break
      }
      case "Array":
        current = current.item
        break
      case "Map":
        current = current.value
        break
      default:
        return undefined
    }
  }
  return { shape: current, struct }
}
