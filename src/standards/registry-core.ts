// The shipped standards and a catalogue over any set of standard documents (shipped ones plus
// those published later), with each standard's sensitivity tier. Pure: storage is elsewhere.

import base from '../../schemas/base/1.0.0.json'
import gridEvent from '../../schemas/grid-event/1.0.0.json'
import legalPerson from '../../schemas/legal-person/1.0.0.json'
import population from '../../schemas/population/1.0.0.json'
import socialOrgService from '../../schemas/social-org-service/1.0.0.json'
import { highestSensitivity } from './annotations'
import type { Sensitivity } from './annotations'
import { createSchemaStore } from './json-schema'
import type { JsonSchemaObject, SchemaStore } from './json-schema'
import { compareVersions } from './semver'
import { describeStandard, isElementLibrary, standardRefOf } from './standard'
import type { FieldSpec, StandardDescription, StandardRef } from './standard'
import { compileStandard } from './standardise'
import type { CompileStandardOptions, CompiledStandard } from './standardise'
import { compileSchema } from './validator'

// Imported statically so that bundlers (esbuild for Workers) include them.
export const SHIPPED_DOCUMENTS: readonly JsonSchemaObject[] = [
  base,
  population,
  legalPerson,
  socialOrgService,
  gridEvent,
]

/** A standard's tier: the highest raw sensitivity of its fields ("take the higher grade"). */
export function standardTier(fields: readonly Pick<FieldSpec, 'sensitivity'>[]): Sensitivity {
  return highestSensitivity(fields.map((field) => field.sensitivity))
}

export interface StandardSummary {
  readonly name: string
  readonly version: string
  readonly title: string
  /** `record`: a standard records conform to; `elements`: a library of data elements. */
  readonly kind: 'record' | 'elements'
  /** Only for record standards. */
  readonly tier?: Sensitivity
}

export interface StandardCatalog {
  readonly documents: SchemaStore
  /** Every document, by name then version (ascending). */
  list(): readonly StandardSummary[]
  /** The schema document of `name` at `version`. */
  schema(name: string, version: string): JsonSchemaObject | undefined
  describe(name: string, version: string): StandardDescription | undefined
  /** Compiled on first use, then cached. */
  compiled(name: string, version: string): CompiledStandard | undefined
  /** The highest version of `name`. */
  latestVersion(name: string): string | undefined
}

export class CatalogError extends Error {
  override name = 'CatalogError'
}

/**
 * A catalogue over schema documents that reference each other by `$id`. Every document is
 * checked up front: libraries compile, record standards are described (so a broken one
 * fails here, not on first use).
 */
export function createStandardCatalog(
  documents: readonly JsonSchemaObject[],
  options: CompileStandardOptions = {},
): StandardCatalog {
  const store = createSchemaStore(documents)
  const entries = new Map<string, CatalogEntry>()
  for (const document of documents) {
    const entry = catalogEntry(document, store)
    const key = refKey(entry.ref.name, entry.ref.version)
    if (entries.has(key)) throw new CatalogError(`two documents are ${entry.ref.name} ${entry.ref.version}`)
    entries.set(key, entry)
  }
  const summaries = [...entries.values()].map(summaryOf)
  summaries.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version))
  const compiled = new Map<string, CompiledStandard>()

  return {
    documents: store,
    list: () => summaries,
    schema: (name, version) => entries.get(refKey(name, version))?.document,
    describe: (name, version) => entries.get(refKey(name, version))?.description,
    compiled(name, version) {
      const key = refKey(name, version)
      const entry = entries.get(key)
      if (entry?.description === undefined) return undefined
      let standard = compiled.get(key)
      if (standard === undefined) {
        standard = compileStandard(entry.document, store, options)
        compiled.set(key, standard)
      }
      return standard
    },
    latestVersion: (name) => summaries.findLast((summary) => summary.name === name)?.version,
  }
}

/** The catalogue of the standards shipped in schemas/. */
export function shippedCatalog(options: CompileStandardOptions = {}): StandardCatalog {
  return createStandardCatalog(SHIPPED_DOCUMENTS, options)
}

interface CatalogEntry {
  readonly ref: StandardRef
  readonly document: JsonSchemaObject
  /** Undefined for an element library. */
  readonly description: StandardDescription | undefined
}

function catalogEntry(document: JsonSchemaObject, store: SchemaStore): CatalogEntry {
  const ref = standardRefOf(document)
  if (ref === undefined) {
    throw new CatalogError(`${String(document.$id)}: x-standard needs a name and a MAJOR.MINOR.PATCH version`)
  }
  if (isElementLibrary(document)) {
    compileSchema(document, { documents: store })
    return { ref, document, description: undefined }
  }
  return { ref, document, description: describeStandard(document, store) }
}

function refKey(name: string, version: string): string {
  return `${name}@${version}`
}

function summaryOf({ ref, document, description }: CatalogEntry): StandardSummary {
  return description === undefined
    ? { ...ref, title: typeof document.title === 'string' ? document.title : '', kind: 'elements' }
    : { ...ref, title: description.title, kind: 'record', tier: standardTier(description.fields) }
}
