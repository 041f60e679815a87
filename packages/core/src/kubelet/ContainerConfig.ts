/**
 * What the kubelet hands the runtime for a pod (`kubelet_pods.go`): the sandbox config (hostname and
 * FQDN by `GeneratePodHostNameAndDomain`, volumes with ConfigMap/Secret contents) and each container's
 * config (`makeEnvironmentVariables`: envFrom, env with `$(VAR)` expansion, configMap/secret keys,
 * fieldRefs, `HOSTNAME`; mounts; memory limit). Pure functions of the pod and the objects they read;
 * a missing ConfigMap/Secret or key is a `ConfigError` whose message is Kubernetes' own.
 */
import type { ConfigMap, Secret } from "../api/Objects.js"
import type { Container, EnvVar, Pod } from "../api/Pod.js"
import { quantityOrUndefined, unitValue } from "../api/Quantity.js"
import type { ContainerConfig, MountConfig, SandboxConfig, SandboxVolume } from "../services/ContainerRuntime.js"

/** The configuration a pod needs from the API: its namespace's ConfigMaps and Secrets, by name. */
export interface PodObjects {
  readonly configMaps: ReadonlyMap<string, ConfigMap>
  readonly secrets: ReadonlyMap<string, Secret>
}

/** `CreateContainerConfigError`: the message is the waiting message (`configmap "cfg" not found`). */
export interface ConfigError {
  readonly _tag: "ConfigError"
  readonly message: string
}

const configError = (message: string): ConfigError => ({ _tag: "ConfigError", message })

export const isConfigError = (u: unknown): u is ConfigError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "ConfigError"

export const clusterDomain = "cluster.local"

/** `truncatePodHostnameIfNeeded`: at most 63 characters, then trailing `-` and `.` removed. */
export const truncateHostname = (name: string): string =>
  name.length <= 63 ? name : name.slice(0, 63).replace(/[-.]+$/, "")

/** `GeneratePodHostNameAndDomain`: hostname (spec.hostname or metadata.name) and the subdomain's host domain. */
export const podHostnameAndDomain = (pod: Pod): { readonly hostname: string; readonly hostDomain?: string } => {
  const hostname = truncateHostname(pod.spec.hostname ?? pod.metadata.name ?? "")
  const subdomain = pod.spec.subdomain
  if (subdomain === undefined || subdomain === "") return { hostname }
  return { hostname, hostDomain: `${subdomain}.${pod.metadata.namespace ?? "default"}.svc.${clusterDomain}` }
}

/** base64 → text, without Node's Buffer (Secret `data`). */
export const base64Decode = (value: string): string => {
  try {
    const binary = atob(value)
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return new TextDecoder().decode(bytes)
  } catch {
    return value
  }
}

const secretData = (secret: Secret): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = base64Decode(v)
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v
  return out
}

const keyedFiles = (
  data: Readonly<Record<string, string>>,
  items: ReadonlyArray<{ readonly key: string; readonly path: string }> | undefined,
  missingKey: (key: string) => string
): Record<string, string> | ConfigError => {
  if (items === undefined || items.length === 0) return { ...data }
  const files: Record<string, string> = {}
  for (const item of items) {
    const value = data[item.key]
    if (value === undefined) return configError(missingKey(item.key))
    files[item.path] = value
  }
  return files
}

/** The sandbox volumes of `pod`, or the first missing ConfigMap/Secret (non-optional) as a ConfigError. */
export const sandboxVolumes = (pod: Pod, objects: PodObjects): ReadonlyArray<SandboxVolume> | ConfigError => {
  const volumes: Array<SandboxVolume> = []
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.configMap !== undefined) {
      const name = volume.configMap.name ?? ""
      const cm = objects.configMaps.get(name)
      if (cm === undefined) {
        if (volume.configMap.optional === true) volumes.push({ name: volume.name, type: "files", files: {} })
        else return configError(`configmap "${name}" not found`)
        continue
      }
      const files = keyedFiles(
        cm.data ?? {},
        volume.configMap.items,
        (key) => `configmap references non-existent config key: ${key}`
      )
      if (isConfigError(files)) return files
      volumes.push({ name: volume.name, type: "files", files })
    } else if (volume.secret !== undefined) {
      const name = volume.secret.secretName ?? ""
      const secret = objects.secrets.get(name)
      if (secret === undefined) {
        if (volume.secret.optional === true) volumes.push({ name: volume.name, type: "files", files: {} })
        else return configError(`secret "${name}" not found`)
        continue
      }
      const files = keyedFiles(
        secretData(secret),
        volume.secret.items,
        (key) => `references non-existent secret key: ${key}`
      )
      if (isConfigError(files)) return files
      volumes.push({ name: volume.name, type: "files", files })
    } else if (volume.hostPath !== undefined) {
      volumes.push({ name: volume.name, type: "hostPath", path: volume.hostPath.path })
    } else {
      volumes.push({ name: volume.name, type: "emptyDir" })
    }
  }
  return volumes
}

