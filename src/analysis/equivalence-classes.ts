// Pods that no policy can tell apart (same namespace, same labels, same named container ports,
// and, where the switches make them matter, the same IP range and hostNetwork flag) form one
// equivalence class, so policies need evaluating once per class rather than once per pod.
import { anyIpIn, type IpInterval } from './ip.js';
import type { Endpoint, Model } from './model.js';
import type { LabelSelector, Labels } from '../api/kubernetes.js';

function labelsKey(l: Labels): string {
  return JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function portsKey(e: Endpoint): string {
  return JSON.stringify(
    [...e.namedPorts.entries()].map(([k, v]) => [k, v.map((p) => `${p.protocol}/${p.port}`).sort()]).sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
  );
}

/** Which of the ipBlocks contain one of the endpoint's IPs, one digit per block. */
function ipBlockSignature(e: Endpoint, ipBlocks: readonly (readonly IpInterval[])[]): string {
  return ipBlocks.map((b) => (anyIpIn(e.ips, b) ? 1 : 0)).join('');
}

/** Two endpoints get the same key exactly when no policy of the model can tell them apart. */
function classKey(e: Endpoint, model: Model, ipBlocks: readonly (readonly IpInterval[])[]): string {
  let key = `${e.namespace}\u0000${labelsKey(e.labels)}\u0000${portsKey(e)}`;
  if (model.options.ipBlockMatchesPods) key += `\u0000${ipBlockSignature(e, ipBlocks)}`;
  if (!model.options.hostNetworkPodsAreOrdinary) key += `\u0000${e.hostNetwork}`;
  return key;
}

/** `classes[i]` is a representative endpoint of class i; `classOf[e]` the class of endpoint e. */
export interface EndpointClasses {
  classes: Endpoint[];
  classOf: number[];
}

/** classifyEndpoints groups the model's endpoints; classes are numbered in order of first member. */
export function classifyEndpoints(model: Model): EndpointClasses {
  const classes: Endpoint[] = [];
  const classOf: number[] = [];
  const byKey = new Map<string, number>();
  // Each distinct set once (policies compiled from the same ipBlock share it): a repeat tells no pods apart.
  const ipBlocks = [...new Set(model.policies.flatMap((p) => [...p.ingressIpBlocks, ...p.egressIpBlocks]))];
  for (const e of model.endpoints) {
    const key = classKey(e, model, ipBlocks);
    let c = byKey.get(key);
    if (c === undefined) {
      c = classes.length;
      classes.push(e);
      byKey.set(key, c);
    }
    classOf.push(c);
  }
  return { classes, classOf };
}

/** The class indices of each namespace, ascending. */
export function classesByNamespace(classes: readonly Endpoint[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  classes.forEach((c, i) => {
    const list = out.get(c.namespace) ?? [];
    list.push(i);
    out.set(c.namespace, list);
  });
  return out;
}

const NO_CLASSES: readonly number[] = [];

/**
 * ClassIndex files the classes of each namespace under each of their labels, so that a selector
 * is tried only on the classes that carry one of its matchLabels (the pair fewest classes carry)
 * instead of on every class of the namespace. A class a selector matches has every pair of its
 * matchLabels, so the candidates are never fewer than the matches; callers still match each one.
 */
export class ClassIndex {
  readonly byNamespace: ReadonlyMap<string, readonly number[]>;
  private readonly byLabel = new Map<string, number[]>();

  constructor(classes: readonly Endpoint[]) {
    this.byNamespace = classesByNamespace(classes);
    classes.forEach((c, i) => {
      for (const [k, v] of Object.entries(c.labels)) {
        if (typeof v !== 'string') continue;
        const key = labelKey(c.namespace, k, v);
        const list = this.byLabel.get(key);
        if (list === undefined) this.byLabel.set(key, [i]);
        else list.push(i);
      }
    });
  }

  /** The classes of namespace `ns`, ascending. */
  inNamespace(ns: string): readonly number[] {
    return this.byNamespace.get(ns) ?? NO_CLASSES;
  }

  /** The classes of `ns` that `sel` may match (absent: all of them), ascending. */
  candidates(ns: string, sel: LabelSelector | undefined): readonly number[] {
    let best = this.inNamespace(ns);
    const required = sel?.matchLabels ?? {};
    for (const [k, v] of Object.entries(required)) {
      // Only label values narrow: a selector built in code may hold anything, and then all are tried.
      if (typeof v !== 'string') continue;
      const list = this.byLabel.get(labelKey(ns, k, v)) ?? NO_CLASSES;
      if (list.length < best.length) best = list;
    }
    return best;
  }
}

function labelKey(ns: string, key: string, value: string): string {
  return `${ns}\u0000${key}\u0000${value}`;
}
