/** FreeMobilaChat's page: upload, history and models (#/), one run's progress then dashboard (#/runs/ID), the review queue (#/review, #/runs/ID/review). */
import { useCallback, useEffect, useState } from 'react';
import { api, session as sessions, type SessionInfo } from './api';
import { MODE_NAMES } from './labels';
import type { Run } from './types';
import { Dashboard } from './components/Dashboard';
import { Incidents } from './components/Incidents';
import { Models } from './components/Models';
import { Review } from './components/Review';
import { RunHistory } from './components/RunHistory';
import { RunProgress } from './components/RunProgress';
import { SignIn } from './components/SignIn';
import { TweetTable } from './components/TweetTable';
import { Upload } from './components/Upload';

const runIdOf = (hash: string): number | undefined => {
  const match = /^#\/runs\/(\d+)/.exec(hash);
  return match === null ? undefined : Number(match[1]);
};
const isReview = (hash: string): boolean => /^#\/(runs\/\d+\/)?review$/.test(hash);

function RunPage({ runId, canCorrect, onError }: { runId: number; canCorrect: boolean; onError: (message: string) => void }) {
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
        {canCorrect ? (
          <a className="button" href={`#/runs/${run.id}/review`} data-testid="open-review">
            Revoir les étiquettes
          </a>
        ) : null}
        Exporter :
        {(['csv', 'jsonl', 'xlsx'] as const).map((format) => (
          <a key={format} className="button" href={`/api/runs/${run.id}/export?format=${format}`} data-testid={`export-${format}`} download>
            {format.toUpperCase()}
          </a>
        ))}
      </div>
      {run.problems.length > 0 ? <p className="muted">{run.problems.length} avertissement(s) à la lecture : {run.problems.slice(0, 3).join(' · ')}</p> : null}
      <Dashboard run={run} />
      <Incidents runId={run.id} onError={onError} />
      <TweetTable runId={run.id} canCorrect={canCorrect} onError={onError} />
    </>
  );
}

export function App() {
  const [hash, setHash] = useState(window.location.hash);
  const [error, setError] = useState<string>();
  const [session, setSession] = useState<SessionInfo>();
  useEffect(() => {
    const onHash = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const onError = useCallback((message: string) => setError(message), []);
  useEffect(() => {
    sessions.current().then(setSession, (failure: Error) => setError(failure.message));
  }, []);
  const runId = runIdOf(hash);
  const canRun = session?.role === 'analyst' || session?.role === 'admin';
  const review = canRun && isReview(hash);
  return (
    <main>
      <header>
        <h1>
          <a href="#/">FreeMobilaChat</a>
        </h1>
        <span className="muted">
          Six indicateurs pour chaque tweet client · {canRun ? <a href="#/review">À revoir</a> : null} · <a href="/docs">API</a>
        </span>
        {session?.authenticated === true && session.via === 'session' ? (
          <span className="account" data-testid="account">
            {session.user} ({session.role}) ·{' '}
            <button type="button" className="link" onClick={() => sessions.signOut().then(() => setSession({ authenticated: false, singleSignOn: session.singleSignOn }), (failure: Error) => setError(failure.message))}>
              se déconnecter
            </button>
          </span>
        ) : null}
      </header>
      {error === undefined ? null : (
        <p className="banner" role="alert" data-testid="error">
          {error}
          <button type="button" className="link" onClick={() => setError(undefined)}>
            fermer
          </button>
        </p>
      )}
      {session === undefined ? null : !session.authenticated ? (
        <SignIn singleSignOn={session.singleSignOn} onSignedIn={(signedIn) => {
          setError(undefined);
          setSession(signedIn);
        }} />
      ) : review ? (
        <Review key={hash} runId={runId} onError={onError} />
      ) : runId === undefined ? (
        <>
          {canRun ? (
            <Upload
              onStarted={(id) => {
                setError(undefined);
                window.location.hash = `#/runs/${id}`;
              }}
              onError={onError}
            />
          ) : (
            <p className="muted">Votre rôle ({session.role}) permet de consulter les analyses, pas d’en lancer.</p>
          )}
          <RunHistory canDelete={canRun} onOpen={() => setError(undefined)} onError={onError} />
          <Models isAdmin={session.role === 'admin'} onError={onError} />
        </>
      ) : (
        <RunPage key={runId} runId={runId} canCorrect={canRun} onError={onError} />
      )}
    </main>
  );
}
