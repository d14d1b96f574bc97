/**
 * Training progress as the reader of a notebook or a terminal wants it: a bar within the
 * epoch, redrawn in place, and one summary line per epoch with fixed decimals.
 */

/** What one finished epoch reports. */
export interface EpochSummary {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's images. */
  loss: number;
  /** Validation mean IoU at cutoff 0.5. */
  valIoU: number;
  msPerStep: number;
  /** True when this epoch has the best validation IoU so far. */
  best: boolean;
}

export interface ProgressOptions {
  epochs: number;
  stepsPerEpoch: number;
  /** Draw the bar; default true unless the environment has STUDY_PROGRESS=lines. */
  bar?: boolean;
  /** Where the bar goes; process.stdout by default. */
  write?: (text: string) => void;
  /** Where the epoch lines go; `write(line + '\n')` by default. */
  log?: (line: string) => void;
  /** Clock in milliseconds, replaceable in tests. */
  now?: () => number;
}

export interface ProgressReporter {
  /** Step `step` (1-based) of epoch `epoch` has finished. */
  step(epoch: number, step: number): void;
  /** Clears the bar and writes the epoch's summary line. */
  epochEnd(summary: EpochSummary): void;
}

/** Redraws closer together than this are skipped: at most four per second. */
export const BAR_INTERVAL_MS = 250;

const BAR_WIDTH = 14;

/**
 * The bar text without the leading carriage return: 14 cells, filled in proportion.
 * @param epoch 1-based epoch.
 * @param epochs epochs of the run.
 * @param step finished steps of this epoch.
 * @param steps steps per epoch.
 * @returns one line, no newline.
 * @example formatBar(3, 8, 12, 25) // 'epoch 3/8 [#######.......] 12/25 steps'
 */
export function formatBar(epoch: number, epochs: number, step: number, steps: number): string {
  const filled = steps > 0 ? Math.round((step / steps) * BAR_WIDTH) : BAR_WIDTH;
  const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  return `epoch ${epoch}/${epochs} [${bar}] ${step}/${steps} steps`;
}

/**
 * One epoch's summary line: loss and IoU with four decimals, whole milliseconds per step,
 * and '(best)' when the epoch is the best so far.
 * @param summary the finished epoch.
 * @param epochs epochs of the run.
 * @returns one line, no newline.
 * @example formatEpochLine({ epoch: 3, loss: 0.41234, valIoU: 0.231, msPerStep: 312.4,
 *   best: true }, 8) // 'epoch 3/8  loss 0.4123  val IoU 0.2310  312 ms/step  (best)'
 */
export function formatEpochLine(summary: EpochSummary, epochs: number): string {
  const { epoch, loss, valIoU, msPerStep, best } = summary;
  return `epoch ${epoch}/${epochs}  loss ${loss.toFixed(4)}  val IoU ${valIoU.toFixed(4)}  ` +
    `${Math.round(msPerStep)} ms/step${best ? '  (best)' : ''}`;
}

/**
 * A reporter that draws the bar with '\r' (throttled to BAR_INTERVAL_MS) and ends each
 * epoch with its summary line.
 * @param options epochs, steps per epoch, and where to write.
 * @returns the reporter.
 * @example const progress = createProgress({ epochs: 8, stepsPerEpoch: 25 });
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const { epochs, stepsPerEpoch } = options;
  const write = options.write ?? ((text: string) => { process.stdout.write(text); });
  const log = options.log ?? ((line: string) => write(`${line}\n`));
  const now = options.now ?? (() => performance.now());
  const bar = options.bar ?? process.env.STUDY_PROGRESS !== 'lines';
  let lastDraw = -Infinity;
  let drawnLength = 0;

  return {
    step(epoch, step) {
      if (!bar) return;
      const time = now();
      if (time - lastDraw < BAR_INTERVAL_MS && step < stepsPerEpoch) return;
      lastDraw = time;
      const text = formatBar(epoch, epochs, step, stepsPerEpoch);
      write(`\r${text}`);
      drawnLength = text.length;
    },
    epochEnd(summary) {
      if (drawnLength > 0) {
        // Blank the bar so that the summary line does not inherit its tail.
        write(`\r${' '.repeat(drawnLength)}\r`);
        drawnLength = 0;
      }
      lastDraw = -Infinity;
      log(formatEpochLine(summary, epochs));
    },
  };
}

/** Prefix of the machine-readable step lines a worker writes (see stepLine, parseStepLine). */
const STEP_PREFIX = '\u0001step ';

