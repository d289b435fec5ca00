import { detectGpus, detectTopology } from '../activities/gpu/detect';
import type { Db } from '../db/client';
import { releaseLeasesOnDevices } from '../db/leases';
import { setNodeGpus } from '../db/nodes';
import { unitsOf } from '../kernel/gpu/units';
import type { GpuInventory, GpuStatus } from '../kernel/gpu/types';
import type { Logger } from './logger';

/** The first reading of a node's GPUs, before it registers. */
export interface GpuReading {
  inventory: GpuInventory;
  status: GpuStatus;
}

const NONE: GpuInventory = { driverVersion: null, gpus: [] };

/** Every device a node offers, as a key its leases can be matched on (whole GPUs also by index, for old leases). */
function offered(nodeId: string, inventory: GpuInventory): Set<string> {
  return new Set(unitsOf(nodeId, inventory).flatMap((u) => (u.kind === 'gpu' ? [u.device, `index:${u.gpuIndex}`] : [u.device])));
}

/**
 * Reads a node's GPUs now and on every heartbeat after: used memory the driver reports (other
 * processes' too) is what placement offers; a GPU that disappears, or reports uncorrectable ECC
 * errors or pages pending retirement, stops being offered and the leases on it are released (their
 * agents are placed again at their next step). Output that cannot be read leaves the last good
 * inventory in place and marks the node degraded, with the command's sentence.
 */
export class GpuWatch {
  private inventory: GpuInventory = NONE;
  private status: GpuStatus = { state: 'none', error: null, checkedAt: new Date().toISOString() };
  private topology: GpuInventory['topology'] = null;

  constructor(
    private readonly db: Db,
    private readonly options: { nodeId: string; smiCommand: string; topoCommand?: string },
    private readonly logger: Logger,
  ) {}

  /** Reads the GPUs (and their topology, once) for the node's registration. */
  async first(): Promise<GpuReading> {
    this.topology = await detectTopology(this.options.topoCommand);
    this.take(await this.read());
    return { inventory: this.inventory, status: this.status };
  }

  /** The inventory as last read well (what a re-registration announces). */
  current(): GpuReading {
    return { inventory: this.inventory, status: this.status };
  }

  /** Reads again; stores what changed and releases leases on devices that are gone or unhealthy. */
  async refresh(): Promise<void> {
    const next = await this.read();
    // Stored first, then taken as the node's: a write that fails leaves the change to the next read.
    if (JSON.stringify(next.inventory) !== JSON.stringify(this.inventory) || next.status.state !== this.status.state) {
      await setNodeGpus(this.db, this.options.nodeId, next.inventory, next.status);
    }
    const now = offered(this.options.nodeId, next.inventory);
    const gone = new Set([...offered(this.options.nodeId, this.inventory)].filter((d) => !now.has(d)));
    const moved = await releaseLeasesOnDevices(this.db, this.options.nodeId, gone);
    if (moved.length) this.logger.warn({ nodeId: this.options.nodeId, devices: [...gone], agents: moved }, 'GPUs stopped being offered: their leases were released and their agents will be placed again');
    this.take(next);
  }

  private take(next: GpuReading): void {
    if (next.status.state === 'degraded' && this.status.state !== 'degraded') this.logger.warn({ nodeId: this.options.nodeId, reason: next.status.error }, 'the GPU inventory could not be read: the last good one stays, the node reports itself degraded and takes no new GPU work');
    const sick = next.inventory.gpus.filter((g) => (g.problems ?? []).length);
    if (sick.length && JSON.stringify(sick) !== JSON.stringify(this.inventory.gpus.filter((g) => (g.problems ?? []).length))) this.logger.warn({ gpus: sick.map((g) => ({ index: g.index, problems: g.problems })) }, 'GPUs with problems are not offered');
    this.inventory = next.inventory;
    this.status = next.status;
  }

  /** What the GPUs say now (a failed read keeps the last good inventory, marked degraded). */
  private async read(): Promise<GpuReading> {
    const detection = await detectGpus(this.options.smiCommand);
    const checkedAt = new Date().toISOString();
    if (detection.error === null) return { inventory: { ...detection.inventory, topology: this.topology }, status: { state: detection.inventory.gpus.length ? 'ok' : 'none', error: null, checkedAt } };
    if (detection.absent) return { inventory: NONE, status: { state: 'none', error: detection.error, checkedAt } };
    return { inventory: this.inventory, status: { state: 'degraded', error: detection.error, checkedAt } };
  }
}
