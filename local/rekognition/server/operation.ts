/**
 * The contract between a local JSON-protocol server (protocol.ts) and the operations it hosts: Rekognition's image
 * operations and Face Liveness, Textract's AnalyzeID. An operation takes the parsed JSON request body and returns
 * the JSON response body; it refuses with a ServiceError, which the server writes as the service does (`__type`,
 * `Message`, `x-amzn-ErrorType`, status).
 */
export type OperationHandler = (input: Record<string, unknown>) => Promise<Record<string, unknown>>;

export type OperationTable = Record<string, OperationHandler>;

export class ServiceError extends Error {
  constructor(
    /** The service's exception name, e.g. `InvalidParameterException`. */
    readonly type: string,
    message: string,
    /** HTTP status the service answers with for this exception. */
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** The Rekognition server's name for it. */
export { ServiceError as RekognitionError };
