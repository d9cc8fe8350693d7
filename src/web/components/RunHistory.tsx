/** Past and current runs, newest first. */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { integer, MODE_NAMES } from '../labels';
import type { Run } from '../types';

const STATUS_NAMES: Record<string, string> = { queued: 'en attente', running: 'en cours', done: 'terminée', failed: 'échec' };

export function RunHistory({ canDelete, onOpen, onError }: { canDelete: boolean; onOpen: (id: number) => void; onError: (message: string) => void }) {
  const [runs, setRuns] = useState<Run[]>();
  const refresh = () => api.runs().then(setRuns, (error: Error) => onError(error.message));
  useEffect(() => void refresh(), []);
  if (runs === undefined) return null;
  return (
    <section className="card">
      <h2>Historique des analyses</h2>
      {runs.length === 0 ? <p className="muted">Aucune analyse pour l’instant.</p> : null}
      <table data-testid="history">
        <tbody>
          {runs.map((run) => (
            <tr key={run.id}>
              <td>
                <a href={`#/runs/${run.id}`} onClick={() => onOpen(run.id)}>
                  n° {run.id} · {run.inputName}
                </a>
              </td>
              <td>{new Date(run.startedAt).toLocaleString('fr-FR')}</td>
              <td>{MODE_NAMES[run.mode] ?? run.mode}</td>
              <td>{integer(run.rows)} lignes</td>
              <td>{STATUS_NAMES[run.status] ?? run.status}</td>
              <td>
                {canDelete ? (
                  <button type="button" className="link" onClick={() => api.remove(run.id).then(refresh, (error: Error) => onError(error.message))}>
                    supprimer
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
