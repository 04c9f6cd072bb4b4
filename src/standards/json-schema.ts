// The JSON Schema documents Qiao handles, and how `$ref`s between them resolve.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** A schema object whose keyword values are checked when it is compiled, not trusted. */
export interface JsonSchemaObject {
  readonly [keyword: string]: unknown
}

export type JsonSchema = boolean | JsonSchemaObject

/** Schema documents by their `$id` (no fragment). */
export type SchemaStore = ReadonlyMap<string, JsonSchemaObject>

export const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema'

// Base URI of a document without `$id`, so that `#/$defs/...` still resolves inside it.
const ANONYMOUS_BASE = 'https://qiao.invalid/anonymous-schema'

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a)
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
    )
  }
  return false
}

export function isSchemaObject(value: unknown): value is JsonSchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function documentUri(document: JsonSchemaObject): string {
  return typeof document.$id === 'string' ? stripFragment(document.$id) : ANONYMOUS_BASE
}

function stripFragment(uri: string): string {
  const hash = uri.indexOf('#')
  return hash < 0 ? uri : uri.slice(0, hash)
}

export class SchemaStoreError extends Error {
  override name = 'SchemaStoreError'
}

/** Indexes documents by `$id`; every document needs an absolute, unique `$id`. */
export function createSchemaStore(documents: Iterable<JsonSchemaObject>): SchemaStore {
  const store = new Map<string, JsonSchemaObject>()
  for (const document of documents) {
    const id = document.$id
    if (typeof id !== 'string' || !URL.canParse(id) || id.includes('#')) {
      throw new SchemaStoreError('every schema document needs an absolute $id without a fragment')
    }
    if (store.has(id)) throw new SchemaStoreError(`two schema documents share the $id ${id}`)
    store.set(id, document)
  }
  return store
}

/** Escapes one JSON Pointer reference token (RFC 6901). */
export function pointerSegment(token: string | number): string {
  return `/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`
}

export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new SyntaxError(`"${pointer}" is not a JSON Pointer`)
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
}

export interface ResolvedRef {
  /** URI of the document holding the target: the base URI for `$ref`s inside it. */
  readonly documentUri: string
  /** JSON Pointer to the target inside that document. */
  readonly pointer: string
  readonly schema: JsonSchema
}

export class RefResolutionError extends Error {
  override name = 'RefResolutionError'
}

/**
 * Resolves a `$ref` against the base URI of the document it appears in. Supports a document
 * URI with an optional JSON Pointer fragment; anchors are not part of Qiao's subset.
 * `documents` must include the document being compiled (see `withDocument`).
 */
export function resolveRef(ref: string, baseUri: string, documents: SchemaStore): ResolvedRef {
  if (!URL.canParse(ref, baseUri)) throw new RefResolutionError(`cannot resolve $ref "${ref}"`)
  const target = new URL(ref, baseUri)
  const pointer = decodeURIComponent(target.hash.slice(1))
  if (pointer !== '' && !pointer.startsWith('/')) {
    throw new RefResolutionError(`$ref "${ref}": only JSON Pointer fragments are supported, not anchors`)
  }
  target.hash = ''
  const uri = target.href
  const document = documents.get(uri)
  if (document === undefined) {
    throw new RefResolutionError(`$ref "${ref}" names an unknown schema document ${uri}`)
  }
  const schema = schemaAtPointer(document, pointer)
  if (schema === undefined) {
    throw new RefResolutionError(`$ref "${ref}": ${uri} has no schema at #${pointer}`)
  }
  return { documentUri: uri, pointer, schema }
}

function schemaAtPointer(document: JsonSchemaObject, pointer: string): JsonSchema | undefined {
  let node: unknown = document
  for (const token of pointerTokens(pointer)) {
    if (!isSchemaObject(node) || !Object.hasOwn(node, token)) return undefined
    node = node[token]
  }
  return typeof node === 'boolean' || isSchemaObject(node) ? node : undefined
}

/** The store plus the document being compiled, which may be new or have no `$id`. */
export function withDocument(store: SchemaStore, document: JsonSchemaObject): SchemaStore {
  const uri = documentUri(document)
  if (store.get(uri) === document) return store
  return new Map(store).set(uri, document)
}
