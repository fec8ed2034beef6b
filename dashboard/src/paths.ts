import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the page's files are, found from this module's location (src/ or dist/), never from the cwd. */
export interface WebPaths {
  /** dashboard/web/static: index.html, CSS, images. */
  staticDir: string;
  /** dashboard/dist/web: the compiled page TypeScript. */
  scriptsDir: string;
  /** chart.js's UMD build. */
  chartJs: string;
  /** chartjs-adapter-date-fns bundled with date-fns. */
  chartAdapter: string;
}

export function defaultWebPaths(moduleUrl: string = import.meta.url): WebPaths {
  // This file is dashboard/src/paths.ts or dashboard/dist/paths.js: its folder's parent is the package.
  const packageRoot = resolve(dirname(fileURLToPath(moduleUrl)), '..');
  const require = createRequire(moduleUrl);
  // Both packages only export their main entry; the browser builds sit next to it in dist/.
  const chartDist = dirname(require.resolve('chart.js'));
  const adapterDist = dirname(require.resolve('chartjs-adapter-date-fns'));
  return {
    staticDir: join(packageRoot, 'web', 'static'),
    scriptsDir: join(packageRoot, 'dist', 'web'),
    chartJs: join(chartDist, 'chart.umd.js'),
    chartAdapter: join(adapterDist, 'chartjs-adapter-date-fns.bundle.min.js'),
  };
}
