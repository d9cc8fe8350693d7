import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanTweet, foldText } from '../src/clean/index.js';

test('decodes entities, drops URLs, mentions and the retweet prefix, keeps hashtag words', () => {
  const tweet = cleanTweet('RT @zoneadsl: @free box &amp; décodeur HS &gt; voir https://t.co/x1 #PanneFree');
  assert.equal(tweet.text, 'box & décodeur HS > voir PanneFree');
});

test('removes emojis from the text but keeps them as signals', () => {
  const tweet = cleanTweet('encore en panne 😡😡 merci 🙏');
  assert.equal(tweet.text, 'encore en panne merci');
  assert.deepEqual(tweet.emojis, ['😡', '😡', '🙏']);
});

test('normalises Unicode and white space, and mends the lost line breaks of the exports', () => {
  assert.equal(cleanTweet('ｆｉｂｒｅ\u00a0 coupée\n\tdepuis   hier').text, 'fibre coupée depuis hier');
  assert.equal(cleanTweet('bonjour,nnla box est hs.nmerci').text, 'bonjour, la box est hs. merci');
  assert.equal(cleanTweet('Merci @free , ça marche').text, 'Merci, ça marche');
});

test('folds case and accents for matching', () => {
  assert.equal(foldText('Très DÉÇU, l’équipe'), "tres decu, l'equipe");
});

test('gives one key to texts that differ only by case, accents, punctuation, URLs or mentions', () => {
  const key = cleanTweet('Plus d’internet depuis hier !').key;
  assert.equal(cleanTweet('@free plus d\'internet depuis hier https://t.co/abc').key, key);
  assert.equal(cleanTweet('RT @bob: PLUS D INTERNET DEPUIS HIER').key, key);
  assert.notEqual(cleanTweet('plus de télé depuis hier').key, key);
});

test('tells emoji-only tweets apart by their emojis', () => {
  assert.notEqual(cleanTweet('😡').key, cleanTweet('🙏').key);
  assert.equal(cleanTweet('@free 😡').key, cleanTweet('😡').key);
});
