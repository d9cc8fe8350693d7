/** The JSON the API sends (see /docs): the server's own types, imported for their shape only. */
import { LABEL_VALUES } from '../labels.js';
import type { RunStats } from '../pipeline/index.js';
import type { LiveProgress } from '../server/jobs.js';
import type { RunDashboard, RunRecord } from '../store/index.js';
import type { RadarReport } from '../radar/index.js';
import type { Explanation } from '../classify/explain.js';
import type { Comparison, Verdict } from '../models/guard.js';
import type { RegisteredModel } from '../models/registry.js';

export type { Comparison, RegisteredModel };

export type { RadarReport, RunStats };
export type Dashboard = RunDashboard;
export type Progress = LiveProgress;
export type Phase = keyof LiveProgress['phases'];

/** The filters of the tweet table: the five labels and where they came from. */
export const LABELS = { ...LABEL_VALUES, label_source: ['rules+model', 'llm', 'human', 'none'] } as const;
export type LabelName = keyof typeof LABELS;

export type Run = RunRecord & { progress?: LiveProgress; dashboard?: RunDashboard };

export type Tweet = Record<string, string | number | null | undefined> & { position: number };

export interface TweetPage {
  total: number;
  page: number;
  pageSize: number;
  items: Tweet[];
}

/** `GET /api/runs/:id/tweets/:position?explain=1` */
export interface ExplainedTweet {
  tweet: Tweet;
  explanation?: Explanation;
  decidedBy?: string;
}

/** `GET /api/review`: the tweets to review, most instructive first. */
export interface ReviewQueue {
  reviewed: number;
  toReview: number;
  items: Array<{ runId: number; position: number; score: number; disagreement: string[]; tweet: Tweet }>;
}

/** `GET /api/models`: the registry, the default (`shipped`: the package's) and the last retraining. */
export interface ModelRegistryView {
  current: string;
  history: string[];
  models: RegisteredModel[];
  training: { status: 'idle' | 'training' | 'done' | 'failed'; startedAt?: string; finishedAt?: string; model?: string; verdict?: Verdict; error?: string };
  canTrain: boolean;
}
