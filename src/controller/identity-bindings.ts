// IdentityWidened: RoleBindings and ClusterRoleBindings that Bulkhead did not write and that give a
// segment's ServiceAccount something: by naming it (written before the admission policy
// bulkhead-identity-bindings was in place, or before the AIWorkload existed, which no admission
// policy can see), or through a group that covers it (system:serviceaccounts,
// system:serviceaccounts:<namespace>, system:authenticated), which the policy does not refuse
// because other workloads rely on such bindings. Pure: the index is fed the informers' objects, the
// messages are computed from what it returns.
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../api/constants.js';
import type { StoredObject } from '../api/kubernetes.js';

export interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

/** A RoleBinding or ClusterRoleBinding as the cache holds it. */
export interface Binding extends StoredObject {
  kind?: string;
  roleRef?: { kind?: string; name?: string };
  subjects?: readonly Subject[];
}

/** A segment's identity: its component and ServiceAccount, in the AIWorkload's namespace. */
export interface SegmentIdentity {
  component: string;
  serviceAccount: string;
}

/**
 * Default ClusterRoles that Kubernetes binds to every ServiceAccount or every authenticated user
 * (discovery, self-subject reviews, the issuer's public keys): what every identity holds anyway.
 * Bindings to these are not findings, whoever wrote them.
 */
export const EVERYONE_HOLDS: ReadonlySet<string> = new Set([
  'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:service-account-issuer-discovery', 'system:cluster-trust-bundle-discovery',
]);

/** Bindings named in a finding per segment; the rest are counted. */
export const MAX_NAMED_BINDINGS = 5;

const ALL = '*';
const SA_USER = 'system:serviceaccount:';
const SA_GROUP = 'system:serviceaccounts';

const isCluster = (b: Binding): boolean => b.kind === 'ClusterRoleBinding' || b.metadata.namespace === undefined || b.metadata.namespace === '';

/** A subject's own namespace when it has one, else the binding's (RoleBinding subjects may omit it). */
const subjectNamespace = (s: Subject, bindingNamespace: string | undefined): string | undefined =>
  s.namespace !== undefined && s.namespace !== '' ? s.namespace : bindingNamespace;

/** The namespace a group of ServiceAccounts stands for; `*` for the groups of every one. */
function groupNamespace(group: string): string | undefined {
  if (group === SA_GROUP || group === 'system:authenticated') return ALL;
  return group.startsWith(`${SA_GROUP}:`) ? group.slice(SA_GROUP.length + 1) : undefined;
}

/**
 * subjectNamespaces: the namespaces whose ServiceAccounts a subject can be; `*` for every one (the
 * groups of all ServiceAccounts and of all authenticated users).
 */
function subjectNamespaces(s: Subject, bindingNamespace: string | undefined): string[] {
  const name = s.name ?? '';
  let ns: string | undefined;
  if (s.kind === 'ServiceAccount') ns = subjectNamespace(s, bindingNamespace);
  else if (s.kind === 'User' && name.startsWith(SA_USER)) ns = name.slice(SA_USER.length).split(':')[0];
  else if (s.kind === 'Group') ns = groupNamespace(name);
  return ns === undefined || ns === '' ? [] : [ns];
}

/** The namespaces whose segments a binding may widen (`*`: all), for the index and the watch. */
export function coveredNamespaces(b: Binding): string[] {
  if (isIgnored(b)) return [];
  const ns = isCluster(b) ? undefined : b.metadata.namespace;
  return [...new Set((b.subjects ?? []).flatMap((s) => subjectNamespaces(s, ns)))];
}

/** Bindings Bulkhead writes (tamper-protected), and bindings to what everyone holds, are no finding. */
function isIgnored(b: Binding): boolean {
  if (b.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) return true;
  return b.roleRef?.kind === 'ClusterRole' && EVERYONE_HOLDS.has(b.roleRef.name ?? '');
}

/** How `s` covers ServiceAccount `namespace/name`, or undefined: `directly`, `as user ...`, `through group ...`. */
function covers(s: Subject, bindingNamespace: string | undefined, namespace: string, name: string): string | undefined {
  const subject = s.name ?? '';
  switch (s.kind) {
    case 'ServiceAccount':
      return subject === name && subjectNamespace(s, bindingNamespace) === namespace ? 'directly' : undefined;
    case 'User':
      return subject === `${SA_USER}${namespace}:${name}` ? `as user ${subject}` : undefined;
    case 'Group':
      return [ALL, namespace].includes(groupNamespace(subject) ?? '') ? `through group ${subject}` : undefined;
    default:
      return undefined;
  }
}

