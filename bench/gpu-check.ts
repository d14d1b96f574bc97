/**
 * The Node half of bench/gpu-check.sh, one part per process so that the shell can time-box
 * each and a crash in one leaves the others' results:
 *   node --import tsx bench/gpu-check.ts PART OUT_DIR [--software] [--budget-ms N]
 *   node --import tsx bench/gpu-check.ts summary OUT_DIR device=0 parity=124 ...
 * PART is device, parity, timing or train; each writes OUT_DIR/PART.json. summary merges
 * them, with each part's exit code, into OUT_DIR/gpu-check.json and prints one line a part.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { findLibrary, systemRuntime } from '../lib/compute/gpu-runtime.js';
import { CUDA_LIBRARIES, TENSORFLOW_GPU_PACKAGE } from '../lib/compute/tensorflow-gpu.js';
import { describeAdapter, WEBGPU_PACKAGES } from '../lib/compute/webgpu.js';
import { writeFileAtomic } from '../lib/util/atomic.js';
import { parityPart, type PartResult, timingPart, trainPart } from './gpu-training.js';

const PARTS = ['device', 'parity', 'timing', 'train'] as const;
type Part = (typeof PARTS)[number];

/** One command's output, or undefined when it is not installed or fails. */
function commandOutput(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The NVIDIA GPU (nvidia-smi), the libraries and packages the GPU backends need, Dawn. */
async function devicePart(software: boolean): Promise<PartResult> {
  const gpus = commandOutput('nvidia-smi',
    ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(commandOutput('nvidia-smi', []) ?? '')?.[1];
  const sonames = ['libcuda.so.1', ...CUDA_LIBRARIES, 'libvulkan.so.1', 'libEGL.so.1'];
  const libraries = Object.fromEntries(sonames.map((soname) =>
    [soname, findLibrary(soname) ?? null]));
  const names = [TENSORFLOW_GPU_PACKAGE, WEBGPU_PACKAGES.dawn.name, WEBGPU_PACKAGES.backend.name];
  const packages = Object.fromEntries(names.map((name) => [name, systemRuntime.hasPackage(name)]));

  let adapter: string;
  if (!packages[WEBGPU_PACKAGES.dawn.name]) {
    adapter = `not asked (package ${WEBGPU_PACKAGES.dawn.name} missing)`;
  } else {
    try {
      const info = await systemRuntime.requestAdapter(software);
      adapter = info === undefined ? 'none' : describeAdapter(info);
    } catch (error) {
      adapter = `error: ${(error as Error).message}`;
    }
  }
  const gpuLine = gpus === undefined
    ? 'no NVIDIA GPU (nvidia-smi not found or failed)'
    : `${gpus.split('\n').join('; ')}; CUDA ${cuda ?? 'version unknown'}`;
  const missing = sonames.filter((soname) => libraries[soname] === null);
  return {
    status: 'done',
    detail: `${gpuLine}; Dawn adapter${software ? ' (software mode)' : ''}: ${adapter}; ` +
      `libraries missing: ${missing.join(', ') || 'none'}`,
    nvidiaSmi: gpus ?? null, cudaVersion: cuda ?? null, libraries, packages, adapter,
    node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length,
  };
}

async function runPart(part: Part, out: string, options: string[]): Promise<number> {
  const software = options.includes('--software');
  const budgetAt = options.indexOf('--budget-ms');
  const budgetMs = budgetAt >= 0 ? Number(options[budgetAt + 1]) : 100_000;
  let result: PartResult;
  try {
    if (part === 'device') result = await devicePart(software);
    else if (part === 'parity') result = await parityPart(software);
    else if (part === 'timing') result = await timingPart(software, budgetMs);
    else result = await trainPart(software);
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    console.error(message);
    result = { status: 'failed', detail: message.split('\n')[0] };
  }
  writeFileAtomic(join(out, `${part}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`gpu-check ${part}: ${result.status}: ${result.detail}`);
  return result.status === 'failed' ? 1 : 0;
}

/** Reads each part's JSON; a part without one failed or ran out of time (exit code given). */
function summarize(out: string, exitCodes: string[]): number {
  const codes = new Map(exitCodes.map((pair) => pair.split('=') as [string, string]));
  const parts: Record<string, PartResult> = {};
  for (const part of PARTS) {
    const file = join(out, `${part}.json`);
    const code = Number(codes.get(part) ?? NaN);
    if (code === 124 || code === 137) {
      parts[part] = { status: 'failed', detail: `timed out (exit ${code}); see gpu-check.log` };
    } else if (existsSync(file)) {
      parts[part] = JSON.parse(readFileSync(file, 'utf8')) as PartResult;
    } else {
      parts[part] = { status: Number.isNaN(code) ? 'skipped' : 'failed',
        detail: Number.isNaN(code) ? 'not run' : `no result (exit ${code}); see gpu-check.log` };
    }
  }
  const failed = PARTS.filter((part) => parts[part].status === 'failed');
  const summary = { finished: new Date().toISOString(), host: os.hostname(),
    ok: failed.length === 0, parts };
  writeFileAtomic(join(out, 'gpu-check.json'), `${JSON.stringify(summary, null, 2)}\n`);

  console.log(`gpu-check summary (${join(out, 'gpu-check.json')}):`);
  for (const part of PARTS) {
    console.log(`  ${part.padEnd(7)} ${parts[part].status.padEnd(8)} ${parts[part].detail}`);
  }
  console.log(failed.length === 0 ? 'gpu-check: ok (skipped parts say why)'
    : `gpu-check: FAILED: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, out, ...rest] = argv;
  if (out === undefined) {
    console.error('usage: node --import tsx bench/gpu-check.ts ' +
      `${PARTS.join('|')}|summary OUT_DIR [--software] [--budget-ms N] [part=code ...]`);
    return 2;
  }
  if (command === 'summary') return summarize(out, rest);
  if (!(PARTS as readonly string[]).includes(command)) {
    console.error(`gpu-check: unknown part '${command}'; expected one of ${PARTS.join(', ')}`);
    return 2;
  }
  return runPart(command as Part, out, rest);
}

// Dawn keeps the event loop alive while TensorFlow.js holds its device: exit explicitly.
main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
