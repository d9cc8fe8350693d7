/** `fmc serve`: the API and the web app until Ctrl-C. */
import { z } from 'zod';
import { loadConfig } from '../config/index.js';
import { startServer } from '../server/index.js';
import { LOG_LEVELS } from '../server/logging.js';
import { resolveDataDir } from '../store/index.js';
import { configFlags, SettingsFlags } from './settings.js';

const ServeOptions = SettingsFlags.extend({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  model: z.string().min(1).optional(),
  token: z.string().min(8, 'an API token needs at least 8 characters').optional(),
  threads: z.coerce.number().int().min(1).max(16),
  maxUploadMb: z.coerce.number().positive(),
  rateLimit: z.coerce.number().int().positive(),
  logLevel: z.enum(LOG_LEVELS),
  logFile: z.string().min(1).optional(),
});

export async function serveCommand(rawOptions: unknown): Promise<void> {
  const options = ServeOptions.parse({ token: process.env.FMC_API_TOKEN || undefined, ...(rawOptions as object) });
  const config = loadConfig({ flags: configFlags(options) });
  const dataDir = resolveDataDir(config.dataDir);
  const app = await startServer({
    port: options.port,
    host: options.host,
    dataDir,
    config,
    modelPath: options.model,
    apiToken: options.token,
    threads: options.threads,
    maxUploadBytes: options.maxUploadMb * 2 ** 20,
    rateLimitPerMinute: options.rateLimit,
    log: { level: options.logLevel, file: options.logFile, pretty: options.logFile === undefined && process.stdout.isTTY === true },
  });
  const address = app.server.address();
  const url = typeof address === 'object' && address !== null ? `http://${options.host}:${address.port}` : String(address);
  process.stderr.write(`FreeMobilaChat on ${url} (API documentation: ${url}/docs; data in ${dataDir}${options.token === undefined ? '' : '; API token required'})\n`);
}
