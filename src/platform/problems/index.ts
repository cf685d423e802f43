export { ErrorCode, PROBLEM_CATALOG, type CatalogEntry } from './problem-catalog';
export {
  problem,
  ProblemException,
  validationProblem,
  type FieldError,
  type ProblemOptions,
  type ProblemOverrides,
} from './problem';
