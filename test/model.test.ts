import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanTweet } from '../src/clean/index.js';
import { classifyWithModel, encodeModel, loadModel, ModelFileError, quantizeWeights, saveModel } from '../src/classify/model.js';
import { expectedCalibrationError, evaluate, labelReport } from '../src/train/metrics.js';
import { ALWAYS_TRAINED, assignFolds, crossValidate, DEFAULT_TRAIN_OPTIONS, isotonic, labelWeights, readLabelled, train, type Example, type GoldLabels } from '../src/train/train.js';
import { isConsistent, SLOT_COUNT } from '../src/labels.js';
import { tempDir, writeTemp } from './helpers.js';

const OUTAGE: GoldLabels = { sentiment: 'negatif', is_claim: 'oui', urgence: 'critique', topics: 'fibre', incident: 'panne_technique' };
const BILLING: GoldLabels = { sentiment: 'negatif', is_claim: 'oui', urgence: 'haute', topics: 'facture', incident: 'facturation' };
const PRAISE: GoldLabels = { sentiment: 'positif', is_claim: 'non', urgence: 'faible', topics: 'tv', incident: 'information' };

const towns = ['lyon', 'lille', 'nantes', 'brest', 'metz', 'nice', 'pau', 'dijon', 'rouen', 'caen', 'tours', 'reims'];
function fixture(): Example[] {
  return towns.flatMap((town, i) => [
    { id: `o${i}`, input: { tweet: cleanTweet(`plus de connexion internet à ${town} depuis ${i + 2} jours, box en panne`) }, gold: OUTAGE, origin: 'real' as const },
    { id: `b${i}`, input: { tweet: cleanTweet(`facture de ${40 + i} euros prélevée deux fois à ${town}, remboursez`) }, gold: BILLING, origin: 'real' as const },
    { id: `p${i}`, input: { tweet: cleanTweet(`merci pour les nouvelles chaînes télé, super programme à ${town}`) }, gold: PRAISE, origin: 'real' as const },
  ]);
}

const SMALL = { ...DEFAULT_TRAIN_OPTIONS, features: { ...DEFAULT_TRAIN_OPTIONS.features, hashBits: 12 }, folds: 3 };

test('training is deterministic and learns: a held-out tweet is classified right', () => {
  const first = train('fixture', fixture(), SMALL).model;
  const second = train('fixture', fixture(), SMALL).model;
  assert.ok(encodeModel(first).equals(encodeModel(second)));
  const heldOut = classifyWithModel(first, { tweet: cleanTweet('à bordeaux la box est en panne, plus de connexion depuis 3 jours') });
  assert.deepEqual({ ...heldOut, confidence: undefined }, { ...OUTAGE, confidence: undefined });
  assert.ok(isConsistent(heldOut));
  const praise = classifyWithModel(first, { tweet: cleanTweet('merci, super les nouvelles chaînes télé à bordeaux') });
  assert.equal(praise.sentiment, 'positif');
  assert.equal(praise.topics, 'tv');
});

test('a saved model loads back identical; a corrupt or missing file is a clear error', async () => {
  const model = train('fixture', fixture(), SMALL).model;
  const path = join(tempDir(), 'm.fmcmodel');
  await saveModel(path, model);
  assert.ok(encodeModel(loadModel(path)).equals(encodeModel(model)));
  const bytes = encodeModel(model);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
  writeFileSync(path, bytes);
  assert.throws(() => loadModel(path), (error: Error) => error instanceof ModelFileError && /checksum mismatch/.test(error.message) && error.message.includes(path));
  writeFileSync(path, 'not a model');
  assert.throws(() => loadModel(path), /wrong magic number/);
  writeFileSync(path, bytes.subarray(0, 100));
  assert.throws(() => loadModel(path), /truncated header|wrong size/);
  assert.throws(() => loadModel(join(tempDir(), 'missing.fmcmodel')), /cannot read the model file \(ENOENT\)/);
});

test('8-bit weights stay within half a step of the trained ones, each label value on its own scale', () => {
  const trained = Float32Array.from({ length: 4 * SLOT_COUNT }, (_, i) => (i % SLOT_COUNT === 0 ? 100 : 1) * Math.sin(i + 1));
  const { weights, weightScales } = quantizeWeights(trained);
  assert.equal(weightScales.length, SLOT_COUNT);
  trained.forEach((value, i) => {
    const scale = weightScales[i % SLOT_COUNT] as number;
    assert.ok(Math.abs((weights[i] as number) * scale - value) <= scale / 2 + 1e-6, `weight ${i}`);
  });
  // A slot with large weights does not coarsen the others: their step is about 1/127.
  assert.ok((weightScales[1] as number) < 0.01 && (weightScales[0] as number) > 0.5);
});

