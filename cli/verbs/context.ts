import type { Api } from '../client';
import type { Settings } from '../settings';

/** What every verb gets: the client, the settings it was made from, and how to print. */
export interface VerbContext {
  api: Api;
  settings: Settings;
  /** `--json`: print the API's answer as JSON instead of text. */
  json: boolean;
  /** Writes a line of output (stdout). */
  out: (text: string) => void;
  /** Writes progress (stderr, and only on a terminal unless forced). */
  progress: (text: string) => void;
}

/** Prints the answer as JSON, or as the text `render` makes of it. */
export function show<T>(ctx: VerbContext, value: T, render: (v: T) => string): void {
  ctx.out(ctx.json ? JSON.stringify(value, null, 2) : render(value));
}
