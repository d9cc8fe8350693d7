/**
 * Cleaning: from a raw tweet to the text the care team reads (`text`), the
 * accent-folded form the classifiers match (`folded`), the emojis as signals,
 * and the dedup key shared by every row with the same normalised text.
 */
import { hash } from 'node:crypto';
import { decodeHTML } from 'entities';
import emojiRegex from 'emoji-regex';

export interface CleanedTweet {
  /** Shown to users and written as `text_cleaned`. */
  text: string;
  /** Lower case, accents removed, apostrophes unified: what rules and model read. */
  folded: string;
  /** Emojis removed from `text`, kept because 😡 and 🙏 carry sentiment. */
  emojis: string[];
  /** Hash of the normalised text: rows with the same key are one tweet. */
  key: string;
}

const URL = /\b(?:https?:\/\/|www\.)\S+|\bpic\.twitter\.com\/\S+/gi;
const RETWEET_PREFIX = /^\s*rt\s*(?:@[\p{L}\p{N}_]+)?\s*:\s*/iu;
const MENTION = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]+/gu;
const HASHTAG = /#([\p{L}\p{N}_]+)/gu;
// The exports replace line breaks by a lone `n` glued after punctuation ("télé.nles").
const LOST_LINE_BREAK = /([.,!?…:;)»"])nn?(?=[\p{L}\p{N}])/gu;
const CONTROL_AND_SPACE = /[\s\u0000-\u001f\u007f\u200b-\u200d\u2060\ufeff]+/gu;
// A removed mention or emoji leaves "Merci , ça marche": French sets no space before , and .
const SPACE_BEFORE_COMMA = / ([,.])/g;
// Code points emojis are made of (symbols, dingbats, surrogates of the pictographs, keycaps).
const MAYBE_EMOJI = /[\u00a9\u00ae\u203c-\u3299\ud83c-\ud83e\ufe0f]/;
// Built once: emojiRegex() compiles a new, very large expression on every call.
const EMOJI = emojiRegex();
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const APOSTROPHES = /[’‘`´ʼ]/g;
const LIGATURES = /[œæß]/g;
const LIGATURE_LETTERS: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss' };
const NOT_WORD = /[^\p{L}\p{N}]+/gu;

/** Lower case without accents: "Très Déçu" → "tres decu". Shared by rules and model. */
export function foldText(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(COMBINING_MARKS, '').replace(APOSTROPHES, "'").replace(LIGATURES, (ligature) => LIGATURE_LETTERS[ligature] ?? ligature);
}

export function cleanTweet(raw: string): CleanedTweet {
  // Each step runs only when its marker is present: most tweets need few of them.
  let text = (raw.includes('&') ? decodeHTML(raw) : raw).normalize('NFKC');
  if (text.includes(':')) text = text.replace(RETWEET_PREFIX, '');
  if (text.includes('.')) text = text.replace(URL, ' ');
  if (text.includes('@')) text = text.replace(MENTION, '$1 ');
  if (text.includes('#')) text = text.replace(HASHTAG, '$1');
  text = text.replace(LOST_LINE_BREAK, '$1 ');
  const emojis: string[] = [];
  if (MAYBE_EMOJI.test(text)) {
    text = text.replace(EMOJI, (emoji) => {
      emojis.push(emoji);
      return ' ';
    });
  }
  text = text.replace(CONTROL_AND_SPACE, ' ').replace(SPACE_BEFORE_COMMA, '$1').trim();
  const folded = foldText(text);
  const normalised = folded.replace(NOT_WORD, ' ').trim();
  // A tweet of emojis only has no words: its emojis tell it apart from other such tweets.
  // 96 bits of SHA-1 (16 characters) keep a million keys small with no collision in sight.
  // crypto.hash, one call: three times faster than createHash on short texts.
  const key = hash('sha1', normalised || emojis.join(''), 'buffer').toString('base64url', 0, 12);
  return { text, folded, emojis, key };
}
