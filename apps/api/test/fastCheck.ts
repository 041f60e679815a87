/**
 * fast-check for apps/api's tests. apps/api does not list fast-check among its devDependencies
 * (adding one needs an install), so this reaches core's copy by path; with the dependency added it
 * becomes `export { default } from "fast-check"`.
 */
export { default } from "../../../packages/core/node_modules/fast-check/lib/fast-check.js"
