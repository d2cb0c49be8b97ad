/** The logical value types of DATA.md, shared by every layer. */

/** Logical types of columns. */
export type ValueType = "id" | "string" | "integer" | "decimal" | "bool" | "date" | "datetime" | "list";
