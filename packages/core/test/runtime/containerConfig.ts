// The container config the runtime tests start from: no args, env, mounts or ports, attempt 0.
import type { ContainerConfig } from "../../src/services/ContainerRuntime.js"

/** A container `name` running `command` in `image`, with `extra` members replaced. */
export const container = (
  name: string,
  image: string,
  command: ReadonlyArray<string>,
  extra: Partial<ContainerConfig> = {}
): ContainerConfig => ({
  name,
  image,
  command,
  args: [],
  env: [],
  mounts: [],
  ports: [],
  attempt: 0,
  hash: "h1",
  ...extra
})
