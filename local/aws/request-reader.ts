/**
 * Reads a request the way AWS's front end does. Its target (`requestTarget`): a path and query, or nothing a server
 * can route. The members of its JSON body (`RequestReader`): a member of the wrong JSON
 * type is a SerializationException (the body cannot be read as the operation's input), and values that break the
 * model's constraints are collected into one exception worded as AWS words it
 * ("2 validation errors detected: Value 'x' at 'collectionId' failed to satisfy constraint: ..."): a
 * ValidationException, or what the service names it (Cognito: InvalidParameterException).
 */
import { AwsError } from './errors';

/**
 * The request line's target (`request.url`) as a URL of its path and query, or undefined when it is no path: not
 * origin-form (`*`, `http://host/x`), or starting with an empty segment (`//:99999`, `/\x`), which URL parsers read as
 * a host and port (`new URL('//:99999', base)` throws, and a throw in a request or upgrade listener ends the
 * process). Every server answers undefined with a 400 in its own shape. Never throws.
 */
export function requestTarget(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  // Appended to an origin, the target can only be a path and query: the parser has nothing left to refuse.
  const url = new URL(`http://request.invalid${target}`);
  return url.pathname.startsWith('//') ? undefined : url;
}

type Json = Record<string, unknown>;

interface StringRule {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  /** The model's pattern, as AWS prints it in the message; matched against the whole value. */
  pattern?: string;
}

interface NumberRule {
  required?: boolean;
  min?: number;
  max?: number;
}

/** Lower-cases the first letter, as AWS names members in validation messages (`CollectionId` -> `collectionId`). */
function memberPath(parent: string, name: string): string {
  const member = name.charAt(0).toLowerCase() + name.slice(1);
  return parent ? `${parent}.${member}` : member;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checked without nested repetition: a 7 MB string must not exhaust the regex engine's stack. */
function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}

/** What the readers of one request report into. */
interface Report {
  violations: string[];
  exception: string;
}

export class RequestReader {
  private constructor(
    private readonly body: Json,
    private readonly path: string,
    private readonly report: Report,
  ) {}

  /** A reader of a whole request body; broken constraints are refused as `exception` (default ValidationException). */
  static of(body: Json, exception = 'ValidationException'): RequestReader {
    return new RequestReader(body, '', { violations: [], exception });
  }

  private violate(path: string, shown: string, constraint: string): void {
    this.report.violations.push(`Value ${shown} at '${path}' failed to satisfy constraint: Member must ${constraint}`);
  }

  private present(name: string, required: boolean | undefined): unknown {
    const value = this.body[name];
    if (value === undefined || value === null) {
      if (required) this.violate(memberPath(this.path, name), 'null', 'not be null');
      return undefined;
    }
    return value;
  }

  private typeError(name: string, expected: string): never {
    throw new AwsError('SerializationException', `${memberPath(this.path, name)} must be ${expected}`);
  }

  private checkLength(path: string, shown: string, length: number, rule: { minLength?: number; maxLength?: number }): void {
    if (rule.minLength !== undefined && length < rule.minLength) {
      this.violate(path, shown, `have length greater than or equal to ${rule.minLength}`);
    }
    if (rule.maxLength !== undefined && length > rule.maxLength) {
      this.violate(path, shown, `have length less than or equal to ${rule.maxLength}`);
    }
  }

  private checkString(path: string, value: string, rule: StringRule): void {
    const shown = `'${value.length > 64 ? `${value.slice(0, 64)}...` : value}'`;
    this.checkLength(path, shown, value.length, rule);
    if (rule.pattern !== undefined && value.length > 0 && !new RegExp(`^(?:${rule.pattern})$`).test(value)) {
      this.violate(path, shown, `satisfy regular expression pattern: ${rule.pattern}`);
    }
  }

