// The few API requests the dataplane makes (Node, Pods and their status, the enforcer's identity),
// as admin over the local control plane's client certificate. No client library: like the rest of
// the harness this runs before any CRD exists and outside jest's module system.
import { request, type ClientTls } from '../devcluster/index.js';

export interface ApiTarget {
  server: string;
  tls: ClientTls;
}

export class KubeApi {
  constructor(private readonly target: ApiTarget) {}

  async get<T>(path: string): Promise<T | undefined> {
    const res = await request(`${this.target.server}${path}`, { tls: this.target.tls, timeoutMs: 15_000 });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as T;
  }

  /** create POSTs `body`; an object that already exists is not an error (idempotent setup). */
  async create(path: string, body: unknown): Promise<void> {
    await this.send('POST', path, body, [201, 200, 202, 409]);
  }

  /** createReturning POSTs `body` and returns the answer (subresources such as token requests). */
  async createReturning<T>(path: string, body: unknown): Promise<T> {
    return JSON.parse(await this.send('POST', path, body, [201, 200])) as T;
  }

  async mergePatch(path: string, body: unknown): Promise<void> {
    await this.send('PATCH', path, body, [200], 'application/merge-patch+json');
  }

  async put(path: string, body: unknown): Promise<void> {
    await this.send('PUT', path, body, [200, 201]);
  }

  /** remove DELETEs with no grace period; a missing object is not an error. */
  async remove(path: string): Promise<void> {
    // As a query parameter: a DeleteOptions body sent by node:http is not read for DELETE here.
    await this.send('DELETE', `${path}?gracePeriodSeconds=0`, undefined, [200, 202, 404]);
  }

  private async send(method: string, path: string, body: unknown, ok: number[], contentType?: string): Promise<string> {
    const res = await request(`${this.target.server}${path}`, { method, body, tls: this.target.tls, timeoutMs: 15_000, ...(contentType === undefined ? {} : { contentType }) });
    if (!ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return res.body;
  }
}

export const ENFORCER_IDENTITY = { namespace: 'kube-system', name: 'bhdp-enforcer' } as const;

/**
 * enforcerRbac is the least the enforcer needs: it watches Pods, Namespaces and NetworkPolicies
 * and writes nothing (the same rules as upstream's install manifest).
 */
export function enforcerRbac(): { path: string; body: unknown }[] {
  const { namespace, name } = ENFORCER_IDENTITY;
  const labels = { 'app.kubernetes.io/part-of': 'bulkhead-dataplane' };
  return [
    { path: `/api/v1/namespaces/${namespace}/serviceaccounts`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } } },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels },
        rules: [
          { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['list', 'watch'] },
          { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch'] },
        ],
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    },
  ];
}

/** tokenKubeconfig is a kubeconfig (JSON is YAML) that authenticates with a bearer token. */
export function tokenKubeconfig(server: string, caData: string, token: string): string {
  return `${JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority-data': caData } }],
    users: [{ name: 'enforcer', user: { token } }],
    contexts: [{ name: 'enforcer', context: { cluster: 'local', user: 'enforcer' } }],
    'current-context': 'enforcer',
  }, null, 2)}\n`;
}

export interface PodPort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodObjectSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ports: readonly PodPort[];
  serviceAccountName?: string;
  node: string;
}

/** podObject is the Pod the API server sees: bound to the dataplane's node, one container. */
export function podObject(p: PodObjectSpec): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      nodeName: p.node,
      ...(p.serviceAccountName === undefined ? {} : { serviceAccountName: p.serviceAccountName }),
      automountServiceAccountToken: false,
      containers: [{
        name: 'main',
        // Never pulled: no kubelet runs. The agent in the pod's network namespace is the container.
        image: 'registry.k8s.io/pause:3.10',
        ports: p.ports.map((port) => ({ ...(port.name === undefined ? {} : { name: port.name }), containerPort: port.port, protocol: port.protocol ?? 'TCP' })),
      }],
    },
  };
}

/** podStatus is what a kubelet would report once the sandbox has its addresses. */
export function podStatus(ips: readonly string[], now: string): unknown {
  return {
    status: {
      phase: 'Running',
      podIP: ips[0],
      podIPs: ips.map((ip) => ({ ip })),
      startTime: now,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
    },
  };
}
