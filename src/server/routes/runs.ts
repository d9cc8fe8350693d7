/** The run API: upload, list, progress (JSON and SSE), tweets, dashboard, export, delete; and synchronous classification. */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../../auth/index.js';
import type { FmcConfig } from '../../config/index.js';
import { InputError, openInput, rowsFromRecords } from '../../ingest/index.js';
import { enforceConsistency, LABEL_NAMES, LABEL_VALUES, type Labels } from '../../labels.js';
import { createBackend, LlmUnavailableError } from '../../llm/index.js';
import { authorOf, MODES, type Mode, type RunStats } from '../../pipeline/index.js';
import { cleanTweet } from '../../clean/index.js';
import { explainWithModel, type Explanation } from '../../classify/explain.js';
import type { Model } from '../../classify/model.js';
import { isErrorRecord } from '../../output/index.js';
import { labelsOf, UPLOADS_DIRECTORY, type RunDashboard, type RunRecord } from '../../store/index.js';
import type { RunQueue, RunReader } from '../backends.js';
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportStream } from '../export.js';
import { ErrorBody, HttpError } from './errors.js';
import type { LiveProgress } from '../jobs.js';

const UPLOAD_EXTENSIONS = new Set(['.csv', '.tsv', '.txt', '.jsonl', '.ndjson', '.json']);
const MAX_SYNC_TWEETS = 1000;

/** An input the API cannot read is the client's error; its message names the API's field, not the CLI's flag. */
function badInput(error: InputError): HttpError {
  return new HttpError(400, error.message.replace('--text-column NAME', 'the textColumn field'));
}

const Record = z.record(z.string(), z.unknown());
const Progress = z.object({
  status: z.enum(['queued', 'running', 'done', 'failed']),
  phase: z.enum(['classify', 'llm', 'write']).optional(),
  rows: z.number(),
  phases: z.record(z.string(), z.object({ done: z.number(), total: z.number().optional() })),
  rowsPerSecond: z.number(),
  etaSeconds: z.number().optional(),
  error: z.string().optional(),
});
const Run = z.object({
  id: z.number(),
  inputName: z.string(),
  inputSha256: z.string().optional(),
  inputBytes: z.number().optional(),
  mode: z.string(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  rows: z.number(),
  storedRows: z.number(),
  /** Counts, label distributions, time per phase, cache and LLM figures. */
  stats: z.custom<RunStats>().optional(),
  problems: z.array(z.string()),
  error: z.string().optional(),
  progress: Progress.optional(),
  /** Who started it (none for runs of the command line, or of an open server). */
  owner: z.string().optional(),
});
const RunId = z.object({ id: z.coerce.number().int().positive() });
const Tweet = z.record(z.string(), z.json());
const TweetsBody = z.object({
  tweets: z.array(Tweet).min(1),
  mode: z.enum(MODES).default('fast'),
  textColumn: z.string().min(1).optional(),
});
const labelFilter = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values).optional();
const TweetsQuery = z.object({
  sentiment: labelFilter(LABEL_VALUES.sentiment),
  is_claim: labelFilter(LABEL_VALUES.is_claim),
  urgence: labelFilter(LABEL_VALUES.urgence),
  topics: labelFilter(LABEL_VALUES.topics),
  incident: labelFilter(LABEL_VALUES.incident),
  label_source: z.enum(['rules+model', 'llm', 'none', 'human']).optional(),
  duplicates: z.enum(['include', 'exclude', 'only']).default('include'),
  q: z.string().max(200).optional(),
  sort: z.enum(['position', 'confidence', 'urgence', 'created_at']).default('position'),
  order: z.enum(['asc', 'desc']).default('asc'),
  page: z.coerce.number().int().positive().default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});

export interface RunRoutesOptions {
  runs: RunReader;
  queue: RunQueue;
  audit: AuditLog;
  dataDir: string;
  config: FmcConfig;
  maxUploadBytes: number;
  postLimitPerMinute: number;
  /** The model explanations are computed with: the default one of the moment. */
  localModel: () => Model;
}

