import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanTweet } from '../src/clean/index.js';
import { applyRules, fireCues } from '../src/classify/rules.js';
import { isConsistent, type Labels } from '../src/labels.js';

function label(text: string, author?: string): Labels {
  return applyRules({ tweet: cleanTweet(text), author });
}

test('an outage lasting days for someone working from home is a critical claim', () => {
  const labels = label('@free plus d’internet depuis 3 jours, je suis en télétravail !!');
  assert.equal(labels.is_claim, 'oui');
  assert.equal(labels.incident, 'panne_technique');
  assert.equal(labels.urgence, 'critique');
  assert.equal(labels.topics, 'fibre');
  assert.equal(labels.sentiment, 'negatif');
});

test('negation turns a verb into a problem: "ne fonctionne pas"', () => {
  const labels = label('ma box ne fonctionne pas');
  assert.equal(labels.is_claim, 'oui');
  assert.notEqual(labels.incident, 'information');
});

test('negated praise is negative: "pas content"', () => {
  assert.equal(label('pas content du tout de la facture').sentiment, 'negatif');
  assert.equal(label('très content de la fibre, merci').sentiment, 'positif');
});

test('"sans coupure" is praise, not an outage', () => {
  const labels = label('portabilité faite en 24h sans coupure, parfait');
  assert.equal(labels.is_claim, 'non');
  assert.equal(labels.incident, 'information');
});

test('billing complaints go to facturation / facture', () => {
  const labels = label("j'ai été prélevé deux fois ce mois-ci, remboursez-moi");
  assert.equal(labels.incident, 'facturation');
  assert.equal(labels.topics, 'facture');
});

test('the operator’s own posts are information', () => {
  const labels = label('la messagerie privée n’est plus disponible, retrouvez-nous sur messenger', 'Freebox');
  assert.deepEqual([labels.is_claim, labels.urgence, labels.incident, labels.sentiment], ['non', 'faible', 'information', 'neutre']);
  assert.ok(fireCues({ tweet: cleanTweet('x'), author: 'FREEBOX' }).includes('operator_account'));
});

test('emojis carry sentiment', () => {
  assert.equal(label('la nouvelle box 😍').sentiment, 'positif');
  assert.equal(label('la nouvelle box 😡').sentiment, 'negatif');
});

test('labels always obey LABELS.md and confidence grows with evidence', () => {
  const texts = ['', 'bonjour', 'panne', 'encore une panne depuis 2 semaines, inadmissible, je vais résilier 😡', 'quel est le prix ?'];
  for (const text of texts) assert.ok(isConsistent(label(text)), text);
  assert.ok(label('bonjour').confidence < label('encore une panne depuis 2 semaines, inadmissible 😡').confidence);
});
