// The hostile table (e2e/security/hostile-cases.ts) against the schema and validator alone: every
// case is refused, naming its field, by the layer the table says (the zod schema for what the CRD
// refuses, validateSpec's semantic checks for what only the controller can see).
import { describe, expect, it } from '@jest/globals';
import { HOSTILE_CASES, baseSpec } from '../../e2e/security/hostile-cases.js';
import { aiWorkloadSpecSchema } from './schema.js';
import { formatProblems, validateSpec } from './validate.js';

describe('hostile AIWorkloads', () => {
  it('has at least 30 cases, and the base spec is valid', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(30);
    expect(validateSpec(baseSpec())).toMatchObject({ ok: true });
  });

  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = baseSpec();
    c.mutate(spec);
    const schema = aiWorkloadSpecSchema.safeParse(spec);
    if (c.unknownField === true) {
      // zod drops unknown fields; the API server's strict field validation refuses them first.
      expect(schema.success).toBe(true);
      return;
    }
    expect(schema.success).toBe(c.by === 'controller');
    const result = validateSpec(spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatProblems(result.problems)).toContain(c.field);
  });
});
