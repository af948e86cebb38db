import { MAX_HOSTS, PREFIX, hostDown, hostNames, hostUp, podAddresses, slotDown, slotLayout, slotRuleDeletions, slotUp, splitRule } from './layout.js';

const l = slotLayout(3);

describe('slotLayout', () => {
  it('gives each slot its own ranges, queue, table, chain and node, all carrying the prefix', () => {
    const other = slotLayout(4);
    for (const key of ['pod4', 'pod6', 'queue', 'table', 'chain', 'node', 'comment', 'stateFile'] as const) expect(l[key]).not.toEqual(other[key]);
    expect(l.node.startsWith(PREFIX)).toBe(true);
    expect(l.chain.toLowerCase().startsWith(PREFIX)).toBe(true);
    expect([l.pod4, l.pod6]).toEqual(['10.244.3.0/24', 'fd10:244:3::/64']);
  });

  it.each([-1, 8, 1.5])('refuses slot %p', (slot) => {
    expect(() => slotLayout(slot)).toThrow(/slot must be 0\.\.7/);
  });
});

describe('podAddresses and hostNames', () => {
  it('puts host i in both pod ranges and names its links within 15 characters', () => {
    expect(podAddresses(l, 0)).toEqual({ ipv4: '10.244.3.10', ipv6: 'fd10:244:3::a' });
    expect(podAddresses(l, MAX_HOSTS - 1)).toEqual({ ipv4: '10.244.3.249', ipv6: 'fd10:244:3::f9' });
    // Canonical text (the enforcer matches addresses as strings): no uncompressed zero group.
    expect(podAddresses(slotLayout(0), 0).ipv6).toBe('fd10:244::a');
    expect(slotLayout(0).pod6).toBe('fd10:244::/64');
    const names = hostNames(l, MAX_HOSTS - 1);
    expect(names.hostLink.length).toBeLessThanOrEqual(15);
    expect(names.podLink.length).toBeLessThanOrEqual(15);
    expect(() => podAddresses(l, MAX_HOSTS)).toThrow(/host index/);
  });
});

describe('hostUp', () => {
  const pod = hostUp(l, { index: 2, addresses: { ipv4: ['10.244.3.12'], ipv6: ['fd10:244:3::c'] } });
  const text = pod.map((c) => c.join(' '));

  it('routes the host in the slot table only and never changes a global sysctl', () => {
    expect(text).toContain('ip route add 10.244.3.12/32 dev bhdp3h2 table 7803');
    expect(text).toContain('ip -6 route add fd10:244:3::c/128 dev bhdp3h2 table 7803');
    const sysctls = pod.filter((c) => c.includes('sysctl') || c[0] === 'sysctl').map((c) => c[c.length - 1] ?? '');
    expect(sysctls.length).toBeGreaterThan(0);
    for (const s of sysctls) expect(s).not.toMatch(/\.(all|default)\./);
  });

  it('adds policy rules only for hosts outside the pod ranges', () => {
    expect(text.filter((c) => c.includes(' rule '))).toEqual([]);
    const outside = hostUp(l, { index: 5, addresses: { ipv4: ['203.0.113.10'], ipv6: [] } }).map((c) => c.join(' '));
    expect(outside).toContain('ip rule add iif bhdp3h5 lookup 7803 pref 7803');
    // A host with IPv6 addresses only is outside too (its replies must be routed by the slot's table).
    const v6only = hostUp(l, { index: 6, addresses: { ipv4: [], ipv6: ['2001:db8:bad::10'] } }).map((c) => c.join(' '));
    expect(v6only).toContain('ip -6 rule add iif bhdp3h6 lookup 7803 pref 7803');
    // So is a host with an IPv4 address in the pod range but an IPv6 one outside.
    const mixed = hostUp(l, { index: 7, addresses: { ipv4: [l.pod4.replace(/0\/24$/, '77')], ipv6: ['2001:db8::77'] } }).map((c) => c.join(' '));
    expect(mixed).toContain('ip rule add iif bhdp3h7 lookup 7803 pref 7803');
  });

  it('is undone by hostDown', () => {
    expect(hostDown(l, 2).map((c) => c.join(' '))).toContain('ip netns del bhdp3-2');
  });
});

describe('slotUp', () => {
  const text = slotUp(l).map((c) => c.join(' '));

  it('blackholes what the slot table does not route, in both families', () => {
    expect(text).toContain('ip route add blackhole default table 7803');
    expect(text).toContain('ip -6 route add blackhole default table 7803');
  });

  it('queues new connections without bypass, so nothing passes while no enforcer reads the queue', () => {
    const queue = text.filter((c) => c.includes('NFQUEUE'));
    expect(queue).toHaveLength(2);
    for (const q of queue) expect(q).not.toContain('bypass');
  });

  it('marks every rule outside its own chain with the slot comment', () => {
    const outside = slotUp(l).filter((c) => c[0]?.includes('iptables') === true && !c.includes('-N') && c[2] !== l.chain);
    for (const c of outside) expect(c.join(' ')).toContain(`--comment ${l.comment}`);
  });
});

describe('slotRuleDeletions', () => {
  const saved = [
    '*filter',
    ':FORWARD ACCEPT [0:0]',
    '-A FORWARD -d 10.244.3.0/24 -m comment --comment "bhdp:3" -j BHDP3',
    '-A FORWARD -d 10.244.4.0/24 -m comment --comment "bhdp:4" -j BHDP4',
    '-A FORWARD -j DOCKER-USER',
    'COMMIT',
    '*mangle',
    '-A POSTROUTING -s 10.244.3.0/24 -m comment --comment "bhdp:3" -m connlabel --label "28" --set',
    'COMMIT',
  ].join('\n');

  it('deletes the slot rules of every table and nothing else', () => {
    expect(slotRuleDeletions(l, 'iptables-legacy', saved).map((c) => c.join(' '))).toEqual([
      'iptables-legacy -t filter -D FORWARD -d 10.244.3.0/24 -m comment --comment bhdp:3 -j BHDP3',
      'iptables-legacy -t mangle -D POSTROUTING -s 10.244.3.0/24 -m comment --comment bhdp:3 -m connlabel --label 28 --set',
    ]);
  });

  it('splits quoted arguments', () => {
    expect(splitRule('A -m comment --comment "a b" -j X')).toEqual(['A', '-m', 'comment', '--comment', 'a b', '-j', 'X']);
  });

  it('slotDown removes the chain and the routes', () => {
    const text = slotDown(l).map((c) => c.join(' '));
    expect(text).toContain('iptables-legacy -X BHDP3');
    expect(text).toContain('ip route flush table 7803');
  });
});
