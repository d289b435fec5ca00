/** How two GPUs of a node are linked, best first (NVIDIA's `nvidia-smi topo -m` legend). */
const RANK: Record<string, number> = { NV: 6, PIX: 5, PXB: 4, PHB: 3, NODE: 2, SYS: 1 };

/** The link between each pair of GPUs, by index: `links[i][j]` is a score (higher is closer; 0 unknown). */
export type Topology = number[][];

/**
 * Parses the GPU part of `nvidia-smi topo -m`: rows `GPU<i>` with one cell per GPU column (`X`,
 * `NV<n>`, `PIX`, `PXB`, `PHB`, `NODE`, `SYS`); NVLink scores by its link count. Other rows
 * (NICs, the legend) are ignored; output with no GPU matrix is null.
 */
export function parseTopology(text: string): Topology | null {
  const lines = text.split(/\r?\n/);
  // The header is indented (its first cell is empty); each GPU row starts with its name.
  const header = lines.find((l) => /^\s+GPU0\b/.test(l));
  const gpuColumns = header ? header.trim().split(/\s+/).filter((h) => /^GPU\d+$/.test(h)).length : 0;
  if (gpuColumns === 0) return null;
  const matrix: Topology = [];
  for (const line of lines.filter((l) => /^GPU\d+\s/.test(l))) {
    const row = line.trim().split(/\s+/);
    matrix[Number(row[0]!.slice(3))] = row.slice(1, 1 + gpuColumns).map((cell) => {
      const nv = /^NV(\d+)$/.exec(cell);
      return nv ? RANK.NV! + Number(nv[1]) : (RANK[cell] ?? 0);
    });
  }
  return matrix.length ? matrix : null;
}

/** How closely a set of GPUs is linked: the sum of its pairs' scores (unknown links count 0). */
export function linkScore(topology: Topology | null | undefined, gpuIndexes: readonly number[]): number {
  if (!topology) return 0;
  let score = 0;
  for (let a = 0; a < gpuIndexes.length; a++) for (let b = a + 1; b < gpuIndexes.length; b++) score += topology[gpuIndexes[a]!]?.[gpuIndexes[b]!] ?? 0;
  return score;
}
