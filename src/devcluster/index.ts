// The local control plane: etcd + kube-apiserver + kube-controller-manager built from source and
// started on loopback. See docs/control-plane.md.
//
// Contract: src/devcluster imports only node: modules and its own files. jest's global setup
// transpiles this folder alone (e2e/harness/global-setup.ts) and runs it outside jest.
export { DevCluster, sweepStaleClusters, CLUSTER_FILES } from './cluster.js';
export type { ClusterState, Component, ProcessInfo, StartOptions } from './cluster.js';
export { parseAuditLog, writesByUser, AUDIT_POLICY } from './audit.js';
export type { AuditEvent } from './audit.js';
export { findBinaries, binariesIn, repoRoot, runBuildScript } from './binaries.js';
export type { ControlPlaneBinaries } from './binaries.js';
export { CONTROLLERS } from './flags.js';
export { request } from './http.js';
export type { ClientTls, HttpResponse } from './http.js';
export { isRunning, spawnDetached, terminate, rssBytes, cpuSeconds } from './processes.js';
