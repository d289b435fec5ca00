import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './errors';

/** Reads a JSON spec (a crew, a batch, a schedule) from a file, or from stdin when the path is `-`. */
export function readSpec(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${path === '-' ? 'stdin' : path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`, EXIT.usage);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${path === '-' ? 'stdin' : path} is not JSON: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
  }
}
