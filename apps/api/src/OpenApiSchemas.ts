/**
 * The `components.schemas` of the OpenAPI v3 documents, derived from core's field catalogue
 * (`@podlet/core/api/Shape`: every field with its Go type): one schema per Go struct, named as the
 * apiserver names them (`io.k8s.api.core.v1.PodSpec`), `$ref`s wrapped in `allOf` as in Kubernetes'
 * own documents, the served kinds tagged with `x-kubernetes-group-version-kind`. `kubectl explain`
 * reads these; descriptions come from Kubernetes' API documentation for the types and fields people
 * explain most.
 */
import type { ResourceType } from "@podlet/core/api/Resources"
import { type Shape, shapeForKind } from "@podlet/core/api/Shape"

type Schema = Record<string, unknown>

const metaTypes = new Set([
  "ObjectMeta",
  "OwnerReference",
  "LabelSelector",
  "LabelSelectorRequirement",
  "ManagedFieldsEntry",
  "Condition"
])
const groupOfType: ReadonlyArray<readonly [RegExp, string]> = [
  [/^ReplicaSet/, "io.k8s.api.apps.v1"],
  [/^PodDisruptionBudget/, "io.k8s.api.policy.v1"],
  [/^Lease/, "io.k8s.api.coordination.v1"]
]

/** The component name of a Go struct (`v1.PodSpec` → `io.k8s.api.core.v1.PodSpec`). */
export const componentName = (go: string): string => {
  const name = go.slice(go.indexOf(".") + 1)
  if (metaTypes.has(name)) return `io.k8s.apimachinery.pkg.apis.meta.v1.${name}`
  const group = groupOfType.find(([pattern]) => pattern.test(name))?.[1] ?? "io.k8s.api.core.v1"
  return `${group}.${name}`
}

const ref = (name: string) => `#/components/schemas/${name}`

/** Scalar types that are named schemas in Kubernetes' documents. */
const namedLeaves: Readonly<Record<string, readonly [string, Schema]>> = {
  "resource.Quantity": [
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    {
      description:
        "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors. The serialization format is: <quantity> ::= <signedNumber><suffix> (binary SI suffixes Ki Mi Gi Ti Pi Ei, decimal SI suffixes m k M G T P E, or decimal exponents).",
      oneOf: [{ type: "string" }, { type: "number" }]
    }
  ],
  "intstr.IntOrString": [
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    {
      description:
        "IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.",
      format: "int-or-string",
      type: "string"
    }
  ],
  "v1.Time": [
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    {
      description:
        "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are provided for many of the factory methods that the time package offers.",
      format: "date-time",
      type: "string"
    }
  ],
  "v1.MicroTime": [
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    {
      description: "MicroTime is version of Time with microsecond level precision.",
      format: "date-time",
      type: "string"
    }
  ]
}

const inlineLeaves: Readonly<Record<string, Schema>> = {
  string: { type: "string" },
  int32: { type: "integer", format: "int32" },
  int64: { type: "integer", format: "int64" },
  bool: { type: "boolean" },
  float64: { type: "number", format: "double" },
  "[]uint8": { type: "string", format: "byte" }
}

const objectMetaRef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

const common = {
  apiVersion:
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
  kind: "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
  metadata:
    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  spec: "Specification of the desired behavior. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  status:
    "Most recently observed status. This data may not be up to date. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"
}