/**
 * The line a worker process writes after a training step, for the parent's progress board.
 * @example stepLine(3, 40, 5, 16) // '\u0001step 3 40 5 16'
 */
export function stepLine(epoch: number, epochs: number, step: number, steps: number): string {
  return `${STEP_PREFIX}${epoch} ${epochs} ${step} ${steps}`;
}

/**
 * Reads a line written by stepLine.
 * @returns the four numbers, or undefined for any other line.
 * @example parseStepLine('\u0001step 3 40 5 16') // { epoch: 3, epochs: 40, step: 5, steps: 16 }
 */
export function parseStepLine(
  line: string,
): { epoch: number; epochs: number; step: number; steps: number } | undefined {
  if (!line.startsWith(STEP_PREFIX)) return undefined;
  const [epoch, epochs, step, steps] = line.slice(STEP_PREFIX.length).split(' ').map(Number);
  return [epoch, epochs, step, steps].every(Number.isInteger)
    ? { epoch, epochs, step, steps } : undefined;
}

/** Several runs' bars on one line, for runs training in parallel worker processes. */
export interface ProgressBoard {
  /** Run `name` finished `step` of `steps` in epoch `epoch` of `epochs`. */
  update(name: string, epoch: number, epochs: number, step: number, steps: number): void;
  /** Writes a log line, clearing the board first (it is redrawn on the next update). */
  log(line: string): void;
  /** Blanks the board's line, e.g. before someone else writes. */
  clear(): void;
}

/**
 * A board that redraws all running runs' bars on one line with '\r' (at most every
 * BAR_INTERVAL_MS), e.g. 'fold 1 3/40 [####......] 5/16 | fold 2 3/40 [##........] 2/16'.
 * With `bar` false (STUDY_PROGRESS=lines) it only passes log lines through.
 * @param log where log lines go.
 * @param options bar (default: not STUDY_PROGRESS=lines), write, now.
 * @example const board = createBoard(console.log); board.update('fold 1', 3, 40, 5, 16)
 */
export function createBoard(
  log: (line: string) => void,
  options: Pick<ProgressOptions, 'bar' | 'write' | 'now'> = {},
): ProgressBoard {
  const write = options.write ?? ((text: string) => { process.stdout.write(text); });
  const now = options.now ?? (() => performance.now());
  const bar = options.bar ?? process.env.STUDY_PROGRESS !== 'lines';
  const running = new Map<string, string>();
  let lastDraw = -Infinity;
  let drawnLength = 0;
  const clear = (): void => {
    if (drawnLength > 0) write(`\r${' '.repeat(drawnLength)}\r`);
    drawnLength = 0;
  };
  return {
    update(name, epoch, epochs, step, steps) {
      if (!bar) return;
      const filled = Math.round((step / steps) * 10);
      running.set(name, `${name} ${epoch}/${epochs} [${'#'.repeat(filled)}` +
        `${'.'.repeat(10 - filled)}] ${step}/${steps}`);
      const time = now();
      if (time - lastDraw < BAR_INTERVAL_MS) return;
      lastDraw = time;
      const text = [...running.values()].join(' | ');
      clear();
      write(text);
      drawnLength = text.length;
    },
    log(line) {
      clear();
      log(line);
    },
    clear,
  };
}