test('evaluate figures match a hand computation', () => {
  // gold: neg neg neg neu pos; predicted: neg neg neu neu neg
  const report = labelReport('sentiment', ['negatif', 'negatif', 'negatif', 'neutre', 'positif'], ['negatif', 'negatif', 'neutre', 'neutre', 'negatif']);
  // negatif: P 2/3, R 2/3, F1 2/3; neutre: P 1/2, R 1, F1 2/3; positif: 0 → macro (2/3 + 2/3 + 0) / 3 = 0.4444
  assert.equal(report.macroF1, 0.4444);
  assert.equal(report.accuracy, 0.6);
  assert.deepEqual(report.classes.neutre, { precision: 0.5, recall: 1, f1: 0.6667, support: 1 });
  assert.deepEqual(report.confusion, [[2, 1, 0], [0, 1, 0], [1, 0, 0]]);
  // Two tweets at 0.95 (bin 9), one right one not: |0.95 - 0.5| weighted 2/3; one at 0.15 right: |0.15 - 1| weighted 1/3.
  assert.equal(expectedCalibrationError([0.95, 0.95, 0.15], [1, 0, 1]), Math.round(((2 / 3) * 0.45 + (1 / 3) * 0.85) * 10000) / 10000);
  const full = evaluate([OUTAGE, PRAISE], [{ ...OUTAGE, confidence: 1 }, { ...OUTAGE, confidence: 0 }]);
  assert.equal(full.ece, 0);
  assert.equal(full.labels.is_claim.accuracy, 0.5);
});

test('isotonic calibration is non-decreasing', () => {
  const { y } = isotonic([{ x: 0.1, y: 0.3 }, { x: 0.2, y: 0.1 }, { x: 0.5, y: 0.9 }, { x: 0.6, y: 0.7 }]);
  assert.deepEqual(y, [0.2, 0.8]);
});

/** The fixture's real tweets, each with two paraphrases, plus written tweets and a paraphrase of a tweet that is not there. */
function withExtras(): Example[] {
  const real = fixture();
  const paraphrases = real.flatMap((example) => [1, 2].map((n): Example => ({ ...example, id: `${example.id}-p${n}`, origin: 'paraphrase', sourceId: example.id, input: { tweet: cleanTweet(`${example.input.tweet.text} (${n})`) } })));
  const written = real.slice(0, 6).map((example): Example => ({ ...example, id: `s-${example.id}`, origin: 'written' }));
  return [...paraphrases.slice(0, 10), ...real, ...paraphrases.slice(10), ...written, { ...(real[0] as Example), id: 'orphan-p1', origin: 'paraphrase', sourceId: 'not-here' }];
}

test('folds: written tweets and orphan paraphrases are never validated on, a paraphrase shares its source tweet\'s fold', () => {
  const examples = withExtras();
  for (const folds of [3, 5]) {
    const foldOf = assignFolds(examples, folds, 11);
    const foldOfId = new Map(examples.map((example, i) => [example.id, foldOf[i] as number]));
    examples.forEach((example, i) => {
      const fold = foldOf[i] as number;
      if (example.origin === 'real') assert.ok(fold >= 0 && fold < folds, example.id);
      else if (example.origin === 'written') assert.equal(fold, ALWAYS_TRAINED, example.id);
      else assert.equal(fold, foldOfId.get(example.sourceId ?? '') ?? ALWAYS_TRAINED, example.id);
    });
    assert.equal(foldOfId.get('orphan-p1'), ALWAYS_TRAINED);
    // Every fold validates some real tweets.
    assert.equal(new Set(examples.flatMap((example, i) => (example.origin === 'real' ? [foldOf[i]] : []))).size, folds);
  }
  // Cross-validation scores the real tweets only.
  const { report } = crossValidate(examples, { ...SMALL, originWeights: { paraphrase: labelWeights(0.5), written: labelWeights(1, { is_claim: 0 }), extra: labelWeights(1) } });
  assert.equal(report.examples, fixture().length);
});

test('readLabelled takes the origin from the source field, else from the caller, and keeps a paraphrase\'s source id', async () => {
  const labels = '"sentiment": "negatif", "is_claim": "oui", "urgence": "haute", "topics": "fibre", "incident": "panne_technique"';
  const path = writeTemp('mixed.jsonl', [
    `{"id": "1", "text": "plus d'internet", ${labels}}`,
    `{"id": "1-p1", "source_id": "1", "source": "paraphrase", "text": "internet coupé", ${labels}}`,
    `{"id": "s01-001", "source": "written", "text": "toujours pas de connexion", ${labels}}`,
  ].join('\n'));
  const examples = await readLabelled(path);
  assert.deepEqual(examples.map((example) => [example.id, example.origin, example.sourceId]), [['1', 'real', undefined], ['1-p1', 'paraphrase', '1'], ['s01-001', 'written', undefined]]);
  assert.deepEqual((await readLabelled(path, undefined, 'written')).map((example) => example.origin), ['written', 'paraphrase', 'written']);
});
