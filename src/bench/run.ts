// `make bench`: every benchmark, each reporting ratios measured within one run.
import { runAnalysisBench } from './analysis.js';

const report = await runAnalysisBench();
process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);
