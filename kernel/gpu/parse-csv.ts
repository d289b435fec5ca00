import { gpuProblems } from './health';
import { smiEnabled, smiNumber, smiText, type GpuInfo, type GpuInventory } from './types';

/**
 * Parses `nvidia-smi --query-gpu=… --format=csv` output (a header row, one row per GPU; units in the
 * header or the values). Total memory missing from the query is used + free (+ reserved). Output
 * that stops short — a header with no rows, a row with fewer fields than the header — throws a
 * sentence saying so, never "zero GPUs".
 */
export function parseSmiCsv(csv: string): GpuInventory {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('its CSV output is empty');
  const header = lines[0]!.split(',').map((h) => h.trim().replace(/\s*\[.*\]$/, ''));
  if (!header.includes('name') && !header.includes('memory.total') && !header.includes('uuid') && !header.includes('index')) throw new Error('it is not nvidia-smi CSV: the header names no GPU fields (name, uuid, index or memory.total)');
  if (lines.length === 1) throw new Error('its CSV output has a header and no GPU rows (the output looks cut off)');
  let driverVersion: string | null = null;
  const gpus = lines.slice(1).map((line, i): GpuInfo => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw new Error(`its CSV row ${i + 1} has ${cells.length} of the header's ${header.length} fields (the output looks cut off)`);
    const get = (field: string) => {
      const at = header.indexOf(field);
      return at >= 0 ? cells[at] : undefined;
    };
    driverVersion ??= smiText(get('driver_version'));
    const used = smiNumber(get('memory.used'));
    const free = smiNumber(get('memory.free'));
    const reserved = smiNumber(get('memory.reserved')) ?? 0;
    const total = smiNumber(get('memory.total')) ?? (used !== null && free !== null ? used + free + reserved : null);
    return {
      index: smiNumber(get('index')) ?? i,
      uuid: smiText(get('uuid')),
      name: smiText(get('name')) ?? 'unknown GPU',
      busId: smiText(get('pci.bus_id')),
      memoryTotalMiB: total,
      memoryUsedMiB: used,
      memoryFreeMiB: free ?? (total !== null && used !== null ? total - used - reserved : null),
      utilizationPct: smiNumber(get('utilization.gpu')),
      temperatureC: smiNumber(get('temperature.gpu')),
      powerDrawW: smiNumber(get('power.draw')),
      migEnabled: smiEnabled(get('mig.mode.current')),
      // A CSV query does not list MIG instances: a MIG GPU read this way offers nothing (see -q -x).
      migDevices: [],
      problems: gpuProblems({
        uncorrectableVolatile: smiNumber(get('ecc.errors.uncorrected.volatile.total')) ?? 0,
        retirementPending: smiText(get('retired_pages.pending')),
        remapPending: smiText(get('remapped_rows.pending')),
        remapFailure: smiText(get('remapped_rows.failure')),
      }),
    };
  });
  return { driverVersion, gpus };
}
