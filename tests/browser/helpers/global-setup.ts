import { ensureWebBuilt } from './build.js';

/** vitest global setup of the "web" project: build dist/web once, before any of its test files runs. */
export default async function setup(): Promise<void> {
  await ensureWebBuilt();
}
