import { preprocessImage } from '../training/preprocess.js';
import { predictTensor, type Prediction } from '../training/predict.js';
import { badRequest, ModelNotReadyError, QueueFullError } from './errors.js';
import type { Explanation } from './explain.js';
import { checkImage, httpErrorOf } from './image-input.js';
import type { ServeMetrics } from './metrics.js';
import type { ModelHolder } from './model-holder.js';
import type { ServedModel } from './model.js';
import type { InferenceQueue, Ticket } from './queue.js';

export interface Answer {
  predictions: Prediction[];
  /** One per image when asked for and the model supports it. */
  explanations: Explanation[] | null;
  model: ServedModel;
  /** Forward pass time inside the queue (no waiting, no decoding). */
  inferenceMs: number;
}

/**
 * Every inference goes through here: admission to the bounded queue first (so a flood is refused
 * before it costs anything), a lease on the current model (so a hot swap never disturbs a request
 * in flight), decoding with the shared preprocessing outside the serial section, then the forward
 * pass in the queue.
 */
export class InferenceService {
  constructor(
    private readonly holder: ModelHolder<ServedModel>,
    private readonly queue: InferenceQueue,
    private readonly metrics: ServeMetrics,
  ) {}

  /** Encoded images (JPEG/PNG) -> one prediction each (and a heat map each when `explain`). */
  async predictImages(images: Buffer[], o: { kind?: string; explain?: boolean } = {}): Promise<Answer> {
    // Header checks are cheap and need no model: bad input gets its 4xx even while loading.
    for (const img of images) await checkImage(img);
    return this.withModel(async (model, ticket) => {
      const size = model.inputSize;
      const per = size * size * 3;
      const decoded = await Promise.all(images.map((img) => preprocessImage(img, size).catch((err: unknown) => Promise.reject(httpErrorOf(err)))));
      const batch = new Float32Array(decoded.length * per);
      decoded.forEach((d, i) => batch.set(d, i * per));
      const answer = await this.forward(ticket, model, batch, images.length, o.kind ?? 'image');
      const explain = model.explain;
      if (o.explain && explain) {
        answer.explanations = await ticket.run(async () =>
          answer.predictions.map((p, i) => explain(batch.subarray(i * per, (i + 1) * per), p.label)),
        );
      }
      return answer;
    });
  }

  /** Already-preprocessed NHWC float input (KServe FP32), `batch` images of the model's input size. */
  predictTensor(input: Float32Array, batch: number, kind = 'tensor'): Promise<Answer> {
    return this.withModel((model, ticket) => {
      // The model may have been swapped for one of another size since the caller checked the shape.
      const s = model.inputSize;
      if (input.length !== batch * s * s * 3) throw badRequest('invalid_shape', `input must be [${batch}, ${s}, ${s}, 3] for the model now loaded`);
      return this.forward(ticket, model, input, batch, kind);
    });
  }

  private async forward(ticket: Ticket, model: ServedModel, input: Float32Array, batch: number, kind: string): Promise<Answer> {
    return ticket.run(async () => {
      const t0 = performance.now();
      const predictions = await predictTensor(model.loaded, input, batch);
      const inferenceMs = performance.now() - t0;
      this.metrics.inferenceSeconds.observe({ kind }, inferenceMs / 1000);
      for (const p of predictions) this.metrics.predictions.inc({ label: p.label });
      return { predictions, explanations: null, model, inferenceMs };
    });
  }

  private async withModel(body: (model: ServedModel, ticket: Ticket) => Promise<Answer>): Promise<Answer> {
    let ticket: Ticket;
    try {
      ticket = this.queue.admit();
    } catch (err) {
      if (err instanceof QueueFullError) this.metrics.queueRejections.inc();
      throw err;
    }
    this.metrics.queueDepth.set(this.queue.depth);
    const lease = this.holder.acquire();
    try {
      if (!lease) throw new ModelNotReadyError();
      return await body(lease.model, ticket);
    } finally {
      lease?.release();
      ticket.leave();
      this.metrics.queueDepth.set(this.queue.depth);
    }
  }
}
