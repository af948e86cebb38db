import { describe, expect, it } from '@jest/globals';
import { renderKubeconfig } from './kubeconfig.js';

describe('renderKubeconfig', () => {
  it('writes one cluster, user and current context with quoted scalars', () => {
    const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', user: 'alice', cluster: 'bulkhead-local', caData: 'Q0E=', certData: 'Q0VSVA==', keyData: 'S0VZ' });
    expect(text).toContain('    server: "https://127.0.0.1:6443"');
    expect(text).toContain('    client-certificate-data: "Q0VSVA=="');
    expect(text).toContain('current-context: "alice@bulkhead-local"');
  });
});
