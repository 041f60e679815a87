/**
 * The files the kubelet manages in every container: `/etc/hosts` (kubelet `managedHostsFileContent`),
 * `/etc/hostname` and `/etc/resolv.conf` (ClusterFirst DNS policy).
 */
import type { SandboxConfig } from "../../services/ContainerRuntime.js"

/** `/etc/hosts`: localhost lines, the pod IP with its FQDN and hostname, then the hostAliases section. */
export const hostsFile = (config: SandboxConfig, podIP: string): string => {
  let out =
    "# Kubernetes-managed hosts file.\n" +
    "127.0.0.1\tlocalhost\n" +
    "::1\tlocalhost ip6-localhost ip6-loopback\n" +
    "fe00::0\tip6-localnet\n" +
    "fe00::0\tip6-mcastprefix\n" +
    "fe00::1\tip6-allnodes\n" +
    "fe00::2\tip6-allrouters\n"
  out += config.fqdn !== undefined ? `${podIP}\t${config.fqdn}\t${config.hostname}\n` : `${podIP}\t${config.hostname}\n`
  const aliases = config.hostAliases ?? []
  if (aliases.length > 0) {
    out += "\n# Entries added by HostAliases.\n"
    for (const alias of aliases) out += `${alias.ip}\t${alias.hostnames.join("\t")}\n`
  }
  return out
}

/** `/etc/resolv.conf` of a ClusterFirst pod. */
export const resolvConf = (namespace: string, clusterDomain = "cluster.local", nameserver = "10.96.0.10"): string =>
  `search ${namespace}.svc.${clusterDomain} svc.${clusterDomain} ${clusterDomain}\nnameserver ${nameserver}\noptions ndots:5\n`
