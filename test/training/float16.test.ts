import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { float16Bits, quantizeFloat16 } from '../../src/training/float16.js';
import { loadLayersModel, saveLayersModel } from '../../src/training/model-io.js';
import { buildResNet18 } from '../../src/training/resnet.js';
import { useCpuBackend, useTempDirs } from './helpers.js';

useCpuBackend();
const tempDir = useTempDirs();

describe('float16 weights', () => {
  it('rounds to the nearest binary16, subnormals and overflow included', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(0.1)).toBe(0x2e66);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // rounds up past the largest finite half
    expect(float16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -26)).toBe(0);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie goes to even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('halves a model folder and TF.js loads it back within half-precision error', async () => {
    const dir = path.join(await tempDir(), 'model');
    const model = buildResNet18({ inputSize: 32, width: 4, seed: 3 });
    await saveLayersModel(model, dir);
    const before = (await stat(path.join(dir, 'weights.bin'))).size;
    const { after } = await quantizeFloat16(dir);
    expect(after * 2).toBe(before);
    const loaded = await loadLayersModel(dir);
    const a = model.getWeights();
    const b = loaded.getWeights();
    expect(b).toHaveLength(a.length);
    a.forEach((w, i) => {
      const x = w.dataSync();
      const y = b[i]!.dataSync();
      x.forEach((v, j) => expect(Math.abs((y[j] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -24));
    });
    await expect(quantizeFloat16(dir)).rejects.toThrow(/already quantised/);
    model.dispose();
    loaded.dispose();
  });
});
