/**
 * The events the kubelet's decisions imply, as data (reason strings of K-events, `pkg/kubelet/events/event.go`;
 * spec pod-lifecycle §4.3, §6.2, §8.4). The engine records them against the pod or container.
 */

/** A Kubernetes event to record: `type`, `reason` and the exact `message`. */
export interface KubeletEvent {
  readonly type: "Normal" | "Warning"
  readonly reason: string
  readonly message: string
}

/** Event reasons used by the domain decisions (K-events). */
export const EventReason = {
  Created: "Created",
  Started: "Started",
  Failed: "Failed",
  Killing: "Killing",
  BackOff: "BackOff",
  Pulling: "Pulling",
  Pulled: "Pulled",
  ErrImageNeverPull: "ErrImageNeverPull",
  InspectFailed: "InspectFailed",
  Unhealthy: "Unhealthy",
  FailedPostStartHook: "FailedPostStartHook",
  FailedPreStopHook: "FailedPreStopHook",
  ExceededGracePeriod: "ExceededGracePeriod",
  SandboxChanged: "SandboxChanged"
} as const

export const normalEvent = (reason: string, message: string): KubeletEvent => ({ type: "Normal", reason, message })
export const warningEvent = (reason: string, message: string): KubeletEvent => ({ type: "Warning", reason, message })
