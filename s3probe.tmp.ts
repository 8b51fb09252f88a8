import { ListObjectsV2Command, PutObjectCommand, DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalS3 } from '/work/wt-deploy/local/s3/local-s3';
import { freePort } from '/work/wt-deploy/local/template/local-environment';
import { mkdtempSync } from 'node:fs';
const B='face-login-000000000000-00000000-0000-0000-0000-000000000000';
const s3 = await startLocalS3({ port: await freePort(), dataDir: mkdtempSync('/tmp/s3probe-'), buckets:[{name:B,cors:[]}], region:'us-east-1', credentials:{S3RVER:'S3RVER'}, log: (l)=>console.log('LOG',l)});
const c = new S3Client({ endpoint: s3.endpoint, region:'us-east-1', credentials:{accessKeyId:'S3RVER',secretAccessKey:'S3RVER'}, forcePathStyle:true});
for (let i=0;i<Number(process.argv[2]);i++) await c.send(new PutObjectCommand({Bucket:B,Key:`${i%2?'enrollment':'liveness'}/user-${i}/photo.jpg`,Body:'photo'}));
try { const r = await c.send(new ListObjectsV2Command({Bucket:B, MaxKeys:1000})); console.log('list', r.KeyCount, r.NextContinuationToken);
  const d = await c.send(new DeleteObjectsCommand({Bucket:B, Delete:{Objects:(r.Contents??[]).map(o=>({Key:o.Key!})), Quiet:true}})); console.log('delete', JSON.stringify(d.Errors));
} catch(e) { console.log('ERR', (e as Error).name, (e as Error).message, (e as any).$metadata); }
await s3.stop();
