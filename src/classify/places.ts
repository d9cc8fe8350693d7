/** The French towns, departments and regions a tweet names: outages and coverage are told by place. */
import { DEPARTEMENTS, PLACES, type PlaceKind } from './place-names.js';

export { DEPARTEMENTS, type PlaceKind };

export interface Place {
  /** As written officially ("Saint-Étienne"). */
  name: string;
  kind: PlaceKind;
  /** The department's code ('69'; empty for a region). */
  departement: string;
}

// Names grouped by their first word, as lists of words: a tweet is read word by word, and most words start no name.
const NAMES_BY_FIRST_WORD = new Map<string, Array<{ rest: string[]; folded: string }>>();
for (const folded of PLACES.keys()) {
  const [first = '', ...rest] = folded.split(' ');
  NAMES_BY_FIRST_WORD.set(first, [...(NAMES_BY_FIRST_WORD.get(first) ?? []), { rest, folded }]);
}

/** The folded names of the places in `folded` (a cleaned tweet's folded text: lower case, no accents), in order. */
function* placeNames(folded: string): Generator<string> {
  const words = folded.split(/[^a-z0-9]+/);
  for (let i = 0; i < words.length; i++) {
    const names = NAMES_BY_FIRST_WORD.get(words[i] as string);
    const found = names?.find(({ rest }) => rest.every((word, k) => words[i + 1 + k] === word));
    if (found !== undefined) yield found.folded;
  }
}

export function mentionsPlace(folded: string): boolean {
  return !placeNames(folded).next().done;
}

/** The places `folded` names, each once, in order. */
export function placesIn(folded: string): Place[] {
  return [...new Set(placeNames(folded))].map((key) => {
    const [name, kind, departement] = PLACES.get(key) as readonly [string, PlaceKind, string];
    return { name, kind, departement };
  });
}
