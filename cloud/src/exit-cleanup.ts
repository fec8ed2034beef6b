import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tasks = new Set<() => void>();
let hooked = false;

/**
 * Runs `task` (synchronously) when this process exits, so no broker process or temp folder outlives a test
 * run that forgot `stop()`. Returns a function that cancels it.
 */
export function onProcessExit(task: () => void): () => void {
  tasks.add(task);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const run of tasks) {
        try {
          run();
        } catch {
          // Exiting anyway: one failed clean-up must not stop the others.
        }
      }
    });
  }
  return () => tasks.delete(task);
}

/**
 * A new folder under the OS temp folder, removed when this process exits. A broker's folder must outlive
 * `stop()` (its `start()` reuses it), so it cannot be removed there.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
