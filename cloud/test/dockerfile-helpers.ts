import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The build context of the image is the repository root (`build: { context: ., dockerfile: cloud/Dockerfile }`). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The instructions of cloud/Dockerfile: continuation lines joined, comments and blank lines left out. */
export function dockerfileInstructions(): string[] {
  const text = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8');
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The HEALTHCHECK command (exec form) as an argument list, to run it against a test broker. */
export function healthcheckCommand(): string[] {
  const line = dockerfileInstructions().find((instruction) => instruction.startsWith('HEALTHCHECK '));
  const json = line?.slice(line.indexOf('CMD ') + 4);
  if (!json) throw new Error('cloud/Dockerfile has no HEALTHCHECK ... CMD [...] instruction.');
  return JSON.parse(json) as string[];
}
