/** Typed errors of the training library: a stable `code`, a `hint` for the user, `cause` kept. */
abstract class TrainingLibraryError extends Error {
  abstract readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number = 1;
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

export type ImageDecodeCode = 'unsupported_format' | 'corrupt_image' | 'too_large';

/** An input that is not a decodable image of a supported format (serving maps these to HTTP 400/413). */
export class ImageDecodeError extends TrainingLibraryError {
  readonly code: ImageDecodeCode;
  constructor(code: ImageDecodeCode, message: string, options?: { cause?: unknown }) {
    super(message, 'send a JPEG or PNG chest X-ray', options);
    this.code = code;
  }
}

export type DataErrorCode = 'data_missing' | 'empty_class' | 'no_images';

/** The data folder does not have the Kaggle layout, or a class has no usable image. */
export class DataError extends TrainingLibraryError {
  readonly code: DataErrorCode;
  override readonly exitCode = 2;
  constructor(code: DataErrorCode, message: string, hint: string, options?: { cause?: unknown }) {
    super(message, hint, options);
    this.code = code;
  }
}

export type ModelErrorCode = 'model_missing' | 'model_invalid' | 'pretrained_mismatch' | 'checkpoint_invalid' | 'init_missing';

/** A model folder that cannot be read, or pretrained weights that do not fit the architecture. */
export class ModelError extends TrainingLibraryError {
  readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string, hint: string, options?: { cause?: unknown }) {
    super(message, hint, options);
    this.code = code;
  }
}

/** Training was cancelled through its AbortSignal; nothing was written to outDir. */
export class TrainingAbortedError extends TrainingLibraryError {
  readonly code = 'aborted';
  override readonly exitCode = 130;
  constructor(options?: { cause?: unknown }) {
    super('training was aborted; no model was written', undefined, options);
  }
}
