// The AIWorkload API (bulkhead.dev/v1alpha1): the single source of truth.
//
// The CRD in crds/ is generated from these schemas (src/api/crd.ts). Every rule that the API server
// enforces through a CEL `x-kubernetes-validations` entry is attached with `rule()`, which also adds
// the same check to the zod schema, so the controller and `bulkhead render` refuse exactly what the
// API server refuses. Checks only the controller can make live in src/api/validate.ts.
import { z } from 'zod';
import { cidrStrictlyContains, parseCidr } from './cidr.js';
import { COMPONENT_IDENTITY_RULES, IDENTITY_ANNOTATION_RULES } from './workload-identity.js';

/** A problem a rule found, at a path relative to the value the rule checks. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/** A CEL rule as the CRD carries it, plus the equivalent TypeScript check. */
export interface Rule<T> {
  rule: string;
  message: string;
  /** Path (relative, like `.flows`) of the field the message is about. */
  fieldPath?: string;
  check: (value: T) => boolean;
  /**
   * The problems one by one, each at its element and naming the offending value, for the
   * controller and the CLI; the API server can only say `message` at `fieldPath`. Called when
   * check fails; none returned falls back to `message`.
   */
  explain?: (value: T) => RuleProblem[];
}

/** The issues of a failed rule: its explanation, else its message at its fieldPath. */
function ruleProblems<T>(r: Rule<T>, value: T): RuleProblem[] {
  const explained = r.explain?.(value) ?? [];
  if (explained.length > 0) return explained;
  return [{ path: r.fieldPath === undefined ? [] : r.fieldPath.replace(/^\./, '').split('.'), message: r.message }];
}

/** Attaches CEL rules (for the CRD) and their zod equivalents (for the controller) to a schema. */
export function withRules<S extends z.ZodType>(schema: S, description: string, rules: Rule<z.output<S>>[]): S {
  const validations = rules.map((r) => ({
    rule: r.rule,
    message: r.message,
    ...(r.fieldPath !== undefined ? { fieldPath: r.fieldPath } : {}),
  }));
  const refined = schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (r.check(value)) continue;
      for (const p of ruleProblems(r, value)) ctx.addIssue({ code: 'custom', message: p.message, path: p.path });
    }
  });
  return refined.meta({ description, 'x-kubernetes-validations': validations });
}

export function described<S extends z.ZodType>(schema: S, description: string): S {
  return schema.meta({ description });
}

// ---------------------------------------------------------------------------------------------
// Scalars

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// The name part of a label key has at most 63 characters; the bound is in the pattern itself so that
// the CEL rule (a regular expression only) enforces it too.
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// The same patterns as CEL regular expressions (RE2).
const LABEL_KEY_CEL = LABEL_KEY.source.replaceAll('\\.', '[.]').replaceAll('\\/', '/');

const componentName = described(
  z.string().min(1).max(32).regex(DNS_LABEL),
  'Name of a component of this AIWorkload: a DNS label of at most 32 characters (lowercase letters, digits and "-").',
);

const portName = described(
  z.string().min(1).max(15).regex(PORT_NAME),
  'Name of a port: an IANA service name (lowercase letters, digits and "-", at most 15 characters).',
);

const portNumber = z.number().int().min(1).max(65535);

const protocol = described(
  z.enum(['TCP', 'UDP', 'SCTP']),
  'Transport protocol. One of TCP, UDP, SCTP. @default TCP',
);

/**
 * A reference to a port by name (a declared port of the target) or by number. In the CRD this is
 * `x-kubernetes-int-or-string`.
 */
export const portRefSchema = z
  .union([portNumber, z.string().min(1).max(15).regex(PORT_NAME)], {
    error: 'must be a port number (1-65535) or a port name (lowercase letters, digits and "-", at most 15 characters)',
  })
  .meta({
    description:
      'A port, by number (1-65535) or by the name of a declared port of the target component.',
    'x-kubernetes-int-or-string': true,
  });

const labelMap = (what: string, maxProperties: number): z.ZodType<Record<string, string>> =>
  withRules(
    z.record(z.string().min(1).max(317), z.string().max(63).regex(LABEL_VALUE)).meta({ maxProperties }) as z.ZodType<
      Record<string, string>
    >,
    what,
    [
      {
        rule: `self.all(k, k.matches('${LABEL_KEY_CEL}'))`,
        message: 'keys must be label keys: an optional DNS subdomain prefix and "/", then a name of at most 63 characters',
        check: (m) => Object.keys(m).every((k) => LABEL_KEY.test(k) && (k.split('/').pop() ?? '').length <= 63),
      },
    ],
  );

