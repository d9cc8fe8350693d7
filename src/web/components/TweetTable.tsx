/** The tweets of a run: a filter per KPI, search, sort, pages, and the detail of one tweet. */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { LABEL_NAMES } from '../../labels.js';
import { integer, LABEL_TITLES, valueName } from '../labels';
import { LABELS, type ExplainedTweet, type LabelName, type Tweet, type TweetPage } from '../types';

const FILTERS = Object.keys(LABELS) as LabelName[];
const PAGE_SIZE = 25;

/** Why the model labels the tweet so, asked on demand: per label, the three features that pushed the chosen value most. */
function Why({ runId, position, onError }: { runId: number; position: number; onError: (message: string) => void }) {
  const [answer, setAnswer] = useState<ExplainedTweet>();
  if (answer === undefined) {
    return (
      <button type="button" className="link" data-testid="explain" onClick={() => api.explain(runId, position).then(setAnswer, (error: Error) => onError(error.message))}>
        Pourquoi ces étiquettes ?
      </button>
    );
  }
  if (answer.explanation === undefined) return null;
  const { explanation } = answer;
  // The words that weigh most for some label (of the top three), marked in the text: green for, red against the chosen value.
  const weights = new Map<string, number>();
  for (const part of Object.values(explanation.perLabel)) {
    for (const contribution of part.contributions.slice(0, 3)) {
      if (contribution.kind !== 'word' && contribution.kind !== 'bigram') continue;
      for (const word of contribution.feature.split(' ')) weights.set(word, (weights.get(word) ?? 0) + contribution.weight);
    }
  }
  const text = String(answer.tweet.text_cleaned ?? '');
  const fold = (word: string) => word.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  return (
    <div className="why" data-testid="explanation">
      <p className="marked" data-testid="why-text">
        {text.split(/(\s+)/).map((piece, i) => {
          const weight = weights.get(fold(piece).replace(/[^a-z0-9€']/g, ''));
          return weight === undefined ? piece : <mark key={i} className={weight >= 0 ? 'for' : 'against'}>{piece}</mark>;
        })}
      </p>
      {answer.decidedBy === 'llm' ? <p className="muted">Le LLM a décidé ; voici l’avis du modèle local.</p> : null}
      {explanation.places.length > 0 ? <p>Lieux : {explanation.places.map((place) => place.name).join(', ')}</p> : null}
      <ul>
        {LABEL_NAMES.map((label) => {
          const part = explanation.perLabel[label];
          return (
            <li key={label} data-testid={`why-${label}`}>
              <strong>{LABEL_TITLES[label]}</strong> : {valueName(part.value)} plutôt que {valueName(part.against)} —{' '}
              {part.contributions.slice(0, 3).map((contribution) => `${contribution.kind === 'rule' ? `règle ${contribution.feature}` : `« ${contribution.feature} »`} ${contribution.weight >= 0 ? '+' : '−'}${Math.abs(contribution.weight).toFixed(2)}`).join(', ')}
            </li>
          );
        })}
      </ul>
    </div>
  );
}


/** A label's values as the options of a select, named in French. */
function ValueOptions({ label }: { label: LabelName }) {
  return (
    <>
      {LABELS[label].map((value) => (
        <option key={value} value={value}>
          {valueName(value)}
        </option>
      ))}
    </>
  );
}

/** An analyst's correction of a label: sent at once; LABELS.md's rules may move another label with it. */
function Correct({ tweet, runId, onCorrected, onError }: { tweet: Tweet; runId: number; onCorrected: (tweet: Tweet) => void; onError: (message: string) => void }) {
  return (
    <fieldset className="correct" data-testid="correct">
      <legend>Corriger</legend>
      {LABEL_NAMES.map((label) => (
        <label key={label}>
          {LABEL_TITLES[label]}
          <select
            data-testid={`correct-${label}`}
            value={String(tweet[label])}
            onChange={(event) => api.correct(runId, tweet.position, { [label]: event.target.value }).then((answer) => onCorrected({ ...answer.tweet, position: tweet.position }), (error: Error) => onError(error.message))}
          >
            <ValueOptions label={label} />
          </select>
        </label>
      ))}
    </fieldset>
  );
}

function Detail({ tweet, runId, canCorrect, onCorrected, onClose, onError }: { tweet: Tweet; runId: number; canCorrect: boolean; onCorrected: (tweet: Tweet) => void; onClose: () => void; onError: (message: string) => void }) {
  const rows: Array<[string, string]> = [
    ['Texte brut', String(tweet.text ?? '')],
    ['Texte nettoyé', String(tweet.text_cleaned ?? '')],
    ...LABEL_NAMES.map((label): [string, string] => [LABEL_TITLES[label], valueName(String(tweet[label]))]),
    ['Confiance', String(tweet.confidence)],
    ['Source des étiquettes', valueName(String(tweet.label_source))],
    ['Doublon de', String(tweet.duplicate_of || '—')],
  ];
  if (tweet.error) rows.push(['Erreur', String(tweet.error)]);
  return (
    <aside className="card detail" data-testid="tweet-detail">
      <button type="button" className="close" onClick={onClose} aria-label="Fermer">
        ×
      </button>
      <h3>Tweet {String(tweet.id)}</h3>
      <dl>
        {rows.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {tweet.error || !canCorrect ? null : <Correct tweet={tweet} runId={runId} onCorrected={onCorrected} onError={onError} />}
      {tweet.error ? null : <Why key={tweet.position} runId={runId} position={tweet.position} onError={onError} />}
    </aside>
  );
}

export function TweetTable({ runId, canCorrect, onError }: { runId: number; canCorrect: boolean; onError: (message: string) => void }) {
  const [filters, setFilters] = useState<Partial<Record<LabelName, string>>>({});
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState('position');
  const [order, setOrder] = useState('asc');
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<TweetPage>();
  const [selected, setSelected] = useState<Tweet>();
  // Bumped by a correction: the page of the table is read again.
  const [revision, setRevision] = useState(0);

  useEffect(() => {
    const query = new URLSearchParams({ sort, order, page: String(page), pageSize: String(PAGE_SIZE) });
    for (const [label, value] of Object.entries(filters)) if (value) query.set(label, value);
    if (search.trim() !== '') query.set('q', search.trim());
    api.tweets(runId, query).then(setResult, (error: Error) => onError(error.message));
  }, [runId, filters, search, sort, order, page, onError, revision]);

  const pages = result === undefined ? 1 : Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  return (
    <section className="card">
      <h2>Tweets</h2>
      <div className="filters">
        {FILTERS.map((label) => (
          <label key={label}>
            {LABEL_TITLES[label]}
            <select
              data-testid={`filter-${label}`}
              value={filters[label] ?? ''}
              onChange={(event) => {
                setFilters({ ...filters, [label]: event.target.value });
                setPage(1);
              }}
            >
              <option value="">tous</option>
              <ValueOptions label={label} />
            </select>
          </label>
        ))}
        <label>
          Recherche
          <input
            type="search"
            data-testid="search"
            placeholder="mots du tweet"
            value={search}
            onChange={(event) => {
              setSearch(event.target.value);
              setPage(1);
            }}
          />
        </label>
        <label>
          Tri
          <select value={sort} onChange={(event) => setSort(event.target.value)} data-testid="sort">
            <option value="position">ordre du fichier</option>
            <option value="confidence">confiance</option>
            <option value="urgence">urgence</option>
            <option value="created_at">date</option>
          </select>
        </label>
        <label>
          Ordre
          <select value={order} onChange={(event) => setOrder(event.target.value)}>
            <option value="asc">croissant</option>
            <option value="desc">décroissant</option>
          </select>
        </label>
      </div>
      <p className="muted" data-testid="table-count">
        {integer(result?.total ?? 0)} tweets
      </p>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>Texte</th>
            <th>Sentiment</th>
            <th>Récl.</th>
            <th>Urgence</th>
            <th>Sujet</th>
            <th>Incident</th>
            <th>Conf.</th>
          </tr>
        </thead>
        <tbody>
          {result?.items.map((tweet) => (
            <tr key={tweet.position} onClick={() => setSelected(tweet)} data-testid="tweet-row" className={tweet.error ? 'error' : ''}>
              <td>{tweet.position + 1}</td>
              <td className="text">{String(tweet.text_cleaned || tweet.error || '')}</td>
              <td>{String(tweet.sentiment)}</td>
              <td>{String(tweet.is_claim)}</td>
              <td className={`urgence-${String(tweet.urgence)}`}>{String(tweet.urgence)}</td>
              <td>{String(tweet.topics)}</td>
              <td>{String(tweet.incident)}</td>
              <td>{String(tweet.confidence)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
          ← Précédent
        </button>
        <span data-testid="page">
          page {page} / {pages}
        </span>
        <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)} data-testid="next-page">
          Suivant →
        </button>
      </div>
      {selected === undefined ? null : <Detail
          tweet={selected}
          runId={runId}
          canCorrect={canCorrect}
          onCorrected={(tweet) => {
            setSelected(tweet);
            setRevision((count) => count + 1);
          }}
          onClose={() => setSelected(undefined)}
          onError={onError}
        />}
    </section>
  );
}
