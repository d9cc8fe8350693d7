/**
 * Explanations: they name features really in the tweet, read the buckets the
 * model reads, and add up to the model's logit difference; labels equal the classifier's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanTweet } from '../src/clean/index.js';
import { explainWithModel, namedFeatures } from '../src/classify/explain.js';
import { extractFeatures } from '../src/classify/features.js';
import { DEFAULT_MODEL_PATH, loadClassifier } from '../src/classify/index.js';
import { loadModel } from '../src/classify/model.js';
import { fireCues } from '../src/classify/rules.js';
import { LABEL_NAMES } from '../src/labels.js';
import { fmc, manyTweets, tempDir, TEXTS } from './helpers.js';
import { finished, server, upload } from './http.js';

const model = loadModel(DEFAULT_MODEL_PATH);
const classifier = loadClassifier();

test('named features are the features the model reads, bucket for bucket and value for value', () => {
  for (const text of [...TEXTS, 'Plus de fibre à Saint-Étienne ?! 😡 depuis 3 jours…', '']) {
    const input = { tweet: cleanTweet(text) };
    const fired = fireCues(input);
    const named = namedFeatures(input, model.header.features, fired);
    const norm = Math.sqrt(named.reduce((sum, feature) => sum + feature.value ** 2, 0));
    const extracted = extractFeatures(input, model.header.features, fired);
    assert.deepEqual(named.map((feature) => feature.bucket), Array.from(extracted.buckets), text);
    named.forEach((feature, i) => assert.ok(Math.abs(feature.value / norm - (extracted.values[i] as number)) < 1e-6, `${text}: ${feature.name}`));
  }
});

test('an explanation adds up to the logit difference, names what is in the text, and gives the classifier’s labels', () => {
  for (const text of [...TEXTS, 'plus de fibre à Lyon depuis ce matin, rien ne marche']) {
    const input = { tweet: cleanTweet(text) };
    const explanation = explainWithModel(model, input, Number.POSITIVE_INFINITY);
    const { confidence: _confidence, ...labels } = classifier.classify(input);
    assert.deepEqual(explanation.labels, labels, text);
    for (const label of LABEL_NAMES) {
      const part = explanation.perLabel[label];
      assert.notEqual(part.against, part.value);
      const total = part.contributions.reduce((sum, contribution) => sum + contribution.weight, 0) + part.calibration;
      assert.ok(Math.abs(total - part.difference) < 1e-6, `${text} / ${label}: ${total} against ${part.difference}`);
      for (const { feature, kind } of part.contributions) {
        // A word, or the two words of a pair (punctuation between them is not a feature).
        if (kind === 'word' || kind === 'bigram') for (const word of feature.split(' ')) assert.ok(input.tweet.folded.includes(word), `${word} is in « ${input.tweet.folded} »`);
        if (kind === 'rule') assert.ok(explanation.rules.includes(feature));
      }
    }
  }
  const lyon = explainWithModel(model, { tweet: cleanTweet('plus de fibre à Lyon depuis ce matin') });
  assert.deepEqual(lyon.places, [{ name: 'Lyon', kind: 'commune', departement: '69' }]);
  assert.ok(lyon.perLabel.topics.contributions.some((contribution) => contribution.kind === 'rule' && contribution.feature === 'place'));
});

test('fmc explain prints each label with the features that pushed it', () => {
  const result = fmc(['explain', 'plus de fibre à Lyon depuis ce matin', '--top', '3']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^places: Lyon \(commune, 69\)$/m);
  assert.match(result.stdout, /^incident = \w+, ahead of \w+ by \d+\.\d\d$/m);
  assert.equal(result.stdout.match(/^ {2,}[+−]\d+\.\d\d {2}/gm)?.length, 15, 'three features for each of the five labels');
  assert.equal(fmc(['explain', '  ']).code, 2);
});

test('GET /api/runs/:id/tweets/:position: one stored tweet, and with explain=1 why it has its labels', async (t) => {
  const app = await server({ dataDir: tempDir() });
  t.after(() => app.close());
  const id = (await upload(app, 'tweets.csv', manyTweets(20))).json().id as number;
  assert.equal((await finished(app, id)).status, 'done');
  const plain = (await app.inject(`/api/runs/${id}/tweets/3`)).json();
  assert.equal(plain.tweet.id, '4');
  assert.equal(plain.explanation, undefined, 'nothing computed unless asked');
  const explained = (await app.inject(`/api/runs/${id}/tweets/3?explain=1`)).json();
  assert.equal(explained.decidedBy, 'rules+model');
  for (const label of LABEL_NAMES) {
    assert.equal(explained.explanation.perLabel[label].value, explained.tweet[label], label);
    assert.ok(explained.explanation.perLabel[label].contributions.length > 0);
  }
  assert.equal((await app.inject(`/api/runs/${id}/tweets/99`)).statusCode, 404);
});
