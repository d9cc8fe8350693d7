/** Progress on stderr (only when it is a terminal) and the warnings printed around it. */
import cliProgress from 'cli-progress';
import type { InputProblem } from '../ingest/types.js';

const MAX_PRINTED_PROBLEMS = 20;

export interface Progress {
  /** Shows the bar; bytes drive it, since a stream's row count is unknown until its end. */
  start(phase: string, totalBytes: number | undefined): void;
  update(rows: number, bytesRead: number): void;
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
