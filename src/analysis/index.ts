// The public surface of the reachability analysis (pure: no I/O, no cluster client).
export { analyze, analyzeClasses, type ClassAnalysis } from './analyze.js';
export { analyzeNaive } from './naive.js';
export { ConnSet, PROTOCOLS, type Protocol, type PortInterval } from './connections.js';
export { connectivityJson, formatConnlist, type Connection, type ConnectionJson, type Connectivity } from './connectivity.js';
export { explainPair, findPeer, formatPairExplanation, type PairExplanation } from './explain-pair.js';
export { findExposure, findExposures, type DeclaredIngress, type ExposureFinding, type Segment } from './exposure.js';
export { addObject, emptyFacts, ManifestError, parseManifests, type MutableFacts } from './manifests.js';
export { buildModel, type Model, type PeerInfo } from './model.js';
export { DEFAULT_OPTIONS, type AnalysisOptions, type ClusterFacts } from './types.js';
