// `mailflow gateway [--config FILE] [--data-dir DIR]`: runs the mail gateway until SIGTERM or SIGINT, then
// shuts down gracefully (the queue is kept). Without --config it runs on the embedded defaults. A thin layer:
// the work is in src/gateway/main.ts.

import type { Command } from 'commander';
import { defaultConfig, formatConfigError, loadConfigFile, type MailflowConfig } from '../../config/index.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { createLogger, type GatewayLogger } from '../../gateway/process/log.js';
import { GatewayFileError } from '../../gateway/process/settings.js';
import { DkimSigningConfigError } from '../../gateway/signing/dkim-signing.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../output.js';

interface GatewayCliOptions {
  config?: string;
  dataDir?: string;
}

function loadConfig(file: string | undefined, io: CliIO): MailflowConfig {
  if (file === undefined) return defaultConfig();
  const result = loadConfigFile(file);
  if (result.ok) return result.config;
  io.stderr(result.errors.map((e) => `${formatConfigError(e, file)}\n`).join(''));
  throw new UsageError('config-invalid', `${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'} (mailflow config check ${file})`);
}

/** What a newcomer needs, in the log: the generated passwords and the command that sends a first message. */
function announce(gateway: RunningGateway, logger: GatewayLogger): void {
  for (const secret of gateway.generatedPasswords) {
    logger.log('info', 'account-password', {
      username: secret.username, password: secret.password, file: secret.file,
      message: `${secret.created ? 'generated' : 'kept'} password for ${secret.username}: ${secret.password} (in ${secret.file})`,
    });
  }
  logger.log('info', 'ready', {
    dataDir: gateway.dataDir,
    ...(gateway.firstMessageCommand === undefined ? {} : { firstMessage: gateway.firstMessageCommand }),
    message: gateway.firstMessageCommand === undefined ? 'gateway running' : `send your first message: ${gateway.firstMessageCommand}`,
  });
}

/** Resolves on the first SIGTERM or SIGINT; a second one ends the process at once. */
function stopSignal(logger: GatewayLogger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.log('info', 'signal', { signal });
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      const force = () => process.exit(130);
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Registers `mailflow gateway` on the program. */
export function registerGatewayCommands(program: Command, io: CliIO): void {
  program
    .command('gateway')
    .description('run the mail gateway: SMTP listeners, durable queue, delivery (embedded defaults without --config)')
    .option('--config <file>', 'YAML config file (see mailflow config schema)')
    .option('--data-dir <dir>', 'data directory: queue, Maildir, certificate, passwords (default: dataDir from the config, ./data)')
    .action(async (options: GatewayCliOptions) => {
      const config = loadConfig(options.config, io);
      // A log reader that went away (a closed pipe) must not take the gateway, and the mail in it, down.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
      });
      const format = config.log.format === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : config.log.format;
      const logger = createLogger({ format, level: config.log.level, write: (line) => io.stdout(line), batch: true });
      const stopped = stopSignal(logger);
      let gateway: RunningGateway;
      try {
        gateway = await startGateway({ config, logger, ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }) });
      } catch (error) {
        // A file the config names that cannot be used is the configuration's fault: exit 2 with its message.
        if (error instanceof GatewayFileError || error instanceof DkimSigningConfigError) throw new UsageError(error instanceof GatewayFileError ? error.code : 'dkim-signing-key', error.message);
        throw error;
      }
      announce(gateway, logger);
      await stopped;
      await gateway.stop();
    });
}