// ---------------------------------------------------------------------------------------------
// Selectors

const selectorRequirement = withRules(
  z.object({
    key: described(z.string().min(1).max(317).regex(LABEL_KEY), 'The label key the requirement applies to.'),
    operator: described(
      z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
      'How the key relates to the values: In, NotIn, Exists or DoesNotExist.',
    ),
    values: described(
      z.array(z.string().max(63).regex(LABEL_VALUE)).max(64).optional(),
      'Label values. Required and non-empty for In and NotIn; must be absent or empty for Exists and DoesNotExist.',
    ),
  }),
  'A label selector requirement: a key, an operator and values.',
  [
    {
      rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
      message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
      check: (r) => (r.operator === 'In' || r.operator === 'NotIn') === (r.values !== undefined && r.values.length > 0),
    },
  ],
);

export const labelSelectorShape = {
  matchLabels: labelMap('Labels that must all be present with these values.', 32).optional(),
  matchExpressions: described(
    z.array(selectorRequirement).max(16).optional(),
    'Requirements that must all hold.',
  ),
};

export interface LabelSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] | undefined }[] | undefined;
}

const isEmptySelector = (s: LabelSelector): boolean =>
  Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

const NON_EMPTY_SELECTOR_CEL =
  '(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)';

/** A selector of pods that must not be empty (an empty selector would select the whole namespace). */
const podSelector = (description: string): z.ZodType<LabelSelector> =>
  withRules(z.object(labelSelectorShape), description, [
    {
      rule: NON_EMPTY_SELECTOR_CEL,
      message: 'must not be empty: an empty selector selects every pod in the namespace; set matchLabels or matchExpressions',
      check: (s) => !isEmptySelector(s),
    },
  ]);

// ---------------------------------------------------------------------------------------------
// Components

export const ROLES = ['Model', 'Dataset', 'FeatureStore', 'VectorStore', 'Training', 'Notebook', 'Gateway', 'Pipeline', 'Generic'] as const;

const port = withRules(
  z.object({
    name: portName,
    port: described(portNumber, 'Port number (1-65535).'),
    endPort: described(
      portNumber.optional(),
      'If set, the range port..endPort (inclusive) is meant; must not be below port.',
    ),
    protocol: protocol.optional(),
  }),
  'A port the component serves on.',
  [
    {
      rule: '!has(self.endPort) || self.endPort >= self.port',
      message: 'endPort must be greater than or equal to port',
      fieldPath: '.endPort',
      check: (p) => p.endPort === undefined || p.endPort >= p.port,
    },
  ],
);

export const VERBS = ['get', 'list', 'watch', 'update', 'patch', 'delete'] as const;

const permission = z.object({
  apiGroup: described(
    z.string().max(253).regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/).optional(),
    'API group of the resource; empty for the core group. Wildcards are not allowed. @default ""',
  ),
  resource: described(
    z.string().min(1).max(63).regex(/^[a-z][a-z0-9]*(\/[a-z]+)?$/),
    'Plural resource name, such as secrets or configmaps (a subresource as resource/sub). Wildcards are not allowed.',
  ),
  names: described(
    z.array(z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)).min(1).max(16),
    'The objects, by name, in this namespace that the verbs apply to. Access is always by name.',
  ),
  verbs: described(
    z.array(z.enum(VERBS)).min(1).max(6),
    `Verbs granted on the named objects: ${VERBS.join(', ')}. create and deletecollection cannot be limited by name and are not offered.`,
  ),
});

const identity = z.object({
  annotations: labelMapAnnotations(),
  automountToken: described(
    z.boolean().optional(),
    'Mount the ServiceAccount token into pods. @default false, or true when the component has permissions',
  ),
});

