/**
 * The review queue over the API: the tweets of a run (or of every run) a
 * correction teaches most, first. The store orders them by confidence and
 * rare values; here, where the LLM decided, the local model is asked too and
 * every label they disagree on moves the tweet up.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cleanTweet } from '../../clean/index.js';
import { classifyWithModel, type Model } from '../../classify/model.js';
import { LABEL_NAMES, type LabelName } from '../../labels.js';
import { authorOf } from '../../pipeline/index.js';
import type { ReviewItem } from '../../store/index.js';
import type { RunReader } from '../backends.js';
import { ErrorBody, HttpError } from './errors.js';

export interface ReviewRoutesOptions {
  runs: RunReader;
  /** The local model of the moment. */
  localModel: () => Model;
}

/** What one label the LLM and the local model disagree on adds to the score. */
const DISAGREEMENT_BONUS = 0.25;
/** Rows the store ranks for each one shown: the LLM's rows among them can still move up. */
const WINDOW = 4;

const ReviewQuery = z.object({
  run: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const Item = z.object({ runId: z.number(), position: z.number(), score: z.number(), disagreement: z.array(z.enum(LABEL_NAMES)), tweet: z.record(z.string(), z.unknown()) });

export const reviewRoutes: FastifyPluginAsyncZod<ReviewRoutesOptions> = async (app, options) => {
  const { runs } = options;

  /** The labels the local model gives where the LLM's replaced its own. */
  function disagreement(item: ReviewItem): LabelName[] {
    const { record } = item;
    if (record.label_source !== 'llm') return [];
    const local = classifyWithModel(options.localModel(), { tweet: cleanTweet(String(record.text_cleaned ?? '')), author: authorOf(record) });
    return LABEL_NAMES.filter((label) => local[label] !== record[label]);
  }

  app.get(
    '/api/review',
    {
      config: { access: 'analyst' },
      schema: {
        tags: ['review'],
        summary: 'the tweets to review, most instructive first (low confidence, rare values, the LLM and the local model disagreeing), of one run (`run`) or of every finished run; with the counts reviewed (corrected or confirmed) and to review',
        querystring: ReviewQuery,
        response: { 200: z.object({ reviewed: z.number(), toReview: z.number(), items: z.array(Item) }), 404: ErrorBody },
      },
    },
    async (request) => {
      const { run, limit } = request.query;
      if (run !== undefined && (await runs.get(run)) === undefined) throw new HttpError(404, `no run ${run}`);
      const queue = await runs.review({ runId: run }, limit * WINDOW);
      const items = queue.items
        .map((item) => {
          const disagree = disagreement(item);
          return { runId: item.runId, position: item.position, score: item.score + DISAGREEMENT_BONUS * disagree.length, disagreement: disagree, tweet: { position: item.position, ...item.record } };
        })
        .sort((a, b) => b.score - a.score || a.runId - b.runId || a.position - b.position)
        .slice(0, limit);
      return { reviewed: queue.reviewed, toReview: queue.toReview, items };
    },
  );
};
