// Values of the provider annotations that must be accepted and refused: the unit tests check them
// against the zod rules, e2e/security/identity.test.ts against the CRD's CEL rules on the API server.

/** [annotation key, value] pairs each provider accepts. */
export const VALID: [string, string][] = [
  ['eks.amazonaws.com/role-arn', 'arn:aws:iam::123456789012:role/fraud-model'],
  ['eks.amazonaws.com/role-arn', 'arn:aws:iam::123456789012:role/team/ml/model-reader'],
  ['eks.amazonaws.com/role-arn', 'arn:aws-us-gov:iam::123456789012:role/model'],
  ['eks.amazonaws.com/role-arn', 'arn:aws-cn:iam::123456789012:role/a+b=c,d.e@f_g-h'],
  ['iam.gke.io/gcp-service-account', 'vllm-serving@ml-project.iam.gserviceaccount.com'],
  ['iam.gke.io/gcp-service-account', 'reader@my-project.example.com.iam.gserviceaccount.com'],
  ['iam.gke.io/gcp-service-account', '123456789012-compute@developer.gserviceaccount.com'],
  ['azure.workload.identity/client-id', '12345678-1234-1234-1234-123456789abc'],
  ['azure.workload.identity/tenant-id', 'ABCDEF01-2345-6789-ABCD-EF0123456789'],
];

/** [annotation key, value] pairs that must be refused, by name. */
export const INVALID: [string, string][] = [
  ['eks.amazonaws.com/role-arn', 'fraud-model'],
  ['eks.amazonaws.com/role-arn', 'arn:aws:iam::1234:role/model'],
  ['eks.amazonaws.com/role-arn', 'arn:aws:iam::123456789012:user/alice'],
  ['eks.amazonaws.com/role-arn', 'arn:aws:iam::123456789012:role/'],
  ['eks.amazonaws.com/role-arn', `arn:aws:iam::123456789012:role/${'r'.repeat(65)}`],
  ['iam.gke.io/gcp-service-account', 'vllm'],
  ['iam.gke.io/gcp-service-account', 'vllm@ml-project'],
  ['iam.gke.io/gcp-service-account', 'llm@ml-project.iam.gserviceaccount.com'],
  ['iam.gke.io/gcp-service-account', 'Reader@ml-project.iam.gserviceaccount.com'],
  ['azure.workload.identity/client-id', 'my-app'],
  ['azure.workload.identity/client-id', '12345678-1234-1234-1234-123456789ab'],
  ['azure.workload.identity/tenant-id', 'contoso.onmicrosoft.com'],
];

