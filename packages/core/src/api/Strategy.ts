/**
 * Per-resource API-server strategies (`pkg/registry/<group>/<resource>/strategy.go`): what happens to an object on
 * create and update before it is stored. Defaulting, status initialisation, validation with
 * Kubernetes' wording, immutable fields on update.
 *
 * Division of work with the ObjectStore: the store fills uid, creationTimestamp, namespace and
 * generation, keeps the old status on main-resource updates (and the old spec on status updates)
 * and bumps generation on spec changes; the strategy does everything kind-specific.
 */

import { isClean, isCleanExcept, pruneUnknown, typeCauses, unknownFields } from "./Decode.js"
import { defaultObject, defaultPodSpecOfPod } from "./Defaults.js"
import type { FieldCause } from "./Errors.js"
import { copyOf, extend } from "./Extend.js"
import type { KubeObject } from "./Meta.js"
import type { Namespace, PodDisruptionBudget, ReplicaSet, Service } from "./Objects.js"
import type { Pod, PodCondition } from "./Pod.js"
import { podQOSClass } from "./QOS.js"
import { resourceFor } from "./Resources.js"
import { shapeForKind } from "./Shape.js"
import { validateObject, validateObjectUpdate, validatePodStatusUpdate } from "./Validation.js"

export interface CreateContext {
  /** RFC 3339 creation time, from the store's Clock */
  readonly now: string
  /** a fresh uid for the object */
  readonly uid: string
  /** the object passed `isClean`: there is nothing to prune */
  readonly clean?: boolean
  /**
   * With `clean`: the metadata to create the object with, in place of its own (what the store
   * set: name, namespace, uid, ...), so the caller need not copy the object to replace it.
   */
  readonly metadata?: KubeObject["metadata"]
}

