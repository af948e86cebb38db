// The verdicts of `bulkhead check`, as pure functions of what was read from the cluster (undefined:
// not found), so that each rule is unit-tested without one. A verdict is ok, a warning (Bulkhead
// works, but not as well as it could) or a failure (a promise of the product does not hold).

export type Status = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  status: Status;
  detail: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((cur, key) => (isObj(cur) ? cur[key] : undefined), o);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The oldest Kubernetes with admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (GA in 1.30). */
export const MIN_MINOR = 30;

export function checkServer(version: { gitVersion?: string; major?: string; minor?: string }, server: string): Finding {
  const minor = Number.parseInt(version.minor ?? '', 10);
  const at = `Kubernetes ${version.gitVersion ?? '(unknown version)'} at ${server}`;
  if (version.major === '1' && minor < MIN_MINOR) {
    return { check: 'api-server', status: 'fail', detail: `${at}: Bulkhead needs 1.${MIN_MINOR} or newer (ValidatingAdmissionPolicy v1)` };
  }
  return { check: 'api-server', status: 'ok', detail: at };
}

/** JSON with object keys sorted, so that two schemas compare by content. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (!isObj(v)) return JSON.stringify(v);
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
}

function versionSchema(crd: unknown, version: string): unknown {
  return get(list(get(crd, 'spec', 'versions')).find((v) => get(v, 'name') === version), 'schema', 'openAPIV3Schema');
}

/** The installed CRD against the one this bulkhead generates (`expected`). */
export function checkCrd(installed: unknown, expected: unknown, version: string, check = 'crd'): Finding {
  const name = String(get(expected, 'metadata', 'name'));
  if (installed === undefined) return { check, status: 'fail', detail: `${name} is not installed (kubectl apply --server-side -f crds/)` };
  const established = list(get(installed, 'status', 'conditions')).some((c) => get(c, 'type') === 'Established' && get(c, 'status') === 'True');
  if (!established) return { check, status: 'fail', detail: `${name} is not Established yet` };
  const ours = versionSchema(expected, version);
  const theirs = versionSchema(installed, version);
  if (theirs === undefined) return { check, status: 'fail', detail: `${name} does not serve ${version}, the version this bulkhead speaks` };
  if (canonicalJson(theirs) !== canonicalJson(ours)) {
    return { check, status: 'warn', detail: `${name} (${version}) has another schema than this bulkhead's: upgrade the CRD or the CLI so they match (docs/install.md, Upgrades)` };
  }
  return { check, status: 'ok', detail: `${name} established; its ${version} schema is this bulkhead's` };
}

/**
 * The ThreatFeeds: fail while one has no set in force (its networks are carved out of nothing),
 * warn while one's source fails (its last good set is kept), naming each with its condition.
 */
export function checkThreatFeeds(feeds: readonly unknown[]): Finding {
  const notReady = feeds.flatMap((f) => {
    const ready = list(get(f, 'status', 'conditions')).find((c) => get(c, 'type') === 'Ready');
    if (get(ready, 'status') === 'True') return [];
    const text = (v: unknown, otherwise: string): string => (typeof v === 'string' && v !== '' ? v : otherwise);
    const reason = text(get(ready, 'reason'), 'NotRead');
    return [{ name: text(get(f, 'metadata', 'name'), '?'), reason, message: text(get(ready, 'message'), 'the operator has not read it yet') }];
  });
  if (notReady.length === 0) return { check: 'threatfeeds', status: 'ok', detail: `${feeds.length} ThreatFeed(s), each in force and read` };
  const detail = notReady.map((n) => `${n.name}: ${n.reason}: ${n.message}`).join('; ');
  return { check: 'threatfeeds', status: notReady.some((n) => n.reason === 'NoSetInForce' || n.reason === 'NotRead') ? 'fail' : 'warn', detail };
}

/** What is lost without each admission policy. */
export const ADMISSION_POLICIES: Readonly<Record<string, string>> = {
  'bulkhead-no-escalation': 'an AIWorkload can grant permissions its author does not hold',
  'bulkhead-tamper-protection': 'anyone with write access can change generated objects (drift repair still undoes it)',
  'bulkhead-segment-membership': 'a pod that copies a segment\'s labels gets its network access under any ServiceAccount',
  'bulkhead-segment-identity': 'a pod can run under a segment\'s ServiceAccount outside the segment',
  'bulkhead-identity-tokens': 'anyone who may create tokens can mint a segment\'s ServiceAccount token',
  'bulkhead-identity-bindings': 'anyone who may bind roles can give a segment\'s ServiceAccount more than its AIWorkload declares',
};

/** Where each policy ships: the identity policies have a file of their own. */
const SHIPPED_IN: Readonly<Record<string, string>> = {
  'bulkhead-segment-membership': 'manifests/identity-policies.yaml',
  'bulkhead-segment-identity': 'manifests/identity-policies.yaml',
  'bulkhead-identity-tokens': 'manifests/identity-policies.yaml',
  'bulkhead-identity-bindings': 'manifests/identity-policies.yaml',
};

