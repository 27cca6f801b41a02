#!/usr/bin/env node
// Entry point of the `mailflow` command. The TypeScript build (npm run build, run by npm ci/install
// through "prepare") writes dist/; this file only loads it.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
