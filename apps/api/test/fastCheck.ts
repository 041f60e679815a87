/**
 * fast-check for apps/api's tests (a devDependency of this package, from the workspace catalog).
 */
export { default } from "fast-check"