export interface Strategy {
  /** defaults (API-server defaulting) and status initialisation (`phase: Pending` for pods) */
  prepareForCreate(object: KubeObject, context: CreateContext): KubeObject
  /**
   * every problem at once, with Kubernetes' field paths and messages; `clean`: the object was
   * prepared from one that passed `isClean` (its types are checked: defaulting keeps them)
   */
  validate(object: KubeObject, clean?: boolean): ReadonlyArray<FieldCause>
  /** defaults on update; carry over what an update may not change (e.g. status on the main resource) */
  prepareForUpdate(object: KubeObject, old: KubeObject, clean?: boolean): KubeObject
  /** validate plus immutability rules (e.g. pod spec may change only in the allowed fields) */
  validateUpdate(object: KubeObject, old: KubeObject, clean?: boolean): ReadonlyArray<FieldCause>
  /** unknown or duplicate fields, as `fieldValidation` reports them (`unknown field "spec.foo"`) */
  unknownFields(object: unknown): ReadonlyArray<string>
  /**
   * One walk: true only when the object is of this resource's kind, has no unknown field, nothing
   * to prune, and its types check (then `unknownFields` is empty and the create path skips the
   * prune and type-check walks).
   */
  isClean(object: unknown): boolean
  /**
   * `isClean` of an update's members that are not the stored object's own: then `unknownFields`
   * of `changedMembers` is empty, and `prepareForUpdate` and `validateUpdate` given `clean` skip
   * their prune and type-check walks.
   */
  isCleanUpdate(object: unknown, old: KubeObject): boolean
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** `applySchedulingGatedCondition` (spec §7): gated pods start with `PodScheduled=False`. */
export const schedulingGatedCondition: PodCondition = {
  type: "PodScheduled",
  status: "False",
  reason: "SchedulingGated",
  message: "Scheduling is blocked due to non-empty scheduling gates",
  lastProbeTime: null
}

/** Pod create (`podStrategy.PrepareForCreate`): a fresh status `phase: Pending` with the QoS class. */
const preparePodCreate = (pod: Pod): Pod => {
  const gated = (pod.spec?.schedulingGates ?? []).length > 0
  const qosClass = podQOSClass(pod.spec)
  // `extend(pod, { status })` with one copy
  const out = copyOf(pod) as Mutable<Pod>
  out.status = gated
    ? { phase: "Pending", qosClass, conditions: [schedulingGatedCondition] }
    : { phase: "Pending", qosClass }
  return out
}

/**
 * The metadata `withCreateMeta` and then the generation step give `given` (`generation`: a kind
 * that counts generations), in one copy, or `given` itself when there is nothing to set.
 */
const createMetadata = (
  given: KubeObject["metadata"],
  context: CreateContext,
  generation: boolean
): KubeObject["metadata"] => {
  const hasUid = given.uid !== undefined && given.uid !== ""
  const hasTimestamp = given.creationTimestamp !== undefined && given.creationTimestamp !== ""
  const setGeneration = generation && given.generation !== 1
  // `in` only on what `withCreateMeta` asked it of (it throws on a string no decoder produced)
  if (
    hasUid &&
    hasTimestamp &&
    !setGeneration &&
    !("deletionTimestamp" in given) &&
    !("deletionGracePeriodSeconds" in given)
  ) {
    return given
  }
  const meta: Mutable<KubeObject["metadata"]> = copyOf(given)
  if (!hasUid) meta.uid = context.uid
  if (!hasTimestamp) meta.creationTimestamp = context.now
  // `delete` only when present: deleting turns the object into a slow dictionary
  if ("deletionTimestamp" in meta) delete meta.deletionTimestamp
  if ("deletionGracePeriodSeconds" in meta) delete meta.deletionGracePeriodSeconds
  if (setGeneration) meta.generation = 1
  return meta
}

/**
 * Pod create in one copy of the pod: what `withCreateMeta`, the generation step, `defaultPod` and
 * `preparePodCreate` give one after the other (same members, same order; each of those copied it).
 */
const preparePodCreateOnce = (pod: Pod, context: CreateContext): Pod => {
  const metadata = createMetadata(context.metadata ?? pod.metadata, context, false)
  const spec = defaultPodSpecOfPod(pod.spec)
  const gated = (spec.schedulingGates ?? []).length > 0
  const qosClass = podQOSClass(spec)
  const status: Pod["status"] = gated
    ? { phase: "Pending", qosClass, conditions: [schedulingGatedCondition] }
    : { phase: "Pending", qosClass }
  if (hasPodMembers(pod)) {
    // the same members in the same order, as one literal: every member in the object itself (a
    // copy that gains `status` keeps it in a second, overflow block)
    return { apiVersion: pod.apiVersion, kind: pod.kind, metadata, spec, status }
  }
  const out = copyOf(pod) as Mutable<Pod>
  out.metadata = metadata
  out.spec = spec
  out.status = status
  return out
}

/** the members of a pod as clients usually write them, in this order (`status` may follow) */
const podMembers: ReadonlyArray<string> = ["apiVersion", "kind", "metadata", "spec", "status"]

/** `pod` has exactly `apiVersion`, `kind`, `metadata`, `spec` and perhaps `status`, in that order. */
const hasPodMembers = (pod: Pod): boolean => {
  let i = 0
  for (const key in pod) {
    if (key !== podMembers[i]) return false
    i++
  }
  return i >= 4
}

/** The initial status of each kind with a status (anything the client sent is dropped). */
const initialStatus = (object: KubeObject): KubeObject => {
  switch (object.kind) {
    case "Pod":
      return preparePodCreate(object as Pod)
    case "Namespace":
      return extend(object as Namespace, { status: { phase: "Active" } }) as KubeObject
    case "Service":
      return extend(object as Service, { status: { loadBalancer: {} } }) as KubeObject
    case "ReplicaSet":
      return extend(object as ReplicaSet, { status: { replicas: 0 } }) as KubeObject
    case "PodDisruptionBudget":
      return extend(object as PodDisruptionBudget, {
        status: { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }
      }) as KubeObject
    default:
      // Nodes keep the status they register with; kinds without status are unchanged.
      return object
  }
}

/** The object with the context's metadata, if it gives one (see `CreateContext.metadata`). */
const withGivenMeta = (object: KubeObject, context: CreateContext): KubeObject => {
  if (context.metadata === undefined) return object
  // `extend(object, { metadata })` with one copy (the member keeps its place, or is appended)
  const out = copyOf(object)
  out.metadata = context.metadata
  return out
}

const withCreateMeta = (object: KubeObject, context: CreateContext): KubeObject => {
  const given = object.metadata
  if (
    given.uid !== undefined &&
    given.uid !== "" &&
    given.creationTimestamp !== undefined &&
    given.creationTimestamp !== "" &&
    !("deletionTimestamp" in given) &&
    !("deletionGracePeriodSeconds" in given)
  ) {
    return object // nothing to set (the store sets uid and creationTimestamp first)
  }
  const meta: Mutable<KubeObject["metadata"]> = copyOf(given)
  if (meta.uid === undefined || meta.uid === "") meta.uid = context.uid
  if (meta.creationTimestamp === undefined || meta.creationTimestamp === "") meta.creationTimestamp = context.now
  // `delete` only when present: deleting turns the object into a slow dictionary
  if ("deletionTimestamp" in meta) delete meta.deletionTimestamp
  if ("deletionGracePeriodSeconds" in meta) delete meta.deletionGracePeriodSeconds
  return extend(object, { metadata: meta })
}

/**
 * The members of an update that are the stored object's own (by reference): already pruned,
 * type-checked, defaulted and validated when they were written, so an update need not redo them.
 * A status write shares `metadata` and `spec` with the stored pod.
 */
const sharedMembers = (object: KubeObject, old: KubeObject): ReadonlySet<string> | undefined => {
  let shared: Set<string> | undefined
  for (const key of Object.keys(object)) {
    const value = (object as unknown as Record<string, unknown>)[key]
    if (value !== null && typeof value === "object" && value === (old as unknown as Record<string, unknown>)[key]) {
      shared ??= new Set()
      shared.add(key)
    }
  }
  return shared
}

/** The object without its shared members (what an update must still check). */
export const changedMembers = (object: KubeObject, old: KubeObject): KubeObject => {
  const shared = sharedMembers(object, old)
  if (shared === undefined) return object
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(object)) if (!shared.has(key)) out[key] = value
  return out as unknown as KubeObject
}

