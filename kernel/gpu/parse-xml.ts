import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { gpuProblems } from './health';
import { migProfile } from './mig-profile';
import { smiEnabled, smiNumber, smiText, type GpuInfo, type GpuInventory, type MigDevice } from './types';

type Node = Record<string, unknown>;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => ['gpu', 'mig_device', 'process_info', 'retired_page'].includes(name) });

const child = (node: unknown, key: string): Node | undefined => (node && typeof node === 'object' ? ((node as Node)[key] as Node | undefined) : undefined);

/**
 * Parses `nvidia-smi -q -x` output (DTD v10–v13, with or without DOCTYPE) into a GPU inventory.
 * Output that is not well-formed (cut off mid-write, say) throws a sentence with the line, never the
 * XML library's bare message.
 */
export function parseSmiXml(xml: string): GpuInventory {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`its XML is not well-formed at line ${valid.err.line}: ${valid.err.msg}${xml.trimEnd().endsWith('</nvidia_smi_log>') ? '' : ' (the output looks cut off)'}`);
  const doc = parser.parse(xml) as Node;
  const log = child(doc, 'nvidia_smi_log');
  if (!log) throw new Error('it is not nvidia-smi XML: there is no <nvidia_smi_log> element');
  const gpus = ((log.gpu as Node[] | undefined) ?? []).map((gpu, i): GpuInfo => {
    const memory = child(gpu, 'fb_memory_usage');
    const power = child(gpu, 'gpu_power_readings') ?? child(gpu, 'power_readings');
    const name = smiText(gpu.product_name) ?? 'unknown GPU';
    const migDevices = ((child(gpu, 'mig_devices')?.mig_device as Node[] | undefined) ?? []).map((d): MigDevice => {
      const sm = smiNumber(child(child(d, 'device_attributes'), 'shared')?.multiprocessor_count);
      const total = smiNumber(child(d, 'fb_memory_usage')?.total);
      return {
        index: smiNumber(d.index),
        uuid: smiText(d.uuid),
        gpuInstanceId: smiNumber(d.gpu_instance_id),
        computeInstanceId: smiNumber(d.compute_instance_id),
        multiprocessorCount: sm,
        profile: migProfile(name, sm, total),
        memoryTotalMiB: total,
        memoryUsedMiB: smiNumber(child(d, 'fb_memory_usage')?.used),
      };
    });
    const total = smiNumber(memory?.total);
    const used = smiNumber(memory?.used);
    const free = smiNumber(memory?.free) ?? (total !== null && used !== null ? total - used : null);
    const volatile = child(child(gpu, 'ecc_errors'), 'volatile');
    const retired = child(gpu, 'retired_pages');
    const remapped = child(gpu, 'remapped_rows');
    return {
      // nvidia-smi lists GPUs in index order; minor numbers differ (and are N/A on Windows).
      index: i,
      uuid: smiText(gpu.uuid),
      name,
      busId: smiText(gpu['@id']) ?? smiText(child(gpu, 'pci')?.pci_bus_id),
      memoryTotalMiB: total,
      memoryUsedMiB: used,
      memoryFreeMiB: free,
      utilizationPct: smiNumber(child(gpu, 'utilization')?.gpu_util),
      temperatureC: smiNumber(child(gpu, 'temperature')?.gpu_temp),
      powerDrawW: smiNumber(power?.power_draw) ?? smiNumber(power?.average_power_draw) ?? smiNumber(power?.instant_power_draw),
      migEnabled: smiEnabled(child(gpu, 'mig_mode')?.current_mig),
      migDevices,
      problems: gpuProblems({
        uncorrectableVolatile: (smiNumber(volatile?.dram_uncorrectable) ?? 0) + (smiNumber(volatile?.sram_uncorrectable) ?? 0) + (smiNumber(child(volatile, 'double_bit')?.total) ?? 0),
        retirementPending: smiText(retired?.pending_retirement),
        remapPending: smiText(remapped?.remapped_row_pending),
        remapFailure: smiText(remapped?.remapped_row_failure),
      }),
    };
  });
  return { driverVersion: smiText(log.driver_version), gpus };
}
