import path from 'node:path';

/**
 * An object in a cache or remote. `legacy` objects come from DVC 2.x .dvc files (no `hash: md5`):
 * they are hashed with md5-dos2unix and live at `<root>/XX/REST` instead of `<root>/files/md5/XX/REST`.
 */
export interface ObjectId {
  oid: string;
  legacy: boolean;
}

/** Path of an object relative to the cache/remote root, POSIX separators (dvc-objects db.py oid_to_path). */
export function objectKey(o: ObjectId): string {
  const parts = [o.oid.slice(0, 2), o.oid.slice(2)];
  return (o.legacy ? parts : ['files', 'md5', ...parts]).join('/');
}

export function objectPath(root: string, o: ObjectId): string {
  return path.join(root, ...objectKey(o).split('/'));
}

export function sameObject(a: ObjectId, b: ObjectId): boolean {
  return a.oid === b.oid && a.legacy === b.legacy;
}

export function objectLabel(o: ObjectId): string {
  return o.legacy ? `${o.oid} (2.x)` : o.oid;
}
