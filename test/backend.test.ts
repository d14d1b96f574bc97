import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { chooseBackend } from '../lib/compute/backend.js';
import { type AdapterInfo, type GpuBackendName, type GpuRuntime, parseLdconfig }
  from '../lib/compute/gpu-runtime.js';
import { describeAdapter, isSoftwareAdapter } from '../lib/compute/webgpu.js';

// The tests on the real machine assume the one they were written on: no NVIDIA driver, no
// CUDA 11 libraries, no Vulkan loader (libvulkan.so.1), no @tensorflow/tfjs-node-gpu. The
// WebGPU packages may or may not be installed (bench/gpu-check.sh --prepare installs them).
const savedEnv = process.env.STUDY_BACKEND;
before(() => {
  delete process.env.STUDY_BACKEND;
});
after(() => {
  if (savedEnv === undefined) delete process.env.STUDY_BACKEND;
  else process.env.STUDY_BACKEND = savedEnv;
});

describe('chooseBackend on this machine (no GPU)', () => {
  test('auto picks wasm here, saying what each GPU backend lacks', async (t) => {
    const log = t.mock.method(console, 'log', () => undefined);
    const choice = await chooseBackend();
    assert.equal(choice.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(choice.reason, /CUDA backend unavailable \(missing: .*libcuda\.so\.1 not found/);
    assert.match(choice.reason, /@tensorflow\/tfjs-node-gpu is not installed/);
    assert.match(choice.reason, /WebGPU backend unavailable \(missing: .*libvulkan\.so\.1 not/);
    assert.match(choice.reason, /; using WebAssembly with XNNPACK/);
    assert.equal(log.mock.callCount(), 1);
    assert.match(String(log.mock.calls[0].arguments[0]), /^backend: wasm \(auto: /);
  });

  test('a second identical call returns the same choice and prints nothing', async (t) => {
    const first = await chooseBackend({ requested: 'auto' });
    const log = t.mock.method(console, 'log', () => undefined);
    const second = await chooseBackend({ requested: 'auto' });
    assert.deepEqual(second, first);
    assert.equal(log.mock.callCount(), 0);
  });

  test('the wasm backend it starts can train a conv layer (Conv2DBackpropFilter exists)',
    async (t) => {
      t.mock.method(console, 'log', () => undefined);
      await chooseBackend({ requested: 'wasm' });
      const gradient = tf.tidy(() => {
        const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
        return tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(
          tf.zeros([2, 2, 1, 1]));
      });
      // Each filter tap sees four ones of the 3x3 input.
      assert.deepEqual([...gradient.dataSync()], [4, 4, 4, 4]);
      gradient.dispose();
    });

  test('forcing cpu switches to cpu', async (t) => {
    t.mock.method(console, 'log', () => undefined);
    const choice = await chooseBackend({ requested: 'cpu' });
    assert.deepEqual(choice.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.match(choice.reason, /^requested/);
  });

  test("forcing 'tensorflow' (CUDA) throws naming the package, driver and CUDA libraries",
    async () => {
      const backendBefore = tf.getBackend();
      await assert.rejects(chooseBackend({ requested: 'tensorflow' }), (error: Error) => {
        assert.match(error.message, /backend 'tensorflow' \(CUDA\) was requested but cannot run/);
        assert.match(error.message, /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
        assert.match(error.message, /libcuda\.so\.1 not found/);
        assert.match(error.message, /CUDA 11\.2 \/ cuDNN 8\.1 libraries not found \(libcudart/);
        return true;
      });
      assert.equal(tf.getBackend(), backendBefore, 'no silent switch');
    });

  test("forcing 'webgpu' throws naming the missing Vulkan loader", async () => {
    const backendBefore = tf.getBackend();
    await assert.rejects(chooseBackend({ requested: 'webgpu' }),
      /backend 'webgpu' \(WebGPU\) was requested but cannot run: missing: .*libvulkan\.so\.1/);
    assert.equal(tf.getBackend(), backendBefore, 'no silent switch');
  });

  const invalid: [string, string][] = [['gpu', 'gpu'], ['webgl', 'webgl'], ['cuda ', 'cuda ']];
  for (const [requested, shown] of invalid) {
    test(`an unknown name ('${requested}') throws listing the valid ones`, async () => {
      await assert.rejects(chooseBackend({ requested }), (error: Error) => {
        assert.match(error.message, new RegExp(`'${shown}'`));
        assert.match(error.message, /expected one of tensorflow, webgpu, wasm, cpu, auto/);
        return true;
      });
    });
  }

  test('env STUDY_BACKEND is honoured, case-insensitively, and a request overrides it',
    async (t) => {
      t.mock.method(console, 'log', () => undefined);
      process.env.STUDY_BACKEND = 'CPU';
      assert.equal((await chooseBackend()).name, 'cpu');
      process.env.STUDY_BACKEND = 'wasm';
      assert.equal((await chooseBackend()).name, 'wasm');
      assert.equal((await chooseBackend({ requested: 'cpu' })).name, 'cpu');
      process.env.STUDY_BACKEND = 'tpu';
      await assert.rejects(chooseBackend(), /env STUDY_BACKEND is 'tpu'; expected one of/);
      process.env.STUDY_BACKEND = 'tensorflow';
      await assert.rejects(chooseBackend(), /@tensorflow\/tfjs-node-gpu is not installed/);
      delete process.env.STUDY_BACKEND;
    });
});

/** What a simulated machine has. */
interface Machine {
  packages?: string[];
  libraries?: string[];
  adapter?: AdapterInfo;
  /** Backends whose activation throws this message. */
  failing?: Partial<Record<GpuBackendName, string>>;
}

const WEBGPU = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];
const CUDA = ['libcuda.so.1', 'libcudart.so.11.0', 'libcudnn.so.8'];
const H200: AdapterInfo = { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200',
  description: 'NVIDIA: 580.159.03', software: false };
const LLVMPIPE: AdapterInfo = { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15)',
  description: '', software: true };

/** A runtime that reports the machine's pieces and records what was asked of it. */
function simulated(machine: Machine): GpuRuntime & { activated: GpuBackendName[];
  adapterRequests: boolean[] } {
  const activated: GpuBackendName[] = [];
  const adapterRequests: boolean[] = [];
  return {
    activated,
    adapterRequests,
    hasPackage: (name) => (machine.packages ?? []).includes(name),
    findLibrary: (soname) => (machine.libraries ?? []).includes(soname)
      ? `/usr/lib/x86_64-linux-gnu/${soname}` : undefined,
    requestAdapter: async (software) => {
      adapterRequests.push(software);
      return machine.adapter;
    },
    activate: async (backend) => {
      activated.push(backend);
      const failure = machine.failing?.[backend];
      if (failure !== undefined) throw new Error(failure);
      return backend === 'webgpu' ? 'WebGPU via Dawn' : 'CUDA GPU via @tensorflow/tfjs-node-gpu';
    },
  };
}

describe('chooseBackend with a simulated machine', () => {
  // requested, machine, chosen backend, reason pattern, backends activated in order
  const chosen: [string, Machine, string, RegExp, GpuBackendName[]][] = [
    ['webgpu', { packages: WEBGPU, libraries: ['libvulkan.so.1'], adapter: H200 }, 'webgpu',
      /^requested: WebGPU via Dawn on nvidia hopper, NVIDIA H200 NVIDIA: 580\.159\.03$/,
      ['webgpu']],
    ['tensorflow', { packages: ['@tensorflow/tfjs-node-gpu'], libraries: CUDA }, 'tensorflow',
      /^requested: CUDA GPU via/, ['tensorflow']],
    ['auto', { packages: ['@tensorflow/tfjs-node-gpu', ...WEBGPU],
      libraries: [...CUDA, 'libvulkan.so.1'], adapter: H200 }, 'tensorflow',
    /^auto: using CUDA GPU via/, ['tensorflow']],
    // The package alone is not the runtime: without libcuda auto does not try CUDA.
    ['auto', { packages: ['@tensorflow/tfjs-node-gpu', ...WEBGPU],
      libraries: ['libvulkan.so.1'], adapter: H200 }, 'webgpu',
    /^auto: CUDA backend unavailable \(missing: libcuda\.so\.1 not found .*\); using WebGPU/,
    ['webgpu']],
    ['auto', { packages: ['@tensorflow/tfjs-node-gpu', ...WEBGPU],
      libraries: [...CUDA, 'libvulkan.so.1'], adapter: H200,
      failing: { tensorflow: 'TensorFlow sees no CUDA GPU' } }, 'webgpu',
    /CUDA backend unavailable \(TensorFlow sees no CUDA GPU\); using WebGPU via Dawn on nvidia/,
    ['tensorflow', 'webgpu']],
    ['auto', { packages: WEBGPU, libraries: ['libvulkan.so.1'], adapter: LLVMPIPE }, 'wasm',
      new RegExp('WebGPU backend unavailable \\(no GPU adapter: Dawn offers only a software ' +
        'one \\(mesa, llvmpipe \\(LLVM 15\\) \\(software\\)\\)\\); using WebAssembly'),
      []],
    ['auto', { packages: WEBGPU, libraries: ['libvulkan.so.1'] }, 'wasm',
      /WebGPU backend unavailable \(no GPU adapter: Dawn found none through Vulkan/, []],
  ];
  for (const [requested, machine, name, reason, activated] of chosen) {
    test(`${requested} on ${JSON.stringify(machine).slice(0, 90)} -> ${name}`, async (t) => {
      const log = t.mock.method(console, 'log', () => undefined);
      const runtime = simulated(machine);
      const choice = await chooseBackend({ requested, runtime });
      assert.equal(choice.name, name);
      assert.match(choice.reason, reason);
      assert.deepEqual(runtime.activated, activated);
      assert.equal(String(log.mock.calls[0].arguments[0]), `backend: ${name} (${choice.reason})`);
    });
  }

  // requested, machine, every piece the error must name
  const refused: [string, Machine, RegExp[]][] = [
    ['webgpu', {}, [/package webgpu is not installed \(npm install webgpu@0\.6\.2\)/,
      new RegExp('package @tensorflow/tfjs-backend-webgpu is not installed ' +
        '\\(npm install @tensorflow/tfjs-backend-webgpu@4\\.22\\.0\\)'),
      /libvulkan\.so\.1 not found/]],
    ['webgpu', { packages: ['webgpu'], libraries: ['libvulkan.so.1'] },
      [/missing: package @tensorflow\/tfjs-backend-webgpu is not installed[^;]*$/]],
    ['webgpu', { packages: WEBGPU, libraries: ['libvulkan.so.1'] },
      [/cannot run: no GPU adapter: Dawn found none through Vulkan/]],
    ['webgpu', { packages: WEBGPU, libraries: ['libvulkan.so.1'], adapter: LLVMPIPE },
      [/cannot run: no GPU adapter: Dawn offers only a software one \(mesa, llvmpipe/]],
    ['webgpu', { packages: WEBGPU, libraries: ['libvulkan.so.1'], adapter: H200,
      failing: { webgpu: 'the webgpu backend failed to start' } },
    [/cannot run: the webgpu backend failed to start$/]],
    ['tensorflow', { libraries: ['libcuda.so.1'] },
      [/missing: package @tensorflow\/tfjs-node-gpu is not installed/,
        /CUDA 11\.2 \/ cuDNN 8\.1 libraries not found \(libcudart\.so\.11\.0, libcudnn\.so\.8\)/]],
    ['tensorflow', { packages: ['@tensorflow/tfjs-node-gpu'], libraries: ['libcuda.so.1'],
      failing: { tensorflow: 'libcudart.so.11.0: cannot open shared object file' } },
    [new RegExp('missing: CUDA 11\\.2 / cuDNN 8\\.1 libraries not found ' +
      '\\(libcudart\\.so\\.11\\.0, libcudnn\\.so\\.8\\); ' +
      'loading failed: libcudart\\.so\\.11\\.0: cannot open')]],
  ];
  for (const [requested, machine, pieces] of refused) {
    test(`${requested} refused on ${JSON.stringify(machine).slice(0, 90)}`, async () => {
      const runtime = simulated(machine);
      await assert.rejects(chooseBackend({ requested, runtime }), (error: Error) => {
        assert.match(error.message, new RegExp(`backend '${requested}' \\(\\w+\\) was requested`));
        for (const piece of pieces) assert.match(error.message, piece);
        return true;
      });
    });
  }

  test('a missing package or loader is reported before any adapter is asked for', async () => {
    const runtime = simulated({ packages: WEBGPU });
    await assert.rejects(chooseBackend({ requested: 'webgpu', runtime }), /libvulkan/);
    assert.deepEqual(runtime.adapterRequests, []);
    assert.deepEqual(runtime.activated, []);
  });

  test('webgpuSoftware accepts a software adapter (through EGL), and only when asked',
    async (t) => {
      t.mock.method(console, 'log', () => undefined);
      const runtime = simulated({ packages: WEBGPU, libraries: ['libEGL.so.1'],
        adapter: LLVMPIPE });
      const choice = await chooseBackend({ requested: 'webgpu', webgpuSoftware: true, runtime });
      assert.equal(choice.name, 'webgpu');
      assert.match(choice.reason, /on mesa, llvmpipe \(LLVM 15\) \(software\)$/);
      assert.deepEqual(runtime.adapterRequests, [true]);
      // The same machine without the flag: EGL is not Vulkan.
      await assert.rejects(chooseBackend({ requested: 'webgpu', runtime }),
        /libvulkan\.so\.1 not found/);
    });
});

describe('adapter and library helpers', () => {
  const adapters: [Parameters<typeof isSoftwareAdapter>[0], boolean][] = [
    [{ vendor: 'nvidia', device: 'NVIDIA H200' }, false],
    [{ vendor: 'amd', architecture: 'rdna-3', device: '' }, false],
    [{ device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, true],
    [{ vendor: 'google', description: 'SwiftShader Device (Subzero)' }, true],
    [{ device: 'lavapipe' }, true],
    [{ vendor: 'nvidia', isFallbackAdapter: true }, true],
    [{ device: 'null-backend' }, true],
    [undefined, false],
  ];
  for (const [info, software] of adapters) {
    test(`isSoftwareAdapter(${JSON.stringify(info)}) = ${software}`, () => {
      assert.equal(isSoftwareAdapter(info), software);
    });
  }

  test('describeAdapter leaves empty fields out and marks software', () => {
    assert.equal(describeAdapter(H200), 'nvidia hopper, NVIDIA H200 NVIDIA: 580.159.03');
    assert.equal(describeAdapter({ ...H200, architecture: '', description: '' }),
      'nvidia, NVIDIA H200');
    assert.equal(describeAdapter({ vendor: '', architecture: '', device: '', description: '',
      software: true }), 'unnamed adapter (software)');
  });

  test('parseLdconfig maps each 64-bit library name to its first path', () => {
    const text = [
      '1234 libs found in cache `/etc/ld.so.cache\'',
      '\tlibvulkan.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libvulkan.so.1',
      '\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1',
      '\tlibcuda.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libcuda.so.1',
      '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1',
      'Cache generated by: ldconfig (GNU libc) stable release version 2.36',
    ].join('\n');
    assert.deepEqual([...parseLdconfig(text)], [
      ['libvulkan.so.1', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1'],
      ['libcuda.so.1', '/usr/local/nvidia/lib64/libcuda.so.1'],
    ]);
    assert.equal(parseLdconfig('').size, 0);
  });
});
