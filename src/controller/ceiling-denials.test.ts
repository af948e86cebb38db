import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../runtime/rest.js';
import { ceilingDenials } from './reconciler.js';

const rules = [
  { apiGroups: [''], resources: ['secrets'], resourceNames: ['weights'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], resourceNames: ['weights'], verbs: ['delete'] },
];

describe('ceilingDenials', () => {
  it('names only the rules the RBAC escalation check refused', () => {
    const err = new ApiError(403, 'Forbidden',
      'PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/a/roles/w-m: 403 roles.rbac.authorization.k8s.io "w-m" is forbidden: user "system:serviceaccount:bulkhead-system:bulkhead" ' +
      '(groups=["system:serviceaccounts" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["secrets"], ResourceNames:["weights"], Verbs:["delete"]}\n' +
      '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["a" "b"], Verbs:["patch" "update"]}');
    expect(ceilingDenials(err, rules)).toEqual(['delete secrets/weights', 'patch,update apps/deployments/a,b']);
  });

  it('falls back to every rule of the Role when the message lists none', () => {
    expect(ceilingDenials(new ApiError(403, 'Forbidden', 'forbidden'), rules)).toEqual(['get secrets/weights', 'delete secrets/weights']);
  });
});
