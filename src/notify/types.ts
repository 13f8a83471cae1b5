export const DECISIONS = ['promoted', 'kept_champion', 'no_new_data', 'failed'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface ModelSide {
  version?: number;
  metrics: Record<string, number>;
}

/** What the pipeline's notify task knows about a DAG run. */
export interface RunSummary {
  dagId: string;
  runId: string;
  state: 'success' | 'failed';
  decision: Decision;
  reason: string;
  dataVersion: string | null;
  candidate?: ModelSide;
  champion?: ModelSide;
  failedTasks?: string[];
  /** Short facts worth a line of their own, e.g. how the candidate was trained and its threshold. */
  notes?: string[];
  links?: { label: string; url: string }[];
}

/** One message in every shape a channel needs. */
export interface Notice {
  subject: string;
  text: string;
  html: string;
  slack: { text: string; blocks: unknown[] };
}

export const CHANNELS = ['email', 'slack'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CHANNEL_STATUSES = ['sent', 'skipped', 'failed'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

export interface ChannelResult {
  channel: Channel;
  status: ChannelStatus;
  /** sent: message id or 'ok'; skipped: why; failed: the error message. */
  detail: string;
  error?: Error;
}

export interface EmailConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** Connection, greeting and socket timeouts; default 15 s. */
  timeoutMs?: number;
}
