// Differential test of the two validators of one API: random specs are accepted by the zod schema
// (src/api/schema.ts) exactly when the API server accepts them under the generated CRD (server-side
// dry-run creates), and an accepted object reads back exactly as zod parses it (defaults included).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '../../src/runtime/kubeconfig.js';
import fc from 'fast-check';
import { aiWorkloadSpecSchema } from '../../src/api/schema.js';
import { ApiError, type RestClient, createRestClient } from '../../src/runtime/rest.js';
import { adminKubeconfig, deleteNamespace, freshNamespace } from '../harness/cluster.js';
import { operatorIdentity } from '../harness/operator-identity.js';
import { runs } from '../harness/seed.js';
import { specArbitrary } from './arbitrary.js';
import { SLOW } from './support.js';

const RUNS = runs(1000);

describe('zod schema and CRD agree', () => {
  let ns = '';
  let rest: RestClient;
  let counter = 0;
  const tally = { accepted: 0, refused: 0 };

  beforeAll(async () => {
    await operatorIdentity(); // installs the CRD
    ns = await freshNamespace('differential');
    const kc = new KubeConfig();
    kc.loadFromFile(adminKubeconfig());
    rest = createRestClient(kc);
  }, SLOW);

  afterAll(async () => {
    if (ns !== '') await deleteNamespace(ns);
    process.stderr.write(`[differential] ${tally.accepted} accepted, ${tally.refused} refused by both\n`);
  }, SLOW);

  /** The API server's verdict: the stored spec, or the refusal's message. */
  const server = async (spec: unknown): Promise<{ ok: true; spec: unknown } | { ok: false; message: string }> => {
    try {
      const created = await rest.request<{ spec: unknown }>('POST', `/apis/bulkhead.dev/v1alpha1/namespaces/${ns}/aiworkloads`, {
        query: { dryRun: 'All', fieldValidation: 'Strict' },
        body: { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: `d${counter++}`, namespace: ns }, spec },
      });
      return { ok: true, spec: created.spec };
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) return { ok: false, message: err.message };
      throw err;
    }
  };

  it(`agrees on ${RUNS} random specs, and accepted ones read back unchanged`, async () => {
    await fc.assert(
      fc.asyncProperty(specArbitrary, async (spec) => {
        const zod = aiWorkloadSpecSchema.safeParse(spec);
        const api = await server(spec);
        if (zod.success !== api.ok) {
          throw new Error(zod.success
            ? `zod accepts, the API server refuses: ${api.ok ? '' : api.message}`
            : `the API server accepts, zod refuses: ${zod.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        }
        if (api.ok && zod.success) {
          tally.accepted++;
          expect(api.spec).toEqual(JSON.parse(JSON.stringify(zod.data)));
        } else {
          tally.refused++;
        }
      }),
      { numRuns: RUNS }, // seed: e2e/harness/seed.ts
    );
    // The generator must exercise both sides, or the property says little.
    expect(tally.accepted).toBeGreaterThan(RUNS / 10);
    expect(tally.refused).toBeGreaterThan(RUNS / 10);
  }, 600_000);

  // The CRD's rule is CEL's `string(cidr(self).masked()) == self` (Go's netip); src/api/cidr.ts
  // must call exactly the same texts canonical, including the forms random specs rarely draw.
  it.each([
    '10.0.0.0/8', '10.0.0.1/8', '010.0.0.0/8', '10.0.0.0/08', '0.0.0.0/0', '::/0', 'fd00::/8', 'FD00::/8', 'fd00:0::/8',
    'fd00:ec2::254/128', '2001:db8:0:0:1::/80', '2001:db8::1:0:0:0/80', '::ffff:1.2.3.0/120', '::ffff:102:300/120', '::ffff:0:0/96', '::1.2.3.4/128', '::102:304/128',
    'fe80::1%eth0/128', '1.2.3.4/32/1',
  ])('agrees on the egress cidr %s', async (cidr) => {
    const spec = { components: [{ name: 'a', role: 'Training', selector: { matchLabels: { app: 'a' } } }], egress: [{ from: 'a', to: { cidr }, ports: [443] }] };
    const zod = aiWorkloadSpecSchema.safeParse(spec);
    const api = await server(spec);
    expect({ cidr, accepted: zod.success }).toEqual({ cidr, accepted: api.ok });
  });
});
