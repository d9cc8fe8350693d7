/**
 * Simulated tweet streams to measure the radar: a background with a daily
 * rhythm and places drawn by population, and bursts injected into it. The
 * tests and `scripts/radar-eval.ts` (false alarms, detection delay) use it.
 */
import { seededRandom } from '../random.js';
import type { RadarTweet } from './detect.js';

/** Large towns and their population (2021), which draws the places of the background. */
export const SIMULATED_TOWNS: ReadonlyArray<readonly [town: string, population: number]> = [
  ['Paris', 2_133_000], ['Marseille', 873_000], ['Lyon', 522_000], ['Toulouse', 504_000], ['Nice', 348_000],
  ['Nantes', 320_000], ['Montpellier', 302_000], ['Strasbourg', 291_000], ['Bordeaux', 261_000], ['Lille', 236_000],
  ['Rennes', 223_000], ['Reims', 180_000], ['Toulon', 180_000], ['Grenoble', 157_000], ['Dijon', 159_000],
  ['Angers', 157_000], ['Brest', 139_000], ['Limoges', 130_000], ['Amiens', 133_000], ['Perpignan', 120_000],
];

const OUTAGE_TEXTS = ['plus de connexion fibre à {town} depuis ce matin', 'coupure internet à {town}, la box ne synchronise plus', 'réseau mobile HS à {town}, aucun appel ne passe'];
const OTHER_TEXTS = ['ma facture a encore augmenté ce mois-ci', 'merci au conseiller pour son aide rapide', 'comment changer mon forfait mobile ?', 'la nouvelle box est arrivée, installation facile'];

/** The share of a day's tweets in each hour (UTC): quiet at night, busy from 8 h to 22 h. */
export function dailyRhythm(hour: number): number {
  return hour < 6 ? 0.25 : hour < 8 ? 0.8 : hour < 22 ? 1.5 : 0.7;
}

export interface BackgroundOptions {
  start: number;
  days: number;
  tweetsPerDay: number;
  /** Share of the tweets that are outage-like. */
  outageShare?: number;
  /** Share of the tweets that name a town. */
  placedShare?: number;
  seed?: number;
}

/** A background stream: times follow the daily rhythm, places the population, with no burst in it. */
export function simulateBackground(options: BackgroundOptions): RadarTweet[] {
  const random = seededRandom(options.seed ?? 1);
  const outageShare = options.outageShare ?? 0.35;
  const placedShare = options.placedShare ?? 0.5;
  const totalPopulation = SIMULATED_TOWNS.reduce((sum, [, population]) => sum + population, 0);
  const rhythmTotal = Array.from({ length: 24 }, (_, hour) => dailyRhythm(hour)).reduce((sum, weight) => sum + weight, 0);
  const drawTown = (): string => {
    let left = random() * totalPopulation;
    for (const [town, population] of SIMULATED_TOWNS) if ((left -= population) < 0) return town;
    return 'Paris';
  };
  const tweets: RadarTweet[] = [];
  for (let day = 0; day < options.days; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const expected = (options.tweetsPerDay * dailyRhythm(hour)) / rhythmTotal;
      // A whole number of tweets per hour, drawn around the expected count.
      const count = Math.floor(expected) + (random() < expected % 1 ? 1 : 0);
      for (let i = 0; i < count; i++) {
        const time = options.start + day * 86_400_000 + hour * 3_600_000 + Math.floor(random() * 3_600_000);
        const outage = random() < outageShare;
        const town = random() < placedShare ? drawTown() : undefined;
        const pattern = outage ? (OUTAGE_TEXTS[Math.floor(random() * OUTAGE_TEXTS.length)] as string) : (OTHER_TEXTS[Math.floor(random() * OTHER_TEXTS.length)] as string);
        const text = town === undefined ? pattern.replace(/ à \{town\}|\{town\}/, '') : outage ? pattern.replace('{town}', town) : `${pattern} (${town})`;
        tweets.push({
          id: `bg-${tweets.length}`,
          time,
          text,
          labels: { topics: outage ? (text.includes('mobile') ? 'reseau' : 'fibre') : 'autre', incident: outage ? 'panne_technique' : 'information', confidence: 0.5 + random() * 0.4 },
        });
      }
    }
  }
  return tweets;
}

/** `count` outage tweets naming `town`, spread evenly over `durationMs` from `start`. */
export function simulateBurst(town: string, start: number, durationMs: number, count: number, topic = 'fibre'): RadarTweet[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `burst-${town}-${i}`,
    time: start + Math.floor((durationMs * i) / count),
    text: `${['panne fibre', 'plus d internet', 'box hs'][i % 3]} à ${town} depuis ${i % 5} min, rien ne marche (${i})`,
    labels: { topics: topic, incident: 'panne_technique', confidence: 0.8 },
  }));
}
