/**
 * What the REST API does to runs beyond what the CLI does: set a run's state by hand, delete a run, keep a
 * note on it, list a task instance's XComs. One more connection to DAGCTL_HOME's database, next to the
 * engine's (SQLite in WAL mode: readers never block the writer).
 */
import { systemClock, type Clock } from './clock.js';
import { DagRunNotFoundError } from './errors.js';
import { openStore } from './store/open.js';
import type { DagRunPage, Store } from './store/store.js';
import type { DagRunRow } from './store/rows.js';
import type { TaskInstanceRow, TiKey, XComRow } from './store/rows.js';

export type { DagRunPage } from './store/store.js';

export interface RunAdmin {
  /** Airflow's set_dag_run_state_to_success/failed/queued; returns the task instances it settled. */
  setState(dagId: string, runId: string, state: 'success' | 'failed' | 'queued'): TaskInstanceRow[];
  delete(dagId: string, runId: string): void;
  setNote(dagId: string, runId: string, note: string | null): void;
  /** The note of one run (null when it has none). */
  note(dagId: string, runId: string): string | null;
  /** Notes of the runs that have one, by `dagId/runId` lookups. */
  notes(dagId?: string): (dagId: string, runId: string) => string | null;
  xcoms(key: TiKey): XComRow[];
  /** One page of runs, filtered and sorted by the database, with the total before paging. */
  page(q: DagRunPage): { rows: Array<DagRunRow & { note: string | null }>; total: number };
  /** The scheduler's last heartbeat (null when no scheduler holds the database). */
  schedulerHeartbeat(): string | null;
  close(): void;
}

export function runAdmin(store: Store, clock: Clock = systemClock): RunAdmin {
  const must = (found: boolean, dagId: string, runId: string): void => {
    if (!found) throw new DagRunNotFoundError(dagId, runId);
  };
  return {
    setState(dagId, runId, state) {
      must(!!store.getDagRun({ dagId, runId }), dagId, runId);
      return store.setDagRunState({ dagId, runId }, state, clock.now().toISOString());
    },
    delete: (dagId, runId) => must(store.deleteDagRun({ dagId, runId }), dagId, runId),
    setNote: (dagId, runId, note) => must(store.setDagRunNote({ dagId, runId }, note), dagId, runId),
    note: (dagId, runId) => store.dagRunNotes(dagId).get(`${dagId}\0${runId}`) ?? null,
    notes(dagId) {
      const m = store.dagRunNotes(dagId);
      return (d, r) => m.get(`${d}\0${r}`) ?? null;
    },
    xcoms: (key) => store.listXcoms(key),
    page: (q) => store.pageDagRuns(q),
    schedulerHeartbeat() {
      const h = store.lockHolder();
      if (h?.kind === 'scheduler') return h.heartbeat_at;
      // With the job queue, schedulers hold no lock: the latest heartbeat of their rows.
      return store.listSchedulers().map((s) => s.heartbeat_at).sort().at(-1) ?? null;
    },
    close: () => store.close(),
  };
}

export function openRunAdmin(home: string, clock: Clock = systemClock): RunAdmin {
  return runAdmin(openStore(home, clock.now().toISOString()), clock);
}