function labelMapAnnotations(): z.ZodType<Record<string, string> | undefined> {
  return withRules(
    z.record(z.string().min(1).max(317).regex(LABEL_KEY), z.string().max(4096)).meta({ maxProperties: 16 }) as z.ZodType<Record<string, string>>,
    'Annotations for the ServiceAccount, such as cloud workload-identity bindings. Checked per provider (docs/api.md, Workload identity): ' +
      'eks.amazonaws.com/role-arn an IAM role ARN, iam.gke.io/gcp-service-account an IAM service account email, ' +
      'azure.workload.identity/client-id and tenant-id UUIDs (client-id also needs the pod label azure.workload.identity/use: "true" in the selector); other keys are not checked.',
    IDENTITY_ANNOTATION_RULES,
  ).optional();
}

const component = withRules(
  z.object({
    name: componentName,
    role: described(
      z.enum(ROLES),
      'Role preset: Model, Dataset, FeatureStore, VectorStore, Training, Notebook, Gateway, Pipeline or Generic. Dataset, FeatureStore and VectorStore get no egress beyond DNS; Training pods may talk to each other; see docs/api.md. @default Generic',
    ).optional(),
    selector: podSelector('Selects the pods of this component in the AIWorkload namespace. Must not be empty.'),
    ports: described(z.array(port).max(8).optional(), 'Ports the component serves on, referenced by flows and ingress by name or number.'),
    identity: described(identity.optional(), 'The ServiceAccount of the segment.'),
    permissions: described(
      z.array(permission).max(16).optional(),
      'Kubernetes API access for the component, always by object name. Generates a Role and RoleBinding.',
    ),
    allowMetadataAccess: described(
      z.boolean().optional(),
      'Allow egress to the cloud metadata endpoints (by default 169.254.169.254, fd00:ec2::254, 169.254.170.23, fd00:ec2::23, fd20:ce::254, 100.100.100.200; the operator\'s --metadata-cidrs), which are otherwise excepted from every CIDR egress. @default false',
    ),
  }),
  'One segment: the pods selected, their ports, their identity and their API access.',
  [
    {
      rule: '!has(self.ports) || self.ports.all(p, self.ports.exists_one(q, q.name == p.name))',
      message: 'port names must be unique within a component',
      fieldPath: '.ports',
      check: (c) => new Set((c.ports ?? []).map((p) => p.name)).size === (c.ports ?? []).length,
    },
    ...COMPONENT_IDENTITY_RULES,
  ],
);

// ---------------------------------------------------------------------------------------------
// Peers

const workloadRef = z.object({
  namespace: described(z.string().min(1).max(63).regex(DNS_LABEL), 'Namespace of the other AIWorkload.'),
  name: described(z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/), 'Name of the other AIWorkload.'),
  component: componentName,
});

export const PLATFORM_PEERS = ['DNS', 'KubeAPIServer', 'Monitoring'] as const;

const CIDR_CEL = 'isCIDR(self) && string(cidr(self).masked()) == self';

const cidrString = withRules(
  z.string().min(1).max(43),
  'An IPv4 or IPv6 range in canonical CIDR form, such as 10.20.0.0/16.',
  [
    {
      rule: CIDR_CEL,
      message: 'must be a CIDR in canonical form (no host bits set), such as 10.20.0.0/16 or fd00::/8',
      check: (s) => parseCidr(s)?.canonical === true,
    },
  ],
);