/**
 * One admission policy and its binding (same name, as shipped). A policy with parameters must be
 * bound to some (else it checks nothing); `registryNamespace`, for the one that reads the identity
 * registry, is where the operator keeps it.
 */
export function checkAdmission(name: string, policy: unknown, binding: unknown, registryNamespace?: string): Finding {
  const check = `admission/${name}`;
  const loss = ADMISSION_POLICIES[name] ?? 'a Bulkhead guarantee is off';
  if (policy === undefined) return { check, status: 'fail', detail: `ValidatingAdmissionPolicy ${name} is not installed: ${loss} (${SHIPPED_IN[name] ?? 'manifests/admission-policies.yaml'})` };
  if (get(policy, 'spec', 'failurePolicy') !== 'Fail') return { check, status: 'fail', detail: `${name} has failurePolicy ${String(get(policy, 'spec', 'failurePolicy'))}, not Fail: an error in it lets requests through` };
  if (binding === undefined) return { check, status: 'fail', detail: `${name} has no ValidatingAdmissionPolicyBinding ${name}: it is installed but enforces nothing, so ${loss}` };
  if (get(binding, 'spec', 'policyName') !== name) return { check, status: 'fail', detail: `binding ${name} points at ${String(get(binding, 'spec', 'policyName'))}, not ${name}` };
  if (!list(get(binding, 'spec', 'validationActions')).includes('Deny')) {
    return { check, status: 'fail', detail: `binding ${name} does not Deny (validationActions ${JSON.stringify(get(binding, 'spec', 'validationActions'))}): ${loss}` };
  }
  const params = paramProblem(name, policy, binding, registryNamespace);
  if (params !== undefined) return { check, status: 'fail', detail: `${params}, so ${loss}` };
  return { check, status: 'ok', detail: `${name} installed, bound, denying` };
}

/** What is wrong with the parameters a binding gives its policy, if anything. */
function paramProblem(name: string, policy: unknown, binding: unknown, registryNamespace: string | undefined): string | undefined {
  if (get(policy, 'spec', 'paramKind') === undefined) return undefined;
  const ref = get(binding, 'spec', 'paramRef');
  if (ref === undefined) return `binding ${name} gives ${name} no parameters (paramRef): it checks nothing`;
  const ns = get(ref, 'namespace');
  if (registryNamespace !== undefined && name === 'bulkhead-identity-bindings' && ns !== registryNamespace) {
    return `binding ${name} reads the identity registry in namespace ${typeof ns === 'string' ? ns : '(the request\'s)'}, but the operator keeps it in ${registryNamespace}`;
  }
  return undefined;
}

/**
 * The opt-in MutatingAdmissionPolicy bulkhead-segment-adoption: not installed is fine (the pod
 * templates name their ServiceAccounts), installed without its binding does nothing.
 */
export function checkAdoption(policy: unknown, binding: unknown): Finding {
  const check = 'admission/bulkhead-segment-adoption';
  if (policy === undefined) return { check, status: 'ok', detail: 'not installed (opt-in: pods name their segment\'s ServiceAccount themselves)' };
  if (binding === undefined) return { check, status: 'warn', detail: 'MutatingAdmissionPolicy bulkhead-segment-adoption is installed but has no binding: it sets no ServiceAccount' };
  if (get(binding, 'spec', 'paramRef') === undefined) return { check, status: 'warn', detail: 'binding bulkhead-segment-adoption gives it no parameters (paramRef): it sets no ServiceAccount' };
  return { check, status: 'ok', detail: 'bulkhead-segment-adoption installed, bound: pods that ask for no ServiceAccount get their segment\'s' };
}

/**
 * The Role every identity registry entry binds to: it must exist (else the operator cannot
 * register, and every AIWorkload is ApplyFailed) and grant nothing (what it granted, every
 * segment's ServiceAccount would hold in the operator's namespace).
 */
export function checkRegistryRole(role: unknown, where: string): Finding {
  const check = 'identity-registry';
  if (role === undefined) return { check, status: 'fail', detail: `Role ${where} is missing: the operator cannot register segment identities, so every AIWorkload fails to apply (manifests/rbac.yaml)` };
  const rules = list(get(role, 'rules'));
  if (rules.length > 0) {
    return { check, status: 'fail', detail: `Role ${where} has ${rules.length} rule(s): every segment's ServiceAccount holds them in that namespace; it must grant nothing` };
  }
  return { check, status: 'ok', detail: `Role ${where} grants nothing, as it must` };
}

/** Verbs that have no place in the ceiling: the operator holds the ceiling itself. */
const CEILING_FORBIDDEN = new Set(['*', 'create', 'escalate', 'bind', 'impersonate', 'deletecollection']);

