// The ServiceAccount of a segment, and its Role and RoleBinding when it has permissions.
import type { LabelSelector } from '../api/schema.js';
import type { Component } from '../api/types.js';
import type { WorkloadInput } from './facts.js';
import { objectMeta } from './metadata.js';
import type { PolicyRule, Role, RoleBinding, ServiceAccount } from './objects.js';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The segment's selector, as the admission policies of manifests/identity-policies.yaml read it. */
export const ANNOTATION_SEGMENT_LABELS = 'bulkhead.dev/segment-labels';
export const ANNOTATION_SEGMENT_EXPRESSIONS = 'bulkhead.dev/segment-expressions';

/**
 * segmentAnnotations writes a segment's selector onto its ServiceAccount, in a form CEL can take
 * apart with split(): matchLabels as `key=value,...`, matchExpressions as
 * `key:Operator:value|value,...`. Label keys and values never contain `,`, `=`, `:` or `|`, so
 * the form is unambiguous. The ServiceAccount is what the pod admission policies take as their
 * parameters: the API server caches ServiceAccounts for its own admission anyway, and it is the
 * identity the pod must run under.
 */
export function segmentAnnotations(selector: LabelSelector): Record<string, string> {
  const out: Record<string, string> = {};
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => byText(a, b));
  if (labels.length > 0) out[ANNOTATION_SEGMENT_LABELS] = labels.map(([k, v]) => `${k}=${v}`).join(',');
  const expressions = (selector.matchExpressions ?? []).map((e) => `${e.key}:${e.operator}:${(e.values ?? []).join('|')}`);
  if (expressions.length > 0) out[ANNOTATION_SEGMENT_EXPRESSIONS] = expressions.join(',');
  return out;
}

export function buildServiceAccount(workload: WorkloadInput, component: Component): ServiceAccount {
  const hasPermissions = (component.permissions ?? []).length > 0;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: objectMeta(workload, component.name, { ...component.identity?.annotations, ...segmentAnnotations(component.selector) }),
    // Tokens are mounted only where the segment needs the API: least privilege by default.
    automountServiceAccountToken: component.identity?.automountToken ?? hasPermissions,
  };
}

/** A Role whose every rule names its objects (`resourceNames`); undefined without permissions. */
export function buildRole(workload: WorkloadInput, component: Component): Role | undefined {
  const permissions = component.permissions ?? [];
  if (permissions.length === 0) return undefined;
  const rules: PolicyRule[] = permissions.map((p) => ({
    apiGroups: [p.apiGroup ?? ''],
    resources: [p.resource],
    resourceNames: [...new Set(p.names)].sort(byText),
    verbs: [...new Set<string>(p.verbs)].sort(byText),
  }));
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: objectMeta(workload, component.name), rules };
}

export function buildRoleBinding(workload: WorkloadInput, component: Component, role: Role): RoleBinding {
  const meta = objectMeta(workload, component.name);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta,
    subjects: [{ kind: 'ServiceAccount', name: meta.name, namespace: workload.namespace }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
  };
}
