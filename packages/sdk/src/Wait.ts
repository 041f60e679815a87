/**
 * The conditions `waitFor` understands, as one pure check: a predicate, a pod phase, a condition
 * that must be True, or the kubectl STATUS column.
 */
import type { KubeObject } from "@podlet/core/api/Meta"
import type { Pod } from "@podlet/core/api/Pod"
import { printPod } from "@podlet/core/domain/DisplayStatus"
import type { WaitCondition } from "./Types.js"

/** Does `object` satisfy `condition` at cluster time `now` (epoch ms)? */
export const matchesCondition = <T extends KubeObject>(
  object: T,
  condition: WaitCondition<T>,
  now: number
): boolean => {
  if (typeof condition === "function") return condition(object)
  const status = (object as unknown as Pod).status
  if ("phase" in condition) return status?.phase === condition.phase
  if ("condition" in condition)
    return (status?.conditions ?? []).some((c) => c.type === condition.condition && c.status === "True")
  return object.kind === "Pod" && printPod(object as unknown as Pod, now).status === condition.status
}
