// Where the platform peers live ({platform: DNS}, {platform: Monitoring}): flags shared by `run`,
// which writes the policies, and `render`/`diff`, which must produce the same ones for review.
// The chart passes its platform values through them, so the operator's DNS rules follow the
// cluster's DNS pods rather than assuming kube-dns labels.
import { parseCidr } from '../api/cidr.js';
import { METADATA_ADDRESSES } from '../api/constants.js';
import { DNS_LABEL, LABEL_KEY, LABEL_VALUE } from '../api/schema.js';
import type { PlatformConfig } from '../compile/facts.js';
import type { Flag } from './flag-table.js';

/** Parses `k=v[,k=v...]` into labels; or an error naming the flag and what would be valid. */
export function parseLabels(value: string, flag: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const [key = '', val, ...rest] = pair.split('=');
    const name = key.split('/').pop() ?? '';
    if (val === undefined || rest.length > 0 || !LABEL_KEY.test(key) || name.length > 63 || val.length > 63 || !LABEL_VALUE.test(val)) {
      return `${flag} takes labels as key=value[,key=value...] (label keys and values as in Kubernetes), not "${pair}"`;
    }
    labels[key] = val;
  }
  return labels;
}

function namespaceFlag<A extends { platform: PlatformConfig }>(name: string, peer: 'dns' | 'monitoring'): Flag<A> {
  return {
    names: [name],
    set: (args, value, flag) => {
      if (value.length > 63 || !DNS_LABEL.test(value)) return `${flag} must be a namespace name (a DNS label), not "${value}"`;
      args.platform[peer].namespace = value;
      return undefined;
    },
  };
}

function podLabelsFlag<A extends { platform: PlatformConfig }>(name: string, peer: 'dns' | 'monitoring'): Flag<A> {
  return {
    names: [name],
    set: (args, value, flag) => {
      const labels = parseLabels(value, flag);
      if (typeof labels === 'string') return labels;
      args.platform[peer].podSelector = { matchLabels: labels };
      return undefined;
    },
  };
}

/** -n/--namespace NAMESPACE, refused unless it is a namespace name (a DNS-1123 label), as the API server would. */
export function namespaceOption<A extends { namespace?: string }>(): Flag<A> {
  return {
    names: ['-n', '--namespace'],
    set: (args, value, flag) => {
      if (value.length > 63 || !DNS_LABEL.test(value)) return `${flag} must be a namespace name (a DNS-1123 label), not "${value}"`;
      args.namespace = value;
      return undefined;
    },
  };
}

/** Parses `cidr[,cidr...]` (canonical CIDRs; "" for none) into a list, or an error naming the flag. */
export function parseCidrList(value: string, flag: string): string[] | string {
  const cidrs = value.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const bad = cidrs.find((c) => parseCidr(c)?.canonical !== true);
  if (bad !== undefined) return `${flag} takes CIDRs in canonical form (no host bits set), comma-separated, such as 169.254.169.254/32,fd00:ec2::254/128; not "${bad}"`;
  return [...new Set(cidrs)];
}

/** --metadata-cidrs: the cloud metadata endpoints left out of every CIDR egress. */
function metadataFlag<A extends { platform: PlatformConfig }>(): Flag<A> {
  return {
    names: ['--metadata-cidrs'],
    set: (args, value, flag) => {
      const cidrs = parseCidrList(value, flag);
      if (typeof cidrs === 'string') return cidrs;
      args.platform.metadataAddresses = cidrs;
      return undefined;
    },
  };
}

/** --dns-namespace, --dns-pod-labels, --monitoring-namespace, --monitoring-pod-labels, --metadata-cidrs. */
export function platformFlags<A extends { platform: PlatformConfig }>(): Flag<A>[] {
  return [
    namespaceFlag('--dns-namespace', 'dns'),
    podLabelsFlag('--dns-pod-labels', 'dns'),
    namespaceFlag('--monitoring-namespace', 'monitoring'),
    podLabelsFlag('--monitoring-pod-labels', 'monitoring'),
    metadataFlag(),
  ];
}

export const PLATFORM_USAGE = `  --dns-namespace NS                namespace of the cluster DNS (default kube-system)
  --dns-pod-labels K=V[,K=V]        labels of the cluster DNS pods (default k8s-app=kube-dns)
  --monitoring-namespace NS         namespace of the Prometheus that scrapes segments (default monitoring)
  --monitoring-pod-labels K=V[,K=V] labels of those Prometheus pods (default app.kubernetes.io/name=prometheus)
  --metadata-cidrs CIDR[,CIDR]      cloud metadata endpoints left out of every CIDR egress unless a component
                                    sets allowMetadataAccess ("" for none; default ${METADATA_ADDRESSES.join(',')})
`;