/** `pruneUnknown` of the changed members only; shared members kept as they are, in the object's key order. */
const pruneChanged = (object: KubeObject, old: KubeObject): KubeObject => {
  const shared = sharedMembers(object, old)
  if (shared === undefined) return pruneUnknown(object)
  const changed: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(object)) if (!shared.has(key)) changed[key] = value
  const pruned = pruneUnknown(changed as unknown as KubeObject) as unknown as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(object)) {
    if (shared.has(key)) out[key] = value
    else if (key in pruned) out[key] = pruned[key]
  }
  return out as unknown as KubeObject
}

/** A pod update that changes neither spec nor metadata (a status write): both are the stored ones. */
const isPodStatusOnly = (object: KubeObject, old: KubeObject): boolean =>
  object.kind === "Pod" && object.metadata === old.metadata && (object as Pod).spec === (old as Pod).spec

/** Update defaults: the same defaulting (idempotent; pods get their default tolerations back). */
const prepareUpdate = (object: KubeObject, old: KubeObject, clean: boolean): KubeObject => {
  const pruned = clean ? object : pruneChanged(object, old)
  // a stored pod spec is defaulted already
  const defaulted = pruned.kind === "Pod" && (pruned as Pod).spec === (old as Pod).spec ? pruned : defaultObject(pruned)
  if (defaulted.kind === "Namespace") {
    // finalizers change only through the namespace's finalize subresource
    const spec = (old as Namespace).spec
    const { spec: _s, ...rest } = defaulted as Namespace
    return (spec === undefined ? rest : extend(rest, { spec })) as KubeObject
  }
  if (defaulted.kind !== "Pod") return defaulted
  const pod = defaulted as Pod
  const oldPod = old as Pod
  // the QoS class is fixed at creation (status subresource updates may not drop it)
  const qos = oldPod.status?.qosClass
  const status =
    qos === undefined || pod.status === undefined || pod.status.qosClass === qos
      ? pod.status
      : extend(pod.status, { qosClass: qos })
  return status === undefined || status === pod.status ? pod : extend(pod, { status })
}

/**
 * Kinds whose `metadata.generation` counts spec changes (`spec` only; metadata and status do not
 * count). Other kinds have none, as their registry strategies set none (Events, ConfigMaps, ...).
 * Pods have none at v1.32, the version podlet reports: the pod strategy sets none until KEP-5067
 * (Pod Generation, alpha in v1.33).
 */
const generationKinds: ReadonlySet<string> = new Set(["ReplicaSet", "PodDisruptionBudget"])

/** Whether objects of `kind` carry a `metadata.generation`. */
export const countsGeneration = (kind: string): boolean => generationKinds.has(kind)

const sameSpec = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}

/** `generation` is the old one, plus one when the spec changed (clients cannot set it). */
const withGeneration = (object: KubeObject, old: KubeObject): KubeObject => {
  if (!generationKinds.has(object.kind)) return object
  const base = old.metadata.generation ?? 1
  const generation = sameSpec((object as { spec?: unknown }).spec, (old as { spec?: unknown }).spec) ? base : base + 1
  if (object.metadata.generation === generation) return object
  return extend(object, { metadata: extend(object.metadata, { generation }) })
}

/**
 * Whether defaulting turned an object whose types were checked into one whose types are checked
 * (a property test holds this to it). Not for ReplicaSets and Services, whose defaulting writes
 * `selector: undefined` or `targetPort: undefined` when the member is missing (a type cause), nor
 * for a pod on the host network (`hostPort` copied from a `containerPort` that may be missing).
 */
