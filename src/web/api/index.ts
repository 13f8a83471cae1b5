/** The REST API under /api/v1: Airflow 2.10's stable API, the part its clients use (docs/webserver.md). */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { registerDagRuns } from './dag-runs.js';
import { registerDags } from './dags.js';
import { registerLogs } from './logs.js';
import { registerMonitor, registerRootHealth } from './monitor.js';
import { registerOpenApiRoute } from './openapi.js';
import { registerTaskInstances } from './task-instances.js';
import { registerXcom } from './xcom.js';

export async function registerApi(app: FastifyInstance, api: ApiContext): Promise<void> {
  registerRootHealth(app, api);
  await app.register(
    async (v1) => {
      registerDags(v1, api);
      registerDagRuns(v1, api);
      registerTaskInstances(v1, api);
      registerLogs(v1, api);
      registerXcom(v1, api);
      registerMonitor(v1, api);
      registerOpenApiRoute(v1);
    },
    { prefix: '/api/v1' },
  );
}
