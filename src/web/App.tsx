/** FreeMobilaChat's page: upload and history (#/), one run's progress then dashboard (#/runs/ID). */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, token, withToken } from './api';
import { MODE_NAMES } from './labels';
import type { Run } from './types';
import { Dashboard } from './components/Dashboard';
import { RunHistory } from './components/RunHistory';
import { RunProgress } from './components/RunProgress';
import { TweetTable } from './components/TweetTable';
import { Upload } from './components/Upload';

const runIdOf = (hash: string): number | undefined => {
  const match = /^#\/runs\/(\d+)/.exec(hash);
  return match === null ? undefined : Number(match[1]);
};

function RunPage({ runId, onError }: { runId: number; onError: (message: string) => void }) {
  const [run, setRun] = useState<Run>();
  const load = useCallback(() => api.run(runId).then(setRun, (error: Error) => onError(error.message)), [runId, onError]);
  useEffect(() => void load(), [load]);
  if (run === undefined) return null;
  const title = (
    <h2 className="run-title">
      Analyse n° {run.id} · {run.inputName} · {MODE_NAMES[run.mode] ?? run.mode}
    </h2>
  );
  if (run.status === 'queued' || run.status === 'running') {
    return (
      <>
        {title}
        <RunProgress runId={run.id} mode={run.mode} onEnd={load} />
      </>
    );
  }
  if (run.status === 'failed') {
    return (
      <>
        {title}
        <p className="banner" role="alert">
          L’analyse a échoué : {run.error}
        </p>
      </>
    );
  }
  return (
    <>
      {title}
      <div className="exports">
        Exporter :
        {(['csv', 'jsonl', 'xlsx'] as const).map((format) => (
          <a key={format} className="button" href={withToken(`/api/runs/${run.id}/export?format=${format}`)} data-testid={`export-${format}`} download>
            {format.toUpperCase()}
          </a>
        ))}
      </div>
      {run.problems.length > 0 ? <p className="muted">{run.problems.length} avertissement(s) à la lecture : {run.problems.slice(0, 3).join(' · ')}</p> : null}
      <Dashboard run={run} />
      <TweetTable runId={run.id} onError={onError} />
    </>
  );
}

export function App() {
  const [hash, setHash] = useState(window.location.hash);
  const [error, setError] = useState<string>();
  const [needsToken, setNeedsToken] = useState(false);
  useEffect(() => {
    const onHash = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const onError = useCallback((message: string) => setError(message), []);
  useEffect(() => {
    api.runs().catch((failure: unknown) => setNeedsToken(failure instanceof ApiError && failure.status === 401));
  }, []);
  const runId = runIdOf(hash);
  return (
    <main>
      <header>
        <h1>
          <a href="#/">FreeMobilaChat</a>
        </h1>
        <span className="muted">Six indicateurs pour chaque tweet client · <a href="/docs">API</a></span>
      </header>
      {error === undefined ? null : (
        <p className="banner" role="alert" data-testid="error">
          {error}
          <button type="button" className="link" onClick={() => setError(undefined)}>
            fermer
          </button>
        </p>
      )}
      {needsToken ? (
        <form
          className="card"
          onSubmit={(event) => {
            event.preventDefault();
            token.set(new FormData(event.currentTarget).get('token') as string);
            window.location.reload();
          }}
        >
          Ce serveur demande un jeton d’API : <input name="token" type="password" /> <button type="submit">Valider</button>
        </form>
      ) : null}
      {runId === undefined ? (
        <>
          <Upload
            onStarted={(id) => {
              setError(undefined);
              window.location.hash = `#/runs/${id}`;
            }}
            onError={onError}
          />
          <RunHistory onOpen={() => setError(undefined)} onError={onError} />
        </>
      ) : (
        <RunPage key={runId} runId={runId} onError={onError} />
      )}
    </main>
  );
}