export const typesKeptByDefaulting = (object: KubeObject): boolean => {
  switch (object.kind) {
    case "Pod":
      return (object as Pod).spec?.hostNetwork !== true
    case "Node":
    case "Namespace":
    case "Event":
    case "Endpoints":
    case "ConfigMap":
    case "Secret":
    case "PodDisruptionBudget":
    case "Lease":
      return true
    default:
      return false
  }
}

const noCauses: ReadonlyArray<FieldCause> = Object.freeze([])

/** What validation reports for an object it could not walk (a shape no decoder produced). */
const notValidated: ReadonlyArray<FieldCause> = [
  { reason: "FieldValueInvalid", message: "Invalid value: the object could not be validated", field: "" }
]

const makeStrategy = (resource: string): Strategy => {
  const rt = resourceFor(resource)
  const strategy: Strategy = {
    prepareForCreate: (object, context) => {
      const pruned = context.clean === true ? object : pruneUnknown(object)
      if (pruned.kind === "Pod" && rt?.hasStatus === true) return preparePodCreateOnce(pruned as Pod, context)
      const meta = withCreateMeta(withGivenMeta(pruned, context), context)
      const defaulted = defaultObject(
        generationKinds.has(meta.kind) && meta.metadata.generation !== 1
          ? extend(meta, { metadata: extend(meta.metadata, { generation: 1 }) })
          : meta
      )
      return rt?.hasStatus === true ? initialStatus(defaulted) : defaulted
    },
    validate: (object) => validateObject(object),
    prepareForUpdate: (object, old, clean) => withGeneration(prepareUpdate(object, old, clean === true), old),
    validateUpdate: (object, old, _clean) =>
      object.kind !== "Pod"
        ? validateObjectUpdate(object, old)
        : isPodStatusOnly(object, old)
          ? // spec and metadata are the stored ones (valid when written): only the status rules apply
            podStatusRules(object as Pod, old as Pod)
          : [...validateObjectUpdate(object, old), ...podStatusRules(object as Pod, old as Pod)],
    unknownFields: (object) => {
      const kind = rt?.kind ?? (object as { kind?: unknown } | null)?.kind
      return typeof kind === "string" ? unknownFields(kind, object) : []
    },
    isClean: (object) => {
      if (rt === undefined || (object as { kind?: unknown } | null)?.kind !== rt.kind) return false
      const shape = shapeForKind(rt.kind)
      return shape === undefined || isClean(shape, object)
    },
    isCleanUpdate: (object, old) => {
      if (rt === undefined || (object as { kind?: unknown } | null)?.kind !== rt.kind) return false
      const shape = shapeForKind(rt.kind)
      return shape === undefined || isCleanExcept(shape, object, old)
    }
  }
  // Objects normally arrive decoded (`Decode.ts`); one that does not decode is left as it is by the
  // prepare steps and reported by validation as type errors, so nothing here throws.
  return {
    prepareForCreate: (object, context) => {
      try {
        return strategy.prepareForCreate(object, context)
      } catch {
        return withGivenMeta(object, context)
      }
    },
    validate: (object, clean) => {
      const types = clean === true && typesKeptByDefaulting(object) ? noCauses : typeCauses(object)
      if (types.length > 0) return types
      try {
        return strategy.validate(object)
      } catch {
        return notValidated
      }
    },
    prepareForUpdate: (object, old, clean) => {
      try {
        return strategy.prepareForUpdate(object, old, clean)
      } catch {
        return object
      }
    },
    validateUpdate: (object, old, clean) => {
      const types = clean === true && typesKeptByDefaulting(object) ? noCauses : typeCauses(changedMembers(object, old))
      if (types.length > 0) return types
      try {
        return strategy.validateUpdate(object, old, clean)
      } catch {
        return notValidated
      }
    },
    unknownFields: (object) => {
      try {
        return strategy.unknownFields(object)
      } catch {
        return []
      }
    },
    isClean: (object) => {
      try {
        return strategy.isClean(object)
      } catch {
        return false
      }
    },
    isCleanUpdate: (object, old) => {
      try {
        return strategy.isCleanUpdate(object, old)
      } catch {
        return false
      }
    }
  }
}

/** Status rules that apply whichever way the status changed (qosClass fixed, terminated stays terminated). */
const podStatusRules = (pod: Pod, old: Pod): ReadonlyArray<FieldCause> => {
  const causes = validatePodStatusUpdate(pod, old)
  return causes.length === 0 ? causes : causes.filter((c) => c.field.startsWith("status."))
}

const strategies = new Map<string, Strategy>()

/** The strategy for a resource (plural name). */
export const strategyFor = (resource: string): Strategy => {
  let s = strategies.get(resource)
  if (s === undefined) {
    s = makeStrategy(resource)
    strategies.set(resource, s)
  }
  return s
}
