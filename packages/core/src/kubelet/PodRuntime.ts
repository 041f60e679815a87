/**
 * The kubelet's read of the runtime for one pod (`GetPodStatus`): sandboxes and container instances
 * from the ContainerRuntime, as the domain's `RuntimeSnapshot`. Container ids in the snapshot and in
 * the API status carry the runtime scheme (`containerd://<id>`); `runtimeId` strips it for CRI calls.
 */
import { Effect } from "effect"
import { flat } from "../domain/Flat.js"
import type { ContainerInstance, RuntimeSnapshot, SandboxInstance } from "../domain/RuntimeSnapshot.js"
import type { ContainerInfo, ContainerRuntime, Sandbox } from "../services/ContainerRuntime.js"

const scheme = "containerd://"

/** `containerd://<id>` for a runtime container id. */
export const apiContainerId = (id: string): string => (id.startsWith(scheme) ? id : flat(`${scheme}${id}`))

/** The CRI id of an API / snapshot container id. */
export const runtimeId = (id: string): string => (id.startsWith(scheme) ? id.slice(scheme.length) : id)

const toInstance = (info: ContainerInfo, id: string = apiContainerId(info.id)): ContainerInstance => ({
  id,
  name: info.name,
  sandboxId: info.sandboxId,
  state: info.state,
  hash: info.hash,
  restartCount: info.attempt,
  image: info.image,
  imageID: info.imageRef,
  createdAt: info.createdAt,
  ...(info.startedAt !== undefined ? { startedAt: info.startedAt } : {}),
  ...(info.finishedAt !== undefined ? { finishedAt: info.finishedAt } : {}),
  ...(info.exitCode !== undefined ? { exitCode: info.exitCode } : {}),
  ...(info.reason !== undefined ? { reason: info.reason } : {}),
  ...(info.message !== undefined ? { message: info.message } : {})
})

/** The newest sandbox, with its attempt number (how many sandboxes the pod had before it). */
export const newestSandbox = (sandboxes: ReadonlyArray<Sandbox>): SandboxInstance | undefined => {
  let newest: Sandbox | undefined
  for (const sandbox of sandboxes) {
    // the last of equal creation times, as a stable sort by creation time would have it
    if (newest === undefined || sandbox.createdAt >= newest.createdAt) newest = sandbox
  }
  if (newest === undefined) return undefined
  return {
    id: newest.id,
    state: newest.state,
    attempt: sandboxes.length - 1,
    ...(newest.ip !== "" ? { ip: newest.ip } : {}),
    createdAt: newest.createdAt
  }
}

/** Whether `instance` (an API id) is the runtime's container `info`. */
const isInstanceOf = (instance: ContainerInstance, info: ContainerInfo): boolean =>
  instance.id.length === scheme.length + info.id.length && instance.id.endsWith(info.id)

const sameInstance = (info: ContainerInfo, instance: ContainerInstance | undefined): boolean =>
  instance !== undefined &&
  instance.id.length === scheme.length + info.id.length &&
  instance.id.endsWith(info.id) &&
  instance.name === info.name &&
  instance.sandboxId === info.sandboxId &&
  instance.state === info.state &&
  instance.hash === info.hash &&
  instance.restartCount === info.attempt &&
  instance.image === info.image &&
  instance.imageID === info.imageRef &&
  instance.createdAt === info.createdAt &&
  instance.startedAt === info.startedAt &&
  instance.finishedAt === info.finishedAt &&
  instance.exitCode === info.exitCode &&
  instance.reason === info.reason &&
  instance.message === info.message

const sameSandbox = (a: SandboxInstance | undefined, b: SandboxInstance | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.id === b.id &&
    a.state === b.state &&
    a.attempt === b.attempt &&
    a.ip === b.ip &&
    a.createdAt === b.createdAt)

/**
 * The runtime snapshot of pod `uid`; `previous` itself when nothing changed since it was taken (so
 * an unchanged pod's snapshot keeps its identity, and what is derived from it can be reused). With a
 * runtime that offers revisions, a snapshot carries the one it was taken at, and an unchanged
 * revision answers without listing.
 */
export const podSnapshot = (
  runtime: ContainerRuntime["Service"],
  uid: string,
  previous?: RuntimeSnapshot
): Effect.Effect<RuntimeSnapshot> => {
  const revisionOf = runtime.podRevisionUnsafe
  if (previous?.revision !== undefined && revisionOf !== undefined && previous.revision === revisionOf(uid)) {
    return Effect.succeed(previous)
  }
  const before = revisionOf?.(uid)
  return Effect.flatMap(runtime.listSandboxes(uid), (sandboxes) =>
    Effect.map(runtime.listContainers(uid), (containers) => {
      const revision = before !== undefined && before >= 0 && revisionOf?.(uid) === before ? before : undefined
      return fromRuntime(sandboxes, containers, previous, revision)
    })
  )
}

/** The snapshot of what the runtime listed; `previous` (or its instances) where unchanged. */
const fromRuntime = (
  sandboxes: ReadonlyArray<Sandbox>,
  containers: ReadonlyArray<ContainerInfo>,
  previous: RuntimeSnapshot | undefined,
  revision: number | undefined
): RuntimeSnapshot => {
  const sandbox = newestSandbox(sandboxes)
  const before = previous?.containers
  // an instance unchanged since the previous snapshot is that snapshot's object (and its strings),
  // so statuses generated from either share them; the listing order is usually the previous one
  let same = before !== undefined && before.length === containers.length && sameSandbox(sandbox, previous?.sandbox)
  const instances: Array<ContainerInstance> = new Array(containers.length)
  for (let i = 0; i < containers.length; i++) {
    const info = containers[i]!
    const at = before?.[i]
    const known = at !== undefined && isInstanceOf(at, info) ? at : before?.find((c) => isInstanceOf(c, info))
    if (known !== undefined && sameInstance(info, known)) {
      instances[i] = known
      if (known !== at) same = false
    } else {
      instances[i] = known === undefined ? toInstance(info) : toInstance(info, known.id)
      same = false
    }
  }
  if (same && previous !== undefined) {
    previous.revision = revision
    return previous
  }
  if (revision === undefined)
    return sandbox !== undefined ? { sandbox, containers: instances } : { containers: instances }
  return sandbox !== undefined ? { sandbox, containers: instances, revision } : { containers: instances, revision }
}
