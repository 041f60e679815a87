/**
 * Container restart decision (spec pod-lifecycle §4.1, K-helpers `ShouldContainerBeRestarted`; sidecars: §5.2,
 * K-ctr `computeInitContainerActions`). Pure: reads the pod and the runtime snapshot only.
 */
import type { Container, Pod, RestartPolicy } from "../api/Pod.js"
import { isSidecar } from "../api/Pod.js"
import { latestInstance, type RuntimeSnapshot } from "./RuntimeSnapshot.js"

/** `spec.restartPolicy` with the API default (`Always`). */
export const restartPolicyOf = (pod: Pod): RestartPolicy => pod.spec.restartPolicy ?? "Always"

/** `shouldRestartOnFailure`: true unless the pod's restartPolicy is `Never`. */
export const shouldRestartOnFailure = (pod: Pod): boolean => restartPolicyOf(pod) !== "Never"

/**
 * Whether `container` must be (re)started now: never for a deleting pod or a running container; always when it
 * never ran or is created/unknown; for an exited one, sidecars always, otherwise by `restartPolicy` and exit code.
 */
export const shouldContainerBeRestarted = (container: Container, pod: Pod, snapshot: RuntimeSnapshot): boolean => {
  if (pod.metadata.deletionTimestamp !== undefined) return false
  const latest = latestInstance(snapshot, container.name)
  if (latest === undefined) return true
  if (latest.state === "running") return false
  if (latest.state === "unknown" || latest.state === "created") return true
  if (isSidecar(container)) return true
  const policy = restartPolicyOf(pod)
  if (policy === "Never") return false
  if (policy === "OnFailure" && latest.exitCode === 0) return false
  return true
}
