/**
 * The Rekognition collection as a CloudFormation custom resource (`Custom::RekognitionCollection`, property
 * `CollectionId`, optional `RetainOnDelete: 'true'`). PhysicalResourceId is the collection id, so changing
 * CollectionId is a replacement: Update creates the new collection and CloudFormation then sends Delete for
 * the old one. CloudFormation always gets an answer, also on errors and just before the Lambda times out.
 */
import { CreateCollectionCommand, DeleteCollectionCommand } from '@aws-sdk/client-rekognition';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { rekognition } from '../lib/aws-clients';
import { sendCustomResourceResponse, type CustomResourceResult } from '../lib/cfn-response';
import { withDeadline } from '../lib/deadline';
import { describeError, logEvent, logger } from '../lib/logger';

/** Time kept back to send FAILED before the Lambda is killed. */
const RESPONSE_RESERVE_MS = 2000;
const COLLECTION_ID = /^[a-zA-Z0-9_.-]{1,255}$/;

/**
 * Runs a collection call where one Rekognition error means the wanted state already holds
 * (CreateCollection: ResourceAlreadyExistsException; DeleteCollection: ResourceNotFoundException).
 */
async function settle(collectionId: string, call: () => Promise<unknown>, alreadySettled: string, done: string): Promise<void> {
  try {
    await call();
    logger.info(done, { collectionId });
  } catch (error) {
    if ((error as Error).name !== alreadySettled) throw error;
    logger.info(`${done} before`, { collectionId });
  }
}

const createCollection = (collectionId: string) =>
  settle(collectionId, () => rekognition().send(new CreateCollectionCommand({ CollectionId: collectionId })), 'ResourceAlreadyExistsException', 'collection created');

const deleteCollection = (collectionId: string) =>
  settle(collectionId, () => rekognition().send(new DeleteCollectionCommand({ CollectionId: collectionId })), 'ResourceNotFoundException', 'collection deleted');

async function apply(event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> {
  if (event.RequestType === 'Delete') {
    // A Create that failed before naming a collection leaves a physical id that is not one: nothing to delete.
    if (COLLECTION_ID.test(event.PhysicalResourceId) && event.ResourceProperties.RetainOnDelete !== 'true') {
      await deleteCollection(event.PhysicalResourceId);
    } else {
      logger.info('collection kept', { physicalResourceId: event.PhysicalResourceId });
    }
    return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId };
  }
  const collectionId = event.ResourceProperties.CollectionId as unknown;
  if (typeof collectionId !== 'string' || !COLLECTION_ID.test(collectionId)) {
    throw new Error('CollectionId must be 1-255 characters of a-z, A-Z, 0-9, _ . -');
  }
  if (event.RequestType === 'Create' || collectionId !== event.PhysicalResourceId) await createCollection(collectionId);
  return { status: 'SUCCESS', physicalResourceId: collectionId, data: { CollectionId: collectionId } };
}

/** What CloudFormation keeps as the physical id when the request fails. */
function physicalIdOnFailure(event: CloudFormationCustomResourceEvent): string {
  return event.RequestType === 'Create' ? `create-failed:${event.RequestId}` : event.PhysicalResourceId;
}

export const handler = async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
  logEvent(event);
  const work = () =>
    apply(event).catch((error: unknown): CustomResourceResult => {
      logger.error('custom resource request failed', { requestType: event.RequestType, ...describeError(error) });
      return { status: 'FAILED', physicalResourceId: physicalIdOnFailure(event), reason: describeError(error).errorMessage };
    });
  const result = await withDeadline(work, context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS, (): CustomResourceResult => ({
    status: 'FAILED',
    physicalResourceId: physicalIdOnFailure(event),
    reason: 'timed out',
  }));
  await sendCustomResourceResponse(event, result, context.logStreamName);
};