  string(name: string, rule: StringRule & { required: true }): string;
  string(name: string, rule?: StringRule): string | undefined;
  string(name: string, rule: StringRule = {}): string | undefined {
    const value = this.present(name, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.typeError(name, 'a string');
    this.checkString(memberPath(this.path, name), value, rule);
    return value;
  }

  enumeration<T extends string>(name: string, values: readonly T[], required = false): T | undefined {
    const value = this.string(name, { required });
    if (value !== undefined && !values.includes(value as T)) {
      this.violate(memberPath(this.path, name), `'${value}'`, `satisfy enum value set: [${values.join(', ')}]`);
      return undefined;
    }
    return value as T | undefined;
  }

  private numeric(name: string, rule: NumberRule, integer: boolean): number | undefined {
    const value = this.present(name, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      this.typeError(name, integer ? 'an integer' : 'a number');
    }
    const path = memberPath(this.path, name);
    if (rule.min !== undefined && value < rule.min) this.violate(path, `'${value}'`, `have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value > rule.max) this.violate(path, `'${value}'`, `have value less than or equal to ${rule.max}`);
    return value;
  }

  integer(name: string, rule: NumberRule = {}): number | undefined {
    return this.numeric(name, rule, true);
  }

  float(name: string, rule: NumberRule = {}): number | undefined {
    return this.numeric(name, rule, false);
  }

  /** A list of strings: `list` bounds the number of items, `item` constrains each one. */
  stringList(
    name: string,
    list: { required?: boolean; minLength?: number; maxLength?: number },
    item: StringRule | { values: readonly string[] },
  ): string[] | undefined {
    const value = this.present(name, list.required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) this.typeError(name, 'a list');
    const path = memberPath(this.path, name);
    this.checkLength(path, `'[${value.length} items]'`, value.length, list);
    value.forEach((entry, index) => {
      if (typeof entry !== 'string') this.typeError(`${name}.${index + 1}`, 'a string');
      if ('values' in item) {
        if (!item.values.includes(entry)) {
          this.violate(`${path}.${index + 1}.member`, `'${entry}'`, `satisfy enum value set: [${item.values.join(', ')}]`);
        }
      } else {
        this.checkString(`${path}.${index + 1}.member`, entry, item);
      }
    });
    return value as string[];
  }

  /** A map of string to string (e.g. Tags). */
  stringMap(name: string, rule: { maxEntries?: number; key?: StringRule; value?: StringRule } = {}): Record<string, string> | undefined {
    const value = this.present(name, false);
    if (value === undefined) return undefined;
    if (!isObject(value)) this.typeError(name, 'a map');
    const path = memberPath(this.path, name);
    const entries = Object.entries(value);
    this.checkLength(path, `'{${entries.length} entries}'`, entries.length, { maxLength: rule.maxEntries });
    for (const [key, entry] of entries) {
      if (typeof entry !== 'string') this.typeError(`${name}.${key}`, 'a string');
      this.checkString(`${path}.${key}.key`, key, rule.key ?? {});
      this.checkString(`${path}.${key}.value`, entry, rule.value ?? {});
    }
    return value as Record<string, string>;
  }

  /** A base64 blob, decoded. */
  blob(name: string, rule: { minLength?: number; maxLength?: number } = {}): Buffer | undefined {
    const value = this.present(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !isBase64(value)) this.typeError(name, 'base64-encoded bytes');
    const bytes = Buffer.from(value, 'base64');
    this.checkLength(memberPath(this.path, name), `'<${bytes.length} bytes>'`, bytes.length, rule);
    return bytes;
  }

  /** A nested structure, read with its own reader that reports into this one. */
  structure(name: string, required = false): RequestReader | undefined {
    const value = this.present(name, required);
    if (value === undefined) return undefined;
    if (!isObject(value)) this.typeError(name, 'a structure');
    return new RequestReader(value, memberPath(this.path, name), this.report);
  }

  /** A list of structures, each read with its own reader that reports into this one. */
  structureList(name: string, list: { required?: boolean; minLength?: number; maxLength?: number }): RequestReader[] | undefined {
    const value = this.present(name, list.required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) this.typeError(name, 'a list');
    const path = memberPath(this.path, name);
    this.checkLength(path, `'[${value.length} items]'`, value.length, list);
    return value.map((entry, index) => {
      if (!isObject(entry)) this.typeError(`${name}.${index + 1}`, 'a structure');
      return new RequestReader(entry, `${path}.${index + 1}.member`, this.report);
    });
  }

  /** Throws the exception for every constraint broken so far, if any. */
  finish(): void {
    const { violations, exception } = this.report;
    if (violations.length === 0) return;
    const detected = `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected`;
    throw new AwsError(exception, `${detected}: ${violations.join('; ')}`);
  }
}
