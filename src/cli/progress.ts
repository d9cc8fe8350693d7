/** Progress on stderr (only when it is a terminal) and the warnings printed around it. */
import cliProgress from 'cli-progress';
import type { InputProblem } from '../ingest/types.js';

const MAX_PRINTED_PROBLEMS = 20;

export interface Progress {
  /** Shows the input's bar; bytes drive it, since a stream's row count is unknown until its end. */
  start(phase: string, totalBytes: number | undefined): void;
  update(rows: number, bytesRead: number): void;
  /** A bar for a phase counted in tweets (the LLM's), created on its first call. */
  phase(name: string, done: number, total: number): void;
  problem(problem: InputProblem): void;
  stop(): void;
  unprintedProblems(): number;
}

export function createProgress(options: { quiet: boolean }): Progress {
  const interactive = !options.quiet && process.stderr.isTTY === true;
  const started = performance.now();
  let problems = 0;
  let totalBytes: number | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const bars = interactive
    ? new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format: '{phase} |{bar}| {percentage}% · {rows} rows · {speed} rows/s · ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let lastDraw = 0;
  const phaseBars = new Map<string, { bar: cliProgress.SingleBar | undefined; started: number }>();
  return {
    start(phase, bytes) {
      totalBytes = bytes;
      bar = bars?.create(bytes ?? 1, 0, { phase, rows: 0, speed: 0 });
    },
    update(rows, bytesRead) {
      const now = performance.now();
      if (bar === undefined || now - lastDraw < 100) return;
      lastDraw = now;
      const speed = Math.round(rows / ((now - started) / 1000));
      bar.update(totalBytes === undefined ? 0 : bytesRead, { rows, speed });
    },
    phase(name, done, total) {
      let phaseBar = phaseBars.get(name);
      if (phaseBar === undefined) {
        // The input is fully read once a later phase starts.
        bar?.update(totalBytes ?? 0);
        phaseBar = { bar: bars?.create(total, 0, { phase: name, rows: 0, speed: 0 }), started: performance.now() };
        phaseBars.set(name, phaseBar);
      }
      const seconds = (performance.now() - phaseBar.started) / 1000;
      phaseBar.bar?.update(done, { rows: done, speed: seconds > 0 ? Math.round(done / seconds) : 0 });
    },
    problem({ file, line, message }) {
      problems++;
      if (options.quiet || problems > MAX_PRINTED_PROBLEMS) return;
      const text = `warning: ${file}:${line}: ${message}\n`;
      if (bars !== undefined) bars.log(text);
      else process.stderr.write(text);
    },
    stop() {
      bars?.stop();
    },
    unprintedProblems: () => Math.max(0, problems - MAX_PRINTED_PROBLEMS),
  };
}
