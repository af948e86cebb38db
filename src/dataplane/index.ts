// The local dataplane: pods as network namespaces, enforced by kube-network-policies. See
// docs/dataplane.md.
//
// Contract: like src/devcluster, this folder imports only node: modules, src/devcluster and its own
// files, so the test harness can load it outside jest and the CLI without the Kubernetes client.
export { Dataplane, sweepSlot, sweepSlots } from './dataplane.js';
export type { HostRecord, OutsideSpec, PodSpec, ProbeOptions, ProbeResult, SlotState, StartOptions } from './dataplane.js';
export type { ProbeAnswer, Protocol } from './agent.js';
export { findEnforcer } from './enforcer-binary.js';
export { PREFIX, RUN_DIR, slotLayout } from './layout.js';
export type { PodPort } from './kube.js';
export { openWindow, probeLoop } from './probe-loop.js';
export type { Attempt, ProbeLoop } from './probe-loop.js';
