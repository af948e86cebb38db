// The local control plane: etcd + kube-apiserver + kube-controller-manager built from source and
// started on loopback. See docs/control-plane.md.
export { DevCluster, sweepStaleClusters, CLUSTER_FILES } from './cluster.js';
export type { ClusterState, Component, ProcessInfo, StartOptions } from './cluster.js';
export { parseAuditLog, writesByUser, AUDIT_POLICY } from './audit.js';
export type { AuditEvent } from './audit.js';
export { findBinaries, binariesIn, repoRoot } from './binaries.js';
export type { ControlPlaneBinaries } from './binaries.js';
export { CONTROLLERS } from './flags.js';
