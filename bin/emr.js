#!/usr/bin/env node
// The only place that sets the process exit code (CLI.md § Exit codes).
import { main } from '../dist/cli.js';

process.on('SIGPIPE', () => process.exit(0));
const code = await main(process.argv.slice(2));
process.exitCode = code;
