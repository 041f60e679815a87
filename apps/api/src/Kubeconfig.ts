/**
 * The kubeconfig `npm run serve` writes to `.podlet/kubeconfig`: one cluster at the server's URL,
 * the `default` namespace, and a user that is anonymous or carries a bearer token (`--token-file`).
 * On plain http the cluster has `insecure-skip-tls-verify: true` (which `@kubernetes/client-node`
 * requires); on https it trusts the server's self-signed certificate (`certificate-authority-data`).
 */
import { stringify } from "yaml"

export interface KubeconfigOptions {
  /** the bearer token the user sends */
  readonly token?: string
  /** PEM of the certificate to trust (https) */
  readonly certificateAuthority?: string
}

/** The kubeconfig YAML for a server URL. */
export const kubeconfigYaml = (server: string, options: KubeconfigOptions = {}): string =>
  stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "podlet",
        cluster:
          options.certificateAuthority === undefined
            ? { server, "insecure-skip-tls-verify": true }
            : {
                server,
                "certificate-authority-data": btoa(options.certificateAuthority)
              }
      }
    ],
    users: [{ name: "podlet", user: options.token === undefined ? {} : { token: options.token } }],
    contexts: [{ name: "podlet", context: { cluster: "podlet", user: "podlet", namespace: "default" } }],
    "current-context": "podlet",
    preferences: {}
  })