/** Type descriptions (Kubernetes' API documentation, first sentences). */
const typeDescriptions: Readonly<Record<string, string>> = {
  Pod: "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
  PodSpec: "PodSpec is a description of a pod.",
  PodStatus:
    "PodStatus represents information about the status of a pod. Status may trail the actual state of a system, especially if the node that hosts the pod cannot contact the control plane.",
  Container: "A single application container that you want to run within a pod.",
  ContainerPort: "ContainerPort represents a network port in a single container.",
  ContainerStatus: "ContainerStatus contains details for the current status of this container.",
  EnvVar: "EnvVar represents an environment variable present in a Container.",
  Probe:
    "Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.",
  ResourceRequirements: "ResourceRequirements describes the compute resource requirements.",
  Volume: "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
  VolumeMount: "VolumeMount describes a mounting of a Volume within a container.",
  PodCondition: "PodCondition contains details for the current condition of this pod.",
  Node: "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).",
  NodeSpec: "NodeSpec describes the attributes that a node is created with.",
  NodeStatus: "NodeStatus is information about the current status of a node.",
  Namespace: "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
  Event:
    "Event is a report of an event somewhere in the cluster. Events have a limited retention time and triggers and messages may evolve with time.",
  Service:
    "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.",
  ServiceSpec: "ServiceSpec describes the attributes that a user creates on a service.",
  Endpoints: "Endpoints is a collection of endpoints that implement the actual service.",
  ConfigMap: "ConfigMap holds configuration data for pods to consume.",
  Secret:
    "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
  ReplicaSet: "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
  ReplicaSetSpec: "ReplicaSetSpec is the specification of a ReplicaSet.",
  ReplicaSetStatus: "ReplicaSetStatus represents the current status of a ReplicaSet.",
  PodTemplateSpec: "PodTemplateSpec describes the data a pod should have when created from a template",
  PodDisruptionBudget:
    "PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods",
  Lease: "Lease defines a lease concept.",
  ObjectMeta:
    "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
  LabelSelector:
    "A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.",
  OwnerReference:
    "OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field."
}

/** Field descriptions by `Type.field` (Kubernetes' API documentation, first sentences). */
const fieldDescriptions: Readonly<Record<string, string>> = {
  "PodSpec.containers":
    "List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.",
  "PodSpec.initContainers":
    "List of initialization containers belonging to the pod. Init containers are executed in order prior to containers being started. If any init container fails, the pod is considered to have failed and is handled according to its restartPolicy.",
  "PodSpec.restartPolicy":
    "Restart policy for all containers within the pod. One of Always, OnFailure, Never. In some contexts, only a subset of those values may be permitted. Default to Always.",
  "PodSpec.terminationGracePeriodSeconds":
    "Optional duration in seconds the pod needs to terminate gracefully. May be decreased in delete request. Value must be non-negative integer. The value zero indicates stop immediately via the kill signal (no opportunity to shut down). Defaults to 30 seconds.",
  "PodSpec.activeDeadlineSeconds":
    "Optional duration in seconds the pod may be active on the node relative to StartTime before the system will actively try to mark it failed and kill associated containers. Value must be a positive integer.",
  "PodSpec.nodeName":
    "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.",
  "PodSpec.nodeSelector":
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
  "PodSpec.volumes": "List of volumes that can be mounted by containers belonging to the pod.",
  "PodSpec.tolerations": "If specified, the pod's tolerations.",
  "Container.name":
    "Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name (DNS_LABEL). Cannot be updated.",
  "Container.image":
    "Container image name. More info: https://kubernetes.io/docs/concepts/containers/images This field is optional to allow higher level config management to default or override container images in workload controllers like Deployments and StatefulSets.",
  "Container.imagePullPolicy":
    "Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always if :latest tag is specified, or IfNotPresent otherwise. Cannot be updated.",
  "Container.command":
    "Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is used if this is not provided.",
  "Container.args": "Arguments to the entrypoint. The container image's CMD is used if this is not provided.",
  "Container.ports":
    "List of ports to expose from the container. Not specifying a port here DOES NOT prevent that port from being exposed.",
  "Container.env": "List of environment variables to set in the container. Cannot be updated.",
  "Container.resources":
    "Compute Resources required by this container. Cannot be updated. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
  "Container.livenessProbe":
    "Periodic probe of container liveness. Container will be restarted if the probe fails. Cannot be updated.",
  "Container.readinessProbe":
    "Periodic probe of container service readiness. Container will be removed from service endpoints if the probe fails. Cannot be updated.",
  "Container.startupProbe":
    "StartupProbe indicates that the Pod has successfully initialized. If specified, no other probes are executed until this completes successfully.",
  "Container.restartPolicy":
    'RestartPolicy defines the restart behavior of individual containers in a pod. This field may only be set for init containers, and the only allowed value is "Always".',
  "ObjectMeta.name":
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Cannot be updated.",
  "ObjectMeta.generateName":
    "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.",
  "ObjectMeta.namespace":
    'Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation.',
  "ObjectMeta.labels":
    "Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services.",
  "ObjectMeta.annotations":
    "Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects.",
  "ObjectMeta.uid":
    "UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.",
  "ObjectMeta.resourceVersion":
    "An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed.",
  "ObjectMeta.creationTimestamp":
    "CreationTimestamp is a timestamp representing the server time when this object was created. Populated by the system. Read-only. Null for lists.",
  "ObjectMeta.deletionTimestamp":
    "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client.",
  "ObjectMeta.ownerReferences":
    "List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected.",
  "ObjectMeta.finalizers":
    "Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list.",
  "PodStatus.phase":
    "The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown.",
  "PodStatus.conditions": "Current service state of pod.",
  "PodStatus.containerStatuses":
    "Statuses of containers in this pod. Each container in the pod should have at most one status in this list.",
  "ReplicaSetSpec.replicas":
    "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.",
  "ReplicaSetSpec.selector":
    "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set.",
  "ReplicaSetSpec.template":
    "Template is the object that describes the pod that will be created if insufficient replicas are detected."
}

