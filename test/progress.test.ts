import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createBoard, createProgress, formatBar, formatEpochLine, parseStepLine, stepLine, type ProgressOptions,
} from '../lib/training/progress.js';

describe('formatBar', () => {
  const cases: [number, number, number, number, string][] = [
    // 12/25 of 14 cells = 6.72, rounded to 7.
    [3, 8, 12, 25, 'epoch 3/8 [#######.......] 12/25 steps'],
    [1, 2, 0, 4, 'epoch 1/2 [..............] 0/4 steps'],
    [2, 2, 4, 4, 'epoch 2/2 [##############] 4/4 steps'],
    [1, 1, 1, 3, 'epoch 1/1 [#####.........] 1/3 steps'],
  ];
  for (const [epoch, epochs, step, steps, expected] of cases) {
    test(expected, () => assert.equal(formatBar(epoch, epochs, step, steps), expected));
  }
});

describe('formatEpochLine', () => {
  test('fixed decimals, rounded milliseconds, best mark', () => {
    const summary = { epoch: 3, loss: 0.41234, valIoU: 0.231, msPerStep: 312.4, best: true };
    assert.equal(formatEpochLine(summary, 8),
      'epoch 3/8  loss 0.4123  val IoU 0.2310  312 ms/step  (best)');
    assert.equal(formatEpochLine({ ...summary, best: false, valIoU: NaN, msPerStep: 0.6 }, 8),
      'epoch 3/8  loss 0.4123  val IoU NaN  1 ms/step');
  });
});

/** A reporter writing into an array, with a clock the test moves by hand. */
function recorder(options: Partial<ProgressOptions> = {}) {
  const output: string[] = [];
  let time = 0;
  const progress = createProgress({
    epochs: 2, stepsPerEpoch: 5, write: (text) => output.push(text), now: () => time, ...options,
  });
  return { output, progress, setTime: (ms: number) => { time = ms; } };
}

describe('createProgress', () => {
  test('redraws at most every 250 ms, always the last step, then the epoch line', () => {
    const { output, progress, setTime } = recorder({ bar: true });
    // Steps finish at 0, 100, 200, 300, 320 ms: drawn at 0 (first), 300 (>= 250 later)
    // and 320 (last step of the epoch).
    [0, 100, 200, 300, 320].forEach((ms, i) => {
      setTime(ms);
      progress.step(1, i + 1);
    });
    progress.epochEnd({ epoch: 1, loss: 0.5, valIoU: 0.25, msPerStep: 64, best: true });
    const bar = (step: number) => `\r${formatBar(1, 2, step, 5)}`;
    const blank = `\r${' '.repeat(formatBar(1, 2, 5, 5).length)}\r`;
    assert.deepEqual(output, [bar(1), bar(4), bar(5), blank,
      'epoch 1/2  loss 0.5000  val IoU 0.2500  64 ms/step  (best)\n']);
  });

  test('a new epoch draws its first step at once', () => {
    const { output, progress } = recorder({ bar: true });
    progress.step(1, 1);
    progress.epochEnd({ epoch: 1, loss: 1, valIoU: 0, msPerStep: 1, best: true });
    progress.step(2, 1);
    assert.equal(output.at(-1), `\r${formatBar(2, 2, 1, 5)}`);
  });

  test('bar off: only the epoch lines, to log when given', () => {
    const lines: string[] = [];
    const { output, progress } = recorder({ bar: false, log: (line) => lines.push(line) });
    for (let step = 1; step <= 5; step++) progress.step(1, step);
    progress.epochEnd({ epoch: 1, loss: 0.5, valIoU: 0.25, msPerStep: 64, best: false });
    assert.deepEqual(output, []);
    assert.deepEqual(lines, ['epoch 1/2  loss 0.5000  val IoU 0.2500  64 ms/step']);
  });

  test('STUDY_PROGRESS=lines turns the bar off by default', () => {
    const saved = process.env.STUDY_PROGRESS;
    process.env.STUDY_PROGRESS = 'lines';
    try {
      const { output, progress } = recorder();
      progress.step(1, 5);
      progress.epochEnd({ epoch: 1, loss: 0.5, valIoU: 0.25, msPerStep: 64, best: false });
      assert.deepEqual(output, ['epoch 1/2  loss 0.5000  val IoU 0.2500  64 ms/step\n']);
    } finally {
      if (saved === undefined) delete process.env.STUDY_PROGRESS;
      else process.env.STUDY_PROGRESS = saved;
    }
  });
});

describe('progress of runs in worker processes', () => {
  test('a step line reads back as the numbers written; other lines are not step lines', () => {
    assert.deepEqual(parseStepLine(stepLine(3, 40, 5, 16)),
      { epoch: 3, epochs: 40, step: 5, steps: 16 });
    assert.equal(parseStepLine('epoch 3/40  loss 0.5000'), undefined);
    assert.equal(parseStepLine('\u0001step 3 forty 5 16'), undefined);
  });

  test('the board draws every running run on one line and clears it before a log line', () => {
    const written: string[] = [];
    const lines: string[] = [];
    let time = 0;
    const board = createBoard((line) => lines.push(line),
      { bar: true, write: (text) => written.push(text), now: () => time });
    board.update('fold 1', 3, 40, 8, 16);
    time = 1000;
    board.update('fold 2', 3, 40, 4, 16);
    assert.equal(written.at(-1),
      'fold 1 3/40 [#####.....] 8/16 | fold 2 3/40 [###.......] 4/16');
    const drawn = written.at(-1) ?? '';
    const count = written.length;
    time = 1100;
    board.update('fold 2', 3, 40, 5, 16);
    assert.equal(written.length, count, 'a redraw within 250 ms is skipped');
    board.log('[fold 1] epoch 3/40  loss 0.5000');
    const blank = `\r${' '.repeat(drawn.length)}\r`;
    assert.equal(written.at(-1), blank);
    assert.deepEqual(lines, ['[fold 1] epoch 3/40  loss 0.5000']);
  });

  test('bar off: log lines pass through, nothing is drawn', () => {
    const written: string[] = [];
    const lines: string[] = [];
    const board = createBoard((line) => lines.push(line),
      { bar: false, write: (text) => written.push(text) });
    board.update('fold 1', 1, 2, 1, 4);
    board.log('line');
    assert.deepEqual(written, []);
    assert.deepEqual(lines, ['line']);
  });
});
