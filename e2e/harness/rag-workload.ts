// The small AIWorkload the exposure, alert and report suites expose: `rag` with a gateway `api`
// and a VectorStore `vectors` (port 8080 each, api -> vectors declared), selected by `app: api`
// and `app: vectors`, whose segments run under `rag-api` and `rag-vectors`.

export function ragWorkload(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'AIWorkload',
    metadata: { name: 'rag', namespace },
    spec: {
      components: [
        { name: 'api', role: 'Gateway', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 8080 }] },
        { name: 'vectors', role: 'VectorStore', selector: { matchLabels: { app: 'vectors' } }, ports: [{ name: 'http', port: 8080 }] },
      ],
      flows: [{ from: 'api', to: 'vectors', ports: ['http'] }],
    },
  };
}
