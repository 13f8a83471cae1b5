export { renderNotice } from './render.js';
export { comparisonRows, headline, formatMetric, type MetricRow } from './compare.js';
export { emailConfigFromEnv, sendEmail } from './email.js';
export { sendSlack } from './slack.js';
export { notifyAll, type NotifyOptions } from './notify-all.js';
export { NotifyError, NotifyConfigError, EmailError, SlackError, NotifyFailedError } from './errors.js';
export type { RunSummary, Notice, ChannelResult, Channel, ChannelStatus, EmailConfig, Decision, ModelSide } from './types.js';
export { DECISIONS, CHANNELS, CHANNEL_STATUSES } from './types.js';
