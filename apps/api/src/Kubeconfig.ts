/**
 * The kubeconfig `npm run serve` writes to `.podlet/kubeconfig`: one cluster at the server's URL,
 * `insecure-skip-tls-verify: true` (which `@kubernetes/client-node` requires for plain http), an
 * anonymous user and the `default` namespace.
 */
import { stringify } from "yaml"

/** The kubeconfig YAML for a server URL. */
export const kubeconfigYaml = (server: string): string =>
  stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "podlet", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "podlet", user: {} }],
    contexts: [{ name: "podlet", context: { cluster: "podlet", user: "podlet", namespace: "default" } }],
    "current-context": "podlet",
    preferences: {}
  })
