/**
 * The models of the data directory: each retrained model beside the default
 * of its time, label by label, on the held-out corrections and dev; admins
 * retrain, promote (behind the guard) and roll back.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { LABEL_NAMES } from '../../labels.js';
import { LABEL_TITLES } from '../labels';
import type { Comparison, ModelRegistryView } from '../types';

const SET_NAMES: Record<string, string> = { 'held-out corrections': 'corrections mises de côté', dev: 'dev' };

function Figures({ comparison }: { comparison: Comparison }) {
  const cell = (before: number, after: number, key: string) => (
    <td key={key} className={after < before ? 'worse' : after > before ? 'better' : ''}>{`${before.toFixed(3)} → ${after.toFixed(3)}`}</td>
  );
  return (
    <tr>
      <th scope="row" title={comparison.note}>
        {SET_NAMES[comparison.set] ?? comparison.set} ({comparison.examples}
        {comparison.judged ? '' : ', non jugé'})
      </th>
      {cell(comparison.current.meanMacroF1, comparison.candidate.meanMacroF1, 'mean')}
      {LABEL_NAMES.map((label) => cell(comparison.current.macroF1[label], comparison.candidate.macroF1[label], label))}
    </tr>
  );
}

export function Models({ isAdmin, onError }: { isAdmin: boolean; onError: (message: string) => void }) {
  const [view, setView] = useState<ModelRegistryView>();
  const [refused, setRefused] = useState<{ id: string; reason: string }>();
  const load = useCallback(() => api.models().then(setView, (error: Error) => onError(error.message)), [onError]);
  useEffect(() => void load(), [load]);
  // While a retraining goes, its state is asked for every two seconds.
  useEffect(() => {
    if (view?.training.status !== 'training') return;
    const timer = setTimeout(() => void load(), 2000);
    return () => clearTimeout(timer);
  }, [view, load]);
  if (view === undefined) return null;

  const promote = (id: string, force: boolean) =>
    api.promoteModel(id, force).then(
      (next) => {
        setRefused(undefined);
        setView(next);
      },
      (error: Error) => (error instanceof ApiError && error.status === 409 ? setRefused({ id, reason: error.message }) : onError(error.message)),
    );
  const { training } = view;
  return (
    <section className="card models" data-testid="models">
      <h2>Modèles</h2>
      <p data-testid="models-current">
        Modèle par défaut : <strong>{view.current === 'shipped' ? 'celui livré avec FreeMobilaChat' : view.current}</strong>
      </p>
      {training.status === 'training' ? <p data-testid="models-training">Réentraînement en cours depuis {training.startedAt?.slice(11, 16)}…</p> : null}
      {training.status === 'failed' ? <p className="banner">Le réentraînement a échoué : {training.error}</p> : null}
      {training.status === 'done' && training.verdict !== undefined ? (
        <p data-testid="models-verdict">
          {training.model} : {training.verdict.promotable ? 'peut être promu' : 'ne peut pas être promu'} ({training.verdict.reason}).
        </p>
      ) : null}
      {isAdmin ? (
        <p className="row">
          <button type="button" data-testid="models-train" disabled={!view.canTrain || training.status === 'training'} title={view.canTrain ? '' : 'le serveur n’a pas de données d’entraînement (--training-data)'} onClick={() => api.trainModel().then(setView, (error: Error) => onError(error.message))}>
            Réentraîner avec les corrections
          </button>
          <button type="button" data-testid="models-rollback" disabled={view.current === 'shipped'} onClick={() => api.rollbackModel().then(setView, (error: Error) => onError(error.message))}>
            Revenir au modèle précédent
          </button>
        </p>
      ) : null}
      {refused === undefined ? null : (
        <p className="banner" role="alert" data-testid="models-refused">
          {refused.reason}
          <button type="button" className="link" onClick={() => window.confirm('Promouvoir malgré la régression ?') && void promote(refused.id, true)}>
            promouvoir quand même
          </button>
        </p>
      )}
      {[...view.models].reverse().map((model) => (
        <div key={model.id} className="model" data-testid="model">
          <p>
            <strong>{model.id}</strong> · entraîné le {model.createdAt.slice(0, 10)} · {String(model.trainedOn.corrections)} corrections apprises
            {model.id === view.current ? ' · par défaut' : null}
            {isAdmin && model.id !== view.current ? (
              <button type="button" className="link" data-testid="model-promote" onClick={() => void promote(model.id, false)}>
                {' '}
                promouvoir
              </button>
            ) : null}
          </p>
          <table>
            <thead>
              <tr>
                <th>macro-F1 : défaut d’alors → ce modèle</th>
                <th>moyenne</th>
                {LABEL_NAMES.map((label) => (
                  <th key={label}>{LABEL_TITLES[label]}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {model.evaluation.map((comparison) => (
                <Figures key={comparison.set} comparison={comparison} />
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
