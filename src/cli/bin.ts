// Runs the CLI from source (node --import tsx src/cli/bin.ts …): what the end-to-end tests spawn, so they
// exercise the current sources. The installed command is bin/mailflow.js, which loads the build.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
