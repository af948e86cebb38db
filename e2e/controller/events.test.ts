// Events are correlated as client-go's recorder does: repeated identical drift repairs of one
// object are one Event with a count, not a new Event object in etcd each time.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

let operator: RunningOperator | undefined;
let ns: string;

type EventList = { items: { message: string; count?: number; involvedObject: { name: string } }[] };

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('events');
  operator = await startOperator();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

test('four repairs of one deleted policy are one DriftCorrected Event with count 4', async () => {
  const workload = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'w', namespace: ns }, spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } } }] } };
  await kubectlOk(['apply', '-f', '-'], { input: dump(workload) });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/w', '--timeout=60s']);
  for (let i = 0; i < 4; i++) {
    const uid = await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'w-model', '-o', 'jsonpath={.metadata.uid}']);
    await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'w-model']);
    // Repaired: the policy is back, as a new object.
    await waitFor(async () => {
      const now = await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'w-model', '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found']);
      return now !== '' && now !== uid;
    }, { description: `repair ${i + 1}` });
  }
  const events = await waitFor(async () => {
    const list = JSON.parse(await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=DriftCorrected', '-o', 'json'])) as EventList;
    return list.items.length === 1 && list.items[0]?.count === 4 ? list : undefined;
  }, { timeoutMs: 15_000, description: 'one DriftCorrected Event with count 4' });
  expect(events.items.map((e) => [e.involvedObject.name, e.message])).toEqual([['w', 'Corrected drift: create NetworkPolicy w-model']]);
  expect((await operator?.get('/metrics'))?.body).toMatch(/^bulkhead_events_dropped_total 0$/m);
}, 90_000);