const peer = withRules(
  z.object({
    namespace: described(
      z.string().min(1).max(63).regex(DNS_LABEL).optional(),
      'Pods in this namespace (matched by its kubernetes.io/metadata.name label). With pods, both must match.',
    ),
    pods: described(
      z.object(labelSelectorShape).optional() as z.ZodType<LabelSelector | undefined>,
      'Pods with these labels, in namespace if given, else in the AIWorkload namespace.',
    ),
    workload: described(
      workloadRef.optional(),
      'A component of another AIWorkload. Across namespaces the flow opens only when both sides declare it.',
    ),
    cidr: cidrString.optional(),
    except: described(
      z.array(cidrString).max(16).optional(),
      'Ranges inside cidr to leave out. Each must lie strictly within cidr.',
    ),
    platform: described(
      z.enum(PLATFORM_PEERS).optional(),
      'A platform service, resolved by the operator: DNS, KubeAPIServer or Monitoring.',
    ),
  }),
  'The other end of a rule: exactly one of namespace/pods, workload, cidr or platform.',
  [
    {
      rule: '[has(self.namespace) || has(self.pods), has(self.workload), has(self.cidr), has(self.platform)].filter(x, x).size() == 1',
      message: 'set exactly one of: namespace and/or pods, workload, cidr, platform',
      check: (p) =>
        [p.namespace !== undefined || p.pods !== undefined, p.workload !== undefined, p.cidr !== undefined, p.platform !== undefined].filter(
          (x) => x,
        ).length === 1,
    },
    {
      rule: '!has(self.except) || (has(self.cidr) && self.except.all(e, isCIDR(e) && isCIDR(self.cidr) && cidr(self.cidr).containsCIDR(e) && cidr(e).prefixLength() > cidr(self.cidr).prefixLength()))',
      message: 'except needs cidr, and each entry must lie strictly within cidr',
      fieldPath: '.except',
      check: (p) => {
        if (p.except === undefined) return true;
        const outer = p.cidr === undefined ? undefined : parseCidr(p.cidr);
        if (outer === undefined) return false;
        return p.except.every((e) => {
          const inner = parseCidr(e);
          return inner !== undefined && cidrStrictlyContains(outer, inner);
        });
      },
    },
    {
      rule: '!has(self.pods) || (has(self.pods.matchLabels) && size(self.pods.matchLabels) > 0) || (has(self.pods.matchExpressions) && size(self.pods.matchExpressions) > 0)',
      message: 'pods must not be empty; to allow a whole namespace, give namespace alone',
      fieldPath: '.pods',
      check: (p) => p.pods === undefined || !isEmptySelector(p.pods),
    },
  ],
);

/** Inside an AIWorkload ports are named: the target declares them, and a typo is caught by the CRD. */
const portNames = described(
  z.array(portName).max(4).optional(),
  'Ports allowed, by the name of a declared port of the target component. Omitted: every declared port of the target (every port when it declares none).',
);

const portRefs = described(
  z.array(portRefSchema).max(16).optional(),
  'Ports allowed: numbers, or names of declared ports when the destination is a workload component or pods (named ports resolve on the destination pods). Omitted: every port (every declared port for a workload component).',
);

const INT_OR_NAME_CEL = 'type(p) == int';

const flow = z.object({
  from: componentName,
  to: componentName,
  ports: portNames,
});

const ingressRule = withRules(
  z.object({
    to: componentName,
    from: peer,
    ports: portNames,
  }),
  'Callers from outside this AIWorkload allowed to reach a component.',
  [
    {
      rule: "!has(self.from.platform) || self.from.platform == 'Monitoring'",
      message: 'the only platform peer that can call in is Monitoring',
      fieldPath: '.from.platform',
      check: (r) => r.from.platform === undefined || r.from.platform === 'Monitoring',
    },
  ],
);

const egressRule = withRules(
  z.object({
    from: componentName,
    to: peer,
    ports: portRefs,
    protocol: described(protocol.optional(), 'Protocol of numbered ports. @default TCP'),
  }),
  'Destinations outside this AIWorkload that a component may reach.',
  [
    {
      rule: `!has(self.ports) || !has(self.to.cidr) || self.ports.all(p, ${INT_OR_NAME_CEL})`,
      message: 'ports to a cidr must be numbers: an address range has no named ports',
      fieldPath: '.ports',
      check: (r) => r.ports === undefined || r.to.cidr === undefined || r.ports.every((p) => typeof p === 'number'),
    },
    {
      rule: "!has(self.to.platform) || self.to.platform != 'Monitoring'",
      message: 'Monitoring is a caller (ingress), not a destination',
      fieldPath: '.to.platform',
      check: (r) => r.to.platform !== 'Monitoring',
    },
  ],
);

// ---------------------------------------------------------------------------------------------
// Spec

type Spec = {
  components: { name: string; ports?: { name: string }[] | undefined }[];
  flows?: { from: string; to: string; ports?: string[] | undefined }[] | undefined;
  ingress?: { to: string; ports?: string[] | undefined }[] | undefined;
  egress?: { from: string }[] | undefined;
};

const componentNames = (s: Spec): Set<string> => new Set(s.components.map((c) => c.name));

const quoted = (names: Iterable<string>): string => [...names].join(', ');

/** `"ghost" is not a component of this AIWorkload (components: api, llm)`, at each rule's `key`. */
function unknownComponents(s: Spec, list: 'flows' | 'ingress' | 'egress', keys: readonly ('from' | 'to')[]): RuleProblem[] {
  const names = componentNames(s);
  const rules: Partial<Record<'from' | 'to', string>>[] = s[list] ?? [];
  return rules.flatMap((r, i) =>
    keys.flatMap((k) => {
      const name = r[k];
      if (name === undefined || names.has(name)) return [];
      return [{ path: [list, i, k], message: `${JSON.stringify(name)} is not a component of this AIWorkload (components: ${quoted(names)})` }];
    }),
  );
}

