import { HttpStatusError } from '../runtime/informer.js';
import { listFailure, syncTimeout } from './startup.js';

const status = (code: number, message: string): HttpStatusError => new HttpStatusError(code, JSON.stringify({ kind: 'Status', status: 'Failure', message, code }));

describe('listFailure', () => {
  test.each([
    {
      name: 'the CRD is not installed: the API group is unknown',
      resource: 'aiworkloads',
      err: new HttpStatusError(404, '404 page not found\n'),
      want: 'cannot list aiworkloads.bulkhead.dev: 404 page not found: the AIWorkload CustomResourceDefinition is not installed (kubectl apply -f crds/)',
    },
    {
      name: 'no permission to list',
      resource: 'pods',
      err: status(403, 'pods is forbidden: User "nobody" cannot list resource "pods" in API group "" at the cluster scope'),
      want: 'cannot list pods: 403 pods is forbidden: User "nobody" cannot list resource "pods" in API group "" at the cluster scope: the operator needs the permissions of manifests/rbac.yaml (or the chart\'s RBAC)',
    },
    {
      name: 'credentials not accepted',
      resource: 'networkpolicies',
      err: status(401, 'Unauthorized'),
      want: 'cannot list networkpolicies.networking.k8s.io: 401 Unauthorized: the API server does not accept the kubeconfig\'s credentials',
    },
  ])('$name', ({ resource, err, want }) => {
    expect(listFailure(resource, err)).toBe(want);
  });

  test.each([
    { name: 'connection refused', err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) },
    { name: 'a server error', err: status(500, 'etcdserver: request timed out') },
    { name: 'too many requests', err: status(429, 'too many requests') },
  ])('$name is retried', ({ err }) => {
    expect(listFailure('pods', err)).toBeUndefined();
  });
});

test('syncTimeout names the caches that have not synced and their last error', () => {
  expect(syncTimeout(120, ['pods', 'namespaces'], new Map([['pods', 'connect ECONNREFUSED 127.0.0.1:6443']]))).toBe(
    'informer caches did not sync within 120s: pods (connect ECONNREFUSED 127.0.0.1:6443), namespaces',
  );
});
