import { XMLParser } from 'fast-xml-parser';
import { smiEnabled, smiNumber, smiText, type GpuInfo, type GpuInventory, type MigDevice } from './types';

type Node = Record<string, unknown>;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => ['gpu', 'mig_device', 'process_info', 'retired_page'].includes(name) });

const child = (node: unknown, key: string): Node | undefined => (node && typeof node === 'object' ? ((node as Node)[key] as Node | undefined) : undefined);

/** Parses `nvidia-smi -q -x` output (DTD v10–v13, with or without DOCTYPE) into a GPU inventory. */
export function parseSmiXml(xml: string): GpuInventory {
  const doc = parser.parse(xml) as Node;
  const log = child(doc, 'nvidia_smi_log');
  if (!log) throw new Error('not nvidia-smi XML: no <nvidia_smi_log> element');
  const gpus = ((log.gpu as Node[] | undefined) ?? []).map((gpu, i): GpuInfo => {
    const memory = child(gpu, 'fb_memory_usage');
    const power = child(gpu, 'gpu_power_readings') ?? child(gpu, 'power_readings');
    const migDevices = ((child(gpu, 'mig_devices')?.mig_device as Node[] | undefined) ?? []).map((d): MigDevice => ({
      index: smiNumber(d.index),
      memoryTotalMiB: smiNumber(child(d, 'fb_memory_usage')?.total),
      memoryUsedMiB: smiNumber(child(d, 'fb_memory_usage')?.used),
    }));
    const total = smiNumber(memory?.total);
    const used = smiNumber(memory?.used);
    const free = smiNumber(memory?.free) ?? (total !== null && used !== null ? total - used : null);
    return {
      // nvidia-smi lists GPUs in index order; minor numbers differ (and are N/A on Windows).
      index: i,
      uuid: smiText(gpu.uuid),
      name: smiText(gpu.product_name) ?? 'unknown GPU',
      busId: smiText(gpu['@id']) ?? smiText(child(gpu, 'pci')?.pci_bus_id),
      memoryTotalMiB: total,
      memoryUsedMiB: used,
      memoryFreeMiB: free,
      utilizationPct: smiNumber(child(gpu, 'utilization')?.gpu_util),
      temperatureC: smiNumber(child(gpu, 'temperature')?.gpu_temp),
      powerDrawW: smiNumber(power?.power_draw) ?? smiNumber(power?.average_power_draw) ?? smiNumber(power?.instant_power_draw),
      migEnabled: smiEnabled(child(gpu, 'mig_mode')?.current_mig),
      migDevices,
    };
  });
  return { driverVersion: smiText(log.driver_version), gpus };
}
