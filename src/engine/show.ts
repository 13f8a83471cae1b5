/** `dags show`: a DAG's graph as indented text or Graphviz DOT. */
import type { DAG } from './dag.js';

export function dagAsText(dag: DAG): string {
  const lines = [`DAG ${dag.dagId} (schedule: ${dag.scheduleText ?? 'None'}, ${dag.tasks.length} tasks)`];
  for (const g of dag.groups) lines.push(`  [group ${g.groupId}] ${g.tasks.map((t) => t.taskId).join(', ') || '(empty)'}`);
  for (const t of dag.topologicalOrder()) {
    const rule = t.triggerRule === 'all_success' ? '' : ` [${t.triggerRule}]`;
    const down = t.downstreamTaskIds;
    lines.push(`  ${t.taskId} (${t.operatorName}${t.isMapped ? ', mapped' : ''})${rule}${down.length ? ` -> ${down.join(', ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

const q = (s: string): string => `"${s.replace(/"/g, '\\"')}"`;

export function dagAsDot(dag: DAG): string {
  const lines = [`digraph ${q(dag.dagId)} {`, '  graph [rankdir=LR];', '  node [shape=box, style="rounded,filled", fillcolor="#e8f0fe"];'];
  // A task group is a cluster (nested groups nest), drawn around its tasks as Airflow's graph view does.
  const emit = (groupId: string | undefined, indent: string): void => {
    for (const t of dag.topologicalOrder()) if (t.taskGroup === groupId) lines.push(`${indent}${q(t.taskId)} [label=${q(`${t.taskId}${t.isMapped ? ' [ ]' : ''}\\n${t.operatorName}`)}];`);
    for (const g of dag.groups.filter((x) => x.parent?.groupId === groupId)) {
      lines.push(`${indent}subgraph ${q(`cluster_${g.groupId}`)} {`, `${indent}  label=${q(g.groupId)};`, `${indent}  style="rounded,dashed";`);
      emit(g.groupId, `${indent}  `);
      lines.push(`${indent}}`);
    }
  };
  emit(undefined, '  ');
  for (const t of dag.topologicalOrder()) for (const d of t.downstream) lines.push(`  ${q(t.taskId)} -> ${q(d.taskId)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
