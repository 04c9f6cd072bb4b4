// The catalogue as DCAT (W3C Data Catalog Vocabulary) in JSON-LD, so open-data portals can
// harvest it: CKAN's ckanext-dcat RDF harvester reads JSON-LD through rdflib and follows
// hydra:PagedCollection / hydra:next from page to page. Pure: datasets in, document out.

import { standardId } from '../standards/service.js'
import type { UpdateCycle } from './repository.js'
import type { Dataset } from './service.js'

export const JSON_LD_MEDIA_TYPE = 'application/ld+json'

const context = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
}

// Dublin Core Collection Description frequency vocabulary, as DCAT-AP recommends.
const FREQUENCY: Record<UpdateCycle, string> = {
  realtime: 'continuous',
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  quarterly: 'quarterly',
  half_yearly: 'semiannual',
  yearly: 'annual',
  irregular: 'irregular',
}

// The EU access-right vocabulary DCAT-AP uses for dct:accessRights.
const ACCESS_RIGHT = 'http://publications.europa.eu/resource/authority/access-right/'

export interface CataloguePage {
  /** Where Qiao is published (its issuer URL); dataset and organisation URIs hang off it. */
  baseUrl: string
  /** This page's URL and, if there is one, the next page's. */
  pageUrl: string
  nextUrl: string | null
  pageSize: number
}

export function catalogueJsonLd(datasets: readonly Dataset[], page: CataloguePage): Record<string, unknown> {
  const base = page.baseUrl.replace(/\/+$/, '')
  const catalogueUri = `${base}/v1/catalog.jsonld`
  const nodes = datasets.map((dataset) => datasetNode(dataset, base))
  return {
    '@context': context,
    '@graph': [
      {
        '@id': catalogueUri,
        '@type': 'dcat:Catalog',
        'dct:title': 'Qiao (桥) 政务数据资源目录 / government data catalogue',
        'dct:description': 'Datasets shared through the Qiao gateway, as the caller may see them.',
        'foaf:homepage': { '@id': base },
        'dcat:dataset': nodes.map((node) => ({ '@id': node['@id'] })),
      },
      ...nodes,
      pagingNode(page),
    ],
  }
}

function datasetNode({ row }: Dataset, base: string) {
  const uri = `${base}/v1/datasets/${row.id}`
  const standard = { '@id': standardId(row.standard_name, row.standard_version) }
  return {
    '@id': uri,
    '@type': 'dcat:Dataset',
    'dct:identifier': row.code,
    'dct:title': row.name,
    'dct:alternative': row.title,
    'dct:description': row.abstract,
    'dct:publisher': { '@id': `${base}/v1/orgs/${row.provider_id}`, '@type': 'foaf:Organization', 'foaf:name': row.provider_name },
    'dct:issued': { '@value': row.published_on, '@type': 'xsd:date' },
    'dct:modified': { '@value': row.updated_at.toISOString(), '@type': 'xsd:dateTime' },
    'dct:accrualPeriodicity': { '@id': `http://purl.org/cld/freq/${FREQUENCY[row.update_cycle]}` },
    'dct:accessRights': { '@id': ACCESS_RIGHT + accessRight(row.sharing, row.open) },
    'dct:conformsTo': standard,
    ...(row.related_codes.length > 0 ? { 'dct:relation': row.related_codes } : {}),
    'dcat:distribution': [
      {
        '@id': `${uri}/records`,
        '@type': 'dcat:Distribution',
        'dct:title': 'Records (JSON), through the Qiao API',
        'dcat:accessURL': { '@id': `${uri}/records` },
        'dcat:mediaType': { '@id': 'https://www.iana.org/assignments/media-types/application/json' },
        'dct:format': 'JSON',
        'dct:conformsTo': standard,
      },
    ],
  }
}

/** PUBLIC: opened unconditionally; NON_PUBLIC: not shared at all; RESTRICTED: everything in between. */
function accessRight(sharing: string, open: string): string {
  if (open === 'unconditional') return 'PUBLIC'
  return sharing === 'none' ? 'NON_PUBLIC' : 'RESTRICTED'
}

// Both spellings of "next": ckanext-dcat reads hydra:next and, in older releases, hydra:nextPage.
function pagingNode(page: CataloguePage) {
  return {
    '@id': page.pageUrl,
    '@type': 'hydra:PagedCollection',
    'hydra:itemsPerPage': page.pageSize,
    ...(page.nextUrl ? { 'hydra:next': { '@id': page.nextUrl }, 'hydra:nextPage': { '@id': page.nextUrl } } : {}),
  }
}
