import { smiEnabled, smiNumber, smiText, type GpuInfo, type GpuInventory } from './types';

/** Parses `nvidia-smi --query-gpu=… --format=csv` output (header row, one row per GPU; units in the header or values). */
export function parseSmiCsv(csv: string): GpuInventory {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { driverVersion: null, gpus: [] };
  const header = lines[0]!.split(',').map((h) => h.trim().replace(/\s*\[.*\]$/, ''));
  if (!header.includes('name') && !header.includes('memory.total')) throw new Error('not nvidia-smi CSV: the header names no GPU fields');
  let driverVersion: string | null = null;
  const gpus = lines.slice(1).map((line, i): GpuInfo => {
    const cells = line.split(',').map((c) => c.trim());
    const get = (field: string) => {
      const at = header.indexOf(field);
      return at >= 0 ? cells[at] : undefined;
    };
    driverVersion ??= smiText(get('driver_version'));
    const total = smiNumber(get('memory.total'));
    const used = smiNumber(get('memory.used'));
    return {
      index: smiNumber(get('index')) ?? i,
      uuid: smiText(get('uuid')),
      name: smiText(get('name')) ?? 'unknown GPU',
      busId: smiText(get('pci.bus_id')),
      memoryTotalMiB: total,
      memoryUsedMiB: used,
      memoryFreeMiB: smiNumber(get('memory.free')) ?? (total !== null && used !== null ? total - used : null),
      utilizationPct: smiNumber(get('utilization.gpu')),
      temperatureC: smiNumber(get('temperature.gpu')),
      powerDrawW: smiNumber(get('power.draw')),
      migEnabled: smiEnabled(get('mig.mode.current')),
      migDevices: [],
    };
  });
  return { driverVersion, gpus };
}

