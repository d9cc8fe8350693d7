/** Whether a tweet names a French town, department or region: outages and coverage are told by place. */
import { PLACE_NAMES } from './place-names.js';

// Names grouped by their first word, as lists of words: a tweet is read word by word, and most words start no name.
const NAMES_BY_FIRST_WORD = new Map<string, string[][]>();
for (const name of PLACE_NAMES) {
  const [first = '', ...rest] = name.split(' ');
  NAMES_BY_FIRST_WORD.set(first, [...(NAMES_BY_FIRST_WORD.get(first) ?? []), rest]);
}

/** `folded` is a cleaned tweet's folded text (lower case, no accents); hyphens and apostrophes separate words. */
export function mentionsPlace(folded: string): boolean {
  const words = folded.split(/[^a-z0-9]+/);
  for (let i = 0; i < words.length; i++) {
    const names = NAMES_BY_FIRST_WORD.get(words[i] as string);
    if (names?.some((rest) => rest.every((word, k) => words[i + 1 + k] === word))) return true;
  }
  return false;
}
