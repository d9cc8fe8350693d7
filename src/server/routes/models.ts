/**
 * The model registry over the API: the models and the default (anyone signed
 * in); retraining with the corrections in a worker thread, promotion behind
 * the guard, and rollback (admins). The embedded mode's: on the cluster the
 * workers classify with their own `--model`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Piscina } from 'piscina';
import { z } from 'zod';
import type { AuditLog } from '../../auth/index.js';
import { DEFAULT_MARGIN, type Comparison, type Verdict } from '../../models/guard.js';
import { ModelRegistry, type RegisteredModel } from '../../models/registry.js';
import { WORKER } from '../jobs.js';
import type { ModelTask } from '../worker.js';
import { ErrorBody, HttpError } from './errors.js';

export interface ModelRoutesOptions {
  dataDir: string;
  /** Where the training data is (`--training-data`); retraining is refused without it. */
  trainingData: string | undefined;
  audit: AuditLog;
  /** False on the cluster: the registry is the embedded mode's. */
  embedded: boolean;
}

/** The last retraining this server started. */
interface Training {
  status: 'idle' | 'training' | 'done' | 'failed';
  startedAt?: string;
  finishedAt?: string;
  model?: string;
  verdict?: Verdict;
  error?: string;
}

const ModelId = z.object({ id: z.string().regex(/^[\w-]+$/) });
const Registry = z.object({
  current: z.string(),
  history: z.array(z.string()),
  models: z.array(z.custom<RegisteredModel>()),
  training: z.custom<Training>(),
  canTrain: z.boolean(),
});

export const modelRoutes: FastifyPluginAsyncZod<ModelRoutesOptions> = async (app, options) => {
  const registry = new ModelRegistry(options.dataDir);
  // One model at a time, on a thread of its own: training takes minutes on the full data.
  const pool = new Piscina({ filename: WORKER, name: 'retrainModel', maxThreads: 1, minThreads: 0, idleTimeout: 10_000 });
  app.addHook('onClose', async () => pool.destroy());
  const training: Training = { status: 'idle' };
  const task = (): ModelTask => ({ dataDir: options.dataDir, trainingData: options.trainingData, margin: DEFAULT_MARGIN });
  const view = () => {
    const { models, current, history } = registry.list();
    return { current: current ?? 'shipped', history, models, training, canTrain: options.embedded && options.trainingData !== undefined };
  };
  const embeddedOnly = () => {
    if (!options.embedded) throw new HttpError(409, 'on the cluster, train with fmc models train --database-url and give the workers the model with fmc worker --model');
  };
  const admin = { access: 'admin' as const };

  app.get('/api/models', { config: { access: 'viewer' }, schema: { tags: ['models'], summary: 'the registered models with their evaluation, the default (`shipped` for the one in the package), and the last retraining', response: { 200: Registry } } }, async () => view());

  app.post(
    '/api/models/train',
    { config: admin, schema: { tags: ['models'], summary: 'retrain (admin) on the training data plus the corrections, in a worker thread; the model is registered with its comparison to the default, not promoted', response: { 202: Registry, 409: ErrorBody } } },
    async (request, reply) => {
      embeddedOnly();
      const trainingData = options.trainingData;
      if (trainingData === undefined) throw new HttpError(409, 'this server has no training data: start it with --training-data DIR (train.jsonl, and paraphrases.jsonl, synthetic.jsonl, dev.jsonl when there are)');
      if (training.status === 'training') throw new HttpError(409, `a retraining is going since ${training.startedAt}`);
      Object.assign(training, { status: 'training', startedAt: new Date().toISOString(), finishedAt: undefined, model: undefined, verdict: undefined, error: undefined });
      await options.audit.record({ actor: request.principal?.name ?? 'anonymous', action: 'model.train', ip: request.ip });
      pool
        .run({ ...task(), trainingData }, { name: 'retrainModel' })
        .then(
          (result: { model: RegisteredModel; verdict: Verdict }) => Object.assign(training, { status: 'done', model: result.model.id, verdict: result.verdict }),
          (error: unknown) => Object.assign(training, { status: 'failed', error: error instanceof Error ? error.message : String(error) }),
        )
        .finally(() => (training.finishedAt = new Date().toISOString()));
      return reply.code(202).send(view());
    },
  );

  app.post(
    '/api/models/:id/promote',
    {
      config: admin,
      schema: {
        tags: ['models'],
        summary: 'make a model the default (admin) if it does not regress beyond the margin on the held-out corrections and dev against the current default; `force` promotes anyway (audited)',
        params: ModelId,
        body: z.object({ force: z.boolean().default(false) }).default({ force: false }),
        response: { 200: Registry.extend({ comparisons: z.custom<Comparison[]>(), verdict: z.custom<Verdict>() }), 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      embeddedOnly();
      const { id } = request.params;
      if (!registry.list().models.some((model) => model.id === id)) throw new HttpError(404, `no model ${id}`);
      const judged = (await pool.run({ ...task(), id }, { name: 'judgeModel' })) as { comparisons: Comparison[]; verdict: Verdict };
      if (!judged.verdict.promotable && !request.body.force) throw new HttpError(409, `${id} is not promoted: ${judged.verdict.reason}`);
      registry.promote(id);
      await options.audit.record({ actor: request.principal?.name ?? 'anonymous', action: 'model.promote', target: id, ip: request.ip, detail: judged.verdict.promotable ? judged.verdict.reason : `forced: ${judged.verdict.reason}` });
      return { ...view(), ...judged };
    },
  );

  app.post('/api/models/rollback', { config: admin, schema: { tags: ['models'], summary: 'the default before the last promotion becomes the default again (admin)', response: { 200: Registry, 409: ErrorBody } } }, async (request) => {
    embeddedOnly();
    if (registry.list().current === undefined) throw new HttpError(409, 'nothing to roll back: the shipped model is the default');
    const back = registry.rollback();
    await options.audit.record({ actor: request.principal?.name ?? 'anonymous', action: 'model.rollback', target: back ?? 'shipped', ip: request.ip });
    return view();
  });
};
