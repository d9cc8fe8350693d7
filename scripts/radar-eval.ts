/**
 * Measures the outage radar on simulated streams (src/radar/simulate.ts):
 * false alarms on backgrounds with no burst, and, for injected bursts, how
 * often and how fast they are found when the radar looks every 5 minutes.
 *
 *   npx tsx scripts/radar-eval.ts
 */
import { detectIncidents, DEFAULT_RADAR_OPTIONS } from '../src/radar/index.js';
import { simulateBackground, simulateBurst } from '../src/radar/simulate.js';
import { placesIn } from '../src/classify/places.js';
import { foldText } from '../src/clean/index.js';
import { seededRandom } from '../src/random.js';

const start = Date.UTC(2026, 10, 2);
const DAY = 86_400_000;
const LOOK_EVERY = 5 * 60_000;

console.log(`window ${DEFAULT_RADAR_OPTIONS.windowMs / 60_000} min, alpha ${DEFAULT_RADAR_OPTIONS.alpha}, at least ${DEFAULT_RADAR_OPTIONS.minCount} tweets\n`);
for (const [tweetsPerDay, weeks] of [[400, 100], [4000, 20]] as const) {
  let incidents = 0;
  let outages = 0;
  for (let seed = 1; seed <= weeks; seed++) {
    const report = detectIncidents(simulateBackground({ start, days: 7, tweetsPerDay, seed }));
    incidents += report.incidents.length;
    outages += report.outageTweets;
  }
  console.log(`flat background, ${tweetsPerDay} tweets a day (${Math.round(outages / weeks)} outage tweets a week): ${incidents} incidents in ${weeks} weeks (${(incidents / weeks).toFixed(2)} a week)`);
}

console.log('');
const random = seededRandom(99);
for (const size of [8, 10, 20, 40]) {
  const delays: number[] = [];
  const trials = 40;
  for (let trial = 0; trial < trials; trial++) {
    const town = (['Lyon', 'Rennes', 'Brest', 'Paris', 'Grenoble'] as const)[trial % 5] as string;
    const departement = placesIn(foldText(town))[0]?.departement;
    const background = simulateBackground({ start, days: 7, tweetsPerDay: 400, seed: 1000 + trial });
    const burstStart = start + (2 + Math.floor(random() * 4)) * DAY + Math.floor(random() * DAY);
    const burst = simulateBurst(town, burstStart, 90 * 60_000, size);
    const all = [...background, ...burst];
    for (let now = burstStart + LOOK_EVERY; now <= burstStart + 3 * 3_600_000; now += LOOK_EVERY) {
      const report = detectIncidents(all.filter((tweet) => (tweet.time ?? 0) < now));
      if (report.incidents.some((incident) => incident.area === departement && Date.parse(incident.end) >= burstStart)) {
        delays.push((now - burstStart) / 60_000);
        break;
      }
    }
  }
  delays.sort((a, b) => a - b);
  const median = delays[Math.floor(delays.length / 2)];
  console.log(`burst of ${size} outage tweets in 90 min: found ${delays.length}/${trials}; delay median ${median ?? '-'} min, max ${delays.at(-1) ?? '-'} min`);
}
