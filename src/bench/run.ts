// `make bench`: every benchmark, each reporting ratios measured within one run.
import { runAnalysisBench } from './analysis.js';
import { runConvergenceBench } from './convergence.js';

// The analysis benchmark is synchronous and the convergence one is not; await takes both.
for (const bench of [runAnalysisBench, runConvergenceBench]) {
  const report = await bench();
  process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
}
