/**
 * The CPU benchmark (issue 3): the study's U-Net trained with TensorFlow.js on wasm and with
 * PyTorch on the CPU, one thread each, at 176x352, batch 4, 8 and 16 base filters; prints the
 * median step and single-image inference times and their ratio, and writes bench/RESULTS.md
 * with the machine, versions, the table and a per-kernel profile of one wasm training step.
 *
 *   npm run bench                   (node --import tsx bench/run.ts)
 *   npm run bench -- --steps 10 --no-write
 *
 * PyTorch is Debian's python3-torch, run by /usr/bin/python3; when missing it is installed
 * with apt-get (root only).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { projectRoot } from '../lib/data/paths.js';
import { writeFileAtomic } from '../lib/util/atomic.js';
import {
  type BenchConfig, type BenchTimes, type KernelShare, profileWasmStep, timeWasm,
} from './unet-wasm.js';

const PYTHON = '/usr/bin/python3';

/** What the numbers mean; true whatever the machine (the numbers themselves are above it). */
const NOTES = [
  '## Reading the numbers', '',
  '- Convolutions (forward, input gradient, filter gradient) are 80-90 % of a wasm step. ' +
    'On wasm they run in XNNPACK with 128-bit WebAssembly SIMD and no fused multiply-add; ' +
    "PyTorch's oneDNN uses AVX2 with FMA, 8 lanes fused: about 4x the arithmetic per cycle. " +
    "XNNPACK's forward convolution alone already takes most of PyTorch's whole step.",
  '- The filter gradient (missing in tfjs-backend-wasm, built in lib/compute/' +
    'conv-filter-grad-wasm.ts as im2col blocks times dy) costs about twice the forward: ' +
    'XNNPACK repacks dy as its weights on every call (via tfjs, it cannot be told not to), ' +
    'which at 8-16 output channels costs as much as the product itself.',
  '- Everything else (bias sums, adds, concatenation and its gradient, max-pool gradient) ' +
    'is about a tenth of the step after the replacements in lib/compute/.',
  '- CPU time is reported beside wall time because other work on the machine inflates wall ' +
    'time; both tools run one thread, so their CPU times compare the same work.',
];
const WARMUP = 2;

interface TorchTimes extends BenchTimes {
  version: string;
  threads: number;
}

interface Row {
  config: BenchConfig;
  wasm: BenchTimes;
  torch: TorchTimes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Installs python3-torch with apt-get when /usr/bin/python3 cannot import torch. */
function ensureTorch(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`bench/run.ts: ${PYTHON} cannot import torch and this is not root; ` +
      'install it with: sudo apt-get install -y python3-torch');
  }
  console.log('bench: installing python3-torch with apt-get ...');
  const install = spawnSync('apt-get', ['install', '-y', 'python3-torch'], {
    stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status !== 0) {
    throw new Error('bench/run.ts: apt-get install -y python3-torch failed ' +
      `(exit ${install.status}); run apt-get update first if the package is not found`);
  }
}

