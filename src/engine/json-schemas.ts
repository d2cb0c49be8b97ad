/**
 * JSON Schemas (draft-07) of segment files and of `segment.config.yaml`, for editors:
 * `# yaml-language-server: $schema=...` at the top of a YAML file makes VS Code check it as
 * it is typed. They are built from the validators' own key lists, operators, field names and
 * canonical columns, and every key a validator accepts must have a schema here (building
 * throws otherwise), so the two cannot drift. `npm run schemas` writes them to schemas/;
 * a test checks the committed files are what this builds.
 *
 * The schemas check shape (keys, types, enums); the validators check the rest (an operator
 * fitting its field's type, dates, references), with file, line and column.
 */
import { COLUMN_KEYS, GUARD_KEYS, HOOK_KEYS, ID_KEYS, LIMIT_KEYS, RFM_KEYS, RFM_RULE_KEYS, RFM_THRESHOLD_KEYS, SOURCE_KEYS, TOP_KEYS } from "../config/load-config.js";
import { EXPORT_NAMES, SCHEMAS } from "../schema/exports.js";
import { OPERATORS } from "../segment/ast.js";
import { allFieldNames } from "../segment/fields.js";
import { CODE_RE, FILTER_KEYS, GROUP_KEYS, SEGMENT_GUARD_KEYS, SEGMENT_KEYS } from "../segment/load-definitions.js";

type Schema = Record<string, unknown>;

