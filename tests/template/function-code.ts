/**
 * The IAM actions a function's code needs, read from the code itself: esbuild bundles its entry (index.ts) with every
 * package left external and drops what the handler cannot reach, and each AWS SDK command constructed in what
 * is left maps to the action IAM checks for it. Least privilege is then a comparison: the template must grant
 * exactly these actions, no more and no fewer.
 */
import esbuild from 'esbuild';

/** SDK commands whose IAM action is not `<service>:<command name without "Command">`. */
const ACTION_OF_COMMAND: Record<string, Record<string, string>> = {
  '@aws-sdk/lib-dynamodb': {
    GetCommand: 'dynamodb:GetItem',
    PutCommand: 'dynamodb:PutItem',
    UpdateCommand: 'dynamodb:UpdateItem',
    DeleteCommand: 'dynamodb:DeleteItem',
    QueryCommand: 'dynamodb:Query',
    ScanCommand: 'dynamodb:Scan',
    BatchGetCommand: 'dynamodb:BatchGetItem',
    BatchWriteCommand: 'dynamodb:BatchWriteItem',
  },
  '@aws-sdk/client-s3': {
    HeadObjectCommand: 's3:GetObject',
    ListObjectsV2Command: 's3:ListBucket',
    DeleteObjectsCommand: 's3:DeleteObject',
  },
};

const SERVICE_OF_CLIENT: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-rekognition': 'rekognition',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-textract': 'textract',
  // SES v2's SendEmail is authorised by the IAM action ses:SendEmail.
  '@aws-sdk/client-sesv2': 'ses',
  '@aws-sdk/client-cognito-identity-provider': 'cognito-idp',
};

/** Calls (not commands) that need an IAM action: a presigned POST carries the signer's s3:PutObject. */
const ACTION_OF_CALL: Record<string, Record<string, string>> = {
  '@aws-sdk/s3-presigned-post': { createPresignedPost: 's3:PutObject' },
};

/**
 * Rekognition reads and writes S3 objects with the caller's permissions: CompareFaces reads both images
 * (S3Object), CreateFaceLivenessSession writes the reference and audit images (OutputConfig). CreateCollection
 * with Tags, the only way this project calls it, also needs TagResource.
 */
const IMPLIED_ACTIONS: Record<string, string[]> = {
  'rekognition:CompareFaces': ['s3:GetObject'],
  'rekognition:CreateFaceLivenessSession': ['s3:PutObject'],
  'rekognition:CreateCollection': ['rekognition:TagResource'],
};

const IMPORT_STATEMENT = /^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";?$/gm;

/** Local name -> [imported name, module] for the bundle's imports of external packages. */
function externalBindings(bundle: string): Map<string, [string, string]> {
  const bindings = new Map<string, [string, string]>();
  for (const [, names = '', from = ''] of bundle.matchAll(IMPORT_STATEMENT)) {
    for (const binding of names
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)) {
      const [imported = '', local = imported] = binding.split(/\s+as\s+/);
      bindings.set(local, [imported, from]);
    }
  }
  return bindings;
}

function actionOf(imported: string, from: string): string | undefined {
  // The SDK's paginator `paginateX` sends XCommand, page after page.
  if (imported.startsWith('paginate') && from.startsWith('@aws-sdk/')) return actionOf(`${imported.slice('paginate'.length)}Command`, from);
  const explicit = ACTION_OF_COMMAND[from]?.[imported] ?? ACTION_OF_CALL[from]?.[imported];
  if (explicit) return explicit;
  if (!imported.endsWith('Command') || !from.startsWith('@aws-sdk/')) return undefined;
  const service = SERVICE_OF_CLIENT[from];
  if (!service) throw new Error(`no IAM action known for ${imported} from ${from}: add it to tests/template/function-code.ts`);
  return `${service}:${imported.slice(0, -'Command'.length)}`;
}

/** The IAM actions the code reachable from `entry` needs, S3 access Rekognition exercises on its behalf included. */
export async function actionsNeededBy(entry: string): Promise<Set<string>> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const bundle = result.outputFiles[0]!.text;
  const body = bundle.replace(IMPORT_STATEMENT, '');
  const actions = new Set<string>();
  for (const [local, [imported, from]] of externalBindings(bundle)) {
    const action = actionOf(imported, from);
    if (action && new RegExp(`\\b${local}\\s*\\(`).test(body)) actions.add(action);
  }
  for (const action of [...actions]) for (const implied of IMPLIED_ACTIONS[action] ?? []) actions.add(implied);
  return actions;
}