/** `"grpc" is not a declared port of component model (its ports: http)`, at each port of each rule. */
function undeclaredPorts(s: Spec, list: 'flows' | 'ingress'): RuleProblem[] {
  return (s[list] ?? []).flatMap((r, i) => {
    const target = s.components.find((c) => c.name === r.to);
    // A rule to an unknown component is explained by that rule.
    if (target === undefined) return [];
    const declared = (target.ports ?? []).map((p) => p.name);
    const has = declared.length === 0 ? 'it declares none' : `its ports: ${quoted(declared)}`;
    return (r.ports ?? []).flatMap((p, j) =>
      declared.includes(p) ? [] : [{ path: [list, i, 'ports', j], message: `${JSON.stringify(p)} is not a declared port of component ${r.to} (${has})` }],
    );
  });
}

/** `"api" is also the name of components[0]`, at each later component of the same name. */
function duplicateComponents(s: Spec): RuleProblem[] {
  return s.components.flatMap((c, i) => {
    const first = s.components.findIndex((d) => d.name === c.name);
    return first === i ? [] : [{ path: ['components', i, 'name'], message: `${JSON.stringify(c.name)} is also the name of components[${first}]; component names must be unique` }];
  });
}


const namedPortsResolve = (s: Spec, target: string, ports: string[] | undefined): boolean => {
  if (ports === undefined) return true;
  const declared = new Set((s.components.find((c) => c.name === target)?.ports ?? []).map((p) => p.name));
  return ports.every((p) => declared.has(p));
};

/**
 * Named ports must exist on the target. Nested over rules × ports × components × ports, so its
 * estimated cost bounds the list sizes: at 32 rules × 4 ports × 16 components × 8 ports it fits the
 * API server's budget (at twice each bound it was 12.7× over).
 */
const namedPortCel = (list: 'flows' | 'ingress'): string =>
  `!has(self.${list}) || self.${list}.all(f, !has(f.ports) || f.ports.all(p, self.components.exists(c, c.name == f.to && has(c.ports) && c.ports.exists(q, q.name == p))))`;

export const aiWorkloadSpecSchema = withRules(
  z.object({
    enforcement: described(
      z.enum(['Enforce', 'Audit']).default('Enforce'),
      'Enforce writes the generated objects; Audit computes and reports them in status and Events and writes nothing else. @default Enforce',
    ),
    allowDNS: described(
      z.boolean().default(true),
      'Allow every component to resolve names through the cluster DNS (UDP and TCP 53). @default true',
    ),
    namespaceDefaultDeny: described(
      z.boolean().default(false),
      'Also write a NetworkPolicy that denies every pod of the namespace in both directions (DNS egress stays open when allowDNS is true), ' +
        'so a pod that starts before its segment exists, or belongs to no segment, reaches nothing and is reached by nothing. ' +
        'It cuts off every other pod of the namespace that no NetworkPolicy opens: use it in namespaces that Bulkhead segments wholly. @default false',
    ),
    components: described(
      z.array(component).min(1).max(16),
      'The segments of this AIWorkload. Names must be unique.',
    ),
    flows: described(
      z.array(flow).max(32).optional(),
      'Connections inside this AIWorkload: each opens the egress of from and the ingress of to.',
    ),
    ingress: described(z.array(ingressRule).max(32).optional(), 'Callers from outside this AIWorkload.'),
    egress: described(z.array(egressRule).max(64).optional(), 'Destinations outside this AIWorkload.'),
  }),
  'Desired segmentation of an AI application.',
  [
    {
      rule: 'self.components.all(c, self.components.exists_one(d, d.name == c.name))',
      message: 'component names must be unique',
      fieldPath: '.components',
      check: (s) => componentNames(s).size === s.components.length,
      explain: duplicateComponents,
    },
    {
      rule: '!has(self.flows) || self.flows.all(f, self.components.exists(c, c.name == f.from) && self.components.exists(c, c.name == f.to))',
      message: 'every flow must name components of this AIWorkload in from and to',
      fieldPath: '.flows',
      check: (s) => (s.flows ?? []).every((f) => componentNames(s).has(f.from) && componentNames(s).has(f.to)),
      explain: (s) => unknownComponents(s, 'flows', ['from', 'to']),
    },
    {
      rule: namedPortCel('flows'),
      message: 'a port named in a flow must be a declared port of its to component',
      fieldPath: '.flows',
      check: (s) => (s.flows ?? []).every((f) => namedPortsResolve(s, f.to, f.ports)),
      explain: (s) => undeclaredPorts(s, 'flows'),
    },
    {
      rule: '!has(self.ingress) || self.ingress.all(r, self.components.exists(c, c.name == r.to))',
      message: 'every ingress rule must name a component of this AIWorkload in to',
      fieldPath: '.ingress',
      check: (s) => (s.ingress ?? []).every((r) => componentNames(s).has(r.to)),
      explain: (s) => unknownComponents(s, 'ingress', ['to']),
    },
    {
      rule: namedPortCel('ingress'),
      message: 'a port named in an ingress rule must be a declared port of its to component',
      fieldPath: '.ingress',
      check: (s) => (s.ingress ?? []).every((r) => namedPortsResolve(s, r.to, r.ports)),
      explain: (s) => undeclaredPorts(s, 'ingress'),
    },
    {
      rule: '!has(self.egress) || self.egress.all(r, self.components.exists(c, c.name == r.from))',
      message: 'every egress rule must name a component of this AIWorkload in from',
      fieldPath: '.egress',
      check: (s) => (s.egress ?? []).every((r) => componentNames(s).has(r.from)),
      explain: (s) => unknownComponents(s, 'egress', ['from']),
    },
  ],
);

