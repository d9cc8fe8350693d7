/**
 * The review queue, made for the keyboard: the tweets a correction teaches
 * most come first; a care agent changes a label with one key and saves with
 * Entrée (saved as it is, the tweet is confirmed), and the next one comes.
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api';
import { integer, LABEL_TITLES, valueName } from '../labels';
import { LABEL_NAMES, type LabelName } from '../../labels.js';
import { LABELS, type ReviewQueue, type Tweet } from '../types';


/** The key that changes each label (with Maj: the previous value). */
const KEYS: Record<string, LabelName> = { s: 'sentiment', c: 'is_claim', u: 'urgence', t: 'topics', i: 'incident' };

type Item = ReviewQueue['items'][number];
const keyOf = (item: Item) => `${item.runId}:${item.position}`;

function cycle(label: LabelName, value: string, step: 1 | -1): string {
  const values: readonly string[] = LABELS[label];
  return values[(values.indexOf(value) + step + values.length) % values.length] as string;
}

export function Review({ runId, onError }: { runId: number | undefined; onError: (message: string) => void }) {
  const [queue, setQueue] = useState<ReviewQueue>();
  const [index, setIndex] = useState(0);
  /** The labels as the agent set them, by item. */
  const [edited, setEdited] = useState<Record<string, Tweet>>({});
  const [saved, setSaved] = useState<Set<string>>(new Set());
  const load = useCallback(
    () =>
      api.review(runId).then((next) => {
        setQueue(next);
        setIndex(0);
        setEdited({});
        setSaved(new Set());
      }, (error: Error) => onError(error.message)),
    [runId, onError],
  );
  useEffect(() => void load(), [load]);

  const items = queue?.items ?? [];
  const current = items[index];
  const labelsOf = (item: Item): Tweet => edited[keyOf(item)] ?? item.tweet;

  function save(item: Item): void {
    const labels = labelsOf(item);
    api.correct(item.runId, item.position, Object.fromEntries(LABEL_NAMES.map((label) => [label, String(labels[label])]))).then(
      (answer) => {
        // LABELS.md's rules may have moved a label: the answer is what is stored.
        setEdited((all) => ({ ...all, [keyOf(item)]: { ...answer.tweet, position: item.position } }));
        setSaved((all) => new Set(all).add(keyOf(item)));
        setQueue((all) => (all === undefined ? all : { ...all, reviewed: all.reviewed + 1, toReview: all.toReview - 1 }));
        const next = items.findIndex((other, i) => i > index && !saved.has(keyOf(other)));
        if (next >= 0) setIndex(next);
        else void load();
      },
      (error: Error) => onError(error.message),
    );
  }

  // Subscribed again at each render: the handler sees the current item and labels.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (current === undefined || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target instanceof HTMLElement && ['INPUT', 'SELECT', 'TEXTAREA'].includes(event.target.tagName)) return;
      const key = event.key.toLowerCase();
      const label = KEYS[key];
      if (label !== undefined) {
        const labels = labelsOf(current);
        setEdited((all) => ({ ...all, [keyOf(current)]: { ...labels, [label]: cycle(label, String(labels[label]), event.shiftKey ? -1 : 1) } }));
      } else if (key === 'j' || event.key === 'ArrowDown') setIndex((i) => Math.min(items.length - 1, i + 1));
      else if (key === 'k' || event.key === 'ArrowUp') setIndex((i) => Math.max(0, i - 1));
      else if (event.key === 'Enter') save(current);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (queue === undefined) return null;
  const total = queue.reviewed + queue.toReview;
  return (
    <section className="card review" data-testid="review">
      <h2>{runId === undefined ? 'À revoir, toutes analyses' : `À revoir, analyse n° ${runId}`}</h2>
      <p data-testid="review-progress">
        <progress value={queue.reviewed} max={Math.max(1, total)} /> {integer(queue.reviewed)} revu{queue.reviewed > 1 ? 's' : ''} · {integer(queue.toReview)} à revoir
      </p>
      <p className="muted">
        Clavier : <kbd>j</kbd>/<kbd>k</kbd> tweet suivant/précédent · <kbd>s</kbd> sentiment · <kbd>c</kbd> réclamation · <kbd>u</kbd> urgence · <kbd>t</kbd> sujet · <kbd>i</kbd> incident (<kbd>Maj</kbd> : valeur précédente) ·{' '}
        <kbd>Entrée</kbd> enregistrer (tel quel : confirmé)
      </p>
      {items.length === 0 ? <p className="muted">Rien à revoir.</p> : null}
      <ol className="review-items">
        {items.map((item, i) => {
          const labels = labelsOf(item);
          return (
            <li
              key={keyOf(item)}
              className={`${i === index ? 'current' : ''} ${saved.has(keyOf(item)) ? 'saved' : ''}`}
              aria-current={i === index}
              data-testid="review-item"
              onClick={() => setIndex(i)}
            >
              <p className="text">
                {saved.has(keyOf(item)) ? '✓ ' : ''}
                {String(item.tweet.text_cleaned ?? '')}
              </p>
              <p className="labels">
                {LABEL_NAMES.map((label) => (
                  <span key={label} className={labels[label] === item.tweet[label] ? '' : 'changed'} data-testid={`review-${label}`}>
                    {LABEL_TITLES[label]} : {valueName(String(labels[label]))}
                  </span>
                ))}
                <span className="muted">
                  confiance {Number(item.tweet.confidence).toFixed(2)}
                  {item.disagreement.length > 0 ? ` · le modèle local dit autre chose pour : ${item.disagreement.map((label) => LABEL_TITLES[label as LabelName]).join(', ')}` : ''}
                  {runId === undefined ? ` · analyse n° ${item.runId}` : ''}
                </span>
              </p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
