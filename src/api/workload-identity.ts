// Cloud workload identity on a segment's ServiceAccount (`identity.annotations`): the annotations
// each provider reads are checked for the form that provider expects, so a typo is refused when the
// AIWorkload is written instead of surfacing as an opaque credential error in the pod. Every rule is
// a CEL rule for the CRD and the same check in TypeScript (schema.ts attaches both, as it does its
// own rules), so the API server, the controller and `bulkhead render` refuse the same values.
// Annotation keys no rule names stay allowed. EKS Pod Identity needs no annotation (the association
// is made in the EKS API by namespace and ServiceAccount name; docs/api.md).
//
// The patterns are RE2 and JavaScript alike and contain no backslash, so one string serves both.

/** A CEL rule as the CRD carries it, with the equivalent check (the shape schema.ts attaches). */
export interface IdentityRule<T> {
  rule: string;
  message: string;
  fieldPath?: string;
  check: (value: T) => boolean;
}

/** One annotation a cloud provider reads, and the form it must have. */
export interface ProviderAnnotation {
  key: string;
  provider: string;
  /** Anchored; RE2 and JavaScript read it the same. */
  pattern: string;
  /** The expected form, as the message says it. */
  expected: string;
}

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** A role name (1-64 of IAM's characters) after an optional path (`/a/b/`). */
const ROLE = '[A-Za-z0-9+=,.@_-]';

/** The annotations Bulkhead checks, by provider. */
export const PROVIDER_ANNOTATIONS: readonly ProviderAnnotation[] = [
  {
    key: 'eks.amazonaws.com/role-arn',
    provider: 'AWS IAM Roles for Service Accounts',
    // Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...
    pattern: `^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/(${ROLE}+/)*${ROLE}{1,64}$`,
    expected: 'an IAM role ARN, arn:aws:iam::<12-digit account id>:role/<role name> (arn:aws-cn:... or arn:aws-us-gov:... in those partitions)',
  },
  {
    key: 'iam.gke.io/gcp-service-account',
    provider: 'GKE Workload Identity',
    // <name>@<project-id>.iam.gserviceaccount.com (a domain-scoped project adds its domain after the
    // project id), or a Google-managed account of the project (developer / appspot).
    pattern: '^([a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*[.]iam[.]gserviceaccount[.]com|[a-z0-9][-a-z0-9]{0,62}@(developer|appspot)[.]gserviceaccount[.]com)$',
    expected: 'an IAM service account email, <name>@<project-id>.iam.gserviceaccount.com (name and project id of 6 to 30 lowercase letters, digits and "-")',
  },
  {
    key: 'azure.workload.identity/client-id',
    provider: 'Azure Workload Identity',
    pattern: UUID,
    expected: 'a UUID, the client ID of the managed identity or app registration (such as 12345678-1234-1234-1234-123456789abc)',
  },
  {
    key: 'azure.workload.identity/tenant-id',
    provider: 'Azure Workload Identity',
    pattern: UUID,
    expected: 'a UUID, the Microsoft Entra tenant ID (such as 12345678-1234-1234-1234-123456789abc)',
  },
];

/** The pod label Azure Workload Identity's webhook acts on: only pods with it get the token. */
export const AZURE_USE_LABEL = 'azure.workload.identity/use';
export const AZURE_CLIENT_ID = 'azure.workload.identity/client-id';

const message = (a: ProviderAnnotation): string => `identity.annotations["${a.key}"] (${a.provider}) must be ${a.expected}`;

/** Bulkhead writes its own annotations (the segment's selector) on the ServiceAccount. */
const RESERVED_PREFIX = 'bulkhead.dev/';

/**
 * Rules on `identity.annotations`: each provider annotation, when present, has its provider's
 * form; Bulkhead's own keys are not the author's to set.
 */
export const IDENTITY_ANNOTATION_RULES: IdentityRule<Record<string, string>>[] = [
  ...PROVIDER_ANNOTATIONS.map((a): IdentityRule<Record<string, string>> => {
    const re = new RegExp(a.pattern);
    return {
      rule: `!('${a.key}' in self) || self['${a.key}'].matches('${a.pattern}')`,
      message: message(a),
      check: (annotations) => !Object.hasOwn(annotations, a.key) || re.test(annotations[a.key] ?? ''),
    };
  }),
  {
    rule: `self.all(k, !k.startsWith('${RESERVED_PREFIX}'))`,
    message: `identity.annotations["${RESERVED_PREFIX}..."]: keys with the prefix ${RESERVED_PREFIX} are Bulkhead's own (it writes the segment's selector there, which the admission policies read)`,
    check: (annotations) => Object.keys(annotations).every((k) => !k.startsWith(RESERVED_PREFIX)),
  },
];

interface ComponentLike {
  selector: { matchLabels?: Record<string, string> | undefined; matchExpressions?: { key: string; operator: string; values?: string[] | undefined }[] | undefined };
  identity?: { annotations?: Record<string, string> | undefined } | undefined;
}

/** The selector requires `azure.workload.identity/use: "true"`, so every pod of the segment carries it. */
function requiresAzureLabel(c: ComponentLike): boolean {
  if (c.selector.matchLabels?.[AZURE_USE_LABEL] === 'true') return true;
  return (c.selector.matchExpressions ?? []).some((e) => e.key === AZURE_USE_LABEL && e.operator === 'In' && (e.values ?? []).length > 0 && (e.values ?? []).every((v) => v === 'true'));
}

/** Rules on a component: Azure's client-id works only on pods with the label its webhook acts on. */
export const COMPONENT_IDENTITY_RULES: IdentityRule<ComponentLike>[] = [
  {
    rule:
      `!has(self.identity) || !has(self.identity.annotations) || !('${AZURE_CLIENT_ID}' in self.identity.annotations) || ` +
      `(has(self.selector.matchLabels) && '${AZURE_USE_LABEL}' in self.selector.matchLabels && self.selector.matchLabels['${AZURE_USE_LABEL}'] == 'true') || ` +
      `(has(self.selector.matchExpressions) && self.selector.matchExpressions.exists(e, e.key == '${AZURE_USE_LABEL}' && e.operator == 'In' && has(e.values) && size(e.values) > 0 && e.values.all(v, v == 'true')))`,
    message:
      `identity.annotations["${AZURE_CLIENT_ID}"] needs the pod label ${AZURE_USE_LABEL}: "true" (Azure Workload Identity's webhook projects the token only into pods with it): ` +
      'add it to selector.matchLabels, so that every pod of the segment carries it',
    fieldPath: '.selector',
    check: (c) => c.identity?.annotations?.[AZURE_CLIENT_ID] === undefined || requiresAzureLabel(c),
  },
];
