import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { parseSmiOutput } from './parse';
import { unitsOf } from './units';

// Real nvidia-smi outputs from ../shared, and copies of them cut short by the test.
const dir = new URL('../../../shared/fixtures/nvidia-smi/', import.meta.url).pathname;
const raw = (file: string) => readFileSync(`${dir}${file}`, 'utf8');

describe('what nvidia-smi says, read right or refused with a sentence', () => {
  test('A100 in MIG mode: four 1g.20gb instances, each its own unit; the parent GPU is never offered whole', () => {
    const inv = parseSmiOutput(raw('a100-sxm4-80gb-mig-drv535-query.xml'));
    const g = inv.gpus[0]!;
    expect(g.migDevices.map((d) => [d.gpuInstanceId, d.computeInstanceId, d.multiprocessorCount, d.profile])).toEqual([[3, 0, 14, '1g.20gb'], [4, 0, 14, '1g.20gb'], [5, 0, 14, '1g.20gb'], [6, 0, 14, '1g.20gb']]);
    const units = unitsOf('n', inv);
    expect(units.map((u) => u.kind)).toEqual(['mig', 'mig', 'mig', 'mig']);
    expect(units.map((u) => u.device)).toEqual([3, 4, 5, 6].map((gi) => `MIG-${g.uuid}/${gi}/0`));
    // What placement may promise on each is the instance's memory, not the parent's 80 GB.
    for (const u of units) expect(u.freeMiB).toBeLessThan(20_000);
  });

  test('a MIG GPU read through a CSV query (which lists no instances) offers nothing', () => {
    const inv = parseSmiOutput(raw('h100-80gb-hbm3-mig-drv590-query-gpu-load.csv'));
    expect(inv.gpus[0]!.migEnabled).toBe(true);
    expect(unitsOf('n', inv)).toEqual([]);
  });

  test('a V100 with retired pages pending and an uncorrectable ECC error is not offered; healthy GPUs are', () => {
    const sick = parseSmiOutput(raw('v100-sxm3-32gb-retired-pages-drv410-query.xml')).gpus[0]!;
    expect(sick.problems).toEqual(['1 uncorrectable ECC error(s) since the driver loaded', 'retired pages pending (needs a reset)']);
    expect(unitsOf('n', { driverVersion: null, gpus: [sick] })).toEqual([]);
    const t4 = parseSmiOutput(raw('tesla-t4-drv515-query.xml'));
    expect(t4.gpus[0]!.problems).toEqual([]);
    expect(unitsOf('n', t4)).toMatchObject([{ kind: 'gpu', device: t4.gpus[0]!.uuid, freeMiB: 13_939 }]); // the driver's free figure (total less used and reserved)
  });

  test('a CSV query without memory.total: total is used + free (+ reserved)', () => {
    const full = raw('h100-80gb-hbm3-drv590-query-gpu-load.csv').trimEnd().split('\n');
    const header = full[0]!.split(', ');
    const row = full[1]!.split(', ');
    const keep = header.map((_, i) => i).filter((i) => !header[i]!.startsWith('memory.total'));
    const csv = `${keep.map((i) => header[i]).join(', ')}\n${keep.map((i) => row[i]).join(', ')}\n`;
    const g = parseSmiOutput(csv).gpus[0]!;
    // Total from the parts: used + free + reserved.
    expect(g.memoryTotalMiB).toBe(19_818 + 61_263 + 479); // the full query says 81,559 (rounded)
  });

  test('truncated XML is refused with the line and "cut off", never the XML library’s bare message', () => {
    const xml = raw('tesla-t4-drv515-query.xml');
    const cut = xml.slice(0, Math.floor(xml.length / 2));
    expect(() => parseSmiOutput(cut)).toThrow(/^its XML is not well-formed at line \d+: .+ \(the output looks cut off\)$/);
  });

  test('truncated CSV is refused, never read as zero GPUs', () => {
    const csv = raw('geforce-rtx-2080-super-windows-drv610-query-gpu-idle.csv');
    const [header, row] = csv.split('\n');
    expect(() => parseSmiOutput(`${header}\n`)).toThrow('its CSV output has a header and no GPU rows (the output looks cut off)');
    expect(() => parseSmiOutput(`${header}\n${row!.slice(0, Math.floor(row!.length / 2))}`)).toThrow(/^its CSV row 1 has \d+ of the header's \d+ fields \(the output looks cut off\)$/);
    expect(() => parseSmiOutput('')).toThrow('its CSV output is empty');
  });
});

describe('MIG profile names', () => {
  test('from multiprocessors and memory, as NVIDIA names them', async () => {
    const { migProfile } = await import('./mig-profile');
    // A100-80GB: 1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb.
    expect([[14, 9_728], [14, 19_968], [28, 19_968], [42, 40_192], [56, 40_192], [98, 81_536]].map(([sm, mib]) => migProfile('NVIDIA A100-SXM4-80GB', sm!, mib!))).toEqual(['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']);
    // H100 80GB: 1g.10gb (16 SMs), 1g.20gb (26), 2g.20gb (32), 3g.40gb (60), 4g.40gb (64), 7g.80gb (132).
    expect([[16, 9_984], [26, 19_968], [32, 19_968], [60, 40_192], [64, 40_192], [132, 81_559]].map(([sm, mib]) => migProfile('NVIDIA H100 80GB HBM3', sm!, mib!))).toEqual(['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']);
    expect(migProfile('NVIDIA A30', 56, 24_064)).toBe('4g.24gb');
    expect(migProfile('Tesla T4', 40, 15_360)).toBeNull();
  });
});
