// The grid's live stream (SSE) against a real engine: it sends state changes while a run is active, ends when
// the run finishes, and closes when the client goes away or the server closes.
import { afterEach, describe, expect, it } from 'vitest';
import { uiServer, type UiServer } from './ui-harness.js';

interface Sse {
  event: string;
  data: unknown;
}

/** Reads a stream's events until it ends (or `stop` returns true); returns them. */
async function readEvents(res: Response, stop: (e: Sse) => boolean = () => false): Promise<Sse[]> {
  const out: Sse[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!event) continue;
      const e = { event, data: data === undefined ? undefined : JSON.parse(data) };
      out.push(e);
      if (stop(e)) {
        await reader.cancel();
        return out;
      }
    }
  }
}

const servers: UiServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});
const start = async (): Promise<UiServer> => {
  const s = await uiServer({ pollMs: 20 });
  servers.push(s);
  return s;
};

describe('the grid stream', () => {
  it('sends each state change of an active run and ends when the run finishes', async () => {
    const s = await start();
    s.engine.setPaused('web_demo', false);
    const run = s.engine.triggerDagRun('web_demo');
    const res = await fetch(`${s.url}/ui/dags/web_demo/grid/events?num_runs=5`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [events] = await Promise.all([readEvents(res), s.engine.waitForRun('web_demo', run.run_id)]);
    const runs = events.filter((e) => e.event === 'run').map((e) => e.data as { run_id: string; state: string; tis: Record<string, string | null> });
    expect(runs[0]).toMatchObject({ run_id: run.run_id, state: 'queued' });
    // extract sleeps 300 ms: the stream sees it running before it sees it done.
    expect(runs.some((r) => r.tis['prep.extract'] === 'running')).toBe(true);
    expect(runs.at(-1)).toEqual({ run_id: run.run_id, state: 'success', tis: { 'prep.extract': 'success', 'prep.load': 'success', report: 'success' } });
    // Only changes are sent: no two consecutive identical snapshots.
    for (let i = 1; i < runs.length; i++) expect(runs[i]).not.toEqual(runs[i - 1]);
    expect(events.at(-1)?.event).toBe('end');
  });

  it('ends at once when no run is active, and answers 404 for an unknown DAG', async () => {
    const s = await start();
    const events = await readEvents(await fetch(`${s.url}/ui/dags/web_demo/grid/events`));
    expect(events).toEqual([{ event: 'end', data: { reason: 'no active run' } }]);
    expect((await fetch(`${s.url}/ui/dags/nope/grid/events`)).status).toBe(404);
    expect((await fetch(`${s.url}/ui/dags/web_demo/grid/events?num_runs=-1`)).status).toBe(400);
  });

  it('sends the end of a run the page showed as active, even when it finished before the stream opened', async () => {
    const s = await start();
    const run = s.engine.triggerDagRun('continuous_retraining');
    await s.engine.waitForRun('continuous_retraining', run.run_id);
    const events = await readEvents(await fetch(`${s.url}/ui/dags/continuous_retraining/grid/events?watch=${encodeURIComponent(run.run_id)}`));
    expect(events.map((e) => e.event)).toEqual(['run', 'end']);
    expect(events[0]?.data).toMatchObject({ run_id: run.run_id, state: 'success' });
  });

  it('tells the page about a run it does not show yet', async () => {
    const s = await start();
    s.engine.triggerDagRun('web_demo', { logicalDate: new Date('2026-01-01T00:00:00Z') }); // paused: stays queued
    const res = await fetch(`${s.url}/ui/dags/web_demo/grid/events`);
    const got = readEvents(res, (e) => e.event === 'new-run');
    const second = s.engine.triggerDagRun('web_demo', { logicalDate: new Date('2026-01-02T00:00:00Z') });
    expect((await got).at(-1)).toEqual({ event: 'new-run', data: { run_id: second.run_id, state: 'queued' } });
  });

  it('closes an open stream when the server closes', async () => {
    const s = await start();
    s.engine.triggerDagRun('web_demo'); // the DAG is paused: the run stays queued, the stream stays open
    const reading = readEvents(await fetch(`${s.url}/ui/dags/web_demo/grid/events`));
    servers.pop();
    const t0 = performance.now();
    await s.close(); // would hang on the open stream without the preClose hook
    expect(performance.now() - t0).toBeLessThan(2000);
    const events = await reading;
    expect(events.map((e) => e.event)).toEqual(['run']);
  });

  it('stops streaming when the client goes away (the server then closes at once)', async () => {
    const s = await start();
    s.engine.triggerDagRun('web_demo');
    const left = new AbortController();
    const res = await fetch(`${s.url}/ui/dags/web_demo/grid/events`, { signal: left.signal });
    await readEvents(res, (e) => e.event === 'run');
    left.abort();
    servers.pop();
    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
