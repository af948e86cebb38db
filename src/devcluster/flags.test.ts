import { describe, expect, it } from '@jest/globals';
import { apiServerArgs, clusterLayout, controllerManagerArgs, CONTROLLERS, etcdArgs } from './flags.js';

const layout = clusterLayout('/state', { etcdClient: 2379, etcdPeer: 2380, apiServer: 6443, controllerManager: 10257 });

function flag(args: string[], name: string): string | undefined {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

describe('control-plane flags', () => {
  it('runs etcd on loopback without fsync in the state directory', () => {
    const args = etcdArgs(layout);
    expect(flag(args, 'listen-client-urls')).toBe('http://127.0.0.1:2379');
    expect(flag(args, 'initial-cluster')).toBe('default=http://127.0.0.1:2380');
    expect(flag(args, 'data-dir')).toBe('/state/etcd');
    expect(args).toContain('--unsafe-no-fsync');
  });

  it('configures kube-apiserver for RBAC, loopback, service accounts and an audit log of writes', () => {
    const args = apiServerArgs(layout);
    expect(flag(args, 'etcd-servers')).toBe('http://127.0.0.1:2379');
    expect(flag(args, 'secure-port')).toBe('6443');
    expect(flag(args, 'authorization-mode')).toBe('RBAC');
    expect(flag(args, 'advertise-address')).toBe('127.0.0.1');
    expect(flag(args, 'endpoint-reconciler-type')).toBe('none');
    expect(flag(args, 'client-ca-file')).toBe('/state/pki/ca.crt');
    expect(flag(args, 'service-account-signing-key-file')).toBe('/state/pki/sa.key');
    expect(flag(args, 'service-account-key-file')).toBe('/state/pki/sa.pub');
    expect(flag(args, 'service-cluster-ip-range')).toBe('10.96.0.0/16');
    expect(flag(args, 'audit-log-path')).toBe('/state/logs/audit.log');
    expect(flag(args, 'audit-policy-file')).toBe('/state/audit-policy.yaml');
    // ValidatingAdmissionPolicy and ServiceAccount admission must stay enabled.
    expect(flag(args, 'disable-admission-plugins')).toBeUndefined();
  });

  it('runs only the controllers that make sense without kubelets', () => {
    const args = controllerManagerArgs(layout);
    expect(flag(args, 'leader-elect')).toBe('false');
    expect(flag(args, 'use-service-account-credentials')).toBe('false');
    expect(flag(args, 'kubeconfig')).toBe('/state/users/kube-controller-manager.kubeconfig');
    const controllers = flag(args, 'controllers')?.split(',') ?? [];
    expect(controllers).toEqual([...CONTROLLERS]);
    expect(controllers).toContain('garbage-collector-controller');
    for (const evicting of ['node-lifecycle-controller', 'taint-eviction-controller', 'pod-garbage-collector-controller']) {
      expect(controllers).not.toContain(evicting);
    }
  });
});
