// Live overlaps: pods that the selectors of two segments both match, of this AIWorkload or of
// another one in its namespace. NetworkPolicies add up, so such a pod gets the rules of both; the
// Overlapping condition names it, and the exposure of the narrower segment shows what it gained.
// Pure.
import { selectorMatches } from '../analysis/selectors.js';
import type { Labels } from '../api/kubernetes.js';
import type { LabelSelector } from '../api/schema.js';

export interface SegmentRef {
  workload: string;
  component: string;
  selector: LabelSelector;
}

export interface PodLabels {
  name: string;
  labels: Labels;
}

/** Pods named in the message; the rest are counted. */
export const MAX_NAMED_OVERLAPS = 5;

/** A pod of the namespace and the segments whose selectors match it (two or more, at least one `ours`). */
export interface PodOverlap {
  pod: string;
  segments: SegmentRef[];
}

/** podOverlaps lists the pods in two or more segments, at least one of them `ours`, by pod name. */
export function podOverlaps(ours: readonly SegmentRef[], others: readonly SegmentRef[], pods: readonly PodLabels[]): PodOverlap[] {
  const out: PodOverlap[] = [];
  for (const pod of [...pods].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const mine = ours.filter((s) => selectorMatches(s.selector, pod.labels));
    if (mine.length === 0) continue;
    const all = [...mine, ...others.filter((s) => selectorMatches(s.selector, pod.labels))];
    if (all.length >= 2) out.push({ pod: pod.name, segments: all });
  }
  return out;
}

/**
 * overlapMessages lists the pods of the namespace in two or more segments, at least one of them
 * `ours` (this AIWorkload's): `pod data-0 is in segments w/data and w/pipeline`.
 */
export function overlapMessages(ours: readonly SegmentRef[], others: readonly SegmentRef[], pods: readonly PodLabels[]): string[] {
  const lines = podOverlaps(ours, others, pods).map((o) => `pod ${o.pod} is in segments ${o.segments.map((s) => `${s.workload}/${s.component}`).join(' and ')}`);
  if (lines.length <= MAX_NAMED_OVERLAPS) return lines;
  return [...lines.slice(0, MAX_NAMED_OVERLAPS), `and ${lines.length - MAX_NAMED_OVERLAPS} more pod(s) in several segments`];
}
