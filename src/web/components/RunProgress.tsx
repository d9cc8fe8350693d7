/** Live progress of a run, phase by phase, from the server's event stream. */
import { useEffect, useState } from 'react';
import { integer, PHASE_NAMES } from '../labels';
import type { Phase, Progress } from '../types';

function share(progress: Progress, phase: Phase): number {
  if (progress.status === 'done') return 1;
  const figures = progress.phases[phase];
  if (figures === undefined || figures.total === undefined || figures.total === 0) return 0;
  return Math.min(1, figures.done / figures.total);
}

export function RunProgress({ runId, mode, onEnd }: { runId: number; mode: string; onEnd: () => void }) {
  const [progress, setProgress] = useState<Progress>();
  useEffect(() => {
    const events = new EventSource(`/api/runs/${runId}/events`);
    events.addEventListener('progress', (event) => setProgress(JSON.parse((event as MessageEvent<string>).data) as Progress));
    events.addEventListener('end', () => {
      events.close();
      onEnd();
    });
    return () => events.close();
  }, [runId, onEnd]);

  const phases: Phase[] = mode === 'fast' ? ['classify', 'write'] : ['classify', 'llm', 'write'];
  return (
    <section className="card" data-testid="progress">
      <h2>Analyse en cours {progress?.status === 'queued' ? '(en file d’attente)' : ''}</h2>
      {phases.map((phase) => {
        const value = progress === undefined ? 0 : share(progress, phase);
        const figures = progress?.phases[phase];
        return (
          <div key={phase} className="phase">
            <span>{PHASE_NAMES[phase]}</span>
            <progress max={1} value={value} />
            <span data-testid={`phase-${phase}`}>{Math.round(value * 100)} %</span>
            {phase === 'llm' && figures !== undefined ? <span>{integer(figures.done)} / {integer(figures.total ?? 0)} tweets</span> : null}
          </div>
        );
      })}
      <p className="muted">
        {integer(progress?.rows ?? 0)} lignes · {integer(progress?.rowsPerSecond ?? 0)} lignes/s
        {progress?.etaSeconds !== undefined && progress.status === 'running' ? ` · fin estimée dans ${progress.etaSeconds} s` : ''}
      </p>
    </section>
  );
}
