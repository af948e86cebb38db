// fast-check generators of AIWorkload specs for the differential test: mostly well-formed, with
// every field drawn from a pool that mixes valid values, values just past a bound, and plain
// garbage, so that roughly half are valid. Only fields the schema knows are generated (unknown
// fields are refused by strict field validation and dropped by zod, which the hostile table covers).
import fc from 'fast-check';

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
/** Mostly one of `valid`, now and then one of `invalid`. */
const mix = <T>(valid: T[], invalid: T[]): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 40 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>, freq = 3): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq });
const strip = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const dnsLabel = mix(['a', 'model', 'gw', 'x-1', 'a'.repeat(63)], ['a'.repeat(64), 'A', 'a-', '-a', 'a.b', '', 'a_b']);
const componentNames = ['model', 'gw', 'data'];
const portName = mix(['grpc', 'http', 'a'.repeat(15)], ['a'.repeat(16), 'HTTP', 'h-', '']);
const portNumber = mix([1, 80, 9000, 65535], [0, 65536, -1]);
const labelKey = mix(['app', 'app.kubernetes.io/name', 'example.com/x', 'a'.repeat(63), 'A_b.c'], ['a b', '', 'a/b/c', 'a'.repeat(64), '-a']);
const labelValue = mix(['x', '', 'a.b_c-d', 'a'.repeat(63)], ['a'.repeat(64), '-x', 'x y']);
const cidr = mix(
  ['10.0.0.0/8', '10.20.0.0/16', '10.20.30.0/24', '0.0.0.0/0', '1.2.3.4/32', '::/0', 'fd00::/8', '2001:db8::/32', 'fd00:ec2::254/128', '169.254.169.254/32'],
  ['10.0.0.1/8', '10.0.0.0/33', '01.2.3.4/32', '10.0.0.0/08', 'not-a-cidr', '10.0.0.0', 'fd00:0::/8', '2001:DB8::/32', '2001:db8::1/32', ''],
);

const selector = fc.record({
  matchLabels: maybe(fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 }), 6),
  matchExpressions: maybe(
    fc.array(
      fc.oneof(
        { arbitrary: fc.record({ key: labelKey, operator: pick('In', 'NotIn'), values: fc.array(labelValue, { minLength: 1, maxLength: 2 }) }), weight: 10 },
        { arbitrary: fc.record({ key: labelKey, operator: pick('Exists', 'DoesNotExist') }), weight: 10 },
        { arbitrary: fc.record({ key: labelKey, operator: pick('In', 'NotIn', 'Exists', 'DoesNotExist', 'Is'), values: maybe(fc.array(labelValue, { maxLength: 2 })) }).map(strip), weight: 1 },
      ),
      { maxLength: 2 },
    ),
    4,
  ),
}).map(strip);

const port = fc.record({ name: portName, port: portNumber, endPort: maybe(mix([65535], [1, 0, 65536]), 6), protocol: maybe(mix(['TCP', 'UDP', 'SCTP'], ['ICMP']), 4) }).map(strip);

const permission = fc.record({
  apiGroup: maybe(mix(['', 'apps', 'bulkhead.dev'], ['*', 'Apps', 'a..b']), 3),
  resource: mix(['secrets', 'configmaps', 'pods/log', 's3cr3ts'], ['*', 'Secrets', 'a/b/c', '']),
  names: fc.array(mix(['weights', 'a.b', 'x'.repeat(253)], ['*', 'A', '', 'x'.repeat(254)]), { minLength: 1, maxLength: 3 }),
  verbs: fc.array(mix(['get', 'list', 'watch', 'update', 'patch', 'delete'], ['create', '*']), { minLength: 1, maxLength: 3 }),
}).map(strip);

const component = fc.record({
  name: fc.oneof({ arbitrary: pick(...componentNames), weight: 20 }, { arbitrary: dnsLabel, weight: 1 }),
  role: maybe(mix(['Model', 'Dataset', 'Generic'], ['Admin']), 2),
  selector: fc.oneof({ arbitrary: fc.constant({ matchLabels: { app: 'x' } }), weight: 2 }, { arbitrary: selector, weight: 3 }),
  ports: maybe(fc.oneof({ arbitrary: fc.uniqueArray(port, { maxLength: 3, selector: (p) => p['name'] }), weight: 10 }, { arbitrary: fc.array(port, { maxLength: 3 }), weight: 1 }), 2),
  permissions: maybe(fc.array(permission, { maxLength: 2 }), 3),
  allowMetadataAccess: maybe(fc.boolean(), 4),
}).map(strip);

const workloadRef = fc.record({ namespace: dnsLabel, name: mix(['w', 'a.b'], ['W', '']), component: dnsLabel });

const oneKindPeer = fc.oneof(
  fc.record({ namespace: maybe(dnsLabel, 1), pods: maybe(selector, 1) }).map(strip),
  fc.record({ workload: workloadRef }),
  fc.record({ cidr, except: maybe(fc.array(cidr, { maxLength: 2 }), 3) }).map(strip),
  fc.record({ platform: mix(['DNS', 'KubeAPIServer', 'Monitoring'], ['Internet']) }),
);

const anyPeer = fc.record({
  namespace: maybe(dnsLabel, 2),
  pods: maybe(selector, 2),
  workload: maybe(workloadRef, 4),
  cidr: maybe(cidr, 3),
  except: maybe(fc.array(cidr, { maxLength: 2 }), 4),
  platform: maybe(mix(['DNS', 'KubeAPIServer', 'Monitoring'], ['Internet']), 4),
}).map(strip);

const peer = fc.oneof({ arbitrary: oneKindPeer, weight: 6 }, { arbitrary: anyPeer, weight: 1 });

const name = fc.oneof({ arbitrary: pick(...componentNames), weight: 20 }, { arbitrary: dnsLabel, weight: 1 });
const portRefs = fc.array(fc.oneof(portName, portNumber), { maxLength: 2 });

export const specArbitrary: fc.Arbitrary<Record<string, unknown>> = fc.record({
  enforcement: maybe(mix(['Enforce', 'Audit'], ['Off']), 3),
  allowDNS: maybe(fc.boolean(), 3),
  components: fc.oneof({ arbitrary: fc.uniqueArray(component, { minLength: 1, maxLength: 3, selector: (c) => c['name'] }), weight: 20 }, { arbitrary: fc.array(component, { maxLength: 3 }), weight: 1 }),
  flows: maybe(fc.array(fc.record({ from: name, to: name, ports: maybe(fc.array(portName, { maxLength: 2 }), 2) }).map(strip), { maxLength: 3 }), 2),
  ingress: maybe(fc.array(fc.record({ to: name, from: peer, ports: maybe(fc.array(portName, { maxLength: 2 }), 2) }).map(strip), { maxLength: 2 }), 2),
  egress: maybe(fc.array(fc.record({ from: name, to: peer, ports: maybe(portRefs, 2), protocol: maybe(mix(['TCP', 'UDP'], ['ICMP']), 4) }).map(strip), { maxLength: 2 }), 2),
}).map(strip);
