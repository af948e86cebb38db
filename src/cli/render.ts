// `bulkhead render -f FILE`: everything an AIWorkload generates, offline and deterministic, for GitOps
// review and CI diffs. AIWorkloads in the same file resolve each other as workload peers.
import { compile } from '../compile/compile.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import type { GeneratedObject } from '../compile/objects.js';
import { toYamlStream } from '../compile/render.js';
import { HELP } from './flag-table.js';
import type { CliIO } from './main.js';
import { loadWorkloadFiles, parseWorkloadFileArgs } from './workload-files.js';

const USAGE = 'Usage: bulkhead render -f FILE [-f FILE...] [-n NAMESPACE]\n  FILE may be - for standard input.\n';

export async function runRender(argv: string[], io: CliIO): Promise<number> {
  const args = parseWorkloadFileArgs(argv, (arg) => `unknown flag ${arg}`);
  if (typeof args !== 'object') {
    if (args !== HELP) io.stderr(`bulkhead render: ${args}\n`);
    io.stderr(USAGE);
    return args === HELP ? 0 : 2;
  }
  const { workloads, errors } = await loadWorkloadFiles(args.files, args.namespace);
  for (const e of errors) io.stderr(`bulkhead render: ${e}\n`);
  if (errors.length > 0) return 1;
  const facts = { platform: DEFAULT_PLATFORM, workloads: new Map(workloads.map((w) => [`${w.namespace}/${w.name}`, w])) };
  const objects: GeneratedObject[] = [];
  for (const w of workloads) {
    const result = compile(w, facts);
    objects.push(...result.objects);
    for (const c of result.components) {
      for (const p of [...c.unresolvedPeers, ...c.consentPending]) {
        io.stderr(`note: ${w.namespace}/${w.name} component ${c.name}: no rule for ${p.peer}: ${p.message}\n`);
      }
    }
  }
  io.stdout(toYamlStream(objects));
  return 0;
}
