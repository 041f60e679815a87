import type { Container, ContainerStatus, Pod } from "@podlet/core"

export const t0 = Date.parse("2025-01-01T00:00:00Z")

export const podOf = (
  name: string,
  statuses: ReadonlyArray<Partial<ContainerStatus> & { readonly name: string }>,
  extra: Partial<Pod["status"]> = {},
  containers: ReadonlyArray<Container> = statuses.map((s) => ({ name: s.name, image: "busybox" }))
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}`, creationTimestamp: "2025-01-01T00:00:00Z" },
  spec: { containers, nodeName: "node-1" },
  status: {
    phase: "Running",
    podIP: "10.244.0.5",
    containerStatuses: statuses.map((s) => ({
      ready: false,
      restartCount: 0,
      image: "busybox",
      imageID: "",
      state: {},
      lastState: {},
      ...s
    })),
    ...extra
  }
})