function timeTorch(config: BenchConfig, steps: number): TorchTimes {
  const args = [config.height, config.width, config.batchSize, config.baseFilters,
    config.depth, WARMUP, steps].map(String);
  const run = spawnSync(PYTHON, [join(projectRoot(), 'bench', 'unet_torch.py'), ...args], {
    encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (run.status !== 0) {
    throw new Error(`bench/run.ts: bench/unet_torch.py failed (exit ${run.status}):\n` +
      run.stderr.split('\n').slice(-20).join('\n'));
  }
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as TorchTimes;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

/** The table as printed and as written: one line per configuration and measure. */
function table(rows: Row[]): string[] {
  const lines = ['| base filters | parameters (wasm / torch) | measure | wasm ms | torch ms ' +
    '| wasm / torch |', '|---|---|---|---|---|---|'];
  for (const { config, wasm, torch } of rows) {
    const measures: [string, number[], number[]][] = [
      ['train step, wall', wasm.stepMs, torch.stepMs],
      ['train step, CPU', wasm.stepCpuMs, torch.stepCpuMs],
      ['inference 1 image, wall', wasm.inferenceMs, torch.inferenceMs],
      ['inference 1 image, CPU', wasm.inferenceCpuMs, torch.inferenceCpuMs],
    ];
    for (const [measure, ours, theirs] of measures) {
      lines.push(`| ${config.baseFilters} | ${wasm.parameters} / ${torch.parameters} | ` +
        `${measure} | ${fixed(median(ours))} | ${fixed(median(theirs))} | ` +
        `${fixed(median(ours) / median(theirs), 2)} |`);
    }
  }
  return lines;
}

function profileTable(kernels: KernelShare[]): string[] {
  return ['| kernel | calls | ms | share |', '|---|---|---|---|',
    ...kernels.slice(0, 10).map((k) =>
      `| ${k.kernel} | ${k.calls} | ${fixed(k.ms, 1)} | ${fixed(100 * k.share, 1)} % |`)];
}

/** Machine facts for the report: CPU model, cores and the load averages. */
function machine(): string[] {
  const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  const field = (name: string) => new RegExp(`${name}:\\s*(.+)`).exec(lscpu)?.[1]?.trim();
  const model = field('Model name') ?? os.cpus()[0]?.model ?? 'unknown';
  const simd = ['avx2', 'fma', 'avx512f'].filter((flag) =>
    new RegExp(`\\b${flag}\\b`).test(field('Flags') ?? '')).join(', ');
  const load = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  return [`- CPU: ${model} (family ${field('CPU family')}, model ${field('Model')}), ` +
    `${os.availableParallelism()} cores, ${field('Hypervisor vendor') ?? 'no'} hypervisor; ` +
    `vector extensions: ${simd || 'none of avx2, fma, avx512f'}`,
    `- load average (1, 5, 15 min) at the end: ${load}`];
}

function parseArguments(argv: string[]): { steps: number; write: boolean } {
  const options = { steps: 5, write: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-write') options.write = false;
    else if (argv[i] === '--steps' && Number(argv[i + 1]) >= 5) options.steps = Number(argv[++i]);
    else throw new Error(`bench/run.ts: unexpected argument '${argv[i]}'; expected ` +
      '--steps N (N >= 5) or --no-write');
  }
  return options;
}

async function main(): Promise<void> {
  const { steps, write } = parseArguments(process.argv.slice(2));
  ensureTorch();
  const loadBefore = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  const rows: Row[] = [];
  for (const baseFilters of [8, 16]) {
    const config = { height: 176, width: 352, batchSize: 4, baseFilters, depth: 4 };
    console.log(`bench: ${baseFilters} base filters: wasm ...`);
    const wasm = await timeWasm(config, WARMUP, steps);
    console.log(`bench: ${baseFilters} base filters: torch ...`);
    const torch = timeTorch(config, steps);
    if (wasm.parameters !== torch.parameters) {
      throw new Error(`bench/run.ts: the two U-Nets differ: ${wasm.parameters} parameters ` +
        `in TensorFlow.js, ${torch.parameters} in PyTorch`);
    }
    rows.push({ config, wasm, torch });
  }
  const profile = await profileWasmStep(rows[0].config, 3);
  const profileWithNorm = await profileWasmStep({ ...rows[0].config, batchNorm: true }, 3);

  const versions = `Node ${process.version}, TensorFlow.js ${tf.version.tfjs} (wasm, 1 thread), ` +
    `PyTorch ${rows[0].torch.version} (${rows[0].torch.threads} thread), ` +
    execFileSync(PYTHON, ['--version'], { encoding: 'utf8' }).trim();
  const lines = table(rows);
  console.log(['', ...lines, '', 'wasm training step, top 10 kernels (CPU ms, least of 3 steps):',
    ...profileTable(profile)].join('\n'));
  if (!write) return;

  const packageJson = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as
    { name: string };
  writeFileAtomic(join(projectRoot(), 'bench', 'RESULTS.md'), [
    '# CPU benchmark: TensorFlow.js wasm vs PyTorch', '',
    `Written by \`npm run bench\` (${packageJson.name}), ${new Date().toISOString()}.`, '',
    ...machine(), `- load average at the start: ${loadBefore}`, `- ${versions}`,
    `- U-Net of lib/model/unet.ts, depth 4, 176x352, batch 4, Adam, binary cross-entropy; ` +
      `median of ${steps} runs after ${WARMUP} warm-up runs; CPU = process CPU time`, '',
    ...lines, '',
    '## Where a wasm training step goes (8 base filters)', '',
    'tf.profile kernels aggregated by name, CPU time, least of 3 profiled steps:', '',
    ...profileTable(profile), '',
    'The same with batch normalization after every 3x3 convolution, as the study\'s profiles ' +
      'train it (not in the PyTorch comparison):', '',
    ...profileTable(profileWithNorm), '', ...NOTES, '',
  ].join('\n'));
  console.log('bench: wrote bench/RESULTS.md');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
