/** The package version, read from package.json beside src/ or dist/ (no other import: `--version` stays instant). */
import { readFileSync } from 'node:fs';

let version: string | null = null;

export function iovasimVersion(): string {
  if (version === null) {
    try {
      version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
