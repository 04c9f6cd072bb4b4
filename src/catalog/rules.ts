// The rules a dataset's catalogue metadata must follow, checked at registration and after every
// change (on the merged result). Pure: each returns the problems it finds, with the body path.

import type { FieldProblem } from '../http/errors.js'
import type { StandardDescription } from '../standards/standard.js'
import type { DatasetMetadata } from './repository.js'

/**
 * 国发〔2016〕51号 and the 政务数据共享条例: unconditional sharing carries no conditions (conditions
 * that obstruct sharing may not be added); conditional sharing states its conditions; anything
 * less than unconditional sharing states its legal basis. What is not shared with other
 * departments is not opened to society either.
 */
export function attributeProblems(metadata: DatasetMetadata): FieldProblem[] {
  const problems: FieldProblem[] = []
  const problem = (path: string, code: string, message: string) => problems.push({ path: `body.${path}`, code, message })
  if (metadata.sharing === 'conditional' && metadata.sharing_conditions === null) {
    problem('sharing_conditions', 'conditions_required', 'conditional sharing must state its conditions')
  }
  if (metadata.sharing !== 'conditional' && metadata.sharing_conditions !== null) {
    problem('sharing_conditions', 'conditions_not_allowed', `${metadata.sharing} sharing carries no conditions`)
  }
  if (metadata.sharing !== 'unconditional' && metadata.legal_basis === null) {
    problem('legal_basis', 'legal_basis_required', `${metadata.sharing} sharing needs a legal basis (the law or regulation that restricts it)`)
  }
  if (metadata.open === 'conditional' && metadata.open_conditions === null) {
    problem('open_conditions', 'conditions_required', 'conditional opening must state its conditions')
  }
  if (metadata.open !== 'conditional' && metadata.open_conditions !== null) {
    problem('open_conditions', 'conditions_not_allowed', `${metadata.open} opening carries no conditions`)
  }
  if (metadata.sharing === 'none' && metadata.open !== 'none') {
    problem('open', 'open_without_sharing', 'a dataset not shared with other departments cannot be opened to society')
  }
  return problems
}

/** The related resource codes: distinct, and not the dataset's own. */
export function relatedCodeProblems(code: string, related: readonly string[]): FieldProblem[] {
  const problems: FieldProblem[] = []
  const seen = new Set<string>()
  related.forEach((other, i) => {
    const path = `body.related_codes.${i}`
    if (other === code) problems.push({ path, code: 'self_reference', message: 'a dataset is not related to itself' })
    else if (seen.has(other)) problems.push({ path, code: 'duplicate', message: `${other} is listed twice` })
    seen.add(other)
  })
  return problems
}

/**
 * Records are keyed by the key field, so it must identify a record: a required string or integer
 * field of the standard. Usually the standard's own key (x-key).
 */
export function keyFieldProblem(description: StandardDescription, keyField: string, path: string): FieldProblem | undefined {
  const field = description.fields.find((f) => f.name === keyField)
  if (field === undefined) {
    return { path, code: 'unknown_field', message: `${keyField} is not a field of ${description.name} ${description.version}` }
  }
  const keyable = field.required && !field.types.includes('null') && field.types.every((t) => t === 'string' || t === 'integer')
  if (!keyable) {
    return { path, code: 'not_a_key', message: `${keyField} cannot identify a record: a key field is a required string or integer field` }
  }
  return undefined
}