const describeBinding = (b: Binding): string =>
  isCluster(b) ? `ClusterRoleBinding ${b.metadata.name}` : `RoleBinding ${b.metadata.namespace ?? ''}/${b.metadata.name}`;

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** What `b` gives ServiceAccount `namespace/name`, e.g. `RoleBinding ml/x binds ClusterRole edit directly`; undefined: nothing. */
function widening(b: Binding, namespace: string, name: string): string | undefined {
  if (isIgnored(b)) return undefined;
  const ns = isCluster(b) ? undefined : b.metadata.namespace;
  const how = (b.subjects ?? []).map((s) => covers(s, ns, namespace, name)).find((h) => h !== undefined);
  return how === undefined ? undefined : `${describeBinding(b)} binds ${b.roleRef?.kind ?? 'Role'} ${b.roleRef?.name ?? '?'} ${how}`;
}

/**
 * widenedMessages: one line per segment whose ServiceAccount a binding not written by Bulkhead
 * gives something, e.g. `model (ServiceAccount app-model): ClusterRoleBinding all-sa binds
 * ClusterRole view through group system:serviceaccounts`. Bindings are named in name order, at
 * most MAX_NAMED_BINDINGS per segment.
 */
export function widenedMessages(namespace: string, segments: readonly SegmentIdentity[], bindings: readonly Binding[]): string[] {
  const lines: string[] = [];
  for (const seg of segments) {
    const found = bindings.map((b) => widening(b, namespace, seg.serviceAccount)).filter((w): w is string => w !== undefined).sort(byName);
    if (found.length === 0) continue;
    const more = found.length > MAX_NAMED_BINDINGS ? ` and ${found.length - MAX_NAMED_BINDINGS} more` : '';
    lines.push(`${seg.component} (ServiceAccount ${seg.serviceAccount}): ${found.slice(0, MAX_NAMED_BINDINGS).join(', ')}${more}`);
  }
  return lines;
}

const bindingKey = (b: Binding): string => `${isCluster(b) ? 'ClusterRoleBinding' : 'RoleBinding'}/${b.metadata.namespace ?? ''}/${b.metadata.name}`;

/**
 * BindingIndex files every binding under the namespaces whose ServiceAccounts it may cover, so a
 * reconcile reads only the bindings that can concern its namespace, not every binding of the
 * cluster (kubebuilder's IndexField).
 */
export class BindingIndex {
  private readonly byKey = new Map<string, { binding: Binding; namespaces: string[] }>();
  private readonly byNamespace = new Map<string, Map<string, Binding>>();

  /** upsert records a binding as added or updated. */
  upsert(b: Binding): void {
    this.remove(b);
    const namespaces = coveredNamespaces(b);
    if (namespaces.length === 0) return;
    const key = bindingKey(b);
    this.byKey.set(key, { binding: b, namespaces });
    for (const ns of namespaces) {
      const bucket = this.byNamespace.get(ns) ?? new Map<string, Binding>();
      bucket.set(key, b);
      this.byNamespace.set(ns, bucket);
    }
  }

  /** remove forgets a deleted binding. */
  remove(b: Binding): void {
    const key = bindingKey(b);
    const old = this.byKey.get(key);
    if (old === undefined) return;
    this.byKey.delete(key);
    for (const ns of old.namespaces) {
      const bucket = this.byNamespace.get(ns);
      bucket?.delete(key);
      if (bucket?.size === 0) this.byNamespace.delete(ns);
    }
  }

  /** covering: the bindings that may give something to a ServiceAccount of `namespace`. */
  covering(namespace: string): Binding[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? []), ...(this.byNamespace.get(ALL)?.values() ?? [])];
  }
}

/** What a binding map function reads of the AIWorkload caches. */
export interface BindingWatchIndex {
  keysIn(namespace: string): readonly string[];
  allKeys(): readonly string[];
}

/**
 * bindingKeys (Watches RoleBinding, ClusterRoleBinding): the AIWorkloads of every namespace whose
 * ServiceAccounts the binding may cover; all of them for a group of every ServiceAccount.
 */
export function bindingKeys(obj: StoredObject, index: BindingWatchIndex): string[] {
  const namespaces = coveredNamespaces(obj as Binding);
  if (namespaces.includes(ALL)) return [...index.allKeys()];
  return namespaces.flatMap((ns) => [...index.keysIn(ns)]);
}

/** A binding matters when its subjects or role change (or its labels: managed-by decides whether it counts). */
export const bindingChanged = (o: StoredObject, n: StoredObject): boolean =>
  JSON.stringify([o['subjects'], o['roleRef'], o.metadata.labels]) !== JSON.stringify([n['subjects'], n['roleRef'], n.metadata.labels]);
