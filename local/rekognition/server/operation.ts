/**
 * The contract between the Rekognition JSON server and the services it hosts (image operations, Face Liveness).
 * An operation takes the parsed JSON request body and returns the JSON response body; it refuses with a
 * RekognitionError, which the server writes as Rekognition does (`__type`, `Message`, `x-amzn-ErrorType`, status).
 */
export type OperationHandler = (input: Record<string, unknown>) => Promise<Record<string, unknown>>;

export type OperationTable = Record<string, OperationHandler>;

export class RekognitionError extends Error {
  constructor(
    /** Rekognition's exception name, e.g. `InvalidParameterException`. */
    readonly type: string,
    message: string,
    /** HTTP status Rekognition answers with for this exception. */
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