/** The sandbox config of `pod` with the given volumes. */
export const sandboxConfig = (pod: Pod, volumes: ReadonlyArray<SandboxVolume>): SandboxConfig => {
  const { hostname, hostDomain } = podHostnameAndDomain(pod)
  return {
    podUid: pod.metadata.uid ?? "",
    podName: pod.metadata.name ?? "",
    namespace: pod.metadata.namespace ?? "default",
    hostname,
    ...(hostDomain !== undefined ? { fqdn: `${hostname}.${hostDomain}` } : {}),
    ...(pod.spec.hostAliases !== undefined
      ? { hostAliases: pod.spec.hostAliases.map((a) => ({ ip: a.ip, hostnames: a.hostnames ?? [] })) }
      : {}),
    volumes
  }
}

/** `expansion.MappingFuncFor`: `$(VAR)` from earlier variables, `$$` escapes, unknown references kept. */
export const expandEnv = (input: string, vars: ReadonlyMap<string, string>): string =>
  !input.includes("$")
    ? input
    : input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
        if (match === "$$") return "$"
        return name !== undefined && vars.has(name) ? vars.get(name)! : match
      })

/** `podutil` field paths the downward API supports for env. */
const fieldRefValue = (pod: Pod, fieldPath: string): string | ConfigError => {
  const annotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath)
  if (annotation !== null) {
    const map = annotation[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations
    return map?.[annotation[2]!] ?? ""
  }
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata.name ?? ""
    case "metadata.namespace":
      return pod.metadata.namespace ?? ""
    case "metadata.uid":
      return pod.metadata.uid ?? ""
    case "spec.nodeName":
      return pod.spec.nodeName ?? ""
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? ""
    case "status.podIP":
      return pod.status?.podIP ?? ""
    case "status.podIPs":
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(",")
    case "status.hostIP":
      return pod.status?.hostIP ?? ""
    case "status.hostIPs":
      return (pod.status?.hostIPs ?? []).map((p) => p.ip).join(",")
    default:
      return configError(`unsupported fieldPath: ${fieldPath}`)
  }
}

const resourceFieldValue = (container: Container, resource: string): string => {
  const [kind, name] = resource.split(".")
  const list = kind === "limits" ? container.resources?.limits : container.resources?.requests
  const raw = name !== undefined ? list?.[name] : undefined
  if (raw === undefined) return "0"
  const q = quantityOrUndefined(raw)
  if (q === undefined) return "0"
  return name === "cpu" ? String(Math.max(1, Math.ceil(unitValue(q)))) : String(unitValue(q))
}

const envVarValue = (
  pod: Pod,
  container: Container,
  env: EnvVar,
  vars: ReadonlyMap<string, string>,
  objects: PodObjects
): string | undefined | ConfigError => {
  if (env.valueFrom === undefined) return expandEnv(env.value ?? "", vars)
  const ns = pod.metadata.namespace ?? "default"
  const from = env.valueFrom
  if (from.configMapKeyRef !== undefined) {
    const ref = from.configMapKeyRef
    const cm = objects.configMaps.get(ref.name ?? "")
    if (cm === undefined) return ref.optional === true ? undefined : configError(`configmap "${ref.name}" not found`)
    const value = cm.data?.[ref.key]
    if (value === undefined) {
      return ref.optional === true
        ? undefined
        : configError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`)
    }
    return value
  }
  if (from.secretKeyRef !== undefined) {
    const ref = from.secretKeyRef
    const secret = objects.secrets.get(ref.name ?? "")
    if (secret === undefined) return ref.optional === true ? undefined : configError(`secret "${ref.name}" not found`)
    const value = secretData(secret)[ref.key]
    if (value === undefined) {
      return ref.optional === true ? undefined : configError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`)
    }
    return value
  }
  if (from.fieldRef !== undefined) return fieldRefValue(pod, from.fieldRef.fieldPath)
  if (from.resourceFieldRef !== undefined) return resourceFieldValue(container, from.resourceFieldRef.resource)
  return ""
}

