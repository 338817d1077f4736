import { join } from 'node:path';
import { ROOT } from './monitoring-tools';

/** infra/grafana: the dashboard JSON and its provisioning. */
export const GRAFANA_DIR = join(ROOT, 'infra', 'grafana');

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

export interface DashboardQuery {
  panelId: number;
  panel: string;
  refId: string;
  expr: string;
}

/** Every PromQL query of a dashboard's panels, with the panel it belongs to. */
export function dashboardQueries(panels: readonly DashboardPanel[]): DashboardQuery[] {
  return panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panelId: p.id, panel: p.title, refId: t.refId, expr: t.expr })));
}
