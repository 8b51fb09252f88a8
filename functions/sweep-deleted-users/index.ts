/** The Lambda entry: the handler built from the container's parts. */
import { createCognito, createDynamo, createRekognition, createS3 } from '../lib/aws-clients';
import { loadUserPoolId } from '../lib/config';
import { fromEnvironment } from '../lib/parts';
import { makeHandler } from './handler';

export const handler = makeHandler({
  ...fromEnvironment({ dynamo: createDynamo, rekognition: createRekognition, s3: createS3, cognito: createCognito }),
  userPoolId: loadUserPoolId(process.env),
});
