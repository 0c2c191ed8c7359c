#!/usr/bin/env node
// The only place that sets the process exit code (docs/CLI.md § Exit codes).
import { main } from '../dist/bundle/cli.js';

// A reader that closes the pipe early (`emr … | head`) is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// The command is over and its output written: a socket some server kept alive must not keep
// the process waiting (a batch job would hang). Exit once stdout has drained.
const finish = () => process.exit(code);
if (process.stdout.writableLength > 0) process.stdout.once('drain', finish);
else finish();
