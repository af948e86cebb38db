// A child for child-memory.test.ts that never reports: the case `exit` exits at once with 3, any
// other case stays alive without a word.
if (process.argv.includes('exit')) process.exit(3);
setInterval(() => {}, 1000);
