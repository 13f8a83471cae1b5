/**
 * What the run page shows for continuous_retraining: the decision (compare_models' XCom), the candidate's
 * training curves, ROC and confusion matrix (the `train` XCom's model_dir: metadata.json and history.json,
 * read as files; src/web does not import src/training), and the deploy result. Shapes are checked with zod,
 * so a file from another version shows as "not available" instead of breaking the page.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Engine } from '../../engine/service.js';

export const RETRAINING_DAG_ID = 'continuous_retraining';

const Num = z.number();
const MetricsSchema = z.looseObject({
  accuracy: Num, precision: Num, recall: Num, specificity: Num, f1: Num, auc: Num.nullable(), n: Num, threshold: Num,
  confusion_matrix: z.tuple([z.tuple([Num, Num]), z.tuple([Num, Num])]),
  roc: z.array(z.looseObject({ fpr: Num, tpr: Num })).optional(),
});
const MetadataSchema = z.looseObject({
  class_names: z.tuple([z.string(), z.string()]).optional(),
  metrics: MetricsSchema.nullable(),
  best_epoch: Num.optional(),
  epochs_run: Num.optional(),
  data_version: z.string().nullable().optional(),
});
const HistorySchema = z.array(z.looseObject({ epoch: Num, loss: Num, accuracy: Num, val_loss: Num, val_accuracy: Num, val_auc: Num.nullable().optional() }));
const SideSchema = z.looseObject({ version: Num.nullable().optional(), model_dir: z.string().optional(), metrics: z.record(z.string(), z.unknown()) });
const CompareSchema = z.looseObject({
  promote: z.boolean(),
  reason: z.string(),
  checks: z.array(z.looseObject({ name: z.string(), passed: z.boolean(), detail: z.string() })),
  candidate: SideSchema,
  champion: SideSchema.nullable(),
  next_task: z.string().optional(),
});
const DeploySchema = z.looseObject({ version: Num, previous_version: Num.nullable(), promoted_at: z.string() });

export type Metadata = z.infer<typeof MetadataSchema>;
export type History = z.infer<typeof HistorySchema>;
export type Compare = z.infer<typeof CompareSchema>;
export type Deploy = z.infer<typeof DeploySchema>;

export interface RetrainingSummary {
  compare: Compare | null;
  deploy: Deploy | null;
  modelDir: string | null;
  metadata: Metadata | null;
  history: History | null;
  /** Why a part is missing (the run has not got there, or a file was unreadable). */
  notes: string[];
  serveUrl: string;
}

async function readJson<T>(file: string, schema: z.ZodType<T>, notes: string[]): Promise<T | null> {
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return parsed.data;
    notes.push(`${path.basename(file)} in ${path.dirname(file)} has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  } catch (err) {
    notes.push(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return null;
}

function xcomAs<T>(engine: Engine, dagId: string, runId: string, taskId: string, schema: z.ZodType<T>, notes: string[]): T | null {
  let v: unknown;
  try {
    v = engine.xcom(dagId, runId, taskId);
  } catch {
    return null; // the DAG has no such task
  }
  if (v === undefined || v === null) return null;
  const parsed = schema.safeParse(v);
  if (!parsed.success) notes.push(`the XCom of ${taskId} has an unexpected shape`);
  return parsed.success ? parsed.data : null;
}

export async function retrainingSummary(engine: Engine, dagId: string, runId: string, serveUrl: string): Promise<RetrainingSummary> {
  const notes: string[] = [];
  const compare = xcomAs(engine, dagId, runId, 'compare_models', CompareSchema, notes);
  const deploy = xcomAs(engine, dagId, runId, 'deploy', DeploySchema, notes);
  const train = xcomAs(engine, dagId, runId, 'train', z.looseObject({ model_dir: z.string() }), notes);
  const modelDir = train?.model_dir ?? null;
  if (!compare) notes.push('compare_models has not decided yet');
  if (!modelDir) notes.push('train has not produced a model yet');
  const [metadata, history] = modelDir
    ? await Promise.all([readJson(path.join(modelDir, 'metadata.json'), MetadataSchema, notes), readJson(path.join(modelDir, 'history.json'), HistorySchema, notes)])
    : [null, null];
  return { compare, deploy, modelDir, metadata, history, notes, serveUrl };
}
