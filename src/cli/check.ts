// `bulkhead check`: is Bulkhead installed and doing its job on the current cluster? It reads what
// the product's promises rest on (the API server, the CRD, the admission policies, the grantable
// ceiling, a leading operator, a CNI that enforces NetworkPolicy) and says which hold. Read only.
import { KubeConfig } from '../runtime/kubeconfig.js';
import { buildCrd, buildThreatFeedCrd } from '../api/crd.js';
import { CRD_NAME, GROUP, VERSION } from '../api/constants.js';

const THREAT_FEED_CRD = `threatfeeds.${GROUP}`;
import { REGISTRY_ROLE } from '../controller/identity-registry.js';
import { type RestClient, createRestClient, isNotFound } from '../runtime/rest.js';
import {
  ADMISSION_POLICIES,
  type Finding,
  checkAdmission,
  checkAdoption,
  checkCeiling,
  checkCni,
  checkCrd,
  checkThreatFeeds,
  checkLease,
  checkRegistryRole,
  checkServer,
  exitCode,
  formatFindings,
} from './check-rules.js';
import { type CommandCompletion, type FlagTable, HELP, type Stop, helpFlag, parseFlagTable } from './flag-table.js';
import type { CliIO } from './main.js';
import { namespaceOption } from './platform-flags.js';

const USAGE = `Usage: bulkhead check [-n NAMESPACE] [--lease NAME] [-o txt|json]
  Checks the Bulkhead installation on the current kubeconfig's cluster: the API server, the
  AIWorkload and ThreatFeed CRDs (installed, established, the schema of this bulkhead), the
  admission policies and their bindings, the grantable ceiling, the operator (someone holds and
  renews its Lease), every ThreatFeed in force (fail: one blocks nothing; warn: one's source
  fails), and a CNI that enforces NetworkPolicy. Read only.
  -n, --namespace NAMESPACE  the operator's namespace (default bulkhead-system)
  --lease NAME               the operator's leader-election Lease (default bulkhead-operator)
  -o, --output txt|json      (default txt)
  Exit 0 when nothing failed (warnings allowed), 1 when a check failed, 2 when it cannot check
  (the API server does not answer) or on a usage error.
`;

interface CheckArgs {
  namespace: string;
  lease: string;
  output: 'txt' | 'json';
}

const TABLE: FlagTable<CheckArgs> = {
  flags: [
    helpFlag,
    namespaceOption<CheckArgs>(),
    { names: ['--lease'], set: (a, v) => void (a.lease = v) },
    {
      names: ['-o', '--output'],
      values: ['txt', 'json'],
      set: (a, v) => {
        if (v !== 'txt' && v !== 'json') return `-o must be txt or json, not "${v}"`;
        a.output = v;
        return undefined;
      },
    },
  ],
  isValue: (arg) => !arg.startsWith('-'),
  other: (arg) => `unknown argument "${arg}"`,
};

/** The object at `path`, or undefined when it does not exist. Other errors propagate. */
async function read(rest: RestClient, path: string): Promise<unknown> {
  try {
    return await rest.request<unknown>('GET', path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Runs one check; a read it is not allowed (or fails) to make is a warning naming the check. */
async function guarded(check: string, run: () => Promise<Finding>): Promise<Finding> {
  try {
    return await run();
  } catch (err) {
    return { check, status: 'warn', detail: `could not check: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function admissionFindings(rest: RestClient, namespace: string): Promise<Finding[]> {
  const base = '/apis/admissionregistration.k8s.io/v1';
  const validating = Object.keys(ADMISSION_POLICIES).map((name) =>
    guarded(`admission/${name}`, async () =>
      checkAdmission(name, await read(rest, `${base}/validatingadmissionpolicies/${name}`), await read(rest, `${base}/validatingadmissionpolicybindings/${name}`), namespace),
    ),
  );
  const adoption = guarded('admission/bulkhead-segment-adoption', async () =>
    checkAdoption(await read(rest, `${base}/mutatingadmissionpolicies/bulkhead-segment-adoption`), await read(rest, `${base}/mutatingadmissionpolicybindings/bulkhead-segment-adoption`)),
  );
  const registry = guarded('identity-registry', async () =>
    checkRegistryRole(await read(rest, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${REGISTRY_ROLE}`), `${namespace}/${REGISTRY_ROLE}`),
  );
  return Promise.all([...validating, adoption, registry]);
}

/** Thrown when the API server cannot be read at all (down, or refusing us): nothing can be checked (exit 2). */
class Unreachable extends Error {}

async function gather(rest: RestClient, args: CheckArgs): Promise<Finding[]> {
  const version = await rest.request<Parameters<typeof checkServer>[0]>('GET', '/version').catch((err: unknown) => {
    throw new Unreachable(`cannot check: GET /version at ${rest.server} failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  const server = checkServer(version, rest.server);
  if (server.status !== 'ok') return [server];
  const crd = guarded('crd', async () => checkCrd(await read(rest, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`), buildCrd(), VERSION));
  const feedCrd = guarded('crd/threatfeeds', async () => checkCrd(await read(rest, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${THREAT_FEED_CRD}`), buildThreatFeedCrd(), VERSION, 'crd/threatfeeds'));
  const feeds = guarded('threatfeeds', async () => checkThreatFeeds(((await read(rest, `/apis/${GROUP}/${VERSION}/threatfeeds`)) as { items?: unknown[] } | undefined)?.items ?? []));
  const ceiling = guarded('ceiling', async () => checkCeiling(await read(rest, '/apis/rbac.authorization.k8s.io/v1/clusterroles/bulkhead-grantable')));
  const where = `${args.namespace}/${args.lease}`;
  const lease = guarded('operator', async () => checkLease(await read(rest, `/apis/coordination.k8s.io/v1/namespaces/${args.namespace}/leases/${args.lease}`), where, new Date()));
  const cni = guarded('cni', async () => checkCni(((await rest.request<{ items?: unknown[] }>('GET', '/apis/apps/v1/daemonsets')).items ?? [])));
  return [server, await crd, await feedCrd, ...(await admissionFindings(rest, args.namespace)), await ceiling, await lease, await feeds, await cni];
}

/** For `bulkhead completion`. */
export const CHECK_COMPLETION: CommandCompletion = { flags: TABLE.flags };

export async function runCheck(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlagTable<CheckArgs, Stop>(argv, TABLE, { namespace: 'bulkhead-system', lease: 'bulkhead-operator', output: 'txt' });
  if (parsed === HELP) return (io.stdout(USAGE), 0);
  if (typeof parsed === 'string') return (io.stderr(`bulkhead check: ${parsed}\n${USAGE}`), 2);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  let findings: Finding[];
  try {
    findings = await gather(createRestClient(kc), parsed);
  } catch (err) {
    if (!(err instanceof Unreachable)) throw err;
    io.stderr(`bulkhead check: ${err.message}\n`);
    return 2;
  }
  io.stdout(parsed.output === 'json' ? `${JSON.stringify(findings, null, 2)}\n` : formatFindings(findings));
  return exitCode(findings);
}
