// Validation of an AIWorkload as the controller and the CLI see it: the zod schema (the same rules
// the CRD enforces) plus the checks only the controller can make. Every problem names its field
// and says what would be valid.
import type { z } from 'zod';
import { cidrContains, parseCidr } from './cidr.js';
import { DEFAULT_DENY, METADATA_ADDRESSES } from './constants.js';
import { aiWorkloadSpecSchema } from './schema.js';
import { selectorImplies } from './selector-overlap.js';
import type { AIWorkloadSpec, Role } from './types.js';

export interface FieldProblem {
  /** The field, as `spec.components[1].selector`. */
  field: string;
  message: string;
}

export type ValidationResult = { ok: true; spec: AIWorkloadSpec } | { ok: false; problems: FieldProblem[] };

/** Renders problems as one line each: `field: message`. */
export function formatProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}

function fieldPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

/** The value an issue is about, when it is short enough to quote; undefined otherwise. */
function offending(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  const text = JSON.stringify(input);
  return text.length <= 80 ? text : undefined;
}

/** zod's issues as problems, each naming the offending value unless it says it already (a rule's own message does). */
function zodProblems(error: z.ZodError, base: string): FieldProblem[] {
  return error.issues.map((issue) => {
    const got = issue.code === 'custom' && issue.message.includes('"') ? undefined : offending(issue.input);
    return { field: fieldPath(base, issue.path), message: got === undefined ? issue.message : `${issue.message} (got ${got})` };
  });
}

/** Roles with no egress beyond DNS: no exfiltration path from data. */
export const NO_EGRESS_ROLES: ReadonlySet<Role> = new Set<Role>(['Dataset', 'FeatureStore', 'VectorStore']);

/**
 * Cluster-scoped resources of the built-in API groups. A namespaced Role cannot grant access to them,
 * so a permission naming one is a mistake the author must see rather than a rule that silently does
 * nothing.
 */
const CLUSTER_SCOPED = new Set([
  '/nodes', '/namespaces', '/persistentvolumes', '/componentstatuses',
  'rbac.authorization.k8s.io/clusterroles', 'rbac.authorization.k8s.io/clusterrolebindings',
  'apiextensions.k8s.io/customresourcedefinitions', 'storage.k8s.io/storageclasses',
  'storage.k8s.io/csidrivers', 'storage.k8s.io/csinodes', 'storage.k8s.io/volumeattachments',
  'admissionregistration.k8s.io/validatingwebhookconfigurations', 'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'admissionregistration.k8s.io/validatingadmissionpolicies', 'admissionregistration.k8s.io/validatingadmissionpolicybindings',
  'certificates.k8s.io/certificatesigningrequests', 'scheduling.k8s.io/priorityclasses',
  'networking.k8s.io/ingressclasses', 'node.k8s.io/runtimeclasses', 'apiregistration.k8s.io/apiservices',
]);

/** API groups whose objects would let a segment change identities or permissions: never granted. */
const PRIVILEGE_GROUPS = new Set(['rbac.authorization.k8s.io', 'certificates.k8s.io', 'authentication.k8s.io']);

/** Checks beyond what the CRD can express. Assumes the spec already passed the schema. */
export function semanticProblems(spec: AIWorkloadSpec): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const roleOf = new Map(spec.components.map((c) => [c.name, c.role ?? 'Generic']));
  const noEgress = (name: string): Role | undefined => {
    const role = roleOf.get(name);
    return role !== undefined && NO_EGRESS_ROLES.has(role) ? role : undefined;
  };
  const egressMessage = (name: string, role: Role): string =>
    `component ${name} has role ${role}, which allows no egress beyond DNS (Dataset, FeatureStore and VectorStore have no exfiltration path); ` +
    'reverse the flow (readers call the data store) or give the component role Generic';

  (spec.flows ?? []).forEach((f, i) => {
    const role = noEgress(f.from);
    if (role !== undefined && f.from !== f.to) problems.push({ field: `spec.flows[${i}].from`, message: egressMessage(f.from, role) });
  });
  (spec.egress ?? []).forEach((r, i) => {
    const role = noEgress(r.from);
    if (role !== undefined && r.to.platform !== 'DNS') problems.push({ field: `spec.egress[${i}].from`, message: egressMessage(r.from, role) });
  });
  (spec.egress ?? []).forEach((r, i) => {
    const from = spec.components.find((c) => c.name === r.from);
    const range = r.to.cidr === undefined ? undefined : parseCidr(r.to.cidr);
    if (from?.allowMetadataAccess === true || range === undefined) return;
    const onlyMetadata = METADATA_ADDRESSES.some((a) => {
      const m = parseCidr(a);
      return m !== undefined && cidrContains(m, range);
    });
    if (onlyMetadata) {
      problems.push({
        field: `spec.egress[${i}].to.cidr`,
        message: `${r.to.cidr} is the cloud metadata address, which is never reachable by default; set allowMetadataAccess: true on component ${r.from} to allow it`,
      });
    }
  });
  problems.push(...overlapProblems(spec));
  spec.components.forEach((c, i) => {
    if (spec.namespaceDefaultDeny && c.name === DEFAULT_DENY) {
      problems.push({ field: `spec.components[${i}].name`, message: `"${DEFAULT_DENY}" names the namespace default deny when namespaceDefaultDeny is true; rename the component` });
    }
    (c.permissions ?? []).forEach((p, j) => {
      const group = p.apiGroup ?? '';
      const resource = p.resource.split('/')[0] ?? p.resource;
      const field = `spec.components[${i}].permissions[${j}]`;
      if (CLUSTER_SCOPED.has(`${group}/${resource}`)) {
        problems.push({
          field: `${field}.resource`,
          message: `${resource} is cluster-scoped; a permission grants access only to namespaced objects in this namespace (such as secrets, configmaps, persistentvolumeclaims)`,
        });
      }
      if (PRIVILEGE_GROUPS.has(group) || (group === '' && resource === 'serviceaccounts' && p.resource.includes('/'))) {
        problems.push({
          field: `${field}.apiGroup`,
          message: `access to ${group === '' ? p.resource : group} would let the segment change identities or permissions; Bulkhead never grants it`,
        });
      }
    });
  });
  return problems;
}

/**
 * overlapProblems: two components whose selectors provably share pods (one selects a subset of the
 * other's) would add their policies together on those pods (a Dataset getting a Pipeline's egress).
 */
function overlapProblems(spec: AIWorkloadSpec): FieldProblem[] {
  const problems: FieldProblem[] = [];
  spec.components.forEach((c, j) => {
    const i = spec.components.findIndex((d, k) => k !== j && selectorImplies(c.selector, d.selector) && (k < j || !selectorImplies(d.selector, c.selector)));
    const other = spec.components[i];
    if (other === undefined) return;
    problems.push({
      field: `spec.components[${j}].selector`,
      message: `every pod it selects is also selected by component ${other.name} (components[${i}]), so component ${c.name} would get both segments' rules; ` +
        `make the selectors disjoint (a label only one of them requires, or one excluded with NotIn or DoesNotExist)`,
    });
  });
  return problems;
}

/** Validates a spec as read from the API server or a file. */
export function validateSpec(raw: unknown): ValidationResult {
  // reportInput: each issue carries the value it is about, so that the message can name it.
  const parsed = aiWorkloadSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, 'spec') };
  const problems = semanticProblems(parsed.data);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec: parsed.data };
}