/** `makeEnvironmentVariables`: `HOSTNAME`, then envFrom sources, then env (later entries win). */
export const containerEnv = (
  pod: Pod,
  container: Container,
  objects: PodObjects
): ReadonlyArray<{ readonly name: string; readonly value: string }> | ConfigError => {
  const hostname = podHostnameAndDomain(pod).hostname
  if (container.envFrom === undefined && container.env === undefined) return [{ name: "HOSTNAME", value: hostname }]
  const vars = new Map<string, string>()
  vars.set("HOSTNAME", hostname)
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? ""
    if (source.configMapRef !== undefined) {
      const name = source.configMapRef.name ?? ""
      const cm = objects.configMaps.get(name)
      if (cm === undefined) {
        if (source.configMapRef.optional === true) continue
        return configError(`configmap "${name}" not found`)
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) vars.set(prefix + k, v)
    }
    if (source.secretRef !== undefined) {
      const name = source.secretRef.name ?? ""
      const secret = objects.secrets.get(name)
      if (secret === undefined) {
        if (source.secretRef.optional === true) continue
        return configError(`secret "${name}" not found`)
      }
      for (const [k, v] of Object.entries(secretData(secret))) vars.set(prefix + k, v)
    }
  }
  for (const env of container.env ?? []) {
    const value = envVarValue(pod, container, env, vars, objects)
    if (isConfigError(value)) return value
    if (value !== undefined) vars.set(env.name, value)
  }
  return [...vars].map(([name, value]) => ({ name, value }))
}

/** Memory limit in bytes, if any. */
export const memoryLimit = (container: Container): number | undefined => {
  const raw = container.resources?.limits?.["memory"]
  if (raw === undefined) return undefined
  const q = quantityOrUndefined(raw)
  return q === undefined ? undefined : unitValue(q)
}

/** the variables of a container whose command and args reference none (`expandEnv` reads no variable then) */
const noVars: ReadonlyMap<string, string> = new Map()

/** The runtime config of one container instance (`generateContainerConfig`), or a ConfigError. */
export const containerConfig = (
  pod: Pod,
  container: Container,
  objects: PodObjects,
  attempt: number,
  hash: string
): ContainerConfig | ConfigError => {
  const env = containerEnv(pod, container, objects)
  if (isConfigError(env)) return env
  const readOnlyVolumes = new Set(
    (pod.spec.volumes ?? []).filter((v) => v.configMap !== undefined || v.secret !== undefined).map((v) => v.name)
  )
  const mounts: Array<MountConfig> = (container.volumeMounts ?? []).map((m) => ({
    volume: m.name,
    mountPath: m.mountPath,
    ...(m.subPath !== undefined && m.subPath !== "" ? { subPath: m.subPath } : {}),
    readOnly: m.readOnly === true || readOnlyVolumes.has(m.name)
  }))
  const command = container.command ?? []
  const args = container.args ?? []
  const hasReference = (text: string): boolean => text.includes("$")
  const vars =
    command.some(hasReference) || args.some(hasReference) ? new Map(env.map((e) => [e.name, e.value])) : noVars
  const limit = memoryLimit(container)
  return {
    name: container.name,
    image: container.image ?? "",
    command: command.map((c) => expandEnv(c, vars)),
    args: args.map((a) => expandEnv(a, vars)),
    ...(container.workingDir !== undefined ? { workingDir: container.workingDir } : {}),
    env,
    mounts,
    ports: (container.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? "TCP" })),
    ...(limit !== undefined ? { memoryLimit: limit } : {}),
    attempt,
    hash,
    ...(container.terminationMessagePath !== undefined
      ? { terminationMessagePath: container.terminationMessagePath }
      : {})
  }
}
