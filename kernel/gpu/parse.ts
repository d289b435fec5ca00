import { parseSmiCsv } from './parse-csv';
import { parseSmiXml } from './parse-xml';
import type { GpuInventory } from './types';

/** Parses `nvidia-smi` output in either mode (`-q -x` XML or `--format=csv`), by sniffing. */
export function parseSmiOutput(text: string): GpuInventory {
  return text.trimStart().startsWith('<') ? parseSmiXml(text) : parseSmiCsv(text);
}