const required: Readonly<Record<string, ReadonlyArray<string>>> = {
  PodSpec: ["containers"],
  Container: ["name"],
  ContainerPort: ["containerPort"],
  EnvVar: ["name"],
  Volume: ["name"],
  VolumeMount: ["name", "mountPath"],
  ReplicaSetSpec: ["selector"]
}

/** The schemas of a set of kinds and every type they reach, keyed by component name. */
export const componentSchemas = (kinds: ReadonlyArray<ResourceType>): Record<string, Schema> => {
  const schemas: Record<string, Schema> = {}

  const fieldSchema = (shape: Shape): Schema => {
    switch (shape._tag) {
      case "Leaf": {
        const named = namedLeaves[shape.go]
        if (named !== undefined) {
          schemas[named[0]] ??= named[1]
          return { $ref: ref(named[0]) }
        }
        return { ...(inlineLeaves[shape.go] ?? { type: "string" }) }
      }
      case "Any":
        return { type: "object", "x-kubernetes-preserve-unknown-fields": true }
      case "Object":
        return { $ref: ref(objectSchema(shape)) }
      case "Array":
        return { type: "array", items: withDefault(fieldSchema(shape.item)) }
      case "Map":
        return { type: "object", additionalProperties: withDefault(fieldSchema(shape.value)) }
    }
  }

  /** As Kubernetes writes item schemas: a `$ref` in `allOf` with an empty default, scalars with theirs. */
  const withDefault = (schema: Schema): Schema =>
    schema["$ref"] !== undefined
      ? Object.values(namedLeaves).some(([name]) => schema["$ref"] === ref(name))
        ? schema
        : { allOf: [schema], default: {} }
      : schema["type"] === "string"
        ? { ...schema, default: "" }
        : schema

  const objectSchema = (shape: Extract<Shape, { _tag: "Object" }>): string => {
    const name = componentName(shape.go)
    const short = name.slice(name.lastIndexOf(".") + 1)
    const existing = schemas[name]
    const properties: Record<string, Schema> = (existing?.["properties"] as Record<string, Schema> | undefined) ?? {}
    if (existing === undefined) {
      schemas[name] = {
        ...(typeDescriptions[short] === undefined ? {} : { description: typeDescriptions[short] }),
        type: "object",
        ...(required[short] === undefined ? {} : { required: required[short] }),
        properties
      }
    }
    for (const [field, child] of Object.entries(shape.fields)) {
      if (properties[field] !== undefined) continue
      properties[field] = {} // reserved before recursing: a type may reach itself
      const schema = fieldSchema(child)
      const description =
        fieldDescriptions[`${short}.${field}`] ??
        (field in common && (field !== "metadata" || child._tag === "Object")
          ? common[field as keyof typeof common]
          : undefined)
      const described = description === undefined ? {} : { description }
      properties[field] =
        schema["$ref"] !== undefined
          ? { allOf: [schema], ...described, default: {} }
          : { ...schema, ...described, ...(schema["type"] === "string" ? { default: "" } : {}) }
    }
    return name
  }

  for (const r of kinds) {
    const shape = shapeForKind(r.kind)
    if (shape?._tag !== "Object") continue
    const name = objectSchema(shape)
    schemas[name] = {
      ...schemas[name],
      "x-kubernetes-group-version-kind": [{ group: r.group, kind: r.kind, version: r.version }]
    }
  }
  if (schemas[objectMetaRef] === undefined) delete schemas[objectMetaRef]
  return schemas
}
