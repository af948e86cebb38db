// `make bench`: every benchmark, each reporting ratios measured within one run.
import { runAnalysisBench } from './analysis.js';
import { runCacheBench } from './cache.js';
import { runConvergenceBench } from './convergence.js';
import { runDataplaneBench } from './dataplane.js';
import { runScaleBench } from './scale.js';

// The analysis and cache benchmarks are synchronous and the convergence one is not; await takes all.
for (const bench of [runAnalysisBench, runCacheBench, runConvergenceBench, runScaleBench, runDataplaneBench]) {
  const report = await bench();
  process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
}
