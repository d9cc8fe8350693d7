/**
 * The outage radar: bursts of outage tweets by place and time, from the
 * labels the pipeline gives (`detectIncidents`), and alerts when they open
 * and close (`IncidentWatch`, `postAlert`).
 */
import { isErrorRecord, type OutputRecord } from '../output/index.js';
import { dateOf } from '../store/index.js';
import type { RadarTweet } from './detect.js';

export { detectIncidents, poissonTail, DEFAULT_RADAR_OPTIONS, OUTAGE_INCIDENTS, type Incident, type RadarOptions, type RadarReport, type RadarTweet, type RadarWindow, type Severity } from './detect.js';
export { alertMessage, IncidentWatch, postAlert, type AlertMessage, type WebhookOptions } from './alerts.js';

/** A labelled row (an export's, a run's) as the radar reads it: its date column, cleaned text and labels; undefined for an error row. */
export function radarTweetOf(record: OutputRecord): RadarTweet | undefined {
  if (isErrorRecord(record)) return undefined;
  const date = dateOf(record);
  return {
    id: String(record.id ?? ''),
    time: date === null ? undefined : Date.parse(date),
    text: String(record.text_cleaned ?? ''),
    labels: { topics: String(record.topics), incident: String(record.incident), confidence: Number(record.confidence) },
  };
}
