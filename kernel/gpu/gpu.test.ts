import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { parseSmiOutput } from './parse';
import { placeBestFit, type UnitSlot } from './placement';
import { unitsOf } from './units';
import { smiNumber } from './types';

// Real nvidia-smi outputs, read at run time from ../shared (never copied into the project).
const dir = new URL('../../../shared/fixtures/nvidia-smi/', import.meta.url).pathname;
const load = (file: string) => parseSmiOutput(readFileSync(`${dir}${file}`, 'utf8'));

describe('nvidia-smi parsing, every fixture', () => {
  test('every file in the fixture folder parses without crashing and finds GPUs', () => {
    const files = readdirSync(dir).filter((f) => /\.(xml|csv)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const inv = load(f);
      expect(inv.gpus.length).toBeGreaterThan(0);
      for (const g of inv.gpus) expect(g.name.length).toBeGreaterThan(0);
    }
  });

  test('A100 with MIG on: 4 instances of 19968 MiB; utilisation N/A becomes null', () => {
    const inv = load('a100-sxm4-80gb-mig-drv535-query.xml');
    expect(inv.driverVersion).toBe('535.54.03');
    expect(inv.gpus).toHaveLength(1);
    const g = inv.gpus[0]!;
    expect(g).toMatchObject({ name: 'NVIDIA A100-SXM4-80GB', migEnabled: true, utilizationPct: null });
    expect(g.migDevices.map((d) => d.memoryTotalMiB)).toEqual([19968, 19968, 19968, 19968]);
  });

  test('8× V100S under load, in index order', () => {
    const inv = load('v100s-pcie-32gb-x8-drv460-query.xml');
    expect(inv.gpus).toHaveLength(8);
    expect(inv.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(inv.gpus.map((g) => g.name))).toEqual(new Set(['Tesla V100S-PCIE-32GB']));
  });

  test('2× RTX A5000 running llama.cpp: 22437 and 17253 of 24564 MiB used (tab-indented, DTD v13)', () => {
    const inv = load('rtx-a5000-x2-drv590-query.xml');
    expect(inv.gpus.map((g) => [g.memoryUsedMiB, g.memoryTotalMiB])).toEqual([[22437, 24564], [17253, 24564]]);
  });

  test('Windows WDDM RTX 2080: minor number N/A, 862 of 8192 MiB, 2 %, 29 C, 14.50 W', () => {
    const g = load('geforce-rtx-2080-windows-wddm-drv516-query.xml').gpus[0]!;
    expect(g).toMatchObject({ index: 0, memoryUsedMiB: 862, memoryTotalMiB: 8192, utilizationPct: 2, temperatureC: 29, powerDrawW: 14.5 });
  });

  test('old driver, no DOCTYPE: a GTX 1660 Ti named "Graphics Device"', () => {
    const inv = load('geforce-gtx-1660-ti-graphics-device-drv418-query.xml');
    expect(inv.gpus[0]).toMatchObject({ name: 'Graphics Device', memoryTotalMiB: 5912, temperatureC: 40, powerDrawW: 8.93 });
  });

  test('Tesla T4 and the trimmed DGX-2 V100 each report one GPU', () => {
    expect(load('tesla-t4-drv515-query.xml').gpus[0]!.name).toBe('Tesla T4');
    const v100 = load('v100-sxm3-32gb-retired-pages-drv410-query.xml');
    expect(v100.gpus).toHaveLength(1);
    expect(v100.driverVersion).toBe('410.104');
  });

  test('CSV query mode: H100 under load, H100 with MIG, RTX 2080 SUPER idle with [N/A] everywhere', () => {
    expect(load('h100-80gb-hbm3-drv590-query-gpu-load.csv').gpus[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, memoryUsedMiB: 19818, memoryFreeMiB: 61263, utilizationPct: 100, migEnabled: false });
    expect(load('h100-80gb-hbm3-mig-drv590-query-gpu-load.csv').gpus[0]).toMatchObject({ memoryUsedMiB: 11125, utilizationPct: null, migEnabled: true });
    const idle = load('geforce-rtx-2080-super-windows-drv610-query-gpu-idle.csv');
    expect(idle.driverVersion).toBe('610.62');
    expect(idle.gpus[0]).toMatchObject({ memoryTotalMiB: 8192, memoryUsedMiB: 797, memoryFreeMiB: 7191, utilizationPct: 0, temperatureC: 40, powerDrawW: 39.25 });
  });

  test('odd values never crash the number reader', () => {
    for (const odd of ['N/A', '[N/A]', '[Not Supported]', '[Requested functionality has been deprecated]', '', '  ', undefined, null, {}]) expect(smiNumber(odd)).toBeNull();
    expect(smiNumber('19968 MiB')).toBe(19968);
    expect(smiNumber('38 %')).toBe(38);
    expect(() => parseSmiOutput('<html></html>')).toThrow('not nvidia-smi XML');
    expect(() => parseSmiOutput('foo, bar\n1, 2')).toThrow('not nvidia-smi CSV');
  });
});

describe('GPU placement over the fixtures', () => {
  test('placing the fixtures: 20 GiB of work fits the idle H100, not the busy A5000s', () => {
    const slots: UnitSlot[] = [...unitsOf('a5000-box', load('rtx-a5000-x2-drv590-query.xml')), ...unitsOf('h100-box', load('h100-80gb-hbm3-drv590-query-gpu-load.csv'))].map((unit) => ({ unit, reservedMiB: 0 }));
    expect(placeBestFit(slots, { memoryMiB: 20_480 })).toMatchObject({ ok: true, nodeId: 'h100-box' });
    expect(placeBestFit(slots, { memoryMiB: 4_000 })).toMatchObject({ ok: true, nodeId: 'a5000-box', devices: [{ gpuIndex: 1 }] });
  });
});