// ---------------------------------------------------------------------------------------------
// Status (written by the operator)

export const condition = z.object({
  type: described(z.string().min(1).max(316), 'Type of condition: Ready, Reconciling, Stalled, ConsentPending, Exposed, ...'),
  status: described(z.enum(['True', 'False', 'Unknown']), 'True, False or Unknown.'),
  reason: described(z.string().min(1).max(1024), 'One-word CamelCase reason.'),
  message: described(z.string().max(32768).optional(), 'Human-readable detail.'),
  lastTransitionTime: z.string().max(64).meta({ description: 'When the status last changed (RFC 3339).', format: 'date-time' }),
  observedGeneration: described(z.number().int().min(0).optional(), 'The generation this condition was set for.'),
});

const componentStatus = z.object({
  name: componentName,
  networkPolicy: described(z.string().max(253).optional(), 'Name of the generated NetworkPolicy.'),
  serviceAccount: described(z.string().max(253).optional(), 'Name of the generated ServiceAccount.'),
  role: described(z.string().max(253).optional(), 'Name of the generated Role, when the component has permissions.'),
  matchedPods: described(z.number().int().min(0).optional(), 'Pods the selector matches.'),
  podsWithOtherServiceAccount: described(
    z.number().int().min(0).optional(),
    'Matched pods that run under a ServiceAccount other than the segment\'s.',
  ),
  unresolvedPeers: described(z.array(z.string().max(512)).max(64).optional(), 'Peers that could not be resolved and got no rule.'),
  consentPending: described(
    z.array(z.string().max(512)).max(64).optional(),
    'Cross-namespace peers that have not declared the other side of the flow.',
  ),
});

export const aiWorkloadStatusSchema = z.object({
  componentCount: described(z.number().int().min(0).optional(), 'Number of components (segments) in the spec.'),
  observedGeneration: described(z.number().int().min(0).optional(), 'The generation last reconciled successfully.'),
  conditions: described(z.array(condition).max(16).optional(), 'kstatus conditions, one per type.').meta({
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
  components: described(z.array(componentStatus).max(32).optional(), 'Per-component status.'),
  threatFeeds: described(
    z
      .array(
        z.object({
          name: described(z.string().max(253), 'The ThreatFeed.'),
          digest: described(z.string().max(71).optional(), 'The digest of its set in force (ThreatFeed status.digest) when the policies were written.'),
        }),
      )
      .max(64)
      .optional(),
    'The ThreatFeeds whose networks are carved out of this AIWorkload\'s CIDR peers.',
  ),
});

export const aiWorkloadSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.object({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    generation: z.number().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: aiWorkloadSpecSchema,
  status: aiWorkloadStatusSchema.optional(),
});