export const runRoutes: FastifyPluginAsyncZod<RunRoutesOptions> = async (app, options) => {
  const { runs, queue, audit } = options;
  const uploads = join(options.dataDir, UPLOADS_DIRECTORY);
  await mkdir(uploads, { recursive: true });
  const postLimit = { rateLimit: { max: options.postLimitPerMinute, timeWindow: 60_000 } };
  const viewer = { access: 'viewer' as const };

  /** A run as the API shows it: the stored record, plus live progress while it runs. */
  async function view(run: RunRecord): Promise<RunRecord & { progress: LiveProgress | undefined }> {
    return { ...run, progress: await queue.progress(run.id) };
  }

  async function runOr404(id: number): Promise<RunRecord> {
    const run = await runs.get(id);
    if (run === undefined) throw new HttpError(404, `no run ${id}`);
    return run;
  }

  /** Saves the uploaded file (or the JSON tweets) under the data directory; returns its path, name and options. */
  async function receive(request: FastifyRequest): Promise<{ path: string; name: string; mode: Mode; textColumn: string | undefined }> {
    if (!request.isMultipart()) {
      const body = TweetsBody.safeParse(request.body);
      if (!body.success) throw new HttpError(400, `invalid body: ${body.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}; send a file as multipart/form-data, or JSON {"tweets": [{"text": …}]}`);
      const path = join(uploads, `${randomUUID()}.jsonl`);
      await writeFile(path, body.data.tweets.map((tweet) => JSON.stringify(tweet)).join('\n') + '\n');
      return { path, name: 'tweets.jsonl', mode: body.data.mode, textColumn: body.data.textColumn };
    }
    let saved: { path: string; name: string } | undefined;
    const fields: Record<string, string> = {};
    try {
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          fields[part.fieldname] = String(part.value);
          continue;
        }
        const extension = extname(part.filename).toLowerCase();
        if (!UPLOAD_EXTENSIONS.has(extension)) {
          part.file.resume();
          throw new HttpError(415, `${part.filename}: unsupported file type; send a .csv, .tsv, .jsonl or .json export`);
        }
        saved = { path: join(uploads, `${randomUUID()}${extension}`), name: part.filename };
        await pipeline(part.file, createWriteStream(saved.path));
      }
    } catch (error) {
      if (saved !== undefined) await rm(saved.path, { force: true });
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new HttpError(413, `file larger than the limit of ${Math.round(options.maxUploadBytes / 2 ** 20)} MB`);
      throw error;
    }
    if (saved === undefined) throw new HttpError(400, 'no file in the upload: send it in a multipart field (e.g. "file")');
    if ((await stat(saved.path)).size === 0) {
      await rm(saved.path, { force: true });
      throw new HttpError(400, `${saved.name}: the file is empty`);
    }
    const mode = z.enum(MODES).safeParse(fields.mode ?? 'fast');
    if (!mode.success) throw new HttpError(400, `mode must be one of ${MODES.join(', ')}`);
    return { ...saved, mode: mode.data, textColumn: fields.textColumn || undefined };
  }

  /** Reads the first record, so a missing text column is a 400 now rather than a failed run later. */
  async function checkColumns(path: string, name: string, textColumn: string | undefined): Promise<void> {
    try {
      const input = await openInput(path, { textColumn, displayName: name });
      for await (const _row of input.rows) break;
    } catch (error) {
      await rm(path, { force: true });
      if (error instanceof InputError) throw badInput(error);
      throw error;
    }
  }

  app.post(
    '/api/runs',
    {
      config: { ...postLimit, access: 'analyst' },
      schema: {
        tags: ['runs'],
        summary: 'start a run on an export (multipart field "file", with optional fields "mode" and "textColumn"), or on JSON {"tweets": […]}',
        consumes: ['multipart/form-data', 'application/json'],
        response: { 202: z.object({ id: z.number(), status: z.string() }), 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!queue.accepting) throw new HttpError(503, 'the server is stopping: send the upload again once it is back');
      const upload = await receive(request);
      await checkColumns(upload.path, upload.name, upload.textColumn);
      if (upload.mode !== 'fast' && queue.usesOwnLlm) {
        try {
          await createBackend(options.config.llm).assertModelAvailable();
        } catch (error) {
          await rm(upload.path, { force: true });
          if (error instanceof LlmUnavailableError) throw new HttpError(503, `${error.message}; mode fast needs no LLM`);
          throw error;
        }
      }
      const owner = request.principal?.via === 'open' ? undefined : request.principal?.name;
      const id = await queue.submit({ ...upload, owner });
      await audit.record({ actor: request.principal?.name ?? 'anonymous', action: 'run.upload', target: `run ${id}`, ip: request.ip, detail: `${upload.name}, mode ${upload.mode}` });
      return reply.code(202).header('location', `/api/runs/${id}`).send({ id, status: 'queued' });
    },
  );

  app.get(
    '/api/runs',
    { config: viewer, schema: { tags: ['runs'], summary: 'past and current runs, newest first', querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }), response: { 200: z.object({ runs: z.array(Run) }) } } },
    async (request) => ({ runs: await Promise.all((await runs.list(request.query.limit)).map(view)) }),
  );

  app.get('/api/runs/:id', { config: viewer, schema: { tags: ['runs'], summary: 'a run: status, progress per phase, summary, and its dashboard once done', params: RunId, response: { 200: Run.extend({ dashboard: z.custom<RunDashboard>().optional() }), 404: ErrorBody } } }, async (request) => {
    const run = await runOr404(request.params.id);
    return { ...(await view(run)), dashboard: run.status === 'done' ? await runs.dashboard(run.id) : undefined };
  });

  app.get('/api/runs/:id/events', { config: viewer, schema: { tags: ['runs'], summary: 'Server-Sent Events: `progress` while the run goes, then `end` with the run; a reconnect (Last-Event-ID, any replica) starts with the current state', params: RunId, response: { 404: ErrorBody } } }, async (request, reply) => {
    const run = await runOr404(request.params.id);
    await streamEvents(request, reply, run.id);
  });

  async function streamEvents(request: FastifyRequest, reply: FastifyReply, id: number): Promise<void> {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Each event carries the rows done as its id. A client that reconnects (to this replica or another) with
    // Last-Event-ID gets the run's current state first, which holds everything it missed.
    let sequence = 0;
    const send = (event: string, data: unknown) => out.write(`id: ${++sequence}-${(data as { rows?: number }).rows ?? 0}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const finish = async () => {
      queue.events.off(`run:${id}`, onProgress);
      const run = await runs.get(id);
      send('end', run === undefined ? { id, status: 'deleted' } : await view(run));
      out.end();
    };
    const onProgress = (progress: LiveProgress) => {
      send('progress', progress);
      if (progress.status === 'done' || progress.status === 'failed') void finish();
    };
    const live = await queue.progress(id);
    if (live === undefined) return finish();
    send('progress', live);
    queue.events.on(`run:${id}`, onProgress);
    request.raw.on('close', () => queue.events.off(`run:${id}`, onProgress));
  }

  app.get('/api/runs/:id/tweets', { config: viewer, schema: { tags: ['runs'], summary: 'the labelled tweets of a run: filter by each KPI, search, sort, paginate', params: RunId, querystring: TweetsQuery, response: { 200: z.object({ total: z.number(), page: z.number(), pageSize: z.number(), items: z.array(Record) }), 404: ErrorBody } } }, async (request) => {
    const run = await runOr404(request.params.id);
    const { q, duplicates, sort, order, page, pageSize, ...filters } = request.query;
    const result = await runs.tweets(run.id, { filters, duplicates, search: q, sort, order, page, pageSize });
    return { total: result.total, page, pageSize, items: result.items.map(({ position, record }) => ({ position, ...record })) };
  });

  app.get(
    '/api/runs/:id/tweets/:position',
    {
      config: viewer,
      schema: {
        tags: ['runs'],
        summary: 'one labelled tweet; with explain=1, why the model labels it so (per label: the features that pushed the chosen value most, recomputed with the server\'s model from the cleaned text)',
        params: RunId.extend({ position: z.coerce.number().int().min(0) }),
        querystring: z.object({ explain: z.enum(['0', '1']).default('0') }),
        response: { 200: z.object({ tweet: Record, explanation: z.custom<Explanation>().optional(), decidedBy: z.string().optional() }), 404: ErrorBody },
      },
    },
    async (request) => {
      const run = await runOr404(request.params.id);
      const tweet = await runs.row(run.id, request.params.position);
      if (tweet === undefined) throw new HttpError(404, `run ${run.id} has no row at position ${request.params.position}`);
      if (request.query.explain === '0' || isErrorRecord(tweet)) return { tweet };
      const explanation = explainWithModel(options.localModel(), { tweet: cleanTweet(String(tweet.text_cleaned ?? '')), author: authorOf(tweet) });
      // Where the LLM's answer replaced the local labels, it decided: the model's view is shown beside it.
      return { tweet, explanation, decidedBy: String(tweet.label_source) };
    },
  );

  const analyst = { access: 'analyst' as const };
  app.patch(
    '/api/runs/:id/tweets/:position',
    {
      config: analyst,
      schema: {
        tags: ['runs'],
        summary: "correct a tweet's labels (analyst): the row shows them with label_source human and confidence 1, in the table and the exports; LABELS.md's rules are applied to the result; the correction is recorded with who and when",
        params: RunId.extend({ position: z.coerce.number().int().min(0) }),
        body: z
          .object({ sentiment: z.enum(LABEL_VALUES.sentiment), is_claim: z.enum(LABEL_VALUES.is_claim), urgence: z.enum(LABEL_VALUES.urgence), topics: z.enum(LABEL_VALUES.topics), incident: z.enum(LABEL_VALUES.incident) })
          .partial()
          .strict()
          .refine((labels) => Object.keys(labels).length > 0, 'give at least one label'),
        response: { 200: z.object({ tweet: Record, before: z.record(z.string(), z.string()) }), 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const run = await runOr404(request.params.id);
      if (run.status !== 'done') throw new HttpError(409, `run ${run.id} is ${run.status}: correct its tweets once it is done`);
      const current = await runs.row(run.id, request.params.position);
      if (current === undefined) throw new HttpError(404, `run ${run.id} has no row at position ${request.params.position}`);
      if (isErrorRecord(current)) throw new HttpError(409, 'this row could not be read: it has no labels to correct');
      // The labels asked for over the row's, then LABELS.md's rules (a claim is never `information` and at least `moyenne`).
      const { confidence: _confidence, ...labels } = enforceConsistency({ ...(labelsOf(current) as Omit<Labels, 'confidence'>), ...request.body, confidence: 1 });
      const correction = await runs.correct(run.id, request.params.position, labels, request.principal?.name ?? 'anonymous');
      if (correction === undefined) throw new HttpError(404, `run ${run.id} has no row at position ${request.params.position}`);
      const changed = LABEL_NAMES.filter((label) => correction.before[label] !== labels[label]).map((label) => `${label}: ${String(correction.before[label])} → ${labels[label]}`);
      await audit.record({ actor: request.principal?.name ?? 'anonymous', action: 'tweet.correct', target: `run ${run.id} row ${request.params.position}`, ip: request.ip, detail: changed.join('; ') || 'unchanged' });
      return { tweet: correction.after, before: labelsOf(correction.before) };
    },
  );

  app.get(
    '/api/runs/:id/export',
    { config: viewer, schema: { tags: ['runs'], summary: 'every labelled row of a run, in input order', params: RunId, querystring: z.object({ format: z.enum(EXPORT_FORMATS).default('csv') }), response: { 200: z.unknown(), 404: ErrorBody, 409: ErrorBody } } },
    async (request, reply) => {
      const run = await runOr404(request.params.id);
      if (run.status !== 'done') throw new HttpError(409, `run ${run.id} is ${run.status}: export it once it is done`);
      const { format } = request.query;
      await audit.record({ actor: request.principal?.name ?? 'anonymous', action: 'run.export', target: `run ${run.id}`, ip: request.ip, detail: format });
      const base = run.inputName.replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_');
      reply.header('content-type', EXPORT_CONTENT_TYPES[format]).header('content-disposition', `attachment; filename="${base}-labelled-run${run.id}.${format}"`);
      return reply.send(exportStream(format, runs.allRows(run.id)));
    },
  );

  app.delete(
    '/api/runs/:id',
    { config: { access: 'analyst' }, schema: { tags: ['runs'], summary: 'cancel a run if it goes, and delete it with its rows (an analyst: its own runs; an admin: any)', params: RunId, response: { 204: z.null(), 403: ErrorBody, 404: ErrorBody } } },
    async (request, reply) => {
      const run = await runOr404(request.params.id);
      const principal = request.principal;
      if (principal?.role !== 'admin' && run.owner !== principal?.name) throw new HttpError(403, `${principal?.name} is analyst: it may delete its own runs, and run ${run.id} is ${run.owner === undefined ? 'nobody\'s' : `${run.owner}'s`}`);
      await queue.cancel(run.id);
      await runs.delete(run.id);
      await audit.record({ actor: principal?.name ?? 'anonymous', action: 'run.delete', target: `run ${run.id}`, ip: request.ip, detail: run.inputName });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/classify',
    {
      config: { ...postLimit, access: 'analyst' },
      schema: {
        tags: ['classify'],
        summary: `label up to ${MAX_SYNC_TWEETS} tweets now (mode fast): {"tweets": [{"id": …, "text": …}]} in, the same with the six KPIs out`,
        body: z.object({ tweets: z.array(Tweet).min(1).max(MAX_SYNC_TWEETS), textColumn: z.string().min(1).optional() }),
        response: { 200: z.object({ tweets: z.array(Record) }), 400: ErrorBody },
      },
    },
    async (request) => {
      let rows;
      try {
        rows = rowsFromRecords('request', request.body.tweets, { textColumn: request.body.textColumn });
      } catch (error) {
        if (error instanceof InputError) throw badInput(error);
        throw error;
      }
      return { tweets: await queue.classify(rows) };
    },
  );
};
