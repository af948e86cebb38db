// `make bench`: every benchmark, each reporting ratios measured within one run.
import { runAnalysisBench } from './analysis.js';
import { runCacheBench } from './cache.js';
import { runConvergenceBench } from './convergence.js';
import { runDataplaneBench } from './dataplane.js';
import { runScaleBench } from './scale.js';
import { runThreatFeedBench } from './threatfeed.js';

// Every benchmark returns a promise of its report (the analysis and cache ones wait for their child
// processes); one after the other, so that none measures another's load.
for (const bench of [runAnalysisBench, runCacheBench, runConvergenceBench, runScaleBench, runThreatFeedBench, runDataplaneBench]) {
  const report = await bench();
  process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
}
