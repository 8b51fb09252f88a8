/** An uploaded ID photo as S3 holds it, and a Rekognition collection that accepts its face. */
import { DeleteFacesCommand, IndexFacesCommand, SearchFacesByImageCommand, SearchFacesCommand } from '@aws-sdk/client-rekognition';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { objectBody, rekognitionMock, s3Mock, storeItem } from './aws-mocks';

/** The first bytes of a JFIF file: enough for the signature check; Rekognition is mocked. */
export const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
export const UPLOADED_AT = new Date('2026-11-21T15:30:12.000Z');
export const NEW_FACE_ID = 'face-new';

/** Puts an object at every key, as S3 reports it to HeadObject and returns it to GetObject. */
export function storePhoto(bytes: Uint8Array = JPEG, contentType = 'image/jpeg', contentLength = bytes.length): void {
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: contentLength, ContentType: contentType, LastModified: UPLOADED_AT });
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(bytes), LastModified: UPLOADED_AT });
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(DeleteObjectCommand).resolves({});
}

/** A collection with no matching face, where the photo's face is indexed as NEW_FACE_ID. */
export function arrangeCollection(): void {
  rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [] });
  rekognitionMock.on(SearchFacesCommand).resolves({ FaceMatches: [] });
  rekognitionMock.on(IndexFacesCommand).resolves({ FaceRecords: [{ Face: { FaceId: NEW_FACE_ID } }], UnindexedFaces: [] });
  rekognitionMock.on(DeleteFacesCommand).resolves({ DeletedFaces: [] });
}

/** Records `key` as issued to `sub` by create, not decided yet (or with the given decision). */
export function issueKey(sub: string, key: string, decision: Record<string, unknown> = { status: 'ISSUED' }): void {
  storeItem(`USER#${sub}`, `ENROLLMENT#${key}`, { key, ...decision });
}

/** A face match as SearchFaces and SearchFacesByImage report it. */
export const faceMatch = (owner: string, faceId: string) => ({ Similarity: 97, Face: { FaceId: faceId, ExternalImageId: owner } });
