// Startup fails fast. A list that the API server refuses before the first sync (the CRD is not
// installed, the operator may not list a kind, its credentials are not accepted) will not succeed
// by retrying, and an operator that keeps its watches open while reconciling nothing looks alive
// to everyone. Such a list ends the process with a message that says what to fix. Pure.
import { HttpStatusError } from '../runtime/informer.js';

/** StartupError ends `bulkhead run` with exit code 1 and its message. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The collections the operator lists, by informer name, as `kubectl api-resources` names them. */
const RESOURCE_NAMES: Readonly<Record<string, string>> = {
  aiworkloads: 'aiworkloads.bulkhead.dev',
  threatfeeds: 'threatfeeds.bulkhead.dev',
  networkpolicies: 'networkpolicies.networking.k8s.io',
  roles: 'roles.rbac.authorization.k8s.io',
  rolebindings: 'rolebindings.rbac.authorization.k8s.io',
  endpointslices: 'endpointslices.discovery.k8s.io',
};

/** Bulkhead's own kinds, by informer name: their CRDs come with it. */
const CRD_KINDS: Readonly<Record<string, string>> = { aiworkloads: 'AIWorkload', threatfeeds: 'ThreatFeed' };

/** What to do about a refused list, by HTTP status. */
const REMEDIES: Readonly<Record<number, (resource: string) => string>> = {
  401: () => 'the API server does not accept the kubeconfig\'s credentials',
  403: () => 'the operator needs the permissions of manifests/rbac.yaml (or the chart\'s RBAC)',
  404: (resource) => (CRD_KINDS[resource] !== undefined ? `the ${CRD_KINDS[resource]} CustomResourceDefinition is not installed (kubectl apply -f crds/)` : 'the API server does not serve this resource'),
};

/** The API server's words in a list error: its Status message, else the body as it came. */
function words(err: HttpStatusError): string {
  try {
    const status = JSON.parse(err.body) as { message?: unknown };
    if (typeof status.message === 'string' && status.message !== '') return status.message;
  } catch {
    // not a Status object ("404 page not found" for an unknown API group)
  }
  return err.body.trim();
}

/**
 * listFailure is the startup failure message for a list of `resource` (an informer name) that
 * failed before the cache first synced, or undefined when the error may clear by retrying
 * (connection refused, timeouts, 429, 5xx).
 */
export function listFailure(resource: string, err: unknown, namespace?: string): string | undefined {
  if (!(err instanceof HttpStatusError)) return undefined;
  const remedy = REMEDIES[err.statusCode];
  if (remedy === undefined) return undefined;
  const said = words(err);
  const answer = said.startsWith(String(err.statusCode)) ? said : `${err.statusCode} ${said}`;
  const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
  return `cannot list ${RESOURCE_NAMES[resource] ?? resource}${where}: ${answer}: ${remedy(resource)}`;
}

/** syncTimeout is the message when caches have not synced in time, naming those that have not. */
export function syncTimeout(seconds: number, unsynced: readonly string[], lastErrors: ReadonlyMap<string, string>): string {
  const detail = unsynced.map((r) => (lastErrors.has(r) ? `${r} (${lastErrors.get(r) ?? ''})` : r)).join(', ');
  return `informer caches did not sync within ${seconds}s: ${detail}`;
}
