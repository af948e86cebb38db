// The command lines of etcd, kube-apiserver and kube-controller-manager: pure functions of the
// cluster's layout, so the flags are reviewable in one place and unit-tested.
import path from 'node:path';
import { pkiPaths, type Pki } from './pki.js';

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
  controllerManager: number;
}

/** ClusterLayout is where everything of one cluster lives under its state directory. */
export interface ClusterLayout {
  dir: string;
  pki: Pki;
  etcdDataDir: string;
  logDir: string;
  auditPolicy: string;
  auditLog: string;
  adminKubeconfig: string;
  /**
   * kube-controller-manager's own kubeconfig: user system:kube-controller-manager (in
   * system:masters, since it runs without per-controller ServiceAccount credentials), so the audit
   * log and admission policies tell its garbage collector and namespace controller from `admin`.
   */
  controllerManagerKubeconfig: string;
  usersDir: string;
  stateFile: string;
  ports: ClusterPorts;
}

export function clusterLayout(dir: string, ports: ClusterPorts): ClusterLayout {
  return {
    dir,
    pki: pkiPaths(path.join(dir, 'pki')),
    etcdDataDir: path.join(dir, 'etcd'),
    logDir: path.join(dir, 'logs'),
    auditPolicy: path.join(dir, 'audit-policy.yaml'),
    auditLog: path.join(dir, 'logs', 'audit.log'),
    adminKubeconfig: path.join(dir, 'kubeconfig'),
    controllerManagerKubeconfig: path.join(dir, 'users', 'kube-controller-manager.kubeconfig'),
    usersDir: path.join(dir, 'users'),
    stateFile: path.join(dir, 'cluster.json'),
    ports,
  };
}

export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * CONTROLLERS are the kube-controller-manager controllers that make sense without kubelets. Left
 * out on purpose: node-lifecycle, taint-eviction and pod-garbage-collector (with no kubelet they
 * would evict or delete pods), and everything that needs a cloud, nodes or volumes.
 */
export const CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'endpointslice-controller',
  // Type-checks ValidatingAdmissionPolicies and reports it in their status (enforcement needs no controller).
  'validatingadmissionpolicy-status-controller',
] as const;

export function etcdArgs(l: ClusterLayout): string[] {
  const client = `http://127.0.0.1:${l.ports.etcdClient}`;
  const peer = `http://127.0.0.1:${l.ports.etcdPeer}`;
  return [
    '--name=default',
    `--data-dir=${l.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    '--initial-cluster-state=new',
    // A throwaway cluster: losing the last writes on a crash is fine, waiting on fsync is not.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export function apiServerArgs(l: ClusterLayout): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${l.ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${l.ports.apiServer}`,
    '--advertise-address=127.0.0.1',
    // The endpoint reconcilers reject a loopback advertise address; no kubernetes Endpoints then.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${l.pki.dir}`,
    `--tls-cert-file=${l.pki.serving.cert}`,
    `--tls-private-key-file=${l.pki.serving.key}`,
    `--client-ca-file=${l.pki.ca.cert}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${l.pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${l.pki.serviceAccount.privateKey}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // Default admission plugins stay on, ServiceAccount and ValidatingAdmissionPolicy included:
    // unlike envtest this cluster runs the serviceaccount controllers that ServiceAccount needs.
    `--audit-policy-file=${l.auditPolicy}`,
    `--audit-log-path=${l.auditLog}`,
    '--audit-log-format=json',
    // Blocking: the event is on disk before the response is sent, so a test reads its own write.
    '--audit-log-mode=blocking',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(l: ClusterLayout): string[] {
  return [
    `--kubeconfig=${l.controllerManagerKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${l.ports.controllerManager}`,
    `--cert-dir=${path.join(l.pki.dir, 'controller-manager')}`,
    '--leader-elect=false',
    '--use-service-account-credentials=false',
    `--service-account-private-key-file=${l.pki.serviceAccount.privateKey}`,
    `--root-ca-file=${l.pki.ca.cert}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    `--controllers=${CONTROLLERS.join(',')}`,
    '--profiling=false',
  ];
}
