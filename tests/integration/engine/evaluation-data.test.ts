/** Where the calibration and the bench look for the face data: `--data DIR`, else beside the repository. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDirFrom, DEFAULT_DATA_DIR, lfwDirOf } from '../../../local/rekognition/engine/evaluation/lfw';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('face data folder', () => {
  it('defaults to ../shared/data/faces resolved from the repository root, not from the working directory', () => {
    expect(DEFAULT_DATA_DIR).toBe(path.resolve(REPO_ROOT, '../shared/data/faces'));
    expect(dataDirFrom(['--no-cache'])).toBe(DEFAULT_DATA_DIR);
  });

  it('takes --data DIR, relative to the working directory, with LFW View 1 in its lfw-view1 folder', () => {
    const dir = dataDirFrom(['--cards', '10', '--data', 'some/faces']);
    expect(dir).toBe(path.resolve(process.cwd(), 'some/faces'));
    expect(lfwDirOf(dir)).toBe(path.join(dir, 'lfw-view1'));
  });

  it('refuses --data without a folder', () => {
    expect(() => dataDirFrom(['--data'])).toThrow(/--data needs a folder/);
    expect(() => dataDirFrom(['--data', '--no-cache'])).toThrow(/--data needs a folder/);
  });
});
