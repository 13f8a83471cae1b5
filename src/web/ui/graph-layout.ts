/** Lays a DAG out with dagre (left to right, task groups as clusters): boxes and edge polylines for the graph view. */
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import type { TaskRow } from '../../engine/service.js';

export interface NodeBox {
  id: string;
  label: string;
  operator: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: NodeBox[];
  groups: NodeBox[];
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }> }>;
}

const CHAR_W = 7.2;
const NODE_H = 40;

/** Group ids of a task id (`a.b.c` is in `a` and `a.b`). */
const parentsOf = (id: string): string[] => {
  const parts = id.split('.');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
};

export function layoutDag(tasks: readonly TaskRow[]): GraphLayout {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 48, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const groups = new Set<string>();
  for (const t of tasks) {
    const label = t.task_id.split('.').at(-1)!;
    g.setNode(t.task_id, { width: Math.max(90, Math.max(label.length, t.operator.length * 0.8) * CHAR_W + 24), height: NODE_H, label, operator: t.operator });
    const parents = parentsOf(t.task_id);
    for (const [i, p] of parents.entries()) {
      if (!groups.has(p)) {
        groups.add(p);
        g.setNode(p, { width: 0, height: 0, label: p.split('.').at(-1)!, paddingTop: 24 });
        if (i > 0) g.setParent(p, parents[i - 1]!);
      }
    }
    if (parents.length) g.setParent(t.task_id, parents.at(-1)!);
  }
  for (const t of tasks) for (const d of t.downstream_task_ids) g.setEdge(t.task_id, d);
  dagre.layout(g);

  const box = (id: string): NodeBox => {
    const n = g.node(id);
    return { id, label: String(n.label ?? id), operator: String(n.operator ?? ''), x: n.x ?? 0, y: n.y ?? 0, width: n.width, height: n.height };
  };
  const graph = g.graph();
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes: tasks.map((t) => box(t.task_id)),
    groups: [...groups].map(box),
    edges: g.edges().map((e: { v: string; w: string }) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
  };
}