const DRAFT = "http://json-schema.org/draft-07/schema#";
const SHARE = { description: "a share such as 30%, or a number from 0 to 1", oneOf: [{ type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*%\\s*$" }, { type: "number", minimum: 0, maximum: 1 }] };
const SCALAR = { type: ["string", "number", "boolean"] };
const MAPPING_REF = { $ref: "#/definitions/mapping" };

/** An object schema whose properties are exactly `keys`, each described in `props`. */
function strict(keys: readonly string[], props: Record<string, Schema>, extra: Schema = {}): Schema {
  const missing = keys.filter((k) => !(k in props));
  const unknown = Object.keys(props).filter((k) => !keys.includes(k));
  if (missing.length || unknown.length) throw new Error(`schema and validator disagree: no schema for ${missing.join(", ") || "-"}; not accepted: ${unknown.join(", ") || "-"}`);
  return { type: "object", properties: Object.fromEntries(keys.map((k) => [k, props[k]])), additionalProperties: false, ...extra };
}

/** An RFM rule's score range: [low, high] or one score (1..9; the config's bins bound it further). */
const scoreRange: Schema = { oneOf: [{ type: "integer", minimum: 1, maximum: 9 }, { type: "array", items: { type: "integer", minimum: 1, maximum: 9 }, minItems: 2, maxItems: 2 }] };

/** The schema of a segment file: one segment, or a list of them. */
export function segmentFileSchema(): Schema {
  const operand = { description: "the operand: a value, a list, a [low, high] range, a date (2026-01-31, -30d, today, +3d), true/false for empty" };
  const ops = Object.fromEntries(OPERATORS.map((op) => [op, operand]));
  const whereCondition = {
    oneOf: [
      { type: "array", items: SCALAR, description: "the values the column may have" },
      strict(OPERATORS, ops, { minProperties: 1, maxProperties: 1, description: "one operator and its operand" }),
    ],
  };
  const fields = [...new Set(allFieldNames())];
  const filter = strict(FILTER_KEYS, {
    field: { type: "string", description: "a field: a profile column, custom.<name>, age, segment, orders.count, ...", anyOf: [{ enum: fields }, { pattern: "^custom\\..+" }] },
    where: { type: "object", description: "conditions on the fact rows counted (fact fields only)", additionalProperties: whereCondition },
    ignore_year: { type: "boolean", description: "compare month and day only (birthdays)" },
    ...ops,
  }, { required: ["field"] });
  const groupProps = {
    match: { enum: ["all", "any"], description: "all: every filter and group must pass (default); any: one is enough" },
    not: { type: "boolean", description: "true: the group's result is negated" },
    filters: { type: "array", items: { $ref: "#/definitions/filter" } },
    groups: { type: "array", items: { $ref: "#/definitions/group" } },
  };
  const segment = strict(SEGMENT_KEYS, {
    code: { type: "string", pattern: CODE_RE.source, description: "unique code: lower-case letters, digits, _ and -" },
    name: { type: "string", minLength: 1 },
    description: { type: "string" },
    type: { enum: ["dynamic", "static"], description: "dynamic (default): recomputed every run; static: computed once, then frozen" },
    active: { type: "boolean", description: "false: skipped by runs, keeps its last members" },
    analytics: { type: "boolean" },
    guard: strict(SEGMENT_GUARD_KEYS, { max_change: SHARE, min_members: { type: "integer", minimum: 0 } }),
    ...groupProps,
  }, { required: ["code", "name"] });
  return {
    $schema: DRAFT,
    title: "segment definitions (segments/*.yaml)",
    oneOf: [{ $ref: "#/definitions/segment" }, { type: "array", items: { $ref: "#/definitions/segment" } }],
    definitions: { segment, group: strict(GROUP_KEYS, groupProps), filter },
  };
}

/** The schema of `segment.config.yaml`. */
export function configSchema(): Schema {
  const folder = { type: "string", minLength: 1 };
  const mapping = {
    oneOf: [
      { type: "string", minLength: 1, description: "the source column" },
      strict(COLUMN_KEYS, {
        from: { type: "string", minLength: 1, description: "the source column (default: the canonical name)" },
        format: { type: "string", description: "a date format: YYYY, YY, MM, M, DD, D, HH, H, mm, ss, SSS, Z" },
        timezone: { type: "string", description: "IANA zone of zone-less datetimes" },
        values: { type: "object", additionalProperties: SCALAR, description: "derived values: exact source text or /pattern/flags -> value" },
        default: { ...SCALAR, description: "the value when no rule fits" },
      }),
    ],
  };
  const source = (name: (typeof EXPORT_NAMES)[number]) => strict(SOURCE_KEYS, {
    file: { description: "a file, a folder or a glob in the data folder, or a list of them", oneOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 }] },
    format: { enum: ["csv", "json", "ndjson"] },
    delimiter: { type: "string", description: "one character, or whitespace (runs of spaces and tabs)", anyOf: [{ const: "whitespace" }, { minLength: 1, maxLength: 2 }] },
    encoding: { type: "string" },
    decimal: { enum: [".", ","] },
    list_separator: { type: "string", minLength: 1 },
    ignore: { type: "array", items: { type: "string" } },
    columns: {
      type: "object",
      properties: Object.fromEntries(Object.keys(SCHEMAS[name].columns).map((c) => [c, MAPPING_REF])),
      ...(name === "customers" ? { patternProperties: { "^custom\\..+": MAPPING_REF } } : {}),
      additionalProperties: false,
    },
  });
  const hookObject = strict(HOOK_KEYS, {
    command: { oneOf: [{ type: "array", items: { type: "string", minLength: 1 }, minItems: 1 }, { type: "string", minLength: 1 }] },
    shell: { type: "boolean" },
    timeout: { type: "number", exclusiveMinimum: 0, description: "seconds" },
  }, { required: ["command"] });
  return {
    $schema: DRAFT,
    title: "segment.config.yaml",
    definitions: { mapping },
    ...strict(TOP_KEYS, {
      data: folder, segments: folder, state: folder, out: folder,
      timezone: { type: "string", description: "IANA zone for day boundaries, e.g. Europe/Moscow" },
      as_of: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "the day taken as today when --as-of is not given" },
      max_bad_rows: { type: "integer", minimum: 0 },
      max_orphan_share: SHARE,
      ids: strict(ID_KEYS, { drop_decimal_zeros: { type: "boolean" } }),
      limits: strict(Object.values(LIMIT_KEYS), Object.fromEntries(Object.values(LIMIT_KEYS).map((k) => [k, { type: "integer", minimum: 1 }]))),
      sources: strict(EXPORT_NAMES, Object.fromEntries(EXPORT_NAMES.map((n) => [n, source(n)]))),
      rfm: strict(RFM_KEYS, {
        exclude_statuses: { type: "array", items: { type: "string" } },
        monetary: { enum: ["sum", "avg"] },
        bins: { type: "integer", minimum: 2, maximum: 9 },
        method: { enum: ["rank", "quantile", "thresholds"] },
        thresholds: strict(RFM_THRESHOLD_KEYS, Object.fromEntries(RFM_THRESHOLD_KEYS.map((k) => [k, { type: "array", items: { type: "number" }, description: "bins - 1 increasing cut points" }]))),
        segments: {
          type: "array", minItems: 1, description: "named segments, first match wins (docs/rfm.md)",
          items: { ...strict(RFM_RULE_KEYS, { code: { type: "string", minLength: 1 }, r: scoreRange, f: scoreRange, m: scoreRange }), required: ["code", "r", "f", "m"] },
        },
      }),
      guard: strict(GUARD_KEYS, { max_change: SHARE, min_members: { type: "integer", minimum: 0 }, max_input_drop: SHARE }),
      hooks: strict(["after_run"], { after_run: { oneOf: [hookObject, { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 }] } }),
    }),
  };
}
