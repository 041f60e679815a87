/**
 * Addresses of the cluster's nth node (0-based): its podCIDR, a /24 of the cluster CIDR
 * `10.244.0.0/14` (kind's pod subnet, widened so 1,024 nodes fit), and its InternalIP on the
 * node network `172.18.0.0/16` starting at `172.18.0.2` (kind's docker network).
 */

/** The node's pod CIDR: `10.244.0.0/24`, `10.244.1.0/24`, … `10.245.0.0/24` for the 257th. */
export const nodePodCIDR = (index: number): string => `10.${244 + Math.floor(index / 256)}.${index % 256}.0/24`

/** The node's InternalIP: `172.18.0.2`, `172.18.0.3`, … */
export const nodeInternalIP = (index: number): string => `172.18.${Math.floor((index + 2) / 256)}.${(index + 2) % 256}`
