// Locates the enforcer: $BULKHEAD_ENFORCER, or what hack/build-enforcer.sh prints (it builds
// sigs.k8s.io/kube-network-policies from the Go module proxy once, then answers from its cache).
import { runBuildScript } from '../devcluster/index.js';

export async function findEnforcer(): Promise<string> {
  const fromEnv = process.env['BULKHEAD_ENFORCER'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return runBuildScript('build-enforcer.sh');
}
