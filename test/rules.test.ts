import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanTweet } from '../src/clean/index.js';
import { mentionsPlace } from '../src/classify/places.js';
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

test('a named town, department or region is a place; words that are also town names are not', () => {
  const fires = (text: string): boolean => fireCues({ tweet: cleanTweet(text) }).includes('place');
  for (const text of ['Plus de fibre à Bourg-en-Bresse depuis hier', 'panne sur Besançon ?', 'coupure générale en Seine-et-Marne', 'toujours rien à Lyon']) {
    assert.ok(fires(text), text);
  }
  for (const text of ['je passe chez Orange', 'la réunion de demain', 'le passage du technicien', 'trois tours de manège', '']) {
    assert.ok(!fires(text), text);
  }
  assert.ok(mentionsPlace('panne a saint denis'));
  assert.ok(!mentionsPlace('panne a saint'));
});

test('a neighbourhood-wide outage that is not the author’s own is a network incident', () => {
  const labels = label('panne générale à Strasbourg, tout le quartier est touché selon downdetector');
  assert.equal(labels.topics, 'reseau');
  assert.equal(labels.incident, 'infrastructure_reseau');
});

test('enthusiasm is positive', () => {
  assert.ok(fireCues({ tweet: cleanTweet('Ravi de la nouvelle box, génial !') }).includes('enthusiasm'));
  assert.equal(label('heureux de vous annoncer une bonne nouvelle : la 5G arrive').sentiment, 'positif');
});
