/**
 * The one refusal type of the local AWS endpoints: the service's exception name, AWS's wording and the HTTP status
 * the service answers with. Each protocol writes it in its own shape (JSON 1.1 `__type`, REST-JSON
 * `x-amzn-ErrorType`, S3's XML); the SDK raises the matching exception class from the name.
 */
export class AwsError extends Error {
  constructor(
    /** The exception name, e.g. `InvalidParameterException`. */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
