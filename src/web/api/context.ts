/** What the API's route modules share: the web context plus the server's run driver. */
import type { WebContext } from '../context.js';
import type { RunDriver } from './driver.js';

export interface ApiContext extends WebContext {
  driver: RunDriver;
}
