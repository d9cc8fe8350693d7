/**
 * Alerts: after each run, the radar looks at the last days again; an
 * incident that is ongoing and was not open is announced as opened, an open
 * one that is no longer ongoing as closed. Messages go to a webhook (JSON with
 * a Slack-compatible `text`), retried with backoff, never awaited by a run;
 * the open incidents are the `fmc_incidents_open` metric.
 */
import type { Incident, RadarReport } from './detect.js';

export interface AlertMessage {
  event: 'incident.opened' | 'incident.closed';
  /** One line for a chat channel (Slack, Mattermost, Teams' Slack-compatible hooks). */
  text: string;
  incident: Incident;
}

export interface WebhookOptions {
  url: string;
  /** Attempts in all (default 4), the first retry after `backoffMs` (default 1 s), doubling. */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  onFailure: (error: string, message: AlertMessage) => void;
}

function describe(incident: Incident): string {
  const where = incident.area === 'FR' ? 'France' : `${incident.areaName} (${incident.area})`;
  const towns = incident.towns.length > 0 ? ` — ${incident.towns.join(', ')}` : '';
  const peak = `peak ${incident.peakPerHour.toFixed(0)}/h against ${incident.expectedPerHour.toFixed(1)}/h expected`;
  return `${where}${towns} · ${incident.topic} · ${incident.tweets} outage tweets since ${incident.start.slice(0, 16).replace('T', ' ')} UTC · ${peak} · severity ${incident.severity}`;
}

export function alertMessage(event: AlertMessage['event'], incident: Incident): AlertMessage {
  const text = event === 'incident.opened' ? `:rotating_light: Outage radar: incident opened in ${describe(incident)}` : `:white_check_mark: Outage radar: incident closed in ${describe(incident)}, last outage tweet ${incident.end.slice(0, 16).replace('T', ' ')} UTC`;
  return { event, text, incident };
}

/** Posts one message, retrying on network errors, timeouts and non-2xx answers; reports the last failure. */
export async function postAlert(message: AlertMessage, options: WebhookOptions): Promise<boolean> {
  const attempts = options.attempts ?? 4;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (response.ok) return true;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, (options.backoffMs ?? 1000) * 2 ** (attempt - 1)));
  }
  options.onFailure(`${attempts} attempts failed (last: ${last})`, message);
  return false;
}

/** The incidents open now, and what changed since the last look. */
export class IncidentWatch {
  private readonly open = new Map<string, Incident>();

  /** Compares a new report with what was open; returns the messages to send. */
  update(report: RadarReport): AlertMessage[] {
    const messages: AlertMessage[] = [];
    const ongoing = new Map(report.incidents.filter((incident) => incident.ongoing).map((incident) => [incident.key, incident]));
    for (const [key, incident] of this.open) {
      if (ongoing.has(key)) continue;
      this.open.delete(key);
      messages.push(alertMessage('incident.closed', report.incidents.find((other) => other.key === key) ?? incident));
    }
    for (const [key, incident] of ongoing) {
      if (!this.open.has(key)) messages.push(alertMessage('incident.opened', incident));
      this.open.set(key, incident);
    }
    return messages;
  }

  get openIncidents(): Incident[] {
    return [...this.open.values()];
  }
}