function ruleProblems(rule: unknown): string[] {
  const wild = (field: string): boolean => list(get(rule, field)).includes('*');
  const problems = ['apiGroups', 'resources', 'resourceNames'].filter(wild).map((f) => `"*" in ${f}`);
  const verbs = list(get(rule, 'verbs')).filter((v) => CEILING_FORBIDDEN.has(String(v)));
  if (verbs.length > 0) problems.push(`verbs ${verbs.join(', ')}`);
  if (list(get(rule, 'nonResourceURLs')).length > 0) problems.push('nonResourceURLs');
  return problems;
}

/** The aggregated grantable ceiling: what the operator may hand out, and so holds itself. */
export function checkCeiling(role: unknown): Finding {
  if (role === undefined) return { check: 'ceiling', status: 'fail', detail: 'ClusterRole bulkhead-grantable is missing: no AIWorkload can get a Role (manifests/rbac.yaml)' };
  const rules = list(get(role, 'rules'));
  const problems = rules.flatMap(ruleProblems);
  if (problems.length > 0) {
    return { check: 'ceiling', status: 'warn', detail: `bulkhead-grantable holds ${[...new Set(problems)].join('; ')}: the operator holds the ceiling itself, so that is its own privilege too` };
  }
  if (rules.length === 0) return { check: 'ceiling', status: 'ok', detail: 'bulkhead-grantable grants nothing: AIWorkloads with permissions get no Role until an admin adds a member' };
  const summary = rules.map((r) => `${list(get(r, 'verbs')).join('/')} ${list(get(r, 'resources')).join(',')}`).join('; ');
  return { check: 'ceiling', status: 'ok', detail: `bulkhead-grantable: ${summary}` };
}

/** The operator is alive when someone holds its Lease and renewed it within twice its duration. */
export function checkLease(lease: unknown, where: string, now: Date): Finding {
  if (lease === undefined) {
    return { check: 'operator', status: 'warn', detail: `no Lease ${where}: the operator is not running there, or runs without leader election (say where with -n and --lease)` };
  }
  const holder = get(lease, 'spec', 'holderIdentity');
  const renewTime = get(lease, 'spec', 'renewTime');
  const renew = typeof renewTime === 'string' ? Date.parse(renewTime) : Number.NaN;
  const duration = Number(get(lease, 'spec', 'leaseDurationSeconds') ?? 15);
  if (typeof holder !== 'string' || holder === '') return { check: 'operator', status: 'fail', detail: `Lease ${where} is held by nobody: no replica is leading, so nothing is reconciled` };
  const age = Math.round((now.getTime() - renew) / 1000);
  if (Number.isNaN(renew) || age > 2 * duration) {
    return { check: 'operator', status: 'fail', detail: `Lease ${where} held by ${holder} was last renewed ${Number.isNaN(renew) ? 'never' : `${age} s ago`} (lease ${duration} s): the leader is gone and no replica took over` };
  }
  return { check: 'operator', status: 'ok', detail: `${holder} leads (Lease ${where} renewed ${Math.max(age, 0)} s ago)` };
}

/** DaemonSets of CNIs (or their policy agents) that enforce NetworkPolicy. */
export const ENFORCING_CNIS = [
  'calico-node', 'cilium', 'anetd', 'antrea-agent', 'kube-router', 'weave-net', 'canal',
  'azure-npm', 'kube-network-policies', 'ovnkube-node', 'kube-ovn-cni', 'aws-network-policy-agent',
];

/**
 * NetworkPolicy does nothing without a CNI that enforces it, and the API cannot say whether one
 * does; a known enforcing agent among the DaemonSets is the best evidence there is.
 */
export function checkCni(daemonSets: readonly unknown[]): Finding {
  const names = daemonSets.map((d) => `${String(get(d, 'metadata', 'namespace'))}/${String(get(d, 'metadata', 'name'))}`);
  const found = names.filter((n) => ENFORCING_CNIS.some((c) => n.endsWith(`/${c}`)));
  if (found.length > 0) return { check: 'cni', status: 'ok', detail: `NetworkPolicy enforcement by ${found.join(', ')}` };
  return {
    check: 'cni',
    status: 'warn',
    detail: `no known NetworkPolicy-enforcing CNI among ${daemonSets.length} DaemonSets: policies are written, but only a CNI that implements NetworkPolicy blocks anything (docs/security.md)`,
  };
}

/** Exit code: 1 when anything failed, else 0. */
export function exitCode(findings: readonly Finding[]): number {
  return findings.some((f) => f.status === 'fail') ? 1 : 0;
}

const LABEL: Record<Status, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };

export function formatFindings(findings: readonly Finding[]): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines = findings.map((f) => `${LABEL[f.status].padEnd(4)}  ${f.check.padEnd(width)}  ${f.detail}`);
  const count = (s: Status): number => findings.filter((f) => f.status === s).length;
  return `${lines.join('\n')}\n\n${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failed\n`;
}
