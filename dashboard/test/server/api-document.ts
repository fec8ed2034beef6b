import { startHarness } from './harness.js';

type Operation = {
  parameters?: { name: string; in: string; description?: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
  description?: string;
};

/** The parts of the OpenAPI document the tests read. */
export type ApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
};

/** The dashboard's API document, as GET /api/docs/json answers it (a dashboard on a fresh database). */
export async function apiDocument(): Promise<ApiDocument> {
  const h = await startHarness();
  try {
    const response = await h.dashboard.app.inject({ method: 'GET', url: '/api/docs/json' });
    if (response.statusCode !== 200) throw new Error(`GET /api/docs/json answered ${response.statusCode}`);
    return response.json();
  } finally {
    await h.close();
  }
}

/** `GET /api/devices/:id` for each operation of the document. */
export function documentedRoutes(document: ApiDocument): string[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}
