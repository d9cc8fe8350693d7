/**
 * `fmc models`: the model registry of the data directory. `train` retrains
 * with the corrections and registers the model with its comparison to the
 * default; `promote` makes a model the default if the guard allows it;
 * `rollback` returns to the one before.
 */
import { z } from 'zod';
import { AuditLog } from '../auth/index.js';
import { loadConfig } from '../config/index.js';
import { comparisonTable, DEFAULT_MARGIN, type Comparison } from '../models/guard.js';
import { ModelRegistry } from '../models/registry.js';
import { judge, retrain, trainingSources } from '../models/retrain.js';
import { resolveDataDir } from '../store/index.js';
import { CLI_ACTOR, DataDir, withStore } from './accounts.js';
import { UsageError } from './errors.js';

const Margin = z.coerce.number().min(0).max(1).default(DEFAULT_MARGIN);
const ListOptions = DataDir.extend({ json: z.boolean().default(false) });
const TrainOptions = DataDir.extend({ trainingData: z.string().min(1), promote: z.boolean().default(false), margin: Margin });
const PromoteOptions = DataDir.extend({ trainingData: z.string().min(1).optional(), force: z.boolean().default(false), margin: Margin });

function registryOf(options: z.infer<typeof DataDir>): ModelRegistry {
  return new ModelRegistry(resolveDataDir(loadConfig({ flags: { dataDir: options.dataDir } }).dataDir));
}

const say = (message: string): void => void process.stderr.write(`${message}\n`);

/** The side-by-side figures on standard output, when there is any set to show. */
function printComparisons(comparisons: readonly Comparison[]): void {
  if (comparisons.length > 0) process.stdout.write(`${comparisonTable(comparisons)}\n`);
}

export async function modelsListCommand(rawOptions: unknown): Promise<void> {
  const options = ListOptions.parse(rawOptions);
  const registry = registryOf(options);
  const { models, current, history } = registry.list();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ current: current ?? 'shipped', history, models })}\n`);
    return;
  }
  const lines = [`${current === undefined ? '* ' : '  '}shipped (models/default.fmcmodel)`];
  for (const model of models) {
    const heldOut = model.evaluation.find((comparison) => comparison.set === 'held-out corrections');
    const figures = heldOut === undefined ? '' : ` · held-out corrections ${heldOut.examples}: ${heldOut.current.meanMacroF1} → ${heldOut.candidate.meanMacroF1}`;
    lines.push(`${model.id === current ? '* ' : '  '}${model.id} · ${model.createdAt.slice(0, 16).replace('T', ' ')} · ${String(model.trainedOn.corrections)} corrections${figures}`);
  }
  process.stdout.write(`${lines.join('\n')}\n(* the default)\n`);
}

async function promote(options: z.infer<typeof PromoteOptions>, id: string): Promise<void> {
  const registry = registryOf(options);
  await withStore(options, async (sql) => {
    const dev = options.trainingData === undefined ? undefined : trainingSources(options.trainingData).dev;
    const { comparisons, verdict } = await judge(sql, registry, registry.pathOf(registry.get(id).id), dev, options.margin);
    printComparisons(comparisons);
    if (!verdict.promotable && !options.force) throw new UsageError(`${id} is not promoted: ${verdict.reason} (--force promotes it anyway)`);
    registry.promote(id);
    await new AuditLog(sql).record({ actor: CLI_ACTOR, action: 'model.promote', target: id, detail: verdict.promotable ? verdict.reason : `forced: ${verdict.reason}` });
    say(`${id} is the default model: new runs classify with it${verdict.promotable ? '' : ' (forced)'}`);
  });
}

export async function modelsTrainCommand(rawOptions: unknown): Promise<void> {
  const options = TrainOptions.parse(rawOptions);
  const registry = registryOf(options);
  const trained = await withStore(options, async (sql) => {
    const result = await retrain(sql, registry, { trainingData: options.trainingData, margin: options.margin, say });
    await new AuditLog(sql).record({ actor: CLI_ACTOR, action: 'model.train', target: result.model.id });
    return result;
  });
  printComparisons(trained.model.evaluation);
  say(`${trained.model.id} registered; ${trained.verdict.promotable ? 'promotable' : 'not promotable'}: ${trained.verdict.reason}`);
  if (options.promote) await promote({ ...options, force: false }, trained.model.id);
}

export async function modelsPromoteCommand(id: string, rawOptions: unknown): Promise<void> {
  await promote(PromoteOptions.parse(rawOptions), id);
}

export async function modelsRollbackCommand(rawOptions: unknown): Promise<void> {
  const options = DataDir.parse(rawOptions);
  const registry = registryOf(options);
  await withStore(options, async (sql) => {
    const back = registry.rollback();
    await new AuditLog(sql).record({ actor: CLI_ACTOR, action: 'model.rollback', target: back ?? 'shipped' });
    say(`the default model is ${back ?? 'the shipped one'} again: new runs classify with it`);
  });
}
